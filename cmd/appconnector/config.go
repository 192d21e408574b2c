package main

import (
	"errors"
	"flag"
	"io"
	"net"
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
	// CompassGatewayBaseURL (--compass-gateway-base-url) is the base of the
	// centralGatewayUrl of synced Applications: the gateway's Compass form listener,
	// which --gateway-base-url (the standard form, for the legacy registry) is not.
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
	fs.StringVar(&c.CompassGatewayBaseURL, "compass-gateway-base-url", "",
		"base URL of the gateway's Compass form written into synced Applications' centralGatewayUrl (default http://<gateway-compass-addr>)")
	if err := c.Parse(fs, args, getenv); err != nil {
		return Config{}, err
	}
	c.RequestLimits = runner.RequestLimits()
	if err := c.Connector.Complete(); err != nil {
		return Config{}, err
	}
	if c.CompassGatewayBaseURL == "" {
		c.CompassGatewayBaseURL = "http://" + listenHost(c.GatewayCompassAddr)
	}
	c.Management.Complete(c.GatewayAddr)
	errs := append(c.Flags.Validate(), c.Gateway.Validate()...)
	if c.CompassEnabled {
		errs = append(errs, c.Compass.Validate()...)
		if err := serveflags.CheckBaseURL("--compass-gateway-base-url", c.CompassGatewayBaseURL); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.Management.Validate(c.Flags)...)
	errs = append(errs, c.Connector.Validate()...)
	return c, errors.Join(errs...)
}

func defaultGetenv(k string) string { return os.Getenv(k) }

// listenHost makes a listen address usable in a URL: a wildcard host (":8082",
// "0.0.0.0:8082") is this machine's loopback.
func listenHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
