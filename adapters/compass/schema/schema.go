// Package schema holds the two Compass GraphQL schemas, copied unchanged from
// kyma-incubator/compass: the Director's and the Compass Connector's. The generated
// clients (genqlient checks every operation against them at generation time) and the
// Compass double (which validates every incoming operation against them) share these
// files, so a client and the double cannot drift apart from Compass's contract.
package schema

import _ "embed"

// Director is the Director's schema (components/director/pkg/graphql/schema.graphql).
//
//go:embed director.graphql
var Director string

// Connector is the Compass Connector's external schema
// (components/connector/pkg/graphql/externalschema/schema.graphql).
//
//go:embed connector.graphql
var Connector string
