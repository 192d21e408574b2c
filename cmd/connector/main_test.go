package main

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appconnector/appconnector/adapters/connectorapi/client"
	"github.com/appconnector/appconnector/adapters/connectorapi/schema"
	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/internal/realservers"
)

func TestMain(m *testing.M) { componenttest.Main(m) }

func TestHealthEndpoints(t *testing.T) {
	addrs := componenttest.Start(t, binary, "--data-dir", ":memory:", "--connector-addr", "127.0.0.1:0",
		"--mtls-addr", "127.0.0.1:0", "--health-addr", "127.0.0.1:0")
	componenttest.WaitHealthy(t, addrs[components.ServerHealth])
	assert.Len(t, addrs, 3, "health, connector and mTLS listeners: %v", addrs)
}

func TestPlainHTTPNeedsTrustXFCC(t *testing.T) {
	_, err := parseConfig([]string{"--connector-tls=false"}, func(string) string { return "" }, nil)
	assert.ErrorContains(t, err, "pass --trust-xfcc")
}

// TestKubernetesMode: two connectors on one API server, one on TLS and one on plain HTTP
// behind an (imagined) ingress. A token stored through the API server is redeemed for a
// certificate signed by the CA the first created in its Secret; the second, reading the
// same Secret, identifies the certificate from X-Forwarded-Client-Cert; a revocation
// through the first is refused by the second within 1 s.
func TestKubernetesMode(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	ctx := t.Context()
	app := ns
	cr, err := componenttest.CreateApplication(t, k, app, map[string]any{"description": "d", "services": []any{}}).Get(ctx, app, metav1.GetOptions{})
	require.NoError(t, err)

	tokens, err := kubernetes.NewTokenStore(k.Config(), ns)
	require.NoError(t, err)
	secret, tok, err := pairing.New(rand.Reader, app, time.Now(), time.Minute)
	require.NoError(t, err)
	tok.ApplicationUID = string(cr.GetUID()) // as the management API issues it: deleting the Application revokes it
	require.NoError(t, tokens.Put(ctx, tok))

	kube := append(componenttest.KubeArgs(t, k, ns), "--health-addr", "127.0.0.1:0")
	connAddr, mtlsAddr := componenttest.FreeAddr(t), componenttest.FreeAddr(t)
	tlsAddrs := componenttest.Start(t, binary, append(kube, "--connector-addr", connAddr, "--mtls-addr", mtlsAddr)...)
	componenttest.WaitHealthy(t, tlsAddrs[components.ServerHealth])

	// The CA lives in the Secret --ca-secret, and the listener's certificate chains to it.
	caSecret, err := k.Client(t).CoreV1().Secrets(ns).Get(ctx, "appconnector-ca", metav1.GetOptions{})
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caSecret.Data["ca.crt"]))
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	creds, err := client.Connect(ctx, hc, "https://"+connAddr+schema.PathSigningInfo+"?token="+url.QueryEscape(secret), "")
	require.NoError(t, err)
	certHC, err := creds.HTTPClient()
	require.NoError(t, err)
	info, err := client.ManagementInfo(ctx, certHC, "https://"+mtlsAddr+schema.PathManagementInfo)
	require.NoError(t, err)
	assert.Equal(t, app, info.ClientIdentity.Application)
	_, err = tokens.Lookup(ctx, tok.Digest, time.Now())
	assert.Error(t, err, "the token is used up in the API server")

	plain := componenttest.Start(t, binary, append(kube, "--connector-addr", "127.0.0.1:0", "--mtls-addr", "127.0.0.1:0",
		"--connector-tls=false", "--trust-xfcc")...)
	block, _ := pem.Decode(creds.ClientPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	xfcc := `Hash=` + certificate.IdentityOf(cert).Fingerprint.String() + `;Cert="` + url.QueryEscape(string(creds.ClientPEM)) + `";Subject="CN=` + app + `"`
	infoVia := func(header string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, "http://"+plain[components.ServerMTLS]+schema.PathManagementInfo, nil)
		require.NoError(t, err)
		if header != "" {
			req.Header.Set("X-Forwarded-Client-Cert", header)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		b, _ := json.Marshal(body)
		return resp.StatusCode, string(b)
	}
	code, body := infoVia(xfcc)
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"application":"`+app+`"`)
	code, _ = infoVia("")
	assert.Equal(t, http.StatusForbidden, code, "plain HTTP without the ingress's header identifies nobody")

	require.NoError(t, client.Revoke(ctx, certHC, "https://"+mtlsAddr+schema.PathRevocations))
	require.Eventually(t, func() bool { code, _ := infoVia(xfcc); return code == http.StatusForbidden }, time.Second, 5*time.Millisecond,
		"a certificate revoked through one connector must be refused by the other within 1 s")
	assert.True(t, strings.HasPrefix(creds.Info.CSRURL, "https://"+connAddr), creds.Info.CSRURL)
}
