package compass

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
)

// NewCSR creates a fresh private key and a certificate signing request for subject
// (parsed by ParseSubject). keyAlgorithm is what the Connector announced: "rsa2048"
// gives an RSA 2048 key, anything else RSA 4096, Kyma's only size (Kyma ignored the
// announcement). csrPEM is a "CERTIFICATE REQUEST" block, not yet base64-encoded for
// the Connector; keyPEM is a PKCS #1 "RSA PRIVATE KEY" block, the format of the
// cluster-client-certificates Secret.
func NewCSR(rand io.Reader, subject, keyAlgorithm string) (csrPEM, keyPEM []byte, err error) {
	name, err := ParseSubject(subject)
	if err != nil {
		return nil, nil, err
	}
	bits := 4096
	if keyAlgorithm == "rsa2048" {
		bits = 2048
	}
	key, err := rsa.GenerateKey(rand, bits)
	if err != nil {
		return nil, nil, fmt.Errorf("generating an RSA %d key: %w", bits, err)
	}
	der, err := x509.CreateCertificateRequest(rand, &x509.CertificateRequest{Subject: name}, key)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the certificate signing request: %w", err)
	}
	csrPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return csrPEM, keyPEM, nil
}

// CertificateInfoFromPEM reads the validity of the first certificate in certPEM (a
// client certificate or a chain with the client certificate first). Blocks of other
// types before it are skipped. Errors wrap ErrInvalid.
func CertificateInfoFromPEM(certPEM []byte) (CertificateInfo, error) {
	rest := certPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return CertificateInfo{}, fmt.Errorf("%w: no PEM CERTIFICATE block", ErrInvalid)
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return CertificateInfo{}, fmt.Errorf("%w: the first certificate cannot be parsed: %v", ErrInvalid, err)
		}
		return CertificateInfo{NotBefore: cert.NotBefore, NotAfter: cert.NotAfter}, nil
	}
}
