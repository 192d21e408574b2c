// Package client is the external system's side of the Connector flow, as appctl and
// tests perform it: fetch the signing-request info with a one-time token, generate a
// key and a CSR for the announced subject, obtain the certificate, then call the mTLS
// API (management info, renewal, revocation) and send events with it. It also calls
// the connector's routes on the management API (tokens, event log).
package client
