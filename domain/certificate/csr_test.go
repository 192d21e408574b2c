package certificate

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeCSR(t *testing.T) {
	testKeys(t)
	subject := DefaultSubject.ForApplication("app").Name()
	good := csrDER(t, p256, subject)
	rsaGood := csrDER(t, rsa2048, subject)
	weak := csrDER(t, rsa1024, subject)
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	tampered := append([]byte(nil), good...)
	tampered[len(tampered)-5] ^= 0xff

	pemGood := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: good})
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"ecdsa p256", encodeCSR(good), ""},
		{"rsa 2048", encodeCSR(rsaGood), ""},
		{"raw pem", string(pemGood), ""},
		{"url base64", base64.RawURLEncoding.EncodeToString(pemGood), ""},
		{"wrapped base64", wrap(encodeCSR(good)), ""},
		{"der base64", base64.StdEncoding.EncodeToString(good), ""},
		{"new csr pem type", base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "NEW CERTIFICATE REQUEST", Bytes: good})), ""},
		{"empty", "  ", "csr is empty"},
		{"not base64", "!!!***", "not valid base64"},
		{"garbage", base64.StdEncoding.EncodeToString([]byte("hello world")), "cannot be parsed"},
		{"wrong pem type", base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: good})), `type "CERTIFICATE"`},
		{"broken pem", base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE REQUEST-----\nxx")), "not a valid PEM"},
		{"weak rsa", encodeCSR(weak), "weak key: RSA key of 1024 bits"},
		{"p224", encodeCSR(csrDER(t, p224, subject)), "ECDSA curve P-224"},
		{"ed25519", encodeCSR(csrDER(t, edKey, subject)), "unsupported key type"},
		{"bad signature", encodeCSR(tampered), "signature does not verify"},
		{"too large", strings.Repeat("A", MaxCSRSize+1), "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csr, err := DecodeCSR(tt.in)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, "app", csr.Subject.CommonName)
				return
			}
			require.ErrorIs(t, err, ErrInvalidCSR)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func wrap(s string) string {
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	return b.String() + s
}

func TestValidateCSRSubject(t *testing.T) {
	testKeys(t)
	want := DefaultSubject.ForApplication("app")
	tests := []struct {
		name    string
		subject pkix.Name
		wantErr string
	}{
		{"exact", want.Name(), ""},
		{"wrong cn", DefaultSubject.ForApplication("other").Name(), `subject CN is "other", want "app"`},
		{"missing cn", DefaultSubject.Name(), "subject has no CN"},
		{"wrong o", func() pkix.Name { s := want; s.Organization = "Evil"; return s.Name() }(), `subject O is "Evil"`},
		{"missing c", func() pkix.Name { s := want; s.Country = ""; return s.Name() }(), "subject has no C"},
		{"two ou", func() pkix.Name { n := want.Name(); n.OrganizationalUnit = []string{"OrgUnit", "x"}; return n }(), "2 OU attributes"},
		{"extra attribute", func() pkix.Name {
			n := want.Name()
			n.ExtraNames = []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{2, 5, 4, 5}, Value: "123"}}
			return n
		}(), "SERIALNUMBER is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csr, err := DecodeCSR(encodeCSR(csrDER(t, p256, tt.subject)))
			require.NoError(t, err)
			err = ValidateCSRSubject(csr, want)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidCSR)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestKeyAlgorithm(t *testing.T) {
	testKeys(t)
	assert.Equal(t, "rsa2048", KeyAlgorithm(&rsa2048.PublicKey))
	assert.Equal(t, "ecdsa-p256", KeyAlgorithm(&p256.PublicKey))
	assert.Equal(t, "", KeyAlgorithm("nope"))
	assert.ErrorContains(t, CheckPublicKey(nil), "no public key")
}

func FuzzDecodeCSR(f *testing.F) {
	testKeys(f)
	good := csrDER(f, p256, DefaultSubject.ForApplication("app").Name())
	f.Add(encodeCSR(good))
	f.Add(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: good})))
	f.Add(base64.StdEncoding.EncodeToString(good))
	f.Add("-----BEGIN CERTIFICATE REQUEST-----\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		csr, err := DecodeCSR(s)
		if err != nil {
			return
		}
		if err := CheckPublicKey(csr.PublicKey); err != nil {
			t.Fatalf("decoded csr with rejected key: %v", err)
		}
		_ = ValidateCSRSubject(csr, DefaultSubject.ForApplication("app"))
	})
}

// Go flattens multi-valued RDNs into Subject.Names, so "O=Organization+OU=OrgUnit" as
// one RDN looked like the announced subject. Exactly the subject means one attribute per
// RDN, as the announced "O=..,OU=..,L=..,ST=..,C=..,CN=.." string has.
func TestValidateCSRSubjectMultiValuedRDN(t *testing.T) {
	testKeys(t)
	want := DefaultSubject.ForApplication("app")
	atv := func(oid asn1.ObjectIdentifier, v string) pkix.AttributeTypeAndValue {
		return pkix.AttributeTypeAndValue{Type: oid, Value: v}
	}
	var (
		oidC, oidO, oidOU  = asn1.ObjectIdentifier{2, 5, 4, 6}, asn1.ObjectIdentifier{2, 5, 4, 10}, asn1.ObjectIdentifier{2, 5, 4, 11}
		oidL, oidST, oidCN = asn1.ObjectIdentifier{2, 5, 4, 7}, asn1.ObjectIdentifier{2, 5, 4, 8}, asn1.ObjectIdentifier{2, 5, 4, 3}
	)
	rdns := pkix.RDNSequence{
		{atv(oidC, "DE")},
		{atv(oidO, "Organization"), atv(oidOU, "OrgUnit")},
		{atv(oidL, "Waldorf")},
		{atv(oidST, "Waldorf")},
		{atv(oidCN, "app")},
	}
	raw, err := asn1.Marshal(rdns)
	require.NoError(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{RawSubject: raw}, p256)
	require.NoError(t, err)
	csr, err := DecodeCSR(encodeCSR(der))
	require.NoError(t, err)
	err = ValidateCSRSubject(csr, want)
	require.ErrorIs(t, err, ErrInvalidCSR)
	assert.Contains(t, err.Error(), "multi-valued")
}

// crypto/x509 still verifies SHA-1 signatures on CSRs; the connector does not accept them.
func TestDecodeCSRRefusesSHA1(t *testing.T) {
	testKeys(t)
	for _, tc := range []struct {
		key  crypto.Signer
		algo x509.SignatureAlgorithm
	}{{rsa2048, x509.SHA1WithRSA}, {p256, x509.ECDSAWithSHA1}} {
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
			Subject: DefaultSubject.ForApplication("app").Name(), SignatureAlgorithm: tc.algo,
		}, tc.key)
		require.NoError(t, err)
		_, err = DecodeCSR(encodeCSR(der))
		require.ErrorIs(t, err, ErrInvalidCSR, tc.algo.String())
		assert.Contains(t, err.Error(), "signature algorithm "+tc.algo.String()+" is not accepted")
	}
}
