// Package componenttest starts a serving binary in-process for its tests, on loopback
// ports, and probes it.
package componenttest

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/internal/realservers"
)

// Start runs b with args until the test ends and returns its bound addresses by server
// name. getenv is empty: tests pass everything as flags. The metrics listener is off
// unless args set --metrics-addr (its default port would collide between tests).
func Start[C components.Config](t *testing.T, b components.Binary[C], args ...string) map[string]string {
	t.Helper()
	return StartLogging(t, b, io.Discard, args...)
}

// StartLogging is Start with the binary's log written to stderr.
func StartLogging[C components.Config](t *testing.T, b components.Binary[C], stderr io.Writer, args ...string) map[string]string {
	t.Helper()
	args = append([]string{"--metrics-addr="}, args...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	addrs := make(chan map[string]string, 1)
	go func() {
		done <- b.Run(ctx, args, func(string) string { return "" }, stderr, func(a map[string]string) { addrs <- a })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s stopped with %v", b.Name, err)
		}
	})
	select {
	case a := <-addrs:
		return a
	case err := <-done:
		done <- nil // the cleanup reads it again
		t.Fatalf("%s stopped before listening: %v", b.Name, err)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not listen within 30 s", b.Name)
	}
	return nil
}

// Get answers the status code and body of GET url (with a bearer token when not empty).
func Get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	return Do(t, http.MethodGet, url, token, "")
}

// Do sends a request with a YAML body (when not empty) and a bearer token (when not
// empty) and answers the status code and body; a transport error is code 0.
func Do(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/yaml")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// WaitHealthy waits until addr answers 200 on /healthz and /readyz.
func WaitHealthy(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range []string{"/healthz", "/readyz"} {
		for {
			code, body := Get(t, "http://"+addr+p, "")
			if code == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s%s: %d %s", addr, p, code, body)
			}
			time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
		}
	}
}

// Kubeconfig writes cfg (server, CA, bearer token) as a kubeconfig file, as a binary
// started with --kubeconfig reads it, and returns its path.
func Kubeconfig(t *testing.T, cfg *rest.Config) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["c"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	kc.CurrentContext = "c"
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// FreeAddr returns a loopback address that was free a moment ago, for a listener whose
// URL must be known before it starts (the connector announces its own URLs).
func FreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Main runs a binary's tests and stops the API server they shared, if one was started.
// Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	realservers.StopKube()
	os.Exit(code)
}

// KubeArgs are the flags that put a binary on k in Kubernetes mode, with namespace ns.
func KubeArgs(t *testing.T, k *realservers.Kube, ns string) []string {
	t.Helper()
	return []string{"--store", "kubernetes", "--kubeconfig", Kubeconfig(t, k.Config()), "--namespace", ns}
}

// CreateApplication creates the Application custom resource name with spec through the
// API server, as kubectl would, and deletes it when the test ends (Applications are
// cluster-scoped, so tests keep apart by name).
func CreateApplication(t *testing.T, k *realservers.Kube, name string, spec map[string]any) dynamic.ResourceInterface {
	t.Helper()
	dyn, err := dynamic.NewForConfig(k.Config())
	if err != nil {
		t.Fatal(err)
	}
	apps := dyn.Resource(kubernetes.ApplicationGVR)
	_, err = apps.Create(t.Context(), &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "applicationconnector.kyma-project.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": name}, "spec": spec,
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create application %s: %v", name, err)
	}
	t.Cleanup(func() { _ = apps.Delete(context.Background(), name, metav1.DeleteOptions{}) })
	return apps
}
