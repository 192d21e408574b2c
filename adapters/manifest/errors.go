package manifest

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every decoding error of this package.
var ErrInvalid = errors.New("invalid document")

// Error says which document of a stream and which field of it could not be decoded.
// Reason never quotes a value.
type Error struct {
	// Document is the 0-based index of the document in a stream, or -1 when a single
	// document was decoded.
	Document int
	// Field is the JSON path of the offending field (for example
	// "spec.services[0].entries[0].targetURL"), or "" for the document as a whole.
	Field string
	// Reason says what is wrong.
	Reason string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Document >= 0 {
		fmt.Fprintf(&b, "document[%d]: ", e.Document)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

func fieldErr(field, format string, args ...any) *Error {
	return &Error{Document: -1, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// inDocument places err (from decoding one object) at document index i of a stream and,
// for objects nested in a List, under prefix (for example "items[2]").
func inDocument(err error, i int, prefix string) error {
	var e *Error
	if !errors.As(err, &e) {
		return &Error{Document: i, Reason: err.Error()}
	}
	out := *e
	out.Document = i
	out.Field = joinPath(prefix, e.Field)
	return &out
}

func joinPath(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case strings.HasPrefix(field, "["):
		return prefix + field
	default:
		return prefix + "." + field
	}
}

// keyPath appends a map key or field name to path, bracketing names that would make
// the path ambiguous (such as the Secret key "tls.crt").
func keyPath(path, key string) string {
	if key != "" && plainKey(key) {
		return joinPath(path, key)
	}
	return path + "[" + quoteName(key) + "]"
}

func plainKey(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// maxQuotedName bounds how much of a user-supplied field name an error repeats.
const maxQuotedName = 64

func quoteName(s string) string {
	if len(s) > maxQuotedName {
		s = s[:maxQuotedName] + "..."
	}
	return fmt.Sprintf("%q", s)
}

func indexPath(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}
