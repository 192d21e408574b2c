//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/appconnector/appconnector/adapters/ca"
	"github.com/appconnector/appconnector/adapters/connectorapi"
	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/httpapi/metadataapi"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/app/metadata"
	"github.com/appconnector/appconnector/app/registry"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
	"github.com/appconnector/appconnector/ports"
)

// initAppContext is the injector: Wire writes its body into wire_gen.go. ctx bounds the
// store's initial sync.
func initAppContext(ctx context.Context, cfg Config, logger *slog.Logger) (*App, func(), error) {
	wire.Build(
		wire.FieldsOf(new(Config), "Flags", "Gateway", "Connector"), serveflags.StoreConfig, storage.ConnectorSet, components.EventLogSize,
		registry.NewService,
		provideMetadataConfig, metadata.NewService, metadataapi.New,
		provideAdminToken, provideAPIConfig, provideExtraRoutes, httpapi.NewServer,
		serveflags.GatewayConfig, gateway.New,
		createCA, components.ProvideCA, wire.Bind(new(ports.CertificateSigner), new(*ca.CA)), components.ClientCAs,
		components.ConnectorDeps, components.ConnectorConfig, connector.New,
		components.ConnectorAPIConfig, connectorapi.NewManagementRoutes, components.NewConnectorServers,
		newApp,
	)
	return nil, nil, nil
}
