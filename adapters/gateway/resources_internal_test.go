package gateway

import (
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	appgw "github.com/appconnector/appconnector/app/gateway"
	dgw "github.com/appconnector/appconnector/domain/gateway"
)

// TestSharedTransportRefcount binds two endpoints that share the plain transport and
// releases one: the other must keep the shared transport (and its pooled connections),
// and a later endpoint must share it again. The plain and target transports are the
// same object for endpoints without a client certificate, which once made release
// count that one reference twice.
func TestSharedTransportRefcount(t *testing.T) {
	cfg := DefaultConfig()
	r := newResources(&cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	newEP := func() *appgw.Endpoint {
		tg, err := dgw.ParseTarget("http://127.0.0.1:1/api")
		require.NoError(t, err)
		return &appgw.Endpoint{Target: tg}
	}
	a, b := newEP(), newEP()
	require.NoError(t, r.Bind(a))
	require.NoError(t, r.Bind(b))
	shared := a.Runtime.(*binding).target
	require.Same(t, shared, b.Runtime.(*binding).target)

	r.Unbind(a)
	key := transportKey{}
	require.Contains(t, r.transports, key, "b still uses the transport")
	assert.Equal(t, 1, r.transports[key].refs)

	c := newEP()
	require.NoError(t, r.Bind(c))
	assert.Same(t, shared, c.Runtime.(*binding).target, "a new endpoint shares the live transport")

	r.Unbind(b)
	r.Unbind(c)
	assert.Empty(t, r.transports)
}
