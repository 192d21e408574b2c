package components

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"time"

	"github.com/appconnector/appconnector/adapters/ca"
	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/cmd/internal/runner"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
	"github.com/appconnector/appconnector/ports"
)

// ServerMetrics is the name of the metrics listener (--metrics-addr).
const ServerMetrics = "metrics"

// telemetryShutdownTimeout bounds the export of the last spans at exit: an unreachable
// collector must not hold the process after its servers have stopped.
const telemetryShutdownTimeout = 5 * time.Second

// ProvideTelemetry sets up the process's metrics and tracing from the shared flags.
// The cleanup exports the spans still buffered.
func ProvideTelemetry(ctx context.Context, f serveflags.Flags, logger *slog.Logger) (*telemetry.Telemetry, func(), error) {
	tel, err := telemetry.New(ctx, f.Telemetry)
	if err != nil {
		return nil, nil, fmt.Errorf("telemetry: %w", err)
	}
	return tel, func() {
		sctx, cancel := context.WithTimeout(context.Background(), telemetryShutdownTimeout)
		defer cancel()
		if err := tel.Shutdown(sctx); err != nil {
			logger.Warn("spans not exported at shutdown", "error", err)
		}
	}, nil
}

// AddMetrics adds the metrics listener to g unless --metrics-addr is empty. It takes
// the request limits of the small-document listeners, and the write timeout telemetry
// chooses (none with --pprof, whose profiles run as long as asked).
func AddMetrics(g *runner.Group, tel *telemetry.Telemetry) {
	ref := tel.NewServer()
	if ref == nil {
		return
	}
	g.AddServer(ServerMetrics, ref.Addr, ref.Handler, runner.RequestLimits()).WriteTimeout = ref.WriteTimeout
}

// NewGateway is gateway.New with the process's telemetry: request metrics and spans,
// and the watch metrics of the two stores the route table follows.
func NewGateway(c gateway.Config, tel *telemetry.Telemetry, apps ports.ApplicationRepository, secrets ports.SecretStore, logger *slog.Logger) (*gateway.Gateway, error) {
	c.Metrics, c.Tracing = tel.Gateway, tel.Tracing
	return gateway.New(c, tel.Stores.Applications(apps), tel.Stores.Secrets(secrets), logger)
}

// ObservedCA is ProvideCA that also exports the CA certificate's expiry.
func ObservedCA(ctx context.Context, f serveflags.Flags, c serveflags.Connector, s *storage.Set, create CreateCA, tel *telemetry.Telemetry, logger *slog.Logger) (*ca.CA, error) {
	signer, err := ProvideCA(ctx, f, c, s, create, logger)
	if err != nil {
		return nil, err
	}
	tel.Connector.ObserveCertificate("ca", signer.Certificate())
	return signer, nil
}

// ObserveCertificates exports the expiry of the connector listeners' certificate, and
// keeps it current when the certificate comes from files that are reloaded (--tls-cert).
func (cs *ConnectorServers) ObserveCertificates(g *runner.Group, tel *telemetry.Telemetry) {
	if cs.tls == nil || tel.Connector == nil {
		return
	}
	leaf := func() *x509.Certificate {
		if cs.tls.GetCertificate != nil {
			if c, err := cs.tls.GetCertificate(nil); err == nil && c != nil {
				return c.Leaf
			}
			return nil
		}
		if len(cs.tls.Certificates) > 0 {
			return cs.tls.Certificates[0].Leaf
		}
		return nil
	}
	tel.Connector.ObserveCertificate("connector", leaf())
	if cs.tls.GetCertificate == nil {
		return
	}
	g.AddLoop(func(ctx context.Context) error {
		// As often as the reloader checks the files: the gauge follows a rotation within
		// one more check.
		t := time.NewTicker(cs.c.TLSReloadInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				tel.Connector.ObserveCertificate("connector", leaf())
			}
		}
	})
}
