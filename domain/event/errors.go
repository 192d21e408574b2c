package event

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched by every decoding or validation error of an event (*InvalidError
// and *LegacyError).
var ErrInvalid = errors.New("invalid event")

// InvalidError says which attribute of a CloudEvent is wrong and why. The message is
// for the client (an HTTP 400 body).
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string {
	if e.Field == "" {
		return "invalid event: " + e.Reason
	}
	return fmt.Sprintf("invalid event: %s: %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// DeliveryError says an accepted event could not be delivered. StatusCode is the status
// the eventing endpoint answered (0 when it could not be reached); Timeout is true when
// delivery ran out of time. The validator answers 504 on a timeout, 502 when the
// endpoint was unreachable or failed with a 5xx, and passes a 4xx through.
type DeliveryError struct {
	StatusCode int
	Timeout    bool
	Err        error
}

func (e *DeliveryError) Error() string {
	switch {
	case e.Timeout:
		return "deliver event: timed out"
	case e.StatusCode != 0:
		return fmt.Sprintf("deliver event: eventing answered %d", e.StatusCode)
	case e.Err != nil:
		return "deliver event: " + e.Err.Error()
	}
	return "deliver event: failed"
}

func (e *DeliveryError) Unwrap() error { return e.Err }
