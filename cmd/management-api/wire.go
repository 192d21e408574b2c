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
	"github.com/appconnector/appconnector/ports"
)

// initManagementAPI is the injector: Wire writes its body into wire_gen.go.
func initManagementAPI(ctx context.Context, cfg Config, logger *slog.Logger) (*runner.Group, func(), error) {
	wire.Build(wire.FieldsOf(new(Config), "Flags", "Management", "Connector"), serveflags.StoreConfig, storage.ConnectorSet,
		wire.Value(components.NoSigner{}), wire.Bind(new(ports.CertificateSigner), new(components.NoSigner)), components.NoClientCAs,
		components.TelemetrySet, components.ConnectorSet, components.ManagementSet, provideAPIConfig, newGroup)
	return nil, nil, nil
}
