package vault_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/vault"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/internal/realservers"
)

const kvPolicy = `path "secret/*" { capabilities = ["create", "read", "update", "delete", "list"] }`

// proveAccess writes and reads a Secret, which needs a valid token with the kv policy.
func proveAccess(t *testing.T, c *vault.Client) {
	t.Helper()
	s := newStore(t, c, vault.SecretStoreConfig{Prefix: "auth"})
	_, _, err := s.Put(t.Context(), credential.Secret{Name: "probe", Data: map[string][]byte{"k": []byte("v")}})
	require.NoError(t, err)
	_, err = s.Get(t.Context(), "probe")
	require.NoError(t, err)
}

// TestAppRoleLoginRenewAndLoginAgain: the token (TTL 2 s, max 4 s) is renewed, and once
// it cannot be renewed any more the client logs in again and keeps working.
func TestAppRoleLoginRenewAndLoginAgain(t *testing.T) {
	v := realservers.StartVault(t)
	v.CLI(t, "auth", "enable", "approle")
	v.CLI(t, "policy", "write", "kv", writeFile(t, "kv.hcl", kvPolicy))
	v.CLI(t, "write", "auth/approle/role/app", "token_policies=kv", "token_ttl=2s", "token_max_ttl=4s")
	roleID := strings.TrimSpace(v.CLI(t, "read", "-field=role_id", "auth/approle/role/app/role-id"))
	secretID := strings.TrimSpace(v.CLI(t, "write", "-f", "-field=secret_id", "auth/approle/role/app/secret-id"))

	logs := &syncBuffer{}
	cfg, rec := apiConfig(t, v)
	c, err := vault.NewClient(t.Context(), vault.ClientConfig{
		API:          cfg,
		Auth:         vault.AuthConfig{Method: vault.AuthAppRole, RoleID: roleID, SecretIDFile: writeFile(t, "secret-id", secretID)},
		Logger:       debugLogger(logs),
		MinRetryWait: 100 * time.Millisecond,
	})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	first := c.API().Token()
	proveAccess(t, c)

	// The recorder sees the login request before its answer installs the new token.
	require.Eventually(t, func() bool {
		return rec.count("/v1/auth/token/renew-self") >= 1 && rec.count("/v1/auth/approle/login") >= 2 && c.API().Token() != first
	}, 20*time.Second, 20*time.Millisecond, "renewed, then logged in again with a new token after the max TTL")
	proveAccess(t, c)
	assert.NotContains(t, logs.String(), secretID)
	assert.NotContains(t, logs.String(), c.API().Token())
}

// TestTokenFileRenewedThenReread: a renewable token from a file is renewed; when it
// reaches its max TTL the file is read again, so a rotated token (Vault Agent sink) is
// picked up.
func TestTokenFileRenewedThenReread(t *testing.T) {
	v := realservers.StartVault(t)
	v.CLI(t, "policy", "write", "kv", writeFile(t, "kv.hcl", kvPolicy))
	short := strings.TrimSpace(v.CLI(t, "token", "create", "-policy=kv", "-ttl=2s", "-explicit-max-ttl=4s", "-field=token"))
	file := writeFile(t, "token", short)

	cfg, rec := apiConfig(t, v)
	c, err := vault.NewClient(t.Context(), vault.ClientConfig{API: cfg, Auth: vault.AuthConfig{TokenFile: file}, MinRetryWait: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	proveAccess(t, c)
	require.Eventually(t, func() bool { return rec.count("/v1/auth/token/renew-self") >= 1 }, 10*time.Second, 20*time.Millisecond)

	rotated := strings.TrimSpace(v.CLI(t, "token", "create", "-policy=kv", "-ttl=1h", "-field=token"))
	require.NoError(t, writeFileAt(file, rotated))
	require.Eventually(t, func() bool { return c.API().Token() == rotated }, 20*time.Second, 20*time.Millisecond,
		"the rotated token file is read once the old token cannot be renewed")
	proveAccess(t, c)
}

// TestKubernetesLogin: the ServiceAccount token from the file reaches Vault's kubernetes
// auth method, which reviews it with the API server and issues a Vault token. The API
// server is a stand-in that answers the TokenReview (a real kube-apiserver harness was
// not available when this was written); Vault and its kubernetes auth method are real.
func TestKubernetesLogin(t *testing.T) {
	const ns, sa, uid = "apps", "appconnector", "0b5f6c1e-7d43-4a8e-9d3c-2f1e6a7b8c9d"
	jwt := serviceAccountJWT(t, ns, sa, uid)
	var reviews atomic.Int32
	apiserver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/apis/authentication.k8s.io/v1/tokenreviews" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		var review struct {
			Spec struct {
				Token     string   `json:"token"`
				Audiences []string `json:"audiences"`
			} `json:"spec"`
		}
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Spec.Token != jwt {
			http.Error(w, "unexpected token review", http.StatusBadRequest)
			return
		}
		reviews.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated) // what kube-apiserver answers to a create
		_ = json.NewEncoder(w).Encode(map[string]any{
			"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
			// Like kube-apiserver: the audiences asked for that the token is valid for.
			"status": map[string]any{"authenticated": true, "audiences": review.Spec.Audiences, "user": map[string]any{
				"username": "system:serviceaccount:" + ns + ":" + sa, "uid": uid, "groups": []string{"system:serviceaccounts"},
			}},
		})
	}))
	t.Cleanup(apiserver.Close)

	v := realservers.StartVault(t)
	v.CLI(t, "auth", "enable", "kubernetes")
	v.CLI(t, "policy", "write", "kv", writeFile(t, "kv.hcl", kvPolicy))
	v.CLI(t, "write", "auth/kubernetes/config", "kubernetes_host="+apiserver.URL, "disable_local_ca_jwt=true")
	v.CLI(t, "write", "auth/kubernetes/role/appconnector", "bound_service_account_names="+sa,
		"bound_service_account_namespaces="+ns, "token_policies=kv", "token_ttl=1h")

	cfg, rec := apiConfig(t, v)
	c, err := vault.NewClient(t.Context(), vault.ClientConfig{API: cfg, Auth: vault.AuthConfig{
		Method: vault.AuthKubernetes, Role: "appconnector", ServiceAccountTokenFile: writeFile(t, "sa-token", jwt),
	}})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	assert.Equal(t, 1, rec.count("/v1/auth/kubernetes/login"))
	assert.Equal(t, int32(1), reviews.Load())
	proveAccess(t, c)

	_, err = vault.NewClient(t.Context(), vault.ClientConfig{API: cfg, Auth: vault.AuthConfig{
		Method: vault.AuthKubernetes, Role: "missing-role", ServiceAccountTokenFile: writeFile(t, "sa-token", jwt),
	}})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), jwt)
}

// serviceAccountJWT makes a token shaped like a projected ServiceAccount token. Vault
// reads its claims; the signature is the stand-in API server's business.
func serviceAccountJWT(t *testing.T, ns, sa, uid string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	enc := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := time.Now().Unix()
	signing := enc(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "test"}) + "." + enc(map[string]any{
		"iss": "https://kubernetes.default.svc", "sub": "system:serviceaccount:" + ns + ":" + sa,
		"aud": []string{"https://kubernetes.default.svc"}, "iat": now, "nbf": now, "exp": now + 3600,
		"kubernetes.io": map[string]any{"namespace": ns, "serviceaccount": map[string]any{"name": sa, "uid": uid}},
	})
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	require.NoError(t, err)
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}
