// Package domain only documents the layer: its sub-packages hold the pure business rules
// of appconnector (applications, credentials, certificates, pairing). They import the
// standard library and each other, never an adapter, HTTP server or client, storage
// engine, Kubernetes or Vault code. TestLayers enforces it.
package domain
