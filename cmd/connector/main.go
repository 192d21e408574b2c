// Command connector runs Kyma's Connector on its own: the token-secured API that signs a
// system's first certificate (--connector-addr) and the mTLS API for management info,
// renewal, revocation and events (--mtls-addr), over the store --store selects, with
// /healthz and /readyz on --health-addr. Several replicas share tokens, revocations and
// the CA through the Kubernetes store.
package main

import (
	"errors"
	"flag"
	"io"
	"log/slog"

	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/runner"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// Config is the connector's configuration, from flags with an APPCONNECTOR_<FLAG>
// environment fallback (flags win).
type Config struct {
	serveflags.Flags
	serveflags.Connector
	serveflags.Health
}

const groups = serveflags.Listeners | serveflags.URLs | serveflags.XFCC | serveflags.Eventing | serveflags.CA | serveflags.Signing | serveflags.Tokens

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("connector", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.Flags.Register(fs, "directory of the embedded store (tokens, revocations, the CA), or :memory:")
	c.Connector.Register(fs, groups)
	c.Health.Register(fs)
	if err := c.Parse(fs, args, getenv); err != nil {
		return Config{}, err
	}
	if err := c.Connector.Complete(); err != nil {
		return Config{}, err
	}
	return c, errors.Join(append(append(c.Flags.Validate(), c.Connector.Validate()...), c.Health.Validate()...)...)
}

var binary = components.Binary[Config]{
	Name:  "connector",
	Parse: parseConfig,
	Flags: func(c Config) serveflags.Flags { return c.Flags },
	Wire:  initConnector,
}

func main() { binary.Main() }

// createCA: the connector signs, so it creates the CA Secret when absent.
func createCA() components.CreateCA { return true }

func newGroup(cfg Config, s *storage.Set, cs *components.ConnectorServers, logger *slog.Logger) *runner.Group {
	g := components.NewGroup(cfg.Flags, cfg.Health, components.StoreReady(s), logger)
	cs.Add(g, runner.RequestLimits())
	return g
}
