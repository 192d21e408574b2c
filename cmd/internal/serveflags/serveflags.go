// Package serveflags holds what the serving binaries (appconnector, application-gateway,
// connector, connectivity-validator, management-api) read from the command line alike:
// the store, logging and shutdown (Flags), the gateway's listeners and proxy settings
// (Gateway), the health listener (Health) and the connector's settings (Connector). One
// definition keeps their flag names, defaults, checks and the resulting configurations
// from drifting apart.
package serveflags

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/cmd/internal/flagenv"
	"github.com/appconnector/appconnector/cmd/internal/runner"
)

// Flags are the settings of every serving binary: where the store is, logging and
// shutdown. Embed them in a binary's Config.
type Flags struct {
	Store           string
	DataDir         string
	Kubeconfig      string
	Namespace       string
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
	// Vault is --secrets-store and how to reach Vault (--vault-*).
	Vault Vault
	// Telemetry is --metrics-addr, --pprof and --otlp-endpoint; its Getenv is the
	// binary's, so the OTEL_* variables come from where every other setting does.
	Telemetry telemetry.Config

	logLevel   string
	dataDirSet bool
}

// StoreUsage is the --store help, shared so that every -h says the same.
const StoreUsage = "embedded (--data-dir) or kubernetes: Application custom resources and the Secrets of --namespace " +
	"through the API server (--kubeconfig); in kubernetes mode the event log is in memory, per process " +
	"(forward events with --eventing-url)"

// Register defines the shared flags on fs; dataDirUsage is the --data-dir help, which
// differs between the binaries.
func (f *Flags) Register(fs *flag.FlagSet, dataDirUsage string) {
	fs.StringVar(&f.Store, "store", storage.Embedded, StoreUsage)
	fs.StringVar(&f.DataDir, "data-dir", "./data", dataDirUsage+" (--store embedded)")
	fs.StringVar(&f.Kubeconfig, "kubeconfig", "", "kubeconfig file (--store kubernetes; default: in-cluster, else $KUBECONFIG, else ~/.kube/config)")
	fs.StringVar(&f.Namespace, "namespace", kubernetes.DefaultNamespace,
		"namespace of the credential Secrets and of the connector's tokens, revocations and CA (--store kubernetes)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&f.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long in-flight requests may take on SIGINT/SIGTERM")
	f.Vault.register(fs)
	telemetry.RegisterFlags(fs, &f.Telemetry)
	// Each component is its own service in a trace (OTEL_SERVICE_NAME still wins).
	f.Telemetry.ServiceName = fs.Name()
}

// Parse parses args into fs (on which Register was called), with the environment
// fallbacks, and completes the values that need more than a flag.Value.
func (f *Flags) Parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := flagenv.Parse(fs, args, getenv); err != nil {
		return err
	}
	fs.Visit(func(fl *flag.Flag) { f.dataDirSet = f.dataDirSet || fl.Name == "data-dir" })
	f.Vault.complete(f.Store)
	f.Telemetry.Getenv = getenv
	if err := f.LogLevel.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	return nil
}

// Validate reports every bad shared value, each naming its flag.
func (f Flags) Validate() []error {
	var errs []error
	switch f.Store {
	case storage.Embedded:
		if f.DataDir == "" {
			errs = append(errs, errors.New("--data-dir must not be empty"))
		}
	case storage.Kubernetes:
		if f.Namespace == "" {
			errs = append(errs, errors.New("--namespace must not be empty"))
		}
	default:
		errs = append(errs, fmt.Errorf("--store must be %s or %s, got %q", storage.Embedded, storage.Kubernetes, f.Store))
	}
	if f.ShutdownTimeout < 0 {
		errs = append(errs, errors.New("--shutdown-timeout must not be negative"))
	}
	errs = append(errs, f.Vault.validate()...)
	return errs
}

// Base returns f; through embedding, every binary's Config has it, which is how shared
// code reaches the shared flags of any Config.
func (f Flags) Base() Flags { return f }

// Kube reports Kubernetes mode.
func (f Flags) Kube() bool { return f.Store == storage.Kubernetes }

// DataDirGiven reports whether --data-dir (or its environment variable) was set, which in
// Kubernetes mode is the only way a data dir exists.
func (f Flags) DataDirGiven() bool { return f.dataDirSet }

// StoreConfig is the Wire provider of the store's selection.
func StoreConfig(f Flags) storage.Config {
	return storage.Config{Store: f.Store, DataDir: storage.DataDir(f.DataDir), Kubeconfig: f.Kubeconfig, Namespace: f.Namespace,
		Secrets: f.Vault.SecretsStore, Vault: f.Vault.config()}
}

// Gateway are the gateway's listeners and proxy settings, shared by appconnector and
// application-gateway.
type Gateway struct {
	GatewayAddr        string
	GatewayCompassAddr string
	ProxyTimeout       time.Duration
	ProxyIdleTimeout   time.Duration
	RetryBodyLimit     int64
	RetryOnAuthFailure bool
	AccessLog          bool

	// GatewayLimits bound the gateway's two listeners. Not flags: the defaults suit every
	// deployment seen so far, and tests shorten them.
	GatewayLimits runner.Limits
}

// Register defines the gateway's flags on fs.
func (g *Gateway) Register(fs *flag.FlagSet) {
	d := gateway.DefaultConfig()
	fs.StringVar(&g.GatewayAddr, "gateway-addr", "127.0.0.1:8080", "listen address of the gateway: /{app}/{service}/{path}")
	fs.StringVar(&g.GatewayCompassAddr, "gateway-compass-addr", "127.0.0.1:8082", "listen address of the gateway's Compass form: /{app}/{service}/{entry}/{path}")
	fs.DurationVar(&g.ProxyTimeout, "proxy-timeout", d.ProxyTimeout, "how long the gateway waits for a target's response headers (then 504)")
	fs.DurationVar(&g.ProxyIdleTimeout, "proxy-idle-timeout", d.BodyIdleTimeout,
		"how long a proxied request or response body may stall without a byte moving before the gateway cuts it")
	fs.Int64Var(&g.RetryBodyLimit, "retry-body-limit", d.RetryBodyLimit, "request bodies up to this many bytes are buffered so a 401/403 can be retried")
	fs.BoolVar(&g.RetryOnAuthFailure, "retry-on-auth-failure", d.RetryOnAuthFailure, "retry once with fresh tokens when a target answers 401 or 403")
	fs.BoolVar(&g.AccessLog, "access-log", false, "log every proxied request at info level (default: at debug level)")
	g.GatewayLimits = runner.StreamingLimits()
}

// Validate reports every bad gateway value, each naming its flag.
func (g Gateway) Validate() []error {
	var errs []error
	if g.GatewayAddr == "" {
		errs = append(errs, errors.New("--gateway-addr must not be empty"))
	}
	if g.GatewayCompassAddr == "" {
		errs = append(errs, errors.New("--gateway-compass-addr must not be empty"))
	}
	if g.ProxyTimeout <= 0 {
		errs = append(errs, errors.New("--proxy-timeout must be positive"))
	}
	if g.ProxyIdleTimeout <= 0 {
		errs = append(errs, errors.New("--proxy-idle-timeout must be positive"))
	}
	if g.RetryBodyLimit < 0 {
		errs = append(errs, errors.New("--retry-body-limit must not be negative"))
	}
	return errs
}

// GatewayConfig is the Wire provider of the gateway's configuration.
func GatewayConfig(g Gateway) gateway.Config {
	c := gateway.DefaultConfig()
	c.ProxyTimeout = g.ProxyTimeout
	c.RetryBodyLimit = g.RetryBodyLimit
	c.RetryOnAuthFailure = g.RetryOnAuthFailure
	c.BodyIdleTimeout = g.ProxyIdleTimeout
	c.AccessLog = g.AccessLog
	return c
}

// Health is the listener of /healthz and /readyz of a component binary.
type Health struct {
	HealthAddr string
}

// Register defines --health-addr on fs.
func (h *Health) Register(fs *flag.FlagSet) {
	fs.StringVar(&h.HealthAddr, "health-addr", "127.0.0.1:8090", "listen address of /healthz and /readyz (ready once the store has synced)")
}

// Validate reports an empty --health-addr.
func (h Health) Validate() []error {
	if h.HealthAddr == "" {
		return []error{errors.New("--health-addr must not be empty")}
	}
	return nil
}

// Management are the management API's settings, shared by appconnector and
// management-api.
type Management struct {
	APIAddr        string
	AdminTokenFile string
	GatewayBaseURL string
}

// Register defines the management API's flags on fs.
func (m *Management) Register(fs *flag.FlagSet) {
	fs.StringVar(&m.AdminTokenFile, "admin-token-file", "", "file holding the management API token, created on first start "+
		"(default <data-dir>/admin.token; required with --data-dir :memory:, and in kubernetes mode without --data-dir)")
	fs.StringVar(&m.APIAddr, "api-addr", "127.0.0.1:8081", "listen address of the management API (also /healthz and /readyz)")
	fs.StringVar(&m.GatewayBaseURL, "gateway-base-url", "", "public base URL of the gateway, written into centralGatewayUrl (default http://<gateway-addr>)")
}

// Complete fills the default --gateway-base-url from the gateway's listen address.
func (m *Management) Complete(gatewayAddr string) {
	if m.GatewayBaseURL == "" {
		m.GatewayBaseURL = "http://" + gatewayAddr
	}
}

// Validate reports every bad management value; f are the binary's store flags, which
// decide where the token can live.
func (m Management) Validate(f Flags) []error {
	var errs []error
	if m.APIAddr == "" {
		errs = append(errs, errors.New("--api-addr must not be empty"))
	}
	if m.AdminTokenFile == "" {
		switch {
		case f.Kube() && !f.DataDirGiven():
			errs = append(errs, errors.New("--store kubernetes keeps no data dir: pass --admin-token-file FILE for the management API token (in the chart, a mounted Secret)"))
		case !f.Kube() && f.DataDir == storage.MemoryDataDir:
			// The token must live somewhere appctl can read it; the working directory is
			// nowhere a user would look, and the token grants full control.
			errs = append(errs, errors.New("--data-dir :memory: keeps nothing on disk: pass --admin-token-file FILE for the management API token (created if missing; appctl --token \"$(cat FILE)\")"))
		}
	}
	return errs
}

// Component is the Config of a connector-side component binary (connector,
// connectivity-validator): the shared flags, the connector's groups it serves, health.
type Component struct {
	Flags
	Connector
	Health
}

// Parse registers the flags of groups on a new flag set named name, parses args with
// the environment fallbacks, and validates; adjust, if set, changes flag defaults before
// parsing.
func (c *Component) Parse(name, dataDirUsage string, groups Group, adjust func(*flag.FlagSet), args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.Flags.Register(fs, dataDirUsage)
	c.Connector.Register(fs, groups)
	c.Health.Register(fs)
	if adjust != nil {
		adjust(fs)
	}
	if err := c.Flags.Parse(fs, args, getenv); err != nil {
		return err
	}
	if err := c.Connector.Complete(); err != nil {
		return err
	}
	return errors.Join(append(append(c.Flags.Validate(), c.Connector.Validate()...), c.Health.Validate()...)...)
}
