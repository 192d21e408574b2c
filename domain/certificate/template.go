package certificate

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// DefaultValidity is how long client certificates are valid unless configured otherwise.
const DefaultValidity = 90 * 24 * time.Hour

// backdate is subtracted from NotBefore so that a client whose clock is a little behind
// can use a certificate at once.
const backdate = time.Minute

// serialBits is the size of random serial numbers. RFC 5280 allows up to 20 octets and
// CA/B Forum asks for at least 64 random bits; Kyma's connector used the constant 2.
const serialBits = 128

// Request is what a CertificateSigner signs: a validated CSR's public key for the given
// subject and validity window. Signers must not copy anything else from the CSR
// (requested extensions, SANs), so a client cannot widen what it gets.
type Request struct {
	PublicKey crypto.PublicKey
	Subject   Subject
	NotBefore time.Time
	NotAfter  time.Time
	// CSR is the DER of the validated CSR, for a signer that cannot sign a bare public
	// key (Vault PKI's sign-verbatim takes the CSR itself); such a signer must still
	// refuse what the CSR asks beyond the fields above. Empty when the request was not
	// built from a CSR.
	CSR []byte
}

// NewRequest builds the signing request for a validated CSR: validity from now (backdated
// one minute for clock skew) for validity, or DefaultValidity when validity <= 0.
func NewRequest(csr *x509.CertificateRequest, subject Subject, now time.Time, validity time.Duration) Request {
	if validity <= 0 {
		validity = DefaultValidity
	}
	return Request{
		PublicKey: csr.PublicKey,
		Subject:   subject,
		NotBefore: now.Add(-backdate).UTC(),
		NotAfter:  now.Add(validity).UTC(),
		CSR:       csr.Raw,
	}
}

// Template returns the x509 template of a client certificate for req: the subject,
// validity window and serial given, client-auth extended key usage only, digital
// signature (and key encipherment for RSA keys), not a CA.
func Template(req Request, serial *big.Int) *x509.Certificate {
	usage := x509.KeyUsageDigitalSignature
	if _, ok := req.PublicKey.(*rsa.PublicKey); ok {
		usage |= x509.KeyUsageKeyEncipherment
	}
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               req.Subject.Name(),
		NotBefore:             req.NotBefore,
		NotAfter:              req.NotAfter,
		KeyUsage:              usage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  false,
	}
}

// RandomSerial returns a positive random serial number of 128 bits read from r
// (crypto/rand.Reader in production).
func RandomSerial(r io.Reader) (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), serialBits)
	for range 8 {
		n, err := randInt(r, limit)
		if err != nil {
			return nil, fmt.Errorf("generate serial number: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
	return nil, errors.New("generate serial number: random source returned only zeros")
}

func randInt(r io.Reader, limit *big.Int) (*big.Int, error) {
	b := make([]byte, (limit.BitLen()-1+7)/8)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b), nil
}
