package gateway

import "time"

// SetClock replaces the clock of token and CSRF token expiry for the token and CSRF
// sources created afterwards.
func SetClock(g *Gateway, now func() time.Time) { g.res.now = now }

// Uninstrumented reports whether both listeners serve the bare handler and the proxy
// calls targets through the bare credential transport: what tracing off must leave.
func Uninstrumented(g *Gateway) bool {
	for _, h := range []any{g.standalone, g.compass} {
		hh, ok := h.(*handler)
		if !ok {
			return false
		}
		if _, ok := hh.proxy.Transport.(*authTransport); !ok {
			return false
		}
	}
	return true
}
