// Command runtime-agent is Kyma's Compass Runtime Agent: it pairs the runtime with
// Compass through the one-time token of the compass-agent-configuration Secret, keeps
// the runtime's client certificate renewed, and keeps the Applications the Director
// assigns to the runtime in sync (compass.md section 1). With --store kubernetes, several
// replicas may run: a Lease elects the one that talks to Compass.
package main

import (
	"errors"
	"flag"
	"io"

	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// Config is the agent's configuration, from flags with an APPCONNECTOR_<FLAG>
// environment fallback (flags win).
type Config struct {
	serveflags.Flags
	serveflags.Health
	serveflags.Compass
	// GatewayBaseURL is the base of the Applications' centralGatewayUrl: the gateway's
	// Compass form /{app}/{service}/{entry}/{path}.
	GatewayBaseURL string
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("runtime-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.Flags.Register(fs, "directory of the embedded store (the connection, its Secrets and the Applications), or :memory:")
	c.Health.Register(fs)
	c.Compass.Register(fs)
	fs.StringVar(&c.GatewayBaseURL, "gateway-base-url", "http://127.0.0.1:8082",
		"base URL of the gateway's Compass form, written into the Applications' centralGatewayUrl")
	if err := c.Flags.Parse(fs, args, getenv); err != nil {
		return Config{}, err
	}
	errs := append(c.Flags.Validate(), c.Health.Validate()...)
	errs = append(errs, c.Compass.Validate()...)
	if err := serveflags.CheckBaseURL("--gateway-base-url", c.GatewayBaseURL); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

var binary = components.Binary[Config]{Name: "runtime-agent", Parse: parseConfig, Wire: initAgent}

func main() { binary.Main() }
