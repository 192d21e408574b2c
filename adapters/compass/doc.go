// Package compass holds the Runtime Agent's GraphQL clients of Compass: the Connector
// (ports.CompassConnector: configuration, certificate signing, revocation) and the
// Director (ports.Director: the runtime's applications, every page of them, and its
// labels).
//
// The operations live in internal/connectorgql and internal/directorgql as .graphql
// files; genqlient checks them against the schemas in schema/ and generates the code
// at go generate time, so a query Compass would reject does not build. Every value is
// sent as a GraphQL variable, never spliced into a query.
//
// The HTTP side is this package's own (a graphql.Client per call): the Connector-Token,
// Tenant and x-request-id headers, a timeout per call, answers read with a size limit,
// non-200 answers and GraphQL errors turned into *Error naming the operation, and mTLS
// with the runtime certificate through transports cached per certificate. Tokens,
// CSRs, keys and credentials never appear in an error.
package compass
