package compass

import "errors"

var (
	// ErrNotFound: the CompassConnection (or a Secret the agent needs) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: Create found a CompassConnection already there.
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict: a write carried a stale ResourceVersion.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input breaks a rule of the contract; the message names it.
	ErrInvalid = errors.New("invalid")
)
