package metadata

import (
	"fmt"
	"strings"

	"github.com/appconnector/appconnector/domain/application"
)

// Error is a failure whose Message can be shown to the API client as is: it names the
// problem and never contains a secret value. Kind is application.ErrNotFound (the
// Application or the service does not exist), application.ErrConflict (the identifier is
// taken) or application.ErrInvalid (bad input), so errors.Is works with the domain
// sentinels. Err, when set, is the underlying cause, for logs.
type Error struct {
	Kind    error
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func notFound(format string, args ...any) *Error {
	return &Error{Kind: application.ErrNotFound, Message: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) *Error {
	return &Error{Kind: application.ErrInvalid, Message: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *Error {
	return &Error{Kind: application.ErrConflict, Message: fmt.Sprintf(format, args...)}
}

// ValidationError lists what is wrong with a ServiceDefinition, with the registry's
// messages. Structure holds per-field problems (a required field is empty, a URL is not
// an absolute http(s) URL, ...); Rules holds the cross-field rules (neither api nor
// events, two credential types, a spec that is not a JSON object).
type ValidationError struct {
	Structure []string
	Rules     []string
}

// Error renders the problems the way Kyma did: "Incorrect structure of service
// definition, <problems>", then the rule violations, joined by "; ".
func (e *ValidationError) Error() string {
	parts := make([]string, 0, 1+len(e.Rules))
	if len(e.Structure) > 0 {
		parts = append(parts, "Incorrect structure of service definition, "+strings.Join(e.Structure, "; "))
	}
	parts = append(parts, e.Rules...)
	return strings.Join(parts, "; ")
}

// Is makes errors.Is(err, application.ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == application.ErrInvalid }

func (e *ValidationError) field(format string, args ...any) {
	e.Structure = append(e.Structure, fmt.Sprintf(format, args...))
}

func (e *ValidationError) rule(msg string) { e.Rules = append(e.Rules, msg) }

func (e *ValidationError) orNil() error {
	if len(e.Structure) == 0 && len(e.Rules) == 0 {
		return nil
	}
	return e
}
