//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/runner"
)

// initValidator is the injector: Wire writes its body into wire_gen.go. The validator
// only verifies: it waits for the connector to create the CA Secret.
func initValidator(ctx context.Context, cfg Config, logger *slog.Logger) (*runner.Group, func(), error) {
	wire.Build(wire.Value(components.CreateCA(false)), components.ConnectorServersSet)
	return nil, nil, nil
}
