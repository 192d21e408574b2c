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
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/pairing"
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

	// Connector, certificates and validator (standalone mode).
	ConnectorAddr   string
	MTLSAddr        string
	ValidatorAddr   string
	ConnectorURL    string
	MTLSURL         string
	EventsURL       string
	TrustXFCC       bool
	EventingURL     string
	EventingMode    string
	EventTypePrefix string
	EventLogSize    int
	CACert          string
	CAKey           string
	CertValidity    time.Duration
	CertSubject     certificate.Subject
	TokenTTL        time.Duration
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
	fs.StringVar(&c.ConnectorURL, "connector-url", "", "external base URL of --connector-addr announced to clients (default https://<connector-addr>)")
	fs.StringVar(&c.ConnectorAddr, "connector-addr", "127.0.0.1:8083", "listen address (TLS) of the token-secured Connector API: signing-request info and certificates")
	fs.StringVar(&c.MTLSAddr, "mtls-addr", "127.0.0.1:8443", "listen address (TLS, client certificate required) of management info, renewal, revocation and events")
	fs.StringVar(&c.MTLSURL, "mtls-url", "", "external base URL of --mtls-addr (default https://<mtls-addr>)")
	fs.StringVar(&c.ValidatorAddr, "validator-addr", "", "listen address of the Connectivity Validator behind a trusted proxy (empty: off)")
	fs.StringVar(&c.EventsURL, "events-url", "", "external base URL where systems send events, e.g. the proxy in front of --validator-addr (default --mtls-url)")
	fs.BoolVar(&c.TrustXFCC, "trust-xfcc", false, "on --validator-addr, take the client certificate from X-Forwarded-Client-Cert (only behind a proxy that sets it)")
	fs.StringVar(&c.EventingURL, "eventing-url", "", "CloudEvents HTTP endpoint events are forwarded to (empty: the embedded event log, read with appctl events)")
	fs.StringVar(&c.EventingMode, "eventing-mode", "binary", "CloudEvents HTTP mode towards --eventing-url: binary or structured")
	fs.StringVar(&c.EventTypePrefix, "event-type-prefix", "sap.kyma.custom", "prefix of CloudEvent types converted from legacy v1 events")
	fs.IntVar(&c.EventLogSize, "event-log-size", 1000, "events kept by the embedded event log")
	fs.StringVar(&c.CACert, "ca-cert", "", "PEM CA certificate that signs client certificates (default: generated in --data-dir)")
	fs.StringVar(&c.CAKey, "ca-key", "", "PEM private key of --ca-cert")
	fs.DurationVar(&c.CertValidity, "cert-validity", certificate.DefaultValidity, "validity of issued client certificates")
	fs.String("cert-subject", certificate.DefaultSubject.String(), "O, OU, L, ST and C of issued client certificates (CN is the Application name)")
	fs.DurationVar(&c.TokenTTL, "token-ttl", pairing.DefaultTTL, "lifetime of one-time connection tokens")
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
	var err error
	if c.CertSubject, err = parseSubject(fs.Lookup("cert-subject").Value.String()); err != nil {
		return Config{}, fmt.Errorf("--cert-subject: %w", err)
	}
	if c.ConnectorURL == "" {
		c.ConnectorURL = "https://" + c.ConnectorAddr
	}
	if c.MTLSURL == "" {
		c.MTLSURL = "https://" + c.MTLSAddr
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
	if c.EventingMode != "binary" && c.EventingMode != "structured" {
		errs = append(errs, fmt.Errorf("--eventing-mode must be binary or structured, got %q", c.EventingMode))
	}
	if (c.CACert == "") != (c.CAKey == "") {
		errs = append(errs, errors.New("--ca-cert and --ca-key go together"))
	}
	if c.EventLogSize <= 0 {
		errs = append(errs, errors.New("--event-log-size must be positive"))
	}
	for name, addr := range map[string]string{"--api-addr": c.APIAddr, "--gateway-addr": c.GatewayAddr, "--gateway-compass-addr": c.GatewayCompassAddr,
		"--connector-addr": c.ConnectorAddr, "--mtls-addr": c.MTLSAddr} {
		if addr == "" {
			errs = append(errs, fmt.Errorf("%s must not be empty", name))
		}
	}
	return errors.Join(errs...)
}

// parseSubject reads "O=..,OU=..,L=..,ST=..,C=.." (RFC 4514 escaping); a CN is refused
// because every certificate's CN is its Application's name.
func parseSubject(s string) (certificate.Subject, error) {
	dn, err := certificate.ParseDN(s)
	if err != nil {
		return certificate.Subject{}, err
	}
	if dn.Get("CN") != "" {
		return certificate.Subject{}, errors.New("must not contain CN: it is the Application name")
	}
	sub := certificate.Subject{Organization: dn.Get("O"), OrganizationalUnit: dn.Get("OU"),
		Locality: dn.Get("L"), Province: dn.Get("ST"), Country: dn.Get("C")}
	return sub, sub.ValidateBase()
}

func defaultGetenv(k string) string { return os.Getenv(k) }
