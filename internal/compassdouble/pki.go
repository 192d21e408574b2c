package compassdouble

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// authority is the double's own CA: it signs the server certificate and the runtime
// certificates. ECDSA keeps New fast; the runtime's CSR key may be of any type.
type authority struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	pool    *x509.CertPool
}

func newAuthority(now time.Time) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "Compass double CA", Organization: []string{"compass-double"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &authority{cert: cert, key: key, certPEM: pemCert(der), pool: pool}, nil
}

// serverCertificate is for 127.0.0.1, ::1 and localhost, so a user can use either name.
func (a *authority) serverCertificate(now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{"compass-double"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(5 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der, a.cert.Raw}, PrivateKey: key}, nil
}

// subject is the Connector's configured CSR subject (everything but the CN).
type subject struct {
	Country, Organization, OrganizationalUnit, Locality, Province string
}

// parseSubject reads "C=PL,O=Org,OU=OrgUnit,L=Locality,ST=State" in any order. Values
// cannot contain commas, as in Kyma's configuration.
func parseSubject(s string) (subject, error) {
	var sub subject
	for seg := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(seg), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || v == "" {
			return subject{}, fmt.Errorf("subject segment %q is not KEY=VALUE", seg)
		}
		switch k {
		case "C":
			sub.Country = v
		case "O":
			sub.Organization = v
		case "OU":
			sub.OrganizationalUnit = v
		case "L":
			sub.Locality = v
		case "ST":
			sub.Province = v
		default:
			return subject{}, fmt.Errorf("subject key %q is not one of C, O, OU, L, ST", k)
		}
	}
	if sub.Country == "" || sub.Organization == "" || sub.OrganizationalUnit == "" || sub.Locality == "" || sub.Province == "" {
		return subject{}, errors.New("subject needs all of C, O, OU, L and ST")
	}
	return sub, nil
}

// forClient is the subject the Connector returns, in Kyma's fixed order.
func (s subject) forClient(clientID string) string {
	return "O=" + s.Organization + ",OU=" + s.OrganizationalUnit + ",L=" + s.Locality +
		",ST=" + s.Province + ",C=" + s.Country + ",CN=" + clientID
}

// badRequestError is a CSR problem; its message is Kyma's, shown to the client as is.
type badRequestError string

func (e badRequestError) Error() string { return string(e) }

// checkCSR decodes the base64 PEM CSR and checks it as Kyma's Connector does, with its
// messages.
func (s subject) checkCSR(encoded, clientID string) (*x509.CertificateRequest, error) {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, badRequestError("Error while parsing base64 content. Incorrect value provided.")
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
		return nil, badRequestError("Error while decoding pem block.")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, badRequestError("Error while parsing CSR: " + err.Error())
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, badRequestError("CSR: Invalid signature.")
	}
	if csr.Subject.CommonName != clientID {
		return nil, badRequestError("CSR: Invalid common name provided.")
	}
	for _, f := range []struct {
		name     string
		actual   []string
		expected string
	}{
		{"country", csr.Subject.Country, s.Country},
		{"organization", csr.Subject.Organization, s.Organization},
		{"organizational unit", csr.Subject.OrganizationalUnit, s.OrganizationalUnit},
		{"locality", csr.Subject.Locality, s.Locality},
		{"province", csr.Subject.Province, s.Province},
	} {
		if len(f.actual) == 0 {
			return nil, badRequestError("CSR: No " + f.name + " provided.")
		}
		if len(f.actual) != 1 || f.actual[0] != f.expected {
			return nil, badRequestError("CSR: Invalid " + f.name + " provided.")
		}
	}
	return csr, nil
}

// sign issues the client certificate. Unlike Kyma (serial 2 for every certificate),
// each gets a random serial, so revocation lists and logs can tell them apart.
func (a *authority) sign(csr *x509.CertificateRequest, now time.Time, validity time.Duration) ([]byte, error) {
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      csr.Subject,
		NotBefore:    now,
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, csr.PublicKey, a.key)
	if err != nil {
		return nil, err
	}
	return pemCert(der), nil
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return n.Add(n, big.NewInt(1))
}

// certHash identifies a certificate for revocation, as Compass's hydrator does.
func certHash(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}
