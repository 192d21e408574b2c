package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/appconnector/appconnector/cmd/internal/flagenv"
)

// Config is everything appconnector needs to start, filled from flags with an
// APPCONNECTOR_<FLAG> environment fallback and validated before anything is wired.
type Config struct {
	DataDir        string
	AdminTokenFile string
	LogLevel       slog.Level

	APIAddr            string
	GatewayAddr        string
	GatewayCompassAddr string

	ProxyTimeout       time.Duration
	RetryBodyLimit     int64
	RetryOnAuthFailure bool
	GatewayBaseURL     string

	ShutdownTimeout time.Duration
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("appconnector", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var logLevel string
	fs.StringVar(&c.DataDir, "data-dir", "./data", "directory of the embedded store, or :memory:")
	fs.StringVar(&c.AdminTokenFile, "admin-token-file", "", "file holding the management API token (default <data-dir>/admin.token, created on first start)")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.APIAddr, "api-addr", "127.0.0.1:8081", "listen address of the management API")
	fs.StringVar(&c.GatewayAddr, "gateway-addr", "127.0.0.1:8080", "listen address of the gateway: /{app}/{service}/{path}")
	fs.StringVar(&c.GatewayCompassAddr, "gateway-compass-addr", "127.0.0.1:8082", "listen address of the gateway's Compass form: /{app}/{service}/{entry}/{path}")
	fs.DurationVar(&c.ProxyTimeout, "proxy-timeout", 10*time.Second, "how long the gateway waits for a target's response headers (then 504)")
	fs.Int64Var(&c.RetryBodyLimit, "retry-body-limit", 1<<20, "request bodies up to this size are buffered so a 401/403 can be retried")
	fs.BoolVar(&c.RetryOnAuthFailure, "retry-on-auth-failure", true, "retry once with fresh tokens when a target answers 401 or 403")
	fs.StringVar(&c.GatewayBaseURL, "gateway-base-url", "", "public base URL of the gateway, written into centralGatewayUrl (default http://<gateway-addr>)")
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
	if err := c.LogLevel.UnmarshalText([]byte(fs.Lookup("log-level").Value.String())); err != nil {
		return Config{}, fmt.Errorf("--log-level: %w", err)
	}
	if c.GatewayBaseURL == "" {
		c.GatewayBaseURL = "http://" + c.GatewayAddr
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
	for name, addr := range map[string]string{"--api-addr": c.APIAddr, "--gateway-addr": c.GatewayAddr, "--gateway-compass-addr": c.GatewayCompassAddr} {
		if addr == "" {
			errs = append(errs, fmt.Errorf("%s must not be empty", name))
		}
	}
	return errors.Join(errs...)
}

func defaultGetenv(k string) string { return os.Getenv(k) }
