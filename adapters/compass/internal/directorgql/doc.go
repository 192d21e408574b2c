// Package directorgql is the genqlient-generated client code of the Compass
// Director's GraphQL API (adapters/compass/schema/director.graphql), limited to the
// operations the Runtime Agent needs. Edit operations.graphql and run go generate;
// never edit generated.go.
package directorgql

//go:generate go tool genqlient genqlient.yaml
