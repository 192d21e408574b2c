// Package gateway keeps the Application Gateway's route table: every API entry of every
// Application, compiled with its parsed credentials and request parameters, in memory.
//
// The table is built from the watches of ports.ApplicationRepository and
// ports.SecretStore and rebuilt for the affected Applications on every change, so an
// edit takes effect on the next request and no request touches the store. Readers get an
// immutable snapshot through an atomic pointer and never lock. Runtime resources
// (transports, token sources) are attached to each compiled endpoint by a Binder that the
// HTTP adapter supplies, and released when the endpoint is replaced.
package gateway
