// Package connector holds the use cases of the Connector and the Connectivity
// Validator: issuing one-time tokens, the signing-request info, signing a CSR into a
// per-Application client certificate, management info, renewal and revocation, and
// accepting events sent with such a certificate (authorisation, legacy v1 conversion,
// delivery to the event sink).
//
// Service depends on ports only. Run keeps an in-process view of Applications (so the
// event path makes no repository call per event) and purges expired tokens and
// revocations.
package connector
