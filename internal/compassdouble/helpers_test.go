package compassdouble

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// gqlResult is a decoded GraphQL answer.
type gqlResult struct {
	Status int
	Data   map[string]any
	Errors []struct {
		Message string `json:"message"`
		Path    []any  `json:"path"`
	}
}

func (r gqlResult) messages() string {
	var msgs []string
	for _, e := range r.Errors {
		msgs = append(msgs, e.Message)
	}
	return strings.Join(msgs, "; ")
}

func newDouble(t *testing.T, cfg Config) *Double {
	t.Helper()
	d, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	return d
}

// client trusts the double's CA and presents cert when given.
func client(t *testing.T, d *Double, cert *tls.Certificate) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(d.CACertPEM()))
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// post sends one GraphQL request; vars may be nil.
func post(t *testing.T, c *http.Client, url string, header map[string]string, query string, vars map[string]any) gqlResult {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	return postRaw(t, c, url, header, body)
}

func postRaw(t *testing.T, c *http.Client, url string, header map[string]string, body []byte) gqlResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var r gqlResult
	require.NoError(t, json.Unmarshal(raw, &r), string(raw))
	r.Status = resp.StatusCode
	return r
}

// get walks a decoded JSON value along keys (strings) and indexes (ints).
func get(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			require.True(t, ok, "not an object at %q: %#v", p, v)
			v = m[p]
		case int:
			l, ok := v.([]any)
			require.True(t, ok, "not a list at %d: %#v", p, v)
			require.Less(t, p, len(l))
			v = l[p]
		}
	}
	return v
}

const configurationQuery = `query { result: configuration { token { token } certificateSigningRequestInfo { subject keyAlgorithm } managementPlaneInfo { directorURL certificateSecuredConnectorURL } } }`

const signMutation = `mutation Sign($csr: String!) { result: signCertificateSigningRequest(csr: $csr) { certificateChain caCertificate clientCertificate } }`

// csrFor makes a key and a base64 PEM CSR with subject.
func csrFor(t *testing.T, subject pkix.Name) (string, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject}, key)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), key
}

func kymaSubject(cn string) pkix.Name {
	return pkix.Name{CommonName: cn, Country: []string{"PL"}, Organization: []string{"Org"},
		OrganizationalUnit: []string{"OrgUnit"}, Locality: []string{"Locality"}, Province: []string{"State"}}
}

// paired is a runtime's certificate obtained through the double's Connector.
type paired struct {
	tlsCert   tls.Certificate
	clientPEM []byte
	chainPEM  []byte
	caPEM     []byte
}

// pair runs the token flow: configuration with a runtime token, then sign with the
// token configuration returned.
func pair(t *testing.T, d *Double, runtimeID string) paired {
	t.Helper()
	c := client(t, d, nil)
	r := post(t, c, d.ConnectorURL(), map[string]string{"Connector-Token": d.NewRuntimeToken(runtimeID)}, configurationQuery, nil)
	require.Empty(t, r.Errors)
	next := get(t, r.Data, "result", "token", "token").(string)
	csr, key := csrFor(t, kymaSubject(runtimeID))
	r = post(t, c, d.ConnectorURL(), map[string]string{"Connector-Token": next}, signMutation, map[string]any{"csr": csr})
	require.Empty(t, r.Errors)
	dec := func(k string) []byte {
		b, err := base64.StdEncoding.DecodeString(get(t, r.Data, "result", k).(string))
		require.NoError(t, err)
		return b
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	p := paired{clientPEM: dec("clientCertificate"), chainPEM: dec("certificateChain"), caPEM: dec("caCertificate")}
	p.tlsCert, err = tls.X509KeyPair(p.chainPEM, keyPEM)
	require.NoError(t, err)
	return p
}
