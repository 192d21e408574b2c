//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/runner"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// initGateway is the injector: Wire writes its body into wire_gen.go.
func initGateway(ctx context.Context, cfg Config, logger *slog.Logger) (*runner.Group, func(), error) {
	wire.Build(wire.FieldsOf(new(Config), "Flags", "Gateway"), serveflags.StoreConfig, storage.ProviderSet,
		components.TelemetrySet, serveflags.GatewayConfig, components.NewGateway, newGroup)
	return nil, nil, nil
}
