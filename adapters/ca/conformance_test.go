package ca_test

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/ca"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

func TestSignerConformance(t *testing.T) {
	porttest.RunCertificateSigner(t, func(t *testing.T) ports.CertificateSigner {
		c, err := ca.Open(ca.Config{DataDir: t.TempDir()}, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		return c
	})
}
