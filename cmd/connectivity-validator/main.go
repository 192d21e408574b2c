// Command connectivity-validator runs Kyma's Connectivity Validator on its own: the event
// endpoints on --validator-addr behind a proxy that terminates TLS, the client
// certificate taken from X-Forwarded-Client-Cert under --trust-xfcc, checked against the
// Application and the revocation list, over the store --store selects; /healthz and
// /readyz on --health-addr.
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

// Config is the validator's configuration, from flags with an APPCONNECTOR_<FLAG>
// environment fallback (flags win).
type Config struct {
	serveflags.Flags
	serveflags.Connector
	serveflags.Health
}

const defaultValidatorAddr = "127.0.0.1:8085"

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("connectivity-validator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.Flags.Register(fs, "directory of the embedded store (revocations, the CA), or :memory:")
	c.Connector.Register(fs, serveflags.Validator|serveflags.XFCC|serveflags.Eventing|serveflags.CA)
	// Serving the validator is this binary's whole job: its address is not optional.
	v := fs.Lookup("validator-addr")
	v.Usage, v.DefValue = "listen address of the Connectivity Validator, behind a proxy that terminates TLS", defaultValidatorAddr
	_ = v.Value.Set(defaultValidatorAddr)
	c.Health.Register(fs)
	if err := c.Parse(fs, args, getenv); err != nil {
		return Config{}, err
	}
	if err := c.Connector.Complete(); err != nil {
		return Config{}, err
	}
	errs := append(append(c.Flags.Validate(), c.Connector.Validate()...), c.Health.Validate()...)
	if c.ValidatorAddr == "" {
		errs = append(errs, errors.New("--validator-addr must not be empty"))
	}
	return c, errors.Join(errs...)
}

var binary = components.Binary[Config]{
	Name:  "connectivity-validator",
	Parse: parseConfig,
	Flags: func(c Config) serveflags.Flags { return c.Flags },
	Wire:  initValidator,
}

func main() { binary.Main() }

// createCA: the validator only verifies; it waits for the connector to create the CA.
func createCA() components.CreateCA { return false }

func newGroup(cfg Config, s *storage.Set, cs *components.ConnectorServers, logger *slog.Logger) *runner.Group {
	g := components.NewGroup(cfg.Flags, cfg.Health, components.StoreReady(s), logger)
	cs.Add(g, runner.RequestLimits())
	return g
}
