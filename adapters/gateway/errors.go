package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
)

// fetchError is a failed token or CSRF fetch: the target is not called and the caller
// gets 502 with a message naming the endpoint (without its query) and the status.
type fetchError struct {
	what string // "token" or "CSRF token"
	url  string
	err  error
}

func (e *fetchError) Error() string {
	return fmt.Sprintf("failed to get %s from %s: %v", e.what, e.url, e.err)
}

func (e *fetchError) Unwrap() error { return e.err }

// statusError is a non-200 answer of a token or CSRF endpoint.
type statusError struct{ code int }

func (e *statusError) Error() string { return fmt.Sprintf("incorrect response code '%d'", e.code) }

// upstreamStatus maps an error from the upstream round trip to the gateway's status
// and message (section 3.10 of the reference): 504 when the target did not answer in
// time, 502 otherwise. client is true when the caller went away, in which case nothing
// should be written.
func upstreamStatus(r *http.Request, err error, cfg *Config) (status int, msg string, client bool) {
	if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
		return 499, "client closed request", true
	}
	var fe *fetchError
	if errors.As(err, &fe) {
		if isTimeout(fe.err) {
			return http.StatusGatewayTimeout, fe.Error(), false
		}
		return http.StatusBadGateway, fe.Error(), false
	}
	var se *stallError
	if errors.As(err, &se) {
		return http.StatusGatewayTimeout, se.Error(), false
	}
	if isTimeout(err) {
		return http.StatusGatewayTimeout, fmt.Sprintf("target did not answer within %s", cfg.ProxyTimeout), false
	}
	return http.StatusBadGateway, "failed to call target: " + err.Error(), false
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
