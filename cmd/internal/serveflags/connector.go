package serveflags

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/appconnector/appconnector/adapters/tlsfiles"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/pairing"
)

// Group selects which of the connector's flags a binary has: each binary registers only
// the flags of what it serves.
type Group uint

const (
	// Listeners: --connector-addr, --mtls-addr, --connector-tls, and TLSFiles.
	Listeners Group = 1 << iota
	// URLs: --connector-url, --mtls-url, --events-url (announced to clients).
	URLs
	// Validator: --validator-addr.
	Validator
	// XFCC: --trust-xfcc.
	XFCC
	// Eventing: --eventing-url, --eventing-mode, --event-type-prefix, --event-log-size.
	Eventing
	// CA: --ca-cert, --ca-key, --ca-secret, --ca and --vault-pki-*.
	CA
	// Signing: --cert-validity, --cert-subject.
	Signing
	// Tokens: --token-ttl.
	Tokens
	// AllConnector is every group, as the all-in-one appconnector has them.
	AllConnector = Listeners | URLs | Validator | XFCC | Eventing | CA | Signing | Tokens
)

// Default listen addresses of the connector, also the hosts of the default URLs.
const (
	DefaultConnectorAddr = "127.0.0.1:8083"
	DefaultMTLSAddr      = "127.0.0.1:8443"
)

// Connector are the settings of the Connector, its mTLS API and the Connectivity
// Validator.
type Connector struct {
	ConnectorAddr   string
	MTLSAddr        string
	ConnectorTLS    bool
	ConnectorURL    string
	MTLSURL         string
	EventsURL       string
	ValidatorAddr   string
	TrustXFCC       bool
	EventingURL     string
	EventingMode    string
	EventTypePrefix string
	EventLogSize    int
	CACert          string
	CAKey           string
	CASecret        string
	CertValidity    time.Duration
	CertSubject     certificate.Subject
	TokenTTL        time.Duration
	TLSFiles
	// VaultPKI is --ca and --vault-pki-*, registered with the CA group.
	VaultPKI

	groups      Group
	certSubject string
}

// Register defines the flags of groups on fs. The values of the others keep their
// defaults.
func (c *Connector) Register(fs *flag.FlagSet, groups Group) {
	c.groups = groups
	// Defaults for what a binary does not register, so every Config is complete.
	c.ConnectorAddr, c.MTLSAddr, c.ConnectorTLS = DefaultConnectorAddr, DefaultMTLSAddr, true
	c.EventingMode, c.EventTypePrefix, c.EventLogSize = "binary", "sap.kyma.custom", 1000
	c.CASecret, c.CertValidity, c.certSubject, c.TokenTTL = "appconnector-ca", certificate.DefaultValidity, certificate.DefaultSubject.String(), pairing.DefaultTTL
	c.TLSReloadInterval = tlsfiles.DefaultInterval
	if groups&Listeners != 0 {
		fs.StringVar(&c.ConnectorAddr, "connector-addr", c.ConnectorAddr, "listen address of the token-secured Connector API: signing-request info and certificates")
		fs.StringVar(&c.MTLSAddr, "mtls-addr", c.MTLSAddr, "listen address (client certificate required) of management info, renewal, revocation and events")
		fs.BoolVar(&c.ConnectorTLS, "connector-tls", true, "serve --connector-addr and --mtls-addr over TLS with a certificate from the CA; false: plain HTTP "+
			"behind a TLS-terminating ingress, the client certificate then coming from X-Forwarded-Client-Cert (needs --trust-xfcc)")
		c.TLSFiles.register(fs)
	}
	if groups&URLs != 0 {
		fs.StringVar(&c.ConnectorURL, "connector-url", "", "external base URL of the Connector API announced to clients (default https://<connector-addr>)")
		fs.StringVar(&c.MTLSURL, "mtls-url", "", "external base URL of the mTLS API (default https://<mtls-addr>)")
		fs.StringVar(&c.EventsURL, "events-url", "", "external base URL where systems send events, e.g. the proxy in front of --validator-addr (default --mtls-url)")
	}
	if groups&Validator != 0 {
		fs.StringVar(&c.ValidatorAddr, "validator-addr", "", "listen address of the Connectivity Validator behind a trusted proxy (empty: off)")
	}
	if groups&XFCC != 0 {
		fs.BoolVar(&c.TrustXFCC, "trust-xfcc", false, "take the client certificate from X-Forwarded-Client-Cert on --validator-addr, and on --mtls-addr "+
			"with --connector-tls=false (only behind a proxy that verifies client certificates and sets the header)")
	}
	if groups&Eventing != 0 {
		fs.StringVar(&c.EventingURL, "eventing-url", "", "CloudEvents HTTP endpoint events are forwarded to (empty: the event log, read with appctl events; "+
			"in kubernetes mode it is in memory, per process)")
		fs.StringVar(&c.EventingMode, "eventing-mode", c.EventingMode, "CloudEvents HTTP mode towards --eventing-url: binary or structured")
		fs.StringVar(&c.EventTypePrefix, "event-type-prefix", c.EventTypePrefix, "prefix of CloudEvent types converted from legacy v1 events")
		fs.IntVar(&c.EventLogSize, "event-log-size", c.EventLogSize, "events kept by the event log")
	}
	if groups&CA != 0 {
		fs.StringVar(&c.CACert, "ca-cert", "", "PEM CA certificate that signs client certificates, e.g. from cert-manager "+
			"(default: generated in --data-dir; kubernetes mode: the Secret --ca-secret)")
		fs.StringVar(&c.CAKey, "ca-key", "", "PEM private key of --ca-cert")
		c.VaultPKI.register(fs)
		fs.StringVar(&c.CASecret, "ca-secret", c.CASecret, "kubernetes mode without --ca-cert: Secret in --namespace holding the CA (ca.crt, ca.key); the connector creates it on first start")
	}
	if groups&Signing != 0 {
		fs.DurationVar(&c.CertValidity, "cert-validity", c.CertValidity, "validity of issued client certificates")
		fs.StringVar(&c.certSubject, "cert-subject", c.certSubject, "O, OU, L, ST and C of issued client certificates (CN is the Application name)")
	}
	if groups&Tokens != 0 {
		fs.DurationVar(&c.TokenTTL, "token-ttl", c.TokenTTL, "lifetime of one-time connection tokens")
	}
}

// Complete fills the values derived from others (subject, default URLs); call it after
// parsing.
func (c *Connector) Complete() error {
	var err error
	if c.CertSubject, err = parseSubject(c.certSubject); err != nil {
		return fmt.Errorf("--cert-subject: %w", err)
	}
	scheme := "https://"
	if !c.ConnectorTLS {
		scheme = "http://"
	}
	if c.ConnectorURL == "" {
		c.ConnectorURL = scheme + c.ConnectorAddr
	}
	if c.MTLSURL == "" {
		c.MTLSURL = scheme + c.MTLSAddr
	}
	return nil
}

// Validate reports every bad value of the registered groups, each naming its flag.
func (c Connector) Validate() []error {
	var errs []error
	if c.groups&Listeners != 0 {
		if c.ConnectorAddr == "" {
			errs = append(errs, errors.New("--connector-addr must not be empty"))
		}
		if c.MTLSAddr == "" {
			errs = append(errs, errors.New("--mtls-addr must not be empty"))
		}
		if !c.ConnectorTLS && !c.TrustXFCC {
			// Plain HTTP carries no client certificate: without the ingress's header every
			// mTLS request would be refused.
			errs = append(errs, errors.New("--connector-tls=false serves --mtls-addr as plain HTTP: pass --trust-xfcc so it takes client certificates from the ingress's X-Forwarded-Client-Cert"))
		}
		errs = append(errs, c.TLSFiles.validate(c.ConnectorTLS)...)
	}
	if c.EventingMode != "binary" && c.EventingMode != "structured" {
		errs = append(errs, fmt.Errorf("--eventing-mode must be binary or structured, got %q", c.EventingMode))
	}
	if c.EventLogSize <= 0 {
		errs = append(errs, errors.New("--event-log-size must be positive"))
	}
	// The validator only verifies forwarded certificates, so it needs no key.
	if c.groups&Signing != 0 && (c.CACert == "") != (c.CAKey == "") {
		errs = append(errs, errors.New("--ca-cert and --ca-key go together"))
	}
	if c.CACert == "" && c.CASecret == "" {
		errs = append(errs, errors.New("--ca-secret must not be empty"))
	}
	errs = append(errs, c.VaultPKI.validate(c)...)
	return errs
}

// MTLSTrustXFCC reports whether the mTLS API takes the client certificate from XFCC:
// only when it is plain HTTP behind an ingress. On a TLS listener the connection's own
// verified certificate counts, whatever header a client adds.
func (c Connector) MTLSTrustXFCC() bool { return c.TrustXFCC && !c.ConnectorTLS }

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

// Registered reports whether the binary registered the flags of g.
func (c Connector) Registered(g Group) bool { return c.groups&g == g }
