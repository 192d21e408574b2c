// Command management-api runs the management API on its own, behind its bearer token:
// Application and Secret CRUD, the legacy Application Registry, one-time token issuing,
// revocation and event listing, over the store --store selects. /healthz and /readyz are
// on --api-addr. It never signs: the connector does.
package main

import (
	"errors"
	"flag"
	"io"
	"log/slog"

	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/runner"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// Config is the management API's configuration, from flags with an APPCONNECTOR_<FLAG>
// environment fallback (flags win).
type Config struct {
	serveflags.Flags
	serveflags.Management
	serveflags.Connector
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("management-api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.Flags.Register(fs, "directory of the embedded store, or :memory: (nothing kept on disk; needs --admin-token-file)")
	c.Management.Register(fs)
	c.Connector.Register(fs, serveflags.URLs|serveflags.Tokens)
	if err := c.Parse(fs, args, getenv); err != nil {
		return Config{}, err
	}
	if err := c.Connector.Complete(); err != nil {
		return Config{}, err
	}
	c.Management.Complete("127.0.0.1:8080")
	return c, errors.Join(append(append(c.Flags.Validate(), c.Management.Validate(c.Flags)...), c.Connector.Validate()...)...)
}

var binary = components.Binary[Config]{Name: "management-api", Parse: parseConfig, Wire: initManagementAPI}

func main() { binary.Main() }

func provideAPIConfig(tok components.AdminToken, s *storage.Set) httpapi.Config {
	return components.APIConfig(tok, components.StoreReady(s))
}

func newGroup(cfg Config, api *httpapi.Server, tel *telemetry.Telemetry, logger *slog.Logger) *runner.Group {
	g := runner.New(logger, cfg.ShutdownTimeout)
	g.AddServer(components.ServerAPI, cfg.APIAddr, api.Handler(), runner.RequestLimits())
	components.AddMetrics(g, tel)
	return g
}
