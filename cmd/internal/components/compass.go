package components

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/google/wire"

	compassclient "github.com/appconnector/appconnector/adapters/compass"
	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/app/compass"
	"github.com/appconnector/appconnector/cmd/internal/runner"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
	"github.com/appconnector/appconnector/ports"
)

// GatewayBaseURL is the base of the centralGatewayUrl the agent writes into the
// Applications it syncs: the gateway's Compass form.
type GatewayBaseURL string

// AgentSet provides the Runtime Agent from the Compass flags, a GatewayBaseURL, the
// store's Application, Secret and CompassConnection ports and a logger.
var AgentSet = wire.NewSet(CompassClientOptions, CompassConnector, CompassDirector, AgentConfig, NewAgent)

// CompassClientOptions are the GraphQL clients' TLS and timeout settings.
func CompassClientOptions(c serveflags.Compass) (compassclient.Options, error) {
	o := compassclient.Options{InsecureSkipVerify: c.SkipTLSVerify, Timeout: c.Timeout, UserAgent: "appconnector-runtime-agent (" + c.Identity + ")"}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return o, fmt.Errorf("--compass-ca: %w", err)
		}
		o.RootCAs = pem
	}
	return o, nil
}

// CompassConnector is the Compass Connector's client.
func CompassConnector(o compassclient.Options) (ports.CompassConnector, error) {
	c, err := compassclient.NewConnectorClient(o)
	if err != nil {
		return nil, fmt.Errorf("--compass-ca: %w", err)
	}
	return c, nil
}

// CompassDirector is the Director's client.
func CompassDirector(o compassclient.Options) (ports.Director, error) {
	c, err := compassclient.NewDirectorClient(o)
	if err != nil {
		return nil, fmt.Errorf("--compass-ca: %w", err)
	}
	return c, nil
}

// AgentConfig is the agent's configuration from its flags.
func AgentConfig(c serveflags.Compass, base GatewayBaseURL, logger *slog.Logger) compass.Config {
	return compass.Config{
		// 0 means no limit on the flag; the agent's zero value means Kyma's default.
		SyncPeriod: c.SyncPeriod, MinimalSyncTime: max(c.MinSyncTime, time.Nanosecond), RenewalThreshold: c.RenewalThreshold,
		GatewayBaseURL: string(base), EventsURL: c.EventsURL, ConsoleURL: c.ConsoleURL, SkipAppsTLSVerify: c.SkipAppsVerify,
		ConfigSecret: c.ConfigSecret, CertificateSecret: c.CertSecret, CASecret: c.CASecret,
		Logger: logger.With("component", "runtime-agent"),
	}
}

// NewAgent is the Wire provider of the agent.
func NewAgent(cfg compass.Config, conns ports.CompassConnectionStore, secrets ports.SecretStore, apps ports.ApplicationRepository,
	connector ports.CompassConnector, director ports.Director) *compass.Agent {
	return compass.New(cfg, compass.Deps{Connections: conns, Secrets: secrets, Applications: apps, Connector: connector, Director: director})
}

// ObserveCompass exports the CompassConnection's status on the metrics listener.
func ObserveCompass(tel *telemetry.Telemetry, conns ports.CompassConnectionStore) {
	tel.Registry.MustRegister(telemetry.NewCompassCollector(conns))
}

// AddAgent runs the agent as one of g's loops. With --store kubernetes, replicas elect
// one leader through a Lease in --namespace and only the leader runs rounds; the others
// wait, so two replicas never call the Director for the same runtime at once.
func AddAgent(g *runner.Group, a *compass.Agent, f serveflags.Flags, c serveflags.Compass, logger *slog.Logger) error {
	if !f.Kube() {
		g.AddLoop(a.Run)
		return nil
	}
	kc, err := storage.KubeConfig(f.Kubeconfig)
	if err != nil {
		return err
	}
	identity := c.Identity
	g.AddLoop(func(ctx context.Context) error {
		return kubernetes.RunAsLeader(ctx, kc, f.Namespace, c.LeaseName, identity, kubernetes.LeaderOptions{}, func(ctx context.Context) {
			logger.Info("runtime agent leads: it syncs with Compass", "lease", c.LeaseName, "identity", identity)
			if err := a.Run(ctx); err != nil && ctx.Err() == nil {
				logger.Error("runtime agent stopped", "error", err)
			}
		})
	})
	return nil
}
