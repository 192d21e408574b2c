// Package registry holds the management use cases: apply, read, list and delete
// Applications and Secrets. It validates with the domain and stores through the ports;
// it knows nothing of HTTP or of how documents are serialised.
package registry
