//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/runner"
)

// initConnector is the injector: Wire writes its body into wire_gen.go. The connector
// signs, so it creates the CA Secret when absent.
func initConnector(ctx context.Context, cfg Config, logger *slog.Logger) (*runner.Group, func(), error) {
	wire.Build(wire.Value(components.CreateCA(true)), components.ConnectorServersSet)
	return nil, nil, nil
}
