// Package certificate holds the rules for per-Application client certificates: the
// subject an Application's CSR must carry, CSR decoding and validation (key strength,
// signature), the template a signer turns into a client certificate, renewal rules,
// identities taken from presented certificates, and revocation fingerprints.
//
// The package is pure: it parses and checks, but signs nothing and stores nothing. Signing
// goes through ports.CertificateSigner, revocations through ports.RevocationList.
package certificate
