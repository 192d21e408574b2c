package gateway

import (
	"errors"
	"fmt"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	dgw "github.com/appconnector/appconnector/domain/gateway"
)

// ErrUnusable is matched by Endpoint.Err: the entry exists but cannot be served because
// a Secret it names is missing or invalid, or its targetUrl does not parse. The gateway
// answers 500 with the message, which names the Secret and key but never a value.
var ErrUnusable = errors.New("api entry unusable")

// EntryKey identifies an API entry by position. It is a struct, not a concatenated
// string, so two different entries can never share a key.
type EntryKey struct {
	App     string
	Service int
	Entry   int
}

// Endpoint is one API entry compiled for the request path. It is immutable once
// published; Runtime is set by the Binder before publication.
type Endpoint struct {
	Key EntryKey
	// ServiceID and ServiceDisplayName identify the service in logs and errors.
	ServiceID          string
	ServiceDisplayName string
	// EntryName is the entry's name (the Compass routing key before normalisation).
	EntryName string
	Target    *dgw.Target
	// EncodeURL is spec.encodeUrl (true when absent, as the CRD defaults it).
	EncodeURL bool
	// SkipVerify is spec.skipVerify: no TLS verification for target, token and CSRF calls.
	SkipVerify bool
	// Credentials is nil for an entry without authentication.
	Credentials *credential.Credentials
	// Params are the request parameters to inject, or nil.
	Params *dgw.Params
	// Err is set (matching ErrUnusable) when the entry cannot be served.
	Err error
	// Runtime holds what the Binder attached (transports, token sources); nil if Err.
	Runtime any
}

// unusableError explains why an entry cannot be served, in Kyma's wording.
type unusableError struct {
	service string
	cause   error
}

func (e *unusableError) Error() string {
	return fmt.Sprintf("failed to read API for %s service: %v", e.service, e.cause)
}

func (e *unusableError) Unwrap() error        { return e.cause }
func (e *unusableError) Is(target error) bool { return target == ErrUnusable }

// SecretNotFoundError names a Secret an entry refers to that does not exist.
type SecretNotFoundError struct{ Name string }

func (e *SecretNotFoundError) Error() string { return "secret " + e.Name + " not found" }

// Is makes errors.Is(err, credential.ErrNotFound) true.
func (e *SecretNotFoundError) Is(target error) bool { return target == credential.ErrNotFound }

// compileEntry builds the endpoint of one API entry from the current Secrets.
func compileEntry(app *application.Application, key EntryKey, svc *application.Service, e *application.Entry, secrets map[string]credential.Secret) *Endpoint {
	ep := &Endpoint{
		Key:                key,
		ServiceID:          svc.ID,
		ServiceDisplayName: svc.DisplayName,
		EntryName:          e.Name,
		EncodeURL:          app.Spec.EncodesURL(),
		SkipVerify:         app.Spec.SkipVerify,
	}
	fail := func(err error) *Endpoint {
		ep.Err = &unusableError{service: svc.DisplayName, cause: err}
		return ep
	}
	t, err := dgw.ParseTarget(e.TargetURL)
	if err != nil {
		return fail(fmt.Errorf("entry %q: %w", e.Name, err))
	}
	ep.Target = t
	if c := e.Credentials; c != nil {
		sec, ok := secrets[c.SecretName]
		if !ok {
			return fail(&SecretNotFoundError{Name: c.SecretName})
		}
		creds, err := credential.Parse(*c, sec)
		if err != nil {
			return fail(err)
		}
		ep.Credentials = &creds
	}
	if name := e.RequestParametersSecretName; name != "" {
		sec, ok := secrets[name]
		if !ok {
			return fail(&SecretNotFoundError{Name: name})
		}
		p, err := credential.ParseRequestParameters(sec)
		if err != nil {
			return fail(err)
		}
		ep.Params = dgw.CompileParams(p)
	}
	return ep
}
