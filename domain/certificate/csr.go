package certificate

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
)

// MaxCSRSize bounds an encoded CSR; an 8192-bit RSA CSR in base64 PEM is about 4 KiB.
const MaxCSRSize = 32 << 10

// DecodeCSR decodes what clients send in {"csr": "..."}: base64 (standard or URL
// alphabet, padded or not) of a PEM "CERTIFICATE REQUEST" block. A PEM block sent
// without the base64 wrapping, and base64 of DER, are accepted too. The key is checked
// (CheckPublicKey) before the signature, so a weak key is reported as such. Every failure
// is a *CSRError whose reason names the problem.
func DecodeCSR(encoded string) (*x509.CertificateRequest, error) {
	encoded = strings.TrimSpace(encoded)
	if encoded == "" {
		return nil, csrErrorf("csr is empty")
	}
	if len(encoded) > MaxCSRSize {
		return nil, csrErrorf(fmt.Sprintf("csr is larger than %d bytes", MaxCSRSize))
	}
	raw := []byte(encoded)
	if !bytes.HasPrefix(raw, []byte("-----BEGIN")) {
		var err error
		if raw, err = decodeBase64(encoded); err != nil {
			return nil, csrErrorf("csr is not valid base64")
		}
	}
	der := raw
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("-----BEGIN")) {
		block, _ := pem.Decode(raw)
		if block == nil {
			return nil, csrErrorf("csr is not a valid PEM block")
		}
		if block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
			return nil, csrErrorf(fmt.Sprintf("PEM block is of type %q, want \"CERTIFICATE REQUEST\"", block.Type))
		}
		der = block.Bytes
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, csrErrorf("csr cannot be parsed as PKCS #10: " + err.Error())
	}
	if err := CheckPublicKey(csr.PublicKey); err != nil {
		return nil, err
	}
	switch csr.SignatureAlgorithm {
	case x509.SHA1WithRSA, x509.ECDSAWithSHA1:
		// crypto/x509 still verifies SHA-1 on CSRs (it refuses it on certificates).
		return nil, csrErrorf(fmt.Sprintf("csr signature algorithm %s is not accepted; sign with SHA-256 or stronger", csr.SignatureAlgorithm))
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, csrErrorf("csr signature does not verify")
	}
	return csr, nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// allowedSubjectAttributes are the only attributes a CSR subject may carry.
var allowedSubjectAttributes = []string{"O", "OU", "L", "ST", "C", "CN"}

// ValidateCSRSubject checks that the CSR subject is exactly want: each of O, OU, L, ST, C
// and CN present once with the expected value, and no other attribute. Kyma compared
// only the attributes it knew by a naive string split; this compares the parsed ASN.1.
func ValidateCSRSubject(csr *x509.CertificateRequest, want Subject) error {
	got := make(DN, 0, len(csr.Subject.Names))
	for _, atv := range csr.Subject.Names {
		typ := canonicalType(atv.Type.String())
		v, ok := atv.Value.(string)
		if !ok {
			return csrErrorf(fmt.Sprintf("subject attribute %s is not a string", typ))
		}
		got = append(got, Attribute{Type: typ, Value: v})
	}
	for _, a := range got {
		allowed := false
		for _, t := range allowedSubjectAttributes {
			allowed = allowed || a.Type == t
		}
		if !allowed {
			return csrErrorf(fmt.Sprintf("subject attribute %s is not allowed; the subject must be exactly %q", a.Type, want.String()))
		}
	}
	// CN first: a wrong CN is the most common mistake and deserves the clearest message.
	for _, a := range []attribute{{"CN", want.CommonName}} {
		if err := checkSubjectAttribute(got, a, want); err != nil {
			return err
		}
	}
	for _, a := range want.attributes()[:5] {
		if err := checkSubjectAttribute(got, a, want); err != nil {
			return err
		}
	}
	// csr.Subject.Names flattens multi-valued RDNs ("O=x+OU=y"); the announced subject
	// has one attribute per RDN.
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(csr.RawSubject, &rdns); err != nil || len(rest) != 0 {
		return csrErrorf("subject cannot be parsed")
	}
	for _, rdn := range rdns {
		if len(rdn) != 1 {
			return csrErrorf(fmt.Sprintf("subject has a multi-valued RDN; the subject must be exactly %q", want.String()))
		}
	}
	return nil
}

func checkSubjectAttribute(got DN, a attribute, want Subject) error {
	switch n := got.Count(a.key); {
	case n == 0:
		return csrErrorf(fmt.Sprintf("subject has no %s; the subject must be exactly %q", a.key, want.String()))
	case n > 1:
		return csrErrorf(fmt.Sprintf("subject has %d %s attributes; the subject must be exactly %q", n, a.key, want.String()))
	}
	if v := got.Get(a.key); v != a.value {
		return csrErrorf(fmt.Sprintf("subject %s is %q, want %q", a.key, v, a.value))
	}
	return nil
}
