// Package connectorgql is the genqlient-generated client code of the Compass
// Connector's GraphQL API (adapters/compass/schema/connector.graphql). Edit
// operations.graphql and run go generate; never edit generated.go.
package connectorgql

//go:generate go tool genqlient genqlient.yaml
