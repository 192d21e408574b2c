package pairing

import "errors"

var (
	// ErrNotFound says no stored token matches: it never existed or was already used.
	ErrNotFound = errors.New("token not found or already used")
	// ErrExpired says the token existed but its lifetime is over.
	ErrExpired = errors.New("token expired")
	// ErrMalformed says a presented secret cannot be a token of ours.
	ErrMalformed = errors.New("malformed token")
)
