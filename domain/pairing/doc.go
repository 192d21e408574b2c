// Package pairing holds the one-time token an external system uses to obtain its first
// client certificate: how a token is made (256 random bits), how it is stored (only a
// SHA-256 digest, never the secret), and when it expires.
//
// The package is pure: stores live behind ports.TokenStore.
package pairing
