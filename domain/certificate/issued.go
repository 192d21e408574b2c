package certificate

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
)

// Issued is a signed client certificate and the CA chain that vouches for it, issuer
// first (the signing CA, then any intermediates up to and including the root).
type Issued struct {
	Certificate *x509.Certificate
	CAChain     []*x509.Certificate
}

// ClientPEM returns the client certificate alone in PEM form (Kyma's "clientCrt").
func (i Issued) ClientPEM() []byte { return EncodePEM(i.Certificate) }

// ChainPEM returns the client certificate followed by the CA chain (Kyma's "crt").
func (i Issued) ChainPEM() []byte {
	return EncodePEM(append([]*x509.Certificate{i.Certificate}, i.CAChain...)...)
}

// CAPEM returns the CA chain (Kyma's "caCrt").
func (i Issued) CAPEM() []byte { return EncodePEM(i.CAChain...) }

// EncodePEM encodes certificates as consecutive PEM "CERTIFICATE" blocks.
func EncodePEM(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}
