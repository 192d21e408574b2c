// Package compassdouble is a Compass for tests and for trying Compass mode locally: the
// token-secured Connector, the certificate-secured Connector and the Director, served
// over one TLS listener with the double's own CA, from the very schemas the clients
// are generated from (adapters/compass/schema).
//
// Every request is parsed and validated against the schema of its endpoint (gqlparser),
// with variables, operationName, aliases, fragments, inline fragments on the union
// CredentialData, @skip/@include and __typename; a small executor projects the
// resolvers' values through the selection set. An invalid operation gets HTTP 200 with
// {"errors":[...]}, a body that is not a GraphQL request HTTP 400.
//
// Endpoints (one listener, Config.Addr):
//
//	/connector/graphql        token-secured Connector: header Connector-Token
//	/connector-mtls/graphql   certificate-secured Connector: the runtime's client certificate
//	/director/graphql         Director: the runtime's client certificate and header Tenant
//
// Compass's authentication is modelled as its gateway and hydrator do it: a token is
// one-time (consumed by the request that carries it, whatever the outcome of the
// resolvers) and expires (runtime tokens after 60 minutes, the token configuration
// returns for the CSR after 5); a certificate must be issued by the double's CA, not be
// revoked, and carry a known runtime id as CN. configuration returns a new one-time
// token, the subject "O=..,OU=..,L=..,ST=..,C=..,CN=<runtime id>" in Kyma's order,
// keyAlgorithm "rsa2048" and the Director and certificate-secured Connector URLs; for a
// revoked certificate it returns an object with null fields, as Compass does.
// signCertificateSigningRequest checks the CSR with Kyma's messages and issues a client
// certificate (ExtKeyUsage ClientAuth, Config.CertificateValidity, a random serial).
//
// Director root fields served: runtime(id) (id, name, labels), applicationsForRuntime
// (runtimeID, first, after), application(id) and setRuntimeLabel; a runtime can access
// only itself. applicationsForRuntime pages hold at most 100 applications (the
// schema's documented maximum): without first (or with the schema's default 200) a page
// has 100, an explicit first outside 1..100 is an error. Nested pages
// (Application.bundles, Bundle.apiDefinitions, Bundle.eventDefinitions) default to 200
// with no maximum. Cursors are opaque.
//
// Tests use the Go API (AddRuntime, NewRuntimeToken, PutApplication, Fail, Calls,
// Requests, Revoke, ...); cmd/compass-double wraps it with an admin JSON API for users.
package compassdouble
