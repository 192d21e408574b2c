package credential

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ParsePrivateKey decodes the first private-key PEM block of keyPEM (PKCS #8, PKCS #1
// or SEC 1), skipping other blocks, so a file holding a certificate and its key works too.
// Errors never quote the key material.
func ParsePrivateKey(keyPEM []byte) (crypto.Signer, error) {
	rest := keyPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("holds no PEM private key block")
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("is not a valid %s", block.Type)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, errors.New("is not a signing key")
		}
		return signer, nil
	}
}

// KeyMatches reports whether priv is the private half of pub.
func KeyMatches(priv crypto.Signer, pub crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	p, ok := priv.Public().(equaler)
	return ok && p.Equal(pub)
}

func checkKeyMatches(keyPEM []byte, leaf *x509.Certificate) error {
	key, err := ParsePrivateKey(keyPEM)
	if err != nil {
		return err
	}
	if !KeyMatches(key, leaf.PublicKey) {
		return errors.New("does not match the certificate's public key")
	}
	return nil
}
