package main

import (
	"errors"
	"flag"
	"io"
	"os"

	"github.com/appconnector/appconnector/cmd/internal/runner"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// Config is everything appconnector needs to start, filled from flags with an
// APPCONNECTOR_<FLAG> environment fallback and validated before anything is wired.
type Config struct {
	// Flags are the store, logging and shutdown settings every serving binary shares.
	serveflags.Flags
	// Gateway, Management and Connector are those of application-gateway,
	// management-api, connector and connectivity-validator, all in one process.
	serveflags.Gateway
	serveflags.Management
	serveflags.Connector

	// CompassEnabled (--compass) runs the Runtime Agent in the process: the
	// Applications come from the Compass Director, and /v1/compassconnection is served.
	CompassEnabled bool
	serveflags.Compass
	// CompassGatewayBaseURL is the base of the centralGatewayUrl of synced Applications:
	// --gateway-base-url when given, else the gateway's Compass form listener.
	CompassGatewayBaseURL string

	// RequestLimits bound every listener but the gateway's (not flags; tests shorten them).
	RequestLimits runner.Limits
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("appconnector", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.Flags.Register(fs, "directory of the embedded store, or :memory: (nothing kept on disk; needs --admin-token-file)")
	c.Gateway.Register(fs)
	c.Management.Register(fs)
	c.Connector.Register(fs, serveflags.AllConnector)
	fs.BoolVar(&c.CompassEnabled, "compass", false, "run the Runtime Agent: pair with Compass through the compass-agent-configuration Secret "+
		"and keep the Applications the Director assigns in sync (docs/compass.md)")
	c.Compass.Register(fs)
	if err := c.Parse(fs, args, getenv); err != nil {
		return Config{}, err
	}
	c.RequestLimits = runner.RequestLimits()
	if err := c.Connector.Complete(); err != nil {
		return Config{}, err
	}
	c.CompassGatewayBaseURL = c.GatewayBaseURL
	if c.CompassGatewayBaseURL == "" {
		c.CompassGatewayBaseURL = "http://" + c.GatewayCompassAddr
	}
	c.Management.Complete(c.GatewayAddr)
	errs := append(c.Flags.Validate(), c.Gateway.Validate()...)
	if c.CompassEnabled {
		errs = append(errs, c.Compass.Validate()...)
	}
	errs = append(errs, c.Management.Validate(c.Flags)...)
	errs = append(errs, c.Connector.Validate()...)
	return c, errors.Join(errs...)
}

func defaultGetenv(k string) string { return os.Getenv(k) }
