package gateway

import "time"

// SetClock replaces the clock of token and CSRF token expiry for the token and CSRF
// sources created afterwards.
func SetClock(g *Gateway, now func() time.Time) { g.res.now = now }
