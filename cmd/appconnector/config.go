package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/cmd/internal/runner"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/pairing"
)

// Config is everything appconnector needs to start, filled from flags with an
// APPCONNECTOR_<FLAG> environment fallback and validated before anything is wired.
type Config struct {
	// Flags are the store, gateway, logging and shutdown settings application-gateway
	// shares.
	serveflags.Flags

	AdminTokenFile string
	APIAddr        string
	GatewayBaseURL string
	// RequestLimits bound every listener but the gateway's (not flags; tests shorten them).
	RequestLimits runner.Limits

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
	c.Register(fs, "directory of the embedded store, or :memory: (nothing kept on disk; needs --admin-token-file)")
	fs.StringVar(&c.AdminTokenFile, "admin-token-file", "", "file holding the management API token, created on first start (default <data-dir>/admin.token; required with --data-dir :memory:)")
	fs.StringVar(&c.APIAddr, "api-addr", "127.0.0.1:8081", "listen address of the management API")
	fs.StringVar(&c.GatewayBaseURL, "gateway-base-url", "", "public base URL of the gateway, written into centralGatewayUrl (default http://<gateway-addr>)")
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
	if err := c.Parse(fs, args, getenv); err != nil {
		return Config{}, err
	}
	c.RequestLimits = runner.RequestLimits()
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
	errs := c.Flags.Validate()
	if c.DataDir == storage.MemoryDataDir && c.AdminTokenFile == "" {
		// The token must live somewhere appctl can read it; the working directory is
		// nowhere a user would look, and the token grants full control.
		errs = append(errs, errors.New("--data-dir :memory: keeps nothing on disk: pass --admin-token-file FILE for the management API token (created if missing; appctl --token \"$(cat FILE)\")"))
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
	for _, f := range []struct{ name, addr string }{{"--api-addr", c.APIAddr}, {"--connector-addr", c.ConnectorAddr}, {"--mtls-addr", c.MTLSAddr}} {
		if f.addr == "" {
			errs = append(errs, fmt.Errorf("%s must not be empty", f.name))
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
