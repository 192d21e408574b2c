//go:build wireinject

package main

import (
	"log/slog"

	"github.com/google/wire"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// initGateway is the injector: Wire writes its body into wire_gen.go.
func initGateway(cfg Config, logger *slog.Logger) (*gateway.Gateway, func(), error) {
	wire.Build(wire.FieldsOf(new(Config), "Flags"), serveflags.DataDir, storage.ProviderSet, serveflags.GatewayConfig, gateway.New)
	return nil, nil, nil
}
