package main

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/internal/realservers"
)

func TestMain(m *testing.M) { componenttest.Main(m) }

const token = "a-token-of-enough-length"

func tokenFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(p, []byte(token+"\n"), 0o600))
	return p
}

func TestHealthEndpoints(t *testing.T) {
	addrs := componenttest.Start(t, binary, "--data-dir", ":memory:", "--admin-token-file", tokenFile(t), "--api-addr", "127.0.0.1:0")
	componenttest.WaitHealthy(t, addrs[components.ServerAPI])
	code, _ := componenttest.Get(t, "http://"+addrs[components.ServerAPI]+"/v1/applications", "")
	assert.Equal(t, http.StatusUnauthorized, code, "the API keeps its bearer token")
}

func TestKubernetesModeNeedsATokenFile(t *testing.T) {
	_, err := parseConfig([]string{"--store", "kubernetes"}, func(string) string { return "" }, nil)
	assert.ErrorContains(t, err, "pass --admin-token-file")
}

// TestKubernetesMode: what the management API writes is Kyma's objects in the API server
// (an Application custom resource, a Secret in --namespace, the token as the adapter
// keeps it), and what client-go writes there the API serves within 1 s.
func TestKubernetesMode(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	ctx := t.Context()
	app := ns
	addrs := componenttest.Start(t, binary, append(componenttest.KubeArgs(t, k, ns), "--admin-token-file", tokenFile(t), "--api-addr", "127.0.0.1:0")...)
	api := "http://" + addrs[components.ServerAPI]
	componenttest.WaitHealthy(t, addrs[components.ServerAPI])
	dyn, err := dynamic.NewForConfig(k.Config())
	require.NoError(t, err)
	apps := dyn.Resource(kubernetes.ApplicationGVR)
	t.Cleanup(func() { _ = apps.Delete(t.Context(), app, metav1.DeleteOptions{}) })

	code, body := componenttest.Do(t, http.MethodPut, api+"/v1/secrets/shop-basic", token,
		"apiVersion: v1\nkind: Secret\nmetadata: {name: shop-basic}\nstringData: {username: u, password: p}\n")
	require.Equal(t, http.StatusCreated, code, body)
	sec, err := k.Client(t).CoreV1().Secrets(ns).Get(ctx, "shop-basic", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "p", string(sec.Data["password"]), "a Kyma-format Secret in --namespace")

	code, body = componenttest.Do(t, http.MethodPut, api+"/v1/applications/"+app, token, `apiVersion: applicationconnector.kyma-project.io/v1alpha1
kind: Application
metadata: {name: `+app+`}
spec:
  description: shop
  services:
  - {id: "1", name: orders, displayName: Orders, description: d, providerDisplayName: p,
     entries: [{type: API, targetUrl: "http://127.0.0.1:1/api", credentials: {type: Basic, secretName: shop-basic}}]}
`)
	require.Equal(t, http.StatusCreated, code, body)
	cr, err := apps.Get(ctx, app, metav1.GetOptions{})
	require.NoError(t, err)
	services, _, err := unstructured.NestedSlice(cr.Object, "spec", "services")
	require.NoError(t, err)
	require.Len(t, services, 1)

	code, body = componenttest.Do(t, http.MethodPost, api+"/v1/applications/"+app+"/tokens", token, "")
	require.Equal(t, http.StatusCreated, code, body)
	cms, err := k.Client(t).CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.KindLabel})
	require.NoError(t, err)
	assert.Len(t, cms.Items, 1, "the one-time token is kept in the API server, for any connector replica")

	// Written with client-go, served by the API within 1 s.
	cr.SetName(app + "-kubectl")
	cr.SetResourceVersion("")
	cr.SetUID("")
	_, err = apps.Create(ctx, cr, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = apps.Delete(t.Context(), app+"-kubectl", metav1.DeleteOptions{}) })
	require.Eventually(t, func() bool {
		code, _ := componenttest.Get(t, api+"/v1/applications/"+app+"-kubectl", token)
		return code == http.StatusOK
	}, time.Second, 5*time.Millisecond)
}
