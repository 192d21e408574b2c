package connector

import "errors"

var (
	// ErrForbidden says the presented certificate may not act for the Application in
	// the URL (its CN is neither the name nor one of the Compass client ids).
	ErrForbidden = errors.New("no valid subject found")
	// ErrNoCertificate says a request carried no client certificate at all.
	ErrNoCertificate = errors.New("client certificate required")
	// ErrEventLogDisabled says events are forwarded to an eventing endpoint, so there is
	// no embedded log to read.
	ErrEventLogDisabled = errors.New("event log disabled: events are forwarded to the eventing endpoint")
)
