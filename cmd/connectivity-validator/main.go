// Command connectivity-validator runs Kyma's Connectivity Validator on its own: the event
// endpoints on --validator-addr behind a proxy that terminates TLS, the client
// certificate taken from X-Forwarded-Client-Cert under --trust-xfcc, checked against the
// Application and the revocation list, over the store --store selects; /healthz and
// /readyz on --health-addr.
package main

import (
	"errors"
	"flag"
	"io"

	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// Config is the validator's configuration, from flags with an APPCONNECTOR_<FLAG>
// environment fallback (flags win).
type Config = serveflags.Component

const defaultValidatorAddr = "127.0.0.1:8085"

// requireValidatorAddr: serving the validator is this binary's whole job, so its address
// has a default and is not optional.
func requireValidatorAddr(fs *flag.FlagSet) {
	v := fs.Lookup("validator-addr")
	v.Usage, v.DefValue = "listen address of the Connectivity Validator, behind a proxy that terminates TLS", defaultValidatorAddr
	_ = v.Value.Set(defaultValidatorAddr)
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	err := c.Parse("connectivity-validator", "directory of the embedded store (revocations, the CA), or :memory:",
		serveflags.Validator|serveflags.XFCC|serveflags.Eventing|serveflags.CA, requireValidatorAddr, args, getenv, stderr)
	if err == nil && c.ValidatorAddr == "" {
		err = errors.New("--validator-addr must not be empty")
	}
	return c, err
}

var binary = components.Binary[Config]{Name: "connectivity-validator", Parse: parseConfig, Wire: initValidator}

func main() { binary.Main() }
