// Package ca is the file-based certificate authority that signs Application client
// certificates through ports.CertificateSigner. It uses the CA given by --ca-cert and
// --ca-key, or generates one on first start in the data directory (ca.crt, and ca.key
// with mode 0600) and reuses it afterwards, so issued certificates survive restarts.
//
// It also issues the server certificates of appconnector's own TLS listeners, so that
// a client that trusts the CA (the caCrt it received with its certificate) can verify
// them without further configuration.
package ca
