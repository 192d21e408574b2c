// Package connectorapi is the HTTP side of the Connector and the Connectivity
// Validator, compatible with Kyma's legacy Connector Service and validator:
//
//   - NewConnectorHandler: the token-secured API on --connector-addr
//     (GET /v1/applications/signingRequests/info, POST /v1/applications/certificates).
//   - NewMTLSHandler: the client-certificate API on --mtls-addr (management info,
//     renewal, revocation) and the event endpoints /{app}/v1/events, /{app}/v2/events
//     and /{app}/events, authenticated by the TLS client certificate.
//   - NewValidatorHandler: the event endpoints alone, for --validator-addr behind a
//     TLS-terminating proxy; X-Forwarded-Client-Cert is honoured only with TrustXFCC.
//   - NewManagementRoutes: token issuing, the event log and revocation by hash, mounted
//     on the management API behind its admin token.
//
// Errors use Kyma's body {"code": N, "error": "..."}; the legacy event endpoint uses the
// publisher proxy's error shape. Bad input never yields a 500.
package connectorapi
