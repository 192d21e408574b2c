package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/internal/realservers"
)

// TestCAVault: with --ca vault the whole token → CSR → certificate flow issues a client
// certificate signed by Vault PKI, with the subject the connector announced; it opens
// the mTLS API and an event sent with it is accepted. The listeners' certificate comes
// from the same PKI through --tls-cert/--tls-key.
func TestCAVault(t *testing.T) {
	v := realservers.StartVault(t)
	v.CLI(t, "secrets", "enable", "pki")
	v.CLI(t, "secrets", "tune", "-max-lease-ttl=87600h", "pki")
	rootPEM := v.CLI(t, "write", "-field=certificate", "pki/root/generate/internal", "common_name=Vault Root", "ttl=87600h")
	v.CLI(t, "write", "pki/roles/server", "allow_any_name=true", "allow_ip_sans=true", "server_flag=true", "client_flag=false", "ttl=1h")
	var server struct {
		Data struct {
			Certificate string `json:"certificate"`
			PrivateKey  string `json:"private_key"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(v.CLI(t, "write", "-format=json", "pki/issue/server", "common_name=localhost", "ip_sans=127.0.0.1")), &server))
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content+"\n"), 0o600))
		return p
	}
	const token = "a-token-of-enough-length"
	addrs, stop := startApp(t, "--data-dir", storage.MemoryDataDir, "--admin-token-file", file("admin", token),
		"--ca", "vault", "--vault-addr", v.Addr, "--vault-token-file", file("vault-token", realservers.VaultRootToken),
		"--tls-cert", file("tls.crt", server.Data.Certificate), "--tls-key", file("tls.key", server.Data.PrivateKey))
	defer stop()
	api := "http://" + addrs[serverAPI]
	app, err := os.ReadFile("../../examples/application.yaml")
	require.NoError(t, err)
	code, body := do(t, http.MethodPut, api+"/v1/applications/orders-app", token, string(app))
	require.Equal(t, http.StatusCreated, code, body)
	code, body = do(t, http.MethodPost, api+"/v1/applications/orders-app/tokens", token, "")
	require.Equal(t, http.StatusCreated, code, body)
	var issued struct{ Token string }
	require.NoError(t, json.Unmarshal([]byte(body), &issued))

	block, _ := pem.Decode([]byte(rootPEM))
	require.NotNil(t, block)
	root, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(root)
	cert, err := componenttest.Pair(&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}, addrs[serverConnector], addrs[serverConnector], issued.Token)
	require.NoError(t, err)
	leaf := cert.Leaf
	_, err = leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err, "signed by Vault PKI")
	assert.Equal(t, "orders-app", leaf.Subject.CommonName)
	assert.Equal(t, root.Subject.String(), leaf.Issuer.String())

	hc := componenttest.MTLSClient(pool, cert)
	resp, err := hc.Get("https://" + addrs[serverMTLS] + "/v1/applications/management/info")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	resp, err = hc.Post("https://"+addrs[serverMTLS]+"/orders-app/v1/events", "application/json",
		strings.NewReader(`{"event-type":"order.created","event-type-version":"v1","event-time":"2026-01-02T15:04:05Z","data":{"orderId":"42"}}`))
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	assert.Contains(t, string(b), "event-id")
}
