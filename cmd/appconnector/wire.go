//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// initAppContext is the injector: Wire writes its body into wire_gen.go. ctx bounds the
// store's initial sync.
func initAppContext(ctx context.Context, cfg Config, logger *slog.Logger) (*App, func(), error) {
	wire.Build(
		wire.FieldsOf(new(Config), "Flags", "Gateway", "Management", "Connector"), serveflags.StoreConfig, storage.ConnectorSet,
		components.ManagementSet, provideAPIConfig,
		components.TelemetrySet, serveflags.GatewayConfig, components.NewGateway,
		createCA, components.SigningSet, components.ConnectorSet, components.NewConnectorServers,
		provideAgent, newApp,
	)
	return nil, nil, nil
}
