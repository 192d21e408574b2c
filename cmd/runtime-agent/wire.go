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

// initAgent is the injector: Wire writes its body into wire_gen.go.
func initAgent(ctx context.Context, cfg Config, logger *slog.Logger) (*runner.Group, func(), error) {
	wire.Build(wire.FieldsOf(new(Config), "Flags", "Compass"), serveflags.StoreConfig, storage.ProviderSet,
		storage.ProvideCompassConnections, components.TelemetrySet, gatewayBaseURL, components.AgentSet, newGroup)
	return nil, nil, nil
}
