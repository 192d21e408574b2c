package application

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrNotFound is returned (wrapped) when an Application does not exist.
	ErrNotFound = errors.New("application not found")
	// ErrConflict is returned (wrapped) when a write names a resource version that is
	// no longer current, or would create something that must be unique.
	ErrConflict = errors.New("conflict")
	// ErrInvalid is matched by every validation error of this package.
	ErrInvalid = errors.New("invalid application")
)

// FieldError names one invalid field by its JSON path (for example
// "spec.services[0].entries[1].targetUrl") and why it is invalid. It never carries a
// secret value.
type FieldError struct {
	Field  string
	Reason string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Reason }

// ValidationError lists every invalid field of a document, so a user fixes them in one go.
type ValidationError struct {
	Errors []FieldError
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		msgs[i] = fe.Error()
	}
	return "invalid application: " + strings.Join(msgs, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true for every validation error.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

func (e *ValidationError) add(field, format string, args ...any) {
	e.Errors = append(e.Errors, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (e *ValidationError) orNil() error {
	if len(e.Errors) == 0 {
		return nil
	}
	return e
}
