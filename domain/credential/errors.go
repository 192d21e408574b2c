package credential

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrNotFound is returned (wrapped) when a Secret does not exist.
	ErrNotFound = errors.New("secret not found")
	// ErrConflict is returned (wrapped) when a write names a resource version that is no
	// longer current.
	ErrConflict = errors.New("conflict")
	// ErrInvalid is matched by every error about the content of a Secret.
	ErrInvalid = errors.New("invalid secret")
	// ErrUnavailable is matched by every error that means the credential store cannot
	// serve the request right now (a remote store sealed, unreachable, or refusing this
	// process's credentials). The message says which, never a secret value; the request
	// may succeed later without any change on the caller's side.
	ErrUnavailable = errors.New("credential store unavailable")
)

// KeyError names a Secret key that is missing or holds an unusable value. Reason says
// what is wrong with the value without quoting it.
type KeyError struct {
	Secret string
	Key    string
	Reason string
}

func (e *KeyError) Error() string {
	if strings.HasPrefix(e.Key, "metadata.") {
		// Not a data key: a field of the Secret object itself.
		return fmt.Sprintf("%s: %s", e.Key, e.Reason)
	}
	if e.Secret == "" {
		return fmt.Sprintf("key %q: %s", e.Key, e.Reason)
	}
	return fmt.Sprintf("secret %s, key %q: %s", e.Secret, e.Key, e.Reason)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *KeyError) Is(target error) bool { return target == ErrInvalid }
