// Package serveflags holds what the two binaries that run the Application Gateway
// (appconnector and application-gateway) read from the command line alike: the store,
// the gateway's listeners and proxy settings, logging and shutdown. One definition keeps
// their flag names, defaults, checks and the resulting gateway.Config from drifting apart.
package serveflags

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/cmd/internal/flagenv"
	"github.com/appconnector/appconnector/cmd/internal/runner"
)

// Flags are the shared settings. Embed them in a binary's Config.
type Flags struct {
	DataDir            string
	GatewayAddr        string
	GatewayCompassAddr string
	ProxyTimeout       time.Duration
	ProxyIdleTimeout   time.Duration
	RetryBodyLimit     int64
	RetryOnAuthFailure bool
	AccessLog          bool
	LogLevel           slog.Level
	ShutdownTimeout    time.Duration

	// GatewayLimits bound the gateway's two listeners. Not flags: the defaults suit every
	// deployment seen so far, and tests shorten them.
	GatewayLimits runner.Limits

	logLevel string
}

// Register defines the shared flags on fs; dataDirUsage is the --data-dir help, which
// differs between the binaries.
func (f *Flags) Register(fs *flag.FlagSet, dataDirUsage string) {
	d := gateway.DefaultConfig()
	fs.StringVar(&f.DataDir, "data-dir", "./data", dataDirUsage)
	fs.StringVar(&f.GatewayAddr, "gateway-addr", "127.0.0.1:8080", "listen address of the gateway: /{app}/{service}/{path}")
	fs.StringVar(&f.GatewayCompassAddr, "gateway-compass-addr", "127.0.0.1:8082", "listen address of the gateway's Compass form: /{app}/{service}/{entry}/{path}")
	fs.DurationVar(&f.ProxyTimeout, "proxy-timeout", d.ProxyTimeout, "how long the gateway waits for a target's response headers (then 504)")
	fs.DurationVar(&f.ProxyIdleTimeout, "proxy-idle-timeout", d.BodyIdleTimeout,
		"how long a proxied request or response body may stall without a byte moving before the gateway cuts it")
	fs.Int64Var(&f.RetryBodyLimit, "retry-body-limit", d.RetryBodyLimit, "request bodies up to this many bytes are buffered so a 401/403 can be retried")
	fs.BoolVar(&f.RetryOnAuthFailure, "retry-on-auth-failure", d.RetryOnAuthFailure, "retry once with fresh tokens when a target answers 401 or 403")
	fs.BoolVar(&f.AccessLog, "access-log", false, "log every proxied request at info level (default: at debug level)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&f.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long in-flight requests may take on SIGINT/SIGTERM")
	f.GatewayLimits = runner.StreamingLimits()
}

// Parse parses args into fs (on which Register was called), with the environment
// fallbacks, and completes the values that need more than a flag.Value.
func (f *Flags) Parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := flagenv.Parse(fs, args, getenv); err != nil {
		return err
	}
	if err := f.LogLevel.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	return nil
}

// Validate reports every bad shared value, each naming its flag.
func (f Flags) Validate() []error {
	var errs []error
	if f.DataDir == "" {
		errs = append(errs, errors.New("--data-dir must not be empty"))
	}
	if f.GatewayAddr == "" {
		errs = append(errs, errors.New("--gateway-addr must not be empty"))
	}
	if f.GatewayCompassAddr == "" {
		errs = append(errs, errors.New("--gateway-compass-addr must not be empty"))
	}
	if f.ProxyTimeout <= 0 {
		errs = append(errs, errors.New("--proxy-timeout must be positive"))
	}
	if f.ProxyIdleTimeout <= 0 {
		errs = append(errs, errors.New("--proxy-idle-timeout must be positive"))
	}
	if f.RetryBodyLimit < 0 {
		errs = append(errs, errors.New("--retry-body-limit must not be negative"))
	}
	if f.ShutdownTimeout < 0 {
		errs = append(errs, errors.New("--shutdown-timeout must not be negative"))
	}
	return errs
}

// GatewayConfig is the Wire provider of the gateway's configuration.
func GatewayConfig(f Flags) gateway.Config {
	g := gateway.DefaultConfig()
	g.ProxyTimeout = f.ProxyTimeout
	g.RetryBodyLimit = f.RetryBodyLimit
	g.RetryOnAuthFailure = f.RetryOnAuthFailure
	g.BodyIdleTimeout = f.ProxyIdleTimeout
	g.AccessLog = f.AccessLog
	return g
}

// DataDir is the Wire provider of the store's location.
func DataDir(f Flags) storage.DataDir { return storage.DataDir(f.DataDir) }
