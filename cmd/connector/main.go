// Command connector runs Kyma's Connector on its own: the token-secured API that signs a
// system's first certificate (--connector-addr) and the mTLS API for management info,
// renewal, revocation and events (--mtls-addr), over the store --store selects, with
// /healthz and /readyz on --health-addr. Several replicas share tokens, revocations and
// the CA through the Kubernetes store.
package main

import (
	"io"

	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// Config is the connector's configuration, from flags with an APPCONNECTOR_<FLAG>
// environment fallback (flags win).
type Config = serveflags.Component

const groups = serveflags.Listeners | serveflags.URLs | serveflags.XFCC | serveflags.Eventing | serveflags.CA | serveflags.Signing | serveflags.Tokens

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	err := c.Parse("connector", "directory of the embedded store (tokens, revocations, the CA), or :memory:", groups, nil, args, getenv, stderr)
	return c, err
}

var binary = components.Binary[Config]{Name: "connector", Parse: parseConfig, Wire: initConnector}

func main() { binary.Main() }
