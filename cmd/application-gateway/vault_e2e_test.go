package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/domain/application"
)

// testCA is a throwaway certificate authority for loopback TLS servers and clients.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue returns a PEM certificate and key signed by ca: a server certificate for
// 127.0.0.1, or a client certificate.
func (ca *testCA) issue(t *testing.T, cn string, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// TestVaultCredentialsOAuthAndClientCertificate: Applications whose OAuth client
// credentials and client certificate live only in Vault (written with the Vault CLI,
// read by the vault adapter's SecretStore) are proxied through a real OAuth token
// endpoint and a target that requires mTLS, both on loopback; a credential changed in
// Vault with the CLI is used within the watch interval.
func TestVaultCredentialsOAuthAndClientCertificate(t *testing.T) {
	const poll = 200 * time.Millisecond
	secrets, v, _ := vaultSecretStore(t, poll)
	dir := t.TempDir()
	file := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}

	// The token endpoint issues a token that names the client secret it was given, so
	// the test sees which credentials the gateway used.
	var tokenCalls atomic.Int32
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || r.PostFormValue("grant_type") != "client_credentials" || id != "client-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		n := tokenCalls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-" + secret + "-" + strconv.Itoa(int(n)), "token_type": "bearer", "expires_in": 3600})
	}))
	t.Cleanup(tokens.Close)
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			_, _ = io.WriteString(w, "cn="+r.TLS.PeerCertificates[0].Subject.CommonName)
			return
		}
		_, _ = io.WriteString(w, r.Header.Get("Authorization"))
	})
	plain := httptest.NewServer(echo)
	t.Cleanup(plain.Close)

	serverCA, clientCA := newTestCA(t, "server-ca"), newTestCA(t, "client-ca")
	srvCert, srvKey := serverCA.issue(t, "target", true)
	pair, err := tls.X509KeyPair(srvCert, srvKey)
	require.NoError(t, err)
	mtls := httptest.NewUnstartedServer(echo)
	mtls.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA.pool, MinVersion: tls.VersionTLS12}
	mtls.StartTLS()
	t.Cleanup(mtls.Close)

	v.CLI(t, "kv", "put", "secret/gw/shop-oauth", "clientId=client-1", "clientSecret=first")
	c1, k1 := clientCA.issue(t, "gateway-1", false)
	v.CLI(t, "kv", "put", "secret/gw/shop-cert", "crt=@"+file("c1.pem", c1), "key=@"+file("k1.pem", k1))

	apps := memory.NewApplicationRepository()
	entry := func(target string, cr *application.Credentials) application.Application {
		return application.Application{Name: cr.SecretName, Spec: application.Spec{Services: []application.Service{{
			ID: "1", Name: "orders", DisplayName: "Orders", Description: "d", ProviderDisplayName: "p",
			Entries: []application.Entry{{Type: application.EntryTypeAPI, TargetURL: target, Credentials: cr}},
		}}}}
	}
	for _, a := range []application.Application{
		entry(plain.URL, &application.Credentials{Type: application.CredentialOAuth, SecretName: "shop-oauth", AuthenticationURL: tokens.URL + "/oauth/token"}),
		entry(mtls.URL, &application.Credentials{Type: application.CredentialCertificateGen, SecretName: "shop-cert"}),
	} {
		_, _, err := apps.Put(t.Context(), a)
		require.NoError(t, err)
	}
	cfg := gateway.DefaultConfig()
	cfg.RootCAs = serverCA.pool
	gw, err := gateway.New(cfg, apps, secrets, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- gw.Run(ctx) }()
	t.Cleanup(func() { stop(); <-done })
	h := gw.StandaloneHandler()
	get := func(app string) string {
		req := httptest.NewRequest(http.MethodGet, "/"+app+"/orders/x", nil)
		req.RemoteAddr = "127.0.0.1:5555"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return strconv.Itoa(rec.Code) + " " + rec.Body.String()
	}

	require.Eventually(t, func() bool { return get("shop-oauth") == "200 Bearer tok-first-1" }, 10*time.Second, 10*time.Millisecond,
		"OAuth with the client credentials from Vault; last: %s", get("shop-oauth"))
	assert.Equal(t, "200 cn=gateway-1", get("shop-cert"), "mTLS with the client certificate from Vault")

	v.CLI(t, "kv", "put", "secret/gw/shop-oauth", "clientId=client-1", "clientSecret=second")
	changed := time.Now()
	require.Eventually(t, func() bool { return get("shop-oauth") == "200 Bearer tok-second-2" }, 10*poll, 10*time.Millisecond,
		"a new client secret in Vault fetches a new token; last: %s", get("shop-oauth"))
	t.Logf("OAuth client secret changed in Vault used after %v (poll interval %v)", time.Since(changed).Round(time.Millisecond), poll)

	c2, k2 := clientCA.issue(t, "gateway-2", false)
	v.CLI(t, "kv", "put", "secret/gw/shop-cert", "crt=@"+file("c2.pem", c2), "key=@"+file("k2.pem", k2))
	changed = time.Now()
	require.Eventually(t, func() bool { return get("shop-cert") == "200 cn=gateway-2" }, 10*poll, 10*time.Millisecond,
		"a new client certificate in Vault is presented; last: %s", get("shop-cert"))
	t.Logf("client certificate changed in Vault used after %v (poll interval %v)", time.Since(changed).Round(time.Millisecond), poll)
}
