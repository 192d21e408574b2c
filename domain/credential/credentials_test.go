package credential

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
)

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

func TestParse(t *testing.T) {
	t.Parallel()
	crt, key := selfSigned(t)
	otherCrt, _ := selfSigned(t)
	oauth := application.Credentials{Type: application.CredentialOAuth, SecretName: "s", AuthenticationURL: "https://auth/token"}
	mtls := application.Credentials{Type: application.CredentialOAuthWithCert, SecretName: "s", AuthenticationURL: "https://auth/token"}
	basic := application.Credentials{Type: application.CredentialBasic, SecretName: "s", CSRFInfo: &application.CSRFInfo{TokenEndpointURL: "https://x/csrf"}}
	certGen := application.Credentials{Type: application.CredentialCertificateGen, SecretName: "s"}

	tests := map[string]struct {
		creds   application.Credentials
		data    map[string]string
		wantKey string
		check   func(t *testing.T, c Credentials)
	}{
		"basic": {creds: basic, data: map[string]string{"username": "u", "password": "p"}, check: func(t *testing.T, c Credentials) {
			assert.Equal(t, &Basic{Username: "u", Password: "p"}, c.Basic)
			assert.Equal(t, "https://x/csrf", c.CSRFTokenURL)
		}},
		"basic missing password": {creds: basic, data: map[string]string{"username": "u"}, wantKey: "password"},
		"oauth with token-call parameters": {creds: oauth, data: map[string]string{
			"clientId": "id", "clientSecret": "sec", "headers": `{"X-A":["1"]}`, "queryParameters": `{"q":["2","3"]}`,
		}, check: func(t *testing.T, c Credentials) {
			assert.Equal(t, "id", c.OAuth.ClientID)
			assert.Equal(t, "https://auth/token", c.OAuth.TokenURL)
			assert.Equal(t, map[string][]string{"X-A": {"1"}}, c.OAuth.TokenRequest.Headers)
			assert.Equal(t, map[string][]string{"q": {"2", "3"}}, c.OAuth.TokenRequest.QueryParameters)
		}},
		"oauth missing client secret": {creds: oauth, data: map[string]string{"clientId": "id"}, wantKey: "clientSecret"},
		"oauth bad headers JSON":      {creds: oauth, data: map[string]string{"clientId": "id", "clientSecret": "topsecret", "headers": `{"X":"notalist-topsecret"}`}, wantKey: "headers"},
		"oauth with cert": {creds: mtls, data: map[string]string{"clientId": "id", "crt": string(crt), "key": string(key)}, check: func(t *testing.T, c Credentials) {
			assert.Equal(t, "id", c.OAuth.ClientID)
			require.NotNil(t, c.Certificate)
			assert.Equal(t, "client", c.Certificate.Leaf.Subject.CommonName)
		}},
		"cert gen":                               {creds: certGen, data: map[string]string{"crt": string(crt), "key": string(key)}, check: func(t *testing.T, c Credentials) { assert.False(t, c.Certificate.Expired(time.Now())) }},
		"cert gen key after a certificate block": {creds: certGen, data: map[string]string{"crt": string(crt), "key": string(crt) + string(key)}, check: func(t *testing.T, c Credentials) { assert.NotNil(t, c.Certificate.Leaf) }},
		"cert gen missing key":                   {creds: certGen, data: map[string]string{"crt": string(crt)}, wantKey: "key"},
		"cert gen garbage crt":                   {creds: certGen, data: map[string]string{"crt": "garbage", "key": string(key)}, wantKey: "crt"},
		"cert gen mismatching key":               {creds: certGen, data: map[string]string{"crt": string(otherCrt), "key": string(key)}, wantKey: "key"},
		"unknown type":                           {creds: application.Credentials{Type: "Digest", SecretName: "s"}, data: map[string]string{}, wantKey: "credentials.type"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := Secret{Name: "s", Data: map[string][]byte{}}
			for k, v := range tc.data {
				s.Data[k] = []byte(v)
			}
			got, err := Parse(tc.creds, s)
			if tc.wantKey != "" {
				var ke *KeyError
				require.ErrorAs(t, err, &ke)
				assert.Equal(t, tc.wantKey, ke.Key)
				assert.ErrorIs(t, err, ErrInvalid)
				for _, v := range tc.data {
					if len(v) > 3 {
						assert.NotContains(t, err.Error(), v, "error must not echo a value")
					}
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.creds.Type, got.Type)
			tc.check(t, got)
		})
	}
}

func TestParseRequestParameters(t *testing.T) {
	t.Parallel()
	p, err := ParseRequestParameters(Secret{Name: "p", Data: map[string][]byte{"headers": []byte(`{"X-T":["a","b"]}`)}})
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"X-T": {"a", "b"}}, p.Headers)
	assert.Nil(t, p.QueryParameters)
	assert.False(t, p.IsEmpty())

	p, err = ParseRequestParameters(Secret{Name: "p"})
	require.NoError(t, err)
	assert.True(t, p.IsEmpty())

	_, err = ParseRequestParameters(Secret{Name: "p", Data: map[string][]byte{"queryParameters": []byte(`[1]`)}})
	var ke *KeyError
	require.ErrorAs(t, err, &ke)
	assert.Equal(t, "queryParameters", ke.Key)
}

func TestSecretNeverFormatsValues(t *testing.T) {
	t.Parallel()
	s := Secret{Name: "s", Data: map[string][]byte{"password": []byte("hunter2")}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(verb, s), "hunter2", verb)
	}
	assert.Equal(t, []string{"password"}, s.Keys())
}

func TestSecretValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, Secret{Name: "ok-name", Data: map[string][]byte{"a.b_c-D": nil}}.Validate())
	require.ErrorIs(t, Secret{Name: "Bad"}.Validate(), ErrInvalid)
	require.ErrorIs(t, Secret{Name: "ok", Data: map[string][]byte{"a/b": nil}}.Validate(), ErrInvalid)
}

func TestSecretDeepCopy(t *testing.T) {
	t.Parallel()
	s := Secret{Name: "s", Data: map[string][]byte{"k": []byte("v")}, Labels: map[string]string{"a": "b"}}
	c := s.DeepCopy()
	c.Data["k"][0] = 'x'
	c.Labels["a"] = "c"
	assert.Equal(t, "v", string(s.Data["k"]))
	assert.Equal(t, "b", s.Labels["a"])
}
