package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/appconnector/appconnector/cmd/internal/flagenv"
)

// Config is the application-gateway binary's configuration, from flags with an
// APPCONNECTOR_<FLAG> environment fallback (flags win).
type Config struct {
	DataDir            string
	GatewayAddr        string
	GatewayCompassAddr string
	ProxyTimeout       time.Duration
	RetryBodyLimit     int64
	RetryOnAuthFailure bool
	LogLevel           slog.Level
	ShutdownTimeout    time.Duration
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("application-gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.DataDir, "data-dir", "./data", "directory of the embedded store shared with appconnector, or :memory:")
	fs.StringVar(&c.GatewayAddr, "gateway-addr", "127.0.0.1:8080", "listen address of /{app}/{service}/{path}")
	fs.StringVar(&c.GatewayCompassAddr, "gateway-compass-addr", "127.0.0.1:8082", "listen address of /{app}/{service}/{entry}/{path}")
	fs.DurationVar(&c.ProxyTimeout, "proxy-timeout", 10*time.Second, "how long to wait for a target's response headers (then 504)")
	fs.Int64Var(&c.RetryBodyLimit, "retry-body-limit", 1<<20, "request bodies up to this many bytes are buffered so a 401/403 can be retried")
	fs.BoolVar(&c.RetryOnAuthFailure, "retry-on-auth-failure", true, "retry once with fresh tokens when a target answers 401 or 403")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long in-flight requests may take on SIGINT/SIGTERM")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if err := flagenv.Apply(fs, getenv); err != nil {
		return Config{}, err
	}
	if err := c.LogLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return Config{}, fmt.Errorf("--log-level: %w", err)
	}
	return c, c.validate()
}

func (c Config) validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir must not be empty"))
	}
	if c.ProxyTimeout <= 0 {
		errs = append(errs, errors.New("--proxy-timeout must be positive"))
	}
	if c.RetryBodyLimit < 0 {
		errs = append(errs, errors.New("--retry-body-limit must not be negative"))
	}
	if c.GatewayAddr == "" || c.GatewayCompassAddr == "" {
		errs = append(errs, errors.New("--gateway-addr and --gateway-compass-addr must not be empty"))
	}
	return errors.Join(errs...)
}
