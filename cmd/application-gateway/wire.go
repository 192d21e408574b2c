//go:build wireinject

package main

import (
	"log/slog"

	"github.com/google/wire"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/storage"
)

// initGateway is the injector: Wire writes its body into wire_gen.go.
func initGateway(cfg Config, logger *slog.Logger) (*gateway.Gateway, func(), error) {
	wire.Build(provideDataDir, storage.ProviderSet, gatewayConfig, gateway.New)
	return nil, nil, nil
}
