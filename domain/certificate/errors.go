package certificate

import "errors"

var (
	// ErrInvalidCSR is matched by every CSR decoding or validation error (*CSRError).
	ErrInvalidCSR = errors.New("invalid certificate signing request")
	// ErrRevoked says a presented certificate is on the revocation list.
	ErrRevoked = errors.New("certificate has been revoked")
	// ErrExpired says a presented certificate is past its NotAfter. TLS checks that only
	// at the handshake; a kept-alive connection can outlive the certificate.
	ErrExpired = errors.New("certificate has expired")
	// ErrInvalidFingerprint says a fingerprint string is not 64 hex digits.
	ErrInvalidFingerprint = errors.New("invalid certificate fingerprint")
	// ErrInvalidSubject is matched by configuration errors of a base Subject and by
	// distinguished names that cannot be parsed.
	ErrInvalidSubject = errors.New("invalid subject")
)

// CSRError says why a CSR was refused. Reason is meant for the client (an HTTP 400
// body): it names the problem and never contains key material.
type CSRError struct {
	Reason string
}

func (e *CSRError) Error() string { return "invalid certificate signing request: " + e.Reason }

// Is makes errors.Is(err, ErrInvalidCSR) true.
func (e *CSRError) Is(target error) bool { return target == ErrInvalidCSR }

func csrErrorf(reason string) error { return &CSRError{Reason: reason} }
