//go:build wireinject

package main

import (
	"log/slog"

	"github.com/google/wire"

	"github.com/appconnector/appconnector/adapters/connectorapi"
	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/httpapi/metadataapi"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/app/metadata"
	"github.com/appconnector/appconnector/app/registry"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// initApp is the injector: Wire writes its body into wire_gen.go.
func initApp(cfg Config, logger *slog.Logger) (*App, func(), error) {
	wire.Build(
		wire.FieldsOf(new(Config), "Flags"), serveflags.DataDir, storage.ConnectorSet, provideEventLogSize,
		registry.NewService,
		provideMetadataConfig, metadata.NewService, metadataapi.New,
		provideAdminToken, provideAPIConfig, provideExtraRoutes, httpapi.NewServer,
		serveflags.GatewayConfig, gateway.New,
		provideCA, provideConnectorDeps, provideConnectorConfig, connector.New,
		provideConnectorAPIConfig, connectorapi.NewManagementRoutes, provideConnectorServers,
		newApp,
	)
	return nil, nil, nil
}
