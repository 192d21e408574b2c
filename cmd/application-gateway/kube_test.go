package main

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/internal/realservers"
)

func TestMain(m *testing.M) { componenttest.Main(m) }

func TestHealthEndpoints(t *testing.T) {
	addrs := componenttest.Start(t, binary, "--data-dir", ":memory:", "--gateway-addr", "127.0.0.1:0",
		"--gateway-compass-addr", "127.0.0.1:0", "--health-addr", "127.0.0.1:0")
	componenttest.WaitHealthy(t, addrs[components.ServerHealth])
}

// TestKubernetesModeServesKymaObjects is the Kyma drop-in: an Application custom
// resource and a Kyma-format Secret created through the API server with client-go, not
// through appconnector, and the gateway injects the credentials; changes and deletions
// made there take effect within 1 s.
func TestKubernetesModeServesKymaObjects(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	ctx := t.Context()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.URL.Path+" "+r.Header.Get("Authorization"))
	}))
	t.Cleanup(target.Close)

	secrets := k.Client(t).CoreV1().Secrets(ns)
	_, err := secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "shop-basic"},
		Data: map[string][]byte{"username": []byte("u"), "password": []byte("p")}}, metav1.CreateOptions{})
	require.NoError(t, err)
	app := ns
	apps := componenttest.CreateApplication(t, k, app, map[string]any{"description": "shop", "services": []any{map[string]any{
		"id": "1", "name": "orders", "displayName": "Orders", "description": "d", "providerDisplayName": "p",
		"entries": []any{map[string]any{"type": "API", "targetUrl": target.URL + "/api",
			"credentials": map[string]any{"type": "Basic", "secretName": "shop-basic"}}},
	}}})

	addrs := componenttest.Start(t, binary, append(componenttest.KubeArgs(t, k, ns),
		"--gateway-addr", "127.0.0.1:0", "--gateway-compass-addr", "127.0.0.1:0", "--health-addr", "127.0.0.1:0")...)
	componenttest.WaitHealthy(t, addrs[components.ServerHealth])
	get := func() string {
		code, body := componenttest.Get(t, "http://"+addrs[components.ServerGateway]+"/"+app+"/orders/items", "")
		return strconv.Itoa(code) + " " + body
	}
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	assert.Equal(t, "200 /api/items "+basic("u", "p"), get(), "ready means the route table holds what the API server had")

	_, err = secrets.Update(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "shop-basic"},
		Data: map[string][]byte{"username": []byte("u2"), "password": []byte("p2")}}, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return get() == "200 /api/items "+basic("u2", "p2") }, time.Second, 5*time.Millisecond,
		"a Secret changed through the API server must be used within 1 s")

	require.NoError(t, apps.Delete(ctx, app, metav1.DeleteOptions{}))
	require.Eventually(t, func() bool { return get()[:4] == "404 " }, time.Second, 5*time.Millisecond,
		"an Application deleted through the API server must give 404 within 1 s")
}
