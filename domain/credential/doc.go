// Package credential holds Secrets (named maps of key to bytes, the Kubernetes Secret
// shape) and the typed credentials the gateway injects, parsed from a Secret in the
// Kyma formats of gateway reference section 2.
//
// Parsing never echoes a secret value: errors name the Secret and the key only.
package credential
