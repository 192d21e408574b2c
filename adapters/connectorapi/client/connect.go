package client

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"time"

	"github.com/appconnector/appconnector/adapters/connectorapi/schema"

	"github.com/appconnector/appconnector/domain/certificate"
)

// Key types a client can generate.
const (
	KeyRSA2048   = "rsa2048"
	KeyRSA4096   = "rsa4096"
	KeyECDSAP256 = "ecdsa-p256"
	KeyECDSAP384 = "ecdsa-p384"
)

// Credentials are what an external system keeps after connecting.
type Credentials struct {
	Key crypto.Signer
	// ClientPEM is the client certificate, ChainPEM the client certificate followed by
	// the CA chain, CAPEM the CA chain (Kyma's clientCrt, crt and caCrt).
	ClientPEM []byte
	ChainPEM  []byte
	CAPEM     []byte
	// Info is the signing-request info the certificate was requested with.
	Info schema.CSRInfoResponse
}

// GenerateKey makes a private key of the given type (KeyRSA2048 when empty).
func GenerateKey(keyType string) (crypto.Signer, error) {
	switch keyType {
	case "", KeyRSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case KeyRSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	case KeyECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case KeyECDSAP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	}
	return nil, fmt.Errorf("unknown key type %q: use %s, %s, %s or %s", keyType, KeyRSA2048, KeyRSA4096, KeyECDSAP256, KeyECDSAP384)
}

// NewCSR returns a base64 PEM CSR for the subject string the connector announced
// ("O=..,OU=..,L=..,ST=..,C=..,CN=..").
func NewCSR(key crypto.Signer, subject string) (string, error) {
	dn, err := certificate.ParseDN(subject)
	if err != nil {
		return "", fmt.Errorf("parse announced subject: %w", err)
	}
	name := pkix.Name{CommonName: dn.Get("CN")}
	for _, a := range []struct {
		typ string
		dst *[]string
	}{{"O", &name.Organization}, {"OU", &name.OrganizationalUnit}, {"L", &name.Locality}, {"ST", &name.Province}, {"C", &name.Country}} {
		if v := dn.Get(a.typ); v != "" {
			*a.dst = []string{v}
		}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: name}, key)
	if err != nil {
		return "", fmt.Errorf("create csr: %w", err)
	}
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}

// SigningInfo fetches the signing-request info; infoURL carries the one-time token.
func SigningInfo(ctx context.Context, hc *http.Client, infoURL string) (schema.CSRInfoResponse, error) {
	var info schema.CSRInfoResponse
	err := do(ctx, hc, http.MethodGet, infoURL, nil, nil, &info)
	return info, err
}

// Connect performs the whole pairing: info, key, CSR, certificate. hc talks to the
// connector API (the token-secured listener).
func Connect(ctx context.Context, hc *http.Client, infoURL, keyType string) (*Credentials, error) {
	info, err := SigningInfo(ctx, hc, infoURL)
	if err != nil {
		return nil, fmt.Errorf("get signing request info: %w", err)
	}
	key, err := GenerateKey(keyType)
	if err != nil {
		return nil, err
	}
	csr, err := NewCSR(key, info.Certificate.Subject)
	if err != nil {
		return nil, err
	}
	var resp schema.CSRResponse
	if err := do(ctx, hc, http.MethodPost, info.CSRURL, nil, schema.CSRRequest{CSR: csr}, &resp); err != nil {
		return nil, fmt.Errorf("request certificate: %w", err)
	}
	return credentialsFrom(key, resp, info)
}

func credentialsFrom(key crypto.Signer, resp schema.CSRResponse, info schema.CSRInfoResponse) (*Credentials, error) {
	c := &Credentials{Key: key, Info: info}
	for _, f := range []struct {
		name string
		in   string
		out  *[]byte
	}{{"clientCrt", resp.ClientCRT, &c.ClientPEM}, {"crt", resp.CRT, &c.ChainPEM}, {"caCrt", resp.CACRT, &c.CAPEM}} {
		b, err := base64.StdEncoding.DecodeString(f.in)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", f.name, err)
		}
		*f.out = b
	}
	if _, err := c.TLSCertificate(); err != nil {
		return nil, err
	}
	return c, nil
}

// KeyPEM returns the private key as PKCS #8 PEM.
func (c *Credentials) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// TLSCertificate returns the client certificate (with chain) and key for tls.Config.
func (c *Credentials) TLSCertificate() (tls.Certificate, error) {
	keyPEM, err := c.KeyPEM()
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := tls.X509KeyPair(c.ChainPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issued certificate does not match the key: %w", err)
	}
	return cert, nil
}

// CAPool returns a pool with the CA chain, to verify the mTLS listener.
func (c *Credentials) CAPool() (*x509.CertPool, error) {
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(c.CAPEM) {
		return nil, fmt.Errorf("caCrt holds no certificate")
	}
	return p, nil
}

// HTTPClient returns a client that presents the certificate and trusts the CA chain
// (plus the system roots, for a listener behind a public proxy).
func (c *Credentials) HTTPClient() (*http.Client, error) {
	cert, err := c.TLSCertificate()
	if err != nil {
		return nil, err
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(c.CAPEM) {
		return nil, fmt.Errorf("caCrt holds no certificate")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, RootCAs: roots}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

// ManagementInfo calls GET management/info with the client certificate.
func ManagementInfo(ctx context.Context, hc *http.Client, infoURL string) (schema.ManagementInfoResponse, error) {
	var out schema.ManagementInfoResponse
	err := do(ctx, hc, http.MethodGet, infoURL, nil, nil, &out)
	return out, err
}

// Renew requests a new certificate for the same subject with a new key of keyType,
// authenticated by the current certificate in hc. The returned credentials keep Info.
func (c *Credentials) Renew(ctx context.Context, hc *http.Client, renewURL, subject, keyType string) (*Credentials, error) {
	key, err := GenerateKey(keyType)
	if err != nil {
		return nil, err
	}
	csr, err := NewCSR(key, subject)
	if err != nil {
		return nil, err
	}
	var resp schema.CSRResponse
	if err := do(ctx, hc, http.MethodPost, renewURL, nil, schema.CSRRequest{CSR: csr}, &resp); err != nil {
		return nil, fmt.Errorf("renew certificate: %w", err)
	}
	return credentialsFrom(key, resp, c.Info)
}

// Revoke revokes the certificate hc presents.
func Revoke(ctx context.Context, hc *http.Client, revokeURL string) error {
	if err := do(ctx, hc, http.MethodPost, revokeURL, nil, nil, nil); err != nil {
		return fmt.Errorf("revoke certificate: %w", err)
	}
	return nil
}
