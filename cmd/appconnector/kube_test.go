package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/internal/realservers"
)

func TestMain(m *testing.M) { componenttest.Main(m) }

// TestKubernetesMode: the all-in-one process on the API server keeps the same listeners
// and behaviour: what its management API writes lands in Kyma's objects, and its gateway
// routes it; the CA is the Secret --ca-secret.
func TestKubernetesMode(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	tokenFile := filepath.Join(t.TempDir(), "tok")
	require.NoError(t, os.WriteFile(tokenFile, []byte("a-token-of-enough-length\n"), 0o600))
	addrs, stop := startApp(t, append(componenttest.KubeArgs(t, k, ns), "--admin-token-file", tokenFile)...)
	defer stop()
	const token = "a-token-of-enough-length"
	api, gw := "http://"+addrs[serverAPI], "http://"+addrs[serverGateway]
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		_, _ = w.Write([]byte(r.URL.Path + " " + u + ":" + p))
	}))
	t.Cleanup(target.Close)

	code, body := do(t, http.MethodPut, api+"/v1/secrets/shop-basic", token, "apiVersion: v1\nkind: Secret\nmetadata: {name: shop-basic}\nstringData: {username: u, password: p}\n")
	require.Equal(t, http.StatusCreated, code, body)
	app := ns
	code, body = do(t, http.MethodPut, api+"/v1/applications/"+app, token, `apiVersion: applicationconnector.kyma-project.io/v1alpha1
kind: Application
metadata: {name: `+app+`}
spec:
  services:
  - {id: "1", name: orders, displayName: Orders, description: d, providerDisplayName: p,
     entries: [{type: API, targetUrl: "`+target.URL+`/api", credentials: {type: Basic, secretName: shop-basic}}]}
`)
	require.Equal(t, http.StatusCreated, code, body)
	defer do(t, http.MethodDelete, api+"/v1/applications/"+app, token, "") // before stop: Applications are cluster-wide
	require.Eventually(t, func() bool {
		code, body := do(t, http.MethodGet, gw+"/"+app+"/orders/x", "", "")
		return code == http.StatusOK && body == "/api/x u:p"
	}, time.Second, 5*time.Millisecond)

	sec, err := k.Client(t).CoreV1().Secrets(ns).Get(t.Context(), "appconnector-ca", metav1.GetOptions{})
	require.NoError(t, err)
	assert.NotEmpty(t, sec.Data["ca.crt"])
}
