package porttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/ports"
)

// RunCertificateSigner runs the conformance suite of ports.CertificateSigner. newSigner
// is called once per subtest. Requests are built as app/connector builds them, with
// certificate.NewRequest from a CSR whose subject is the one demanded.
func RunCertificateSigner(t *testing.T, newSigner func(t *testing.T) ports.CertificateSigner) {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	subject := certificate.DefaultSubject.ForApplication("orders-app")
	request := func(t *testing.T, key crypto.Signer, tmpl *x509.CertificateRequest, validity time.Duration) certificate.Request {
		t.Helper()
		if tmpl == nil {
			tmpl = &x509.CertificateRequest{}
		}
		tmpl.Subject = subject.Name()
		der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
		require.NoError(t, err)
		csr, err := x509.ParseCertificateRequest(der)
		require.NoError(t, err)
		return certificate.NewRequest(csr, subject, time.Now(), validity)
	}
	cases := []struct {
		name string
		fn   func(t *testing.T, s ports.CertificateSigner)
	}{
		{"issues a client certificate of exactly the request, verified by the chain", func(t *testing.T, s ports.CertificateSigner) {
			for name, key := range map[string]crypto.Signer{"rsa": rsaKey, "ecdsa": ecKey} {
				req := request(t, key, nil, 2*time.Hour)
				issued, err := s.Sign(t.Context(), req)
				require.NoError(t, err, name)
				checkIssued(t, issued.Certificate, req)
				chain, err := s.CACertificates(t.Context())
				require.NoError(t, err)
				require.NotEmpty(t, chain)
				require.Equal(t, len(chain), len(issued.CAChain), "%s: the chain of the answer is the signer's", name)
				for i := range chain {
					assert.True(t, chain[i].Equal(issued.CAChain[i]), "%s: chain[%d]", name, i)
				}
				verify(t, issued.Certificate, chain)
			}
		}},
		{"copies nothing the CSR asks for beyond the request", func(t *testing.T, s ports.CertificateSigner) {
			u, _ := url.Parse("spiffe://evil/x")
			bc, err := asn1.Marshal(struct {
				IsCA bool `asn1:"optional"`
			}{IsCA: true})
			require.NoError(t, err)
			req := request(t, ecKey, &x509.CertificateRequest{
				DNSNames: []string{"evil.example"}, IPAddresses: []net.IP{net.IPv4(10, 0, 0, 1)},
				EmailAddresses: []string{"a@evil.example"}, URIs: []*url.URL{u},
				ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 19}, Critical: true, Value: bc}},
			}, time.Hour)
			issued, err := s.Sign(t.Context(), req)
			if err != nil {
				// Refusing is as good as ignoring, if the client learns why.
				require.ErrorIs(t, err, certificate.ErrInvalidCSR)
				return
			}
			checkIssued(t, issued.Certificate, req)
		}},
		{"copies no extension of the CSR", func(t *testing.T, s ports.CertificateSigner) {
			bc, err := asn1.Marshal(struct {
				IsCA bool `asn1:"optional"`
			}{IsCA: true})
			require.NoError(t, err)
			eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 1}}) // server auth
			require.NoError(t, err)
			req := request(t, rsaKey, &x509.CertificateRequest{ExtraExtensions: []pkix.Extension{
				{Id: asn1.ObjectIdentifier{2, 5, 29, 19}, Critical: true, Value: bc},
				{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Value: eku},
			}}, time.Hour)
			issued, err := s.Sign(t.Context(), req)
			if err != nil {
				require.ErrorIs(t, err, certificate.ErrInvalidCSR)
				return
			}
			checkIssued(t, issued.Certificate, req)
		}},
		{"every certificate has its own serial, also when signed concurrently", func(t *testing.T, s ports.CertificateSigner) {
			var mu sync.Mutex
			serials := map[string]bool{}
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					issued, err := s.Sign(t.Context(), request(t, ecKey, nil, time.Hour))
					if !assert.NoError(t, err) {
						return
					}
					mu.Lock()
					defer mu.Unlock()
					serials[issued.Certificate.SerialNumber.String()] = true
				})
			}
			wg.Wait()
			assert.Len(t, serials, 8)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, newSigner(t))
		})
	}
}

// checkIssued asserts that c is a client certificate for req and for nothing more.
func checkIssued(t *testing.T, c *x509.Certificate, req certificate.Request) {
	t.Helper()
	pub, ok := c.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	require.True(t, ok)
	assert.True(t, pub.Equal(req.PublicKey), "the request's public key")
	want := req.Subject.Name()
	assert.Equal(t, want.String(), c.Subject.String(), "exactly the subject demanded")
	assert.Len(t, c.Subject.Names, len(want.ToRDNSequence()), "no other subject attribute")
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, c.ExtKeyUsage)
	assert.Empty(t, c.UnknownExtKeyUsage)
	assert.False(t, c.IsCA)
	assert.Empty(t, c.DNSNames)
	assert.Empty(t, c.IPAddresses)
	assert.Empty(t, c.EmailAddresses)
	assert.Empty(t, c.URIs)
	assert.NotZero(t, c.KeyUsage&x509.KeyUsageDigitalSignature)
	assert.Zero(t, c.KeyUsage&(x509.KeyUsageCertSign|x509.KeyUsageCRLSign))
	assert.False(t, c.NotAfter.After(req.NotAfter), "not after %v, asked %v", c.NotAfter, req.NotAfter)
	// Signers may round to the second.
	assert.True(t, c.NotAfter.After(req.NotAfter.Add(-2*time.Second)), "not after %v, asked %v", c.NotAfter, req.NotAfter)
	assert.False(t, c.NotBefore.After(time.Now()), "valid at once")
}

func verify(t *testing.T, c *x509.Certificate, chain []*x509.Certificate) {
	t.Helper()
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(chain[len(chain)-1])
	for _, ca := range chain[:len(chain)-1] {
		inter.AddCert(ca)
	}
	_, err := c.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err)
}
