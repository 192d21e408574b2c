package compass_test

import (
	"fmt"
	"net/textproto"
	"sync/atomic"
	"testing"

	compassclient "github.com/appconnector/appconnector/adapters/compass"
	"github.com/appconnector/appconnector/internal/compassdouble"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

// doubleEnv is the Compass double as the client suites' porttest.CompassEnv.
type doubleEnv struct {
	*compassdouble.Double
	runtimes atomic.Int64
}

// RegisterRuntime keeps the id short: it is the certificate's CN (at most 64 bytes).
func (e *doubleEnv) RegisterRuntime(name string) (id, tenant string) {
	n := e.runtimes.Add(1)
	id, tenant = fmt.Sprintf("rt-%d", n), fmt.Sprintf("tenant-%d", n)
	e.AddRuntime(id, name, tenant)
	return id, tenant
}

func (e *doubleEnv) SetRuntimeLabel(runtimeID, key string, value any) {
	e.SetRuntimeLabelValue(runtimeID, key, value)
}

func (e *doubleEnv) CompassRequests() []porttest.CompassRequest {
	reqs := e.Requests()
	out := make([]porttest.CompassRequest, len(reqs))
	for i, r := range reqs {
		out[i] = porttest.CompassRequest{Operations: r.Operations, Header: textproto.MIMEHeader(r.Header)}
	}
	return out
}

var _ porttest.CompassRequestRecorder = (*doubleEnv)(nil)

func newDoubleEnv(t *testing.T) *doubleEnv {
	t.Helper()
	return &doubleEnv{Double: newDouble(t)}
}

func TestConnectorConformance(t *testing.T) {
	env := newDoubleEnv(t)
	porttest.RunCompassConnector(t, env, func(t *testing.T) ports.CompassConnector {
		return newConnector(t, compassclient.Options{RootCAs: env.CACertPEM()})
	})
}

func TestDirectorConformance(t *testing.T) {
	env := newDoubleEnv(t)
	opts := compassclient.Options{RootCAs: env.CACertPEM()}
	porttest.RunDirector(t, env,
		func(t *testing.T) ports.Director { return newDirector(t, opts) },
		func(t *testing.T) ports.CompassConnector { return newConnector(t, opts) })
}

// A small page size makes every listing of the suite take many pages.
func TestDirectorConformanceWithSmallPages(t *testing.T) {
	env := newDoubleEnv(t)
	opts := compassclient.Options{RootCAs: env.CACertPEM(), PageSize: 7}
	porttest.RunDirector(t, env,
		func(t *testing.T) ports.Director { return newDirector(t, opts) },
		func(t *testing.T) ports.CompassConnector { return newConnector(t, opts) })
}
