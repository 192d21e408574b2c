package serveflags

import (
	"errors"
	"flag"
	"time"

	"github.com/appconnector/appconnector/adapters/tlsfiles"
)

// TLSFiles is the certificate of the connector's TLS listeners (--connector-addr and
// --mtls-addr) from files, e.g. a cert-manager Secret mounted into the Pod, instead of one
// issued by the appconnector CA at start. The files are read again when they change, so a
// rotation needs no restart. Registered with the Listeners group.
type TLSFiles struct {
	TLSCert           string
	TLSKey            string
	TLSReloadInterval time.Duration
}

func (f *TLSFiles) register(fs *flag.FlagSet) {
	fs.StringVar(&f.TLSCert, "tls-cert", "", "PEM server certificate (chain) of --connector-addr and --mtls-addr, e.g. from cert-manager; "+
		"reloaded when the file changes (default: issued by the CA at start)")
	fs.StringVar(&f.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.DurationVar(&f.TLSReloadInterval, "tls-reload-interval", tlsfiles.DefaultInterval, "how often --tls-cert and --tls-key are checked for a rotated pair")
}

func (f TLSFiles) validate(connectorTLS bool) []error {
	var errs []error
	if (f.TLSCert == "") != (f.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	if f.TLSCert != "" && !connectorTLS {
		errs = append(errs, errors.New("--tls-cert is for TLS listeners: with --connector-tls=false the ingress holds the certificate"))
	}
	if f.TLSReloadInterval <= 0 {
		errs = append(errs, errors.New("--tls-reload-interval must be positive"))
	}
	return errs
}

// TLSFilesConfig is the reloader's configuration from the flags.
func (f TLSFiles) TLSFilesConfig() tlsfiles.Config {
	return tlsfiles.Config{CertFile: f.TLSCert, KeyFile: f.TLSKey, Interval: f.TLSReloadInterval}
}
