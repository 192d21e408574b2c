package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/internal/realservers"
)

// scaleLabel marks the scale test's Applications, which are cluster-wide, so that they
// are removed together.
const scaleLabel = "appconnector.io/scale-test"

// TestScaleTimeToReadyAndMemory measures the real application-gateway binary (go build,
// run as its own process) in Kubernetes mode with 10,000 Applications, each with one
// service whose Basic credentials are one of 10,000 Secrets: the time from start until
// /readyz answers 200, and its resident memory (VmRSS) then. docs/performance.md has the
// figures. It takes a few minutes, so it runs only with APPCONNECTOR_SCALE_TEST=1
// (APPCONNECTOR_SCALE_N changes the number).
func TestScaleTimeToReadyAndMemory(t *testing.T) {
	if os.Getenv("APPCONNECTOR_SCALE_TEST") != "1" {
		t.Skip("the scale test runs with APPCONNECTOR_SCALE_TEST=1 (a few minutes: 20,000 objects in the API server)")
	}
	n := 10000
	if s := os.Getenv("APPCONNECTOR_SCALE_N"); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(t, err, "APPCONNECTOR_SCALE_N")
	}
	bin := filepath.Join(t.TempDir(), "application-gateway")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _, _ := r.BasicAuth()
		_, _ = w.Write([]byte(u))
	}))
	t.Cleanup(target.Close)
	createScaleObjects(t, k, ns, n, target.URL)

	gwAddr, healthAddr := componenttest.FreeAddr(t), componenttest.FreeAddr(t)
	args := []string{"--store", "kubernetes", "--kubeconfig", componenttest.Kubeconfig(t, k.Config()), "--namespace", ns,
		"--gateway-addr", gwAddr, "--gateway-compass-addr", componenttest.FreeAddr(t), "--health-addr", healthAddr, "--log-level", "warn"}
	if help, _ := exec.Command(bin, "-h").CombinedOutput(); bytes.Contains(help, []byte("-metrics-addr")) {
		args = append(args, "--metrics-addr", "") // its default port may be taken by another test
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	start := time.Now()
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	hc := &http.Client{Timeout: time.Second}
	for {
		resp, err := hc.Get("http://" + healthAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("application-gateway exited before ready: %v\n%s", err, stderr.String())
		default:
		}
		require.Less(t, time.Since(start), 5*time.Minute, "not ready within 5 minutes:\n%s", stderr.String())
		time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
	}
	ready := time.Since(start)
	rssReady, hwmReady := memoryOf(t, cmd.Process.Pid)

	// Ready means routed: every Application, with its own Secret's credentials.
	for _, i := range []int{0, n / 2, n - 1} {
		resp, err := hc.Get(fmt.Sprintf("http://%s/scale-%d/orders/x", gwAddr, i))
		require.NoError(t, err)
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		resp.Body.Close()
		require.Equal(t, fmt.Sprintf("200 user-%d", i), fmt.Sprint(resp.StatusCode, " ", body.String()))
	}
	for i := range 1000 {
		resp, err := hc.Get(fmt.Sprintf("http://%s/scale-%d/orders/x", gwAddr, (i*7919)%n))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	rssServing, hwmServing := memoryOf(t, cmd.Process.Pid)
	t.Logf("%d Applications and %d Secrets: ready after %v; VmRSS %d MiB at ready (peak %d MiB), %d MiB after 1,000 requests (peak %d MiB)",
		n, n, ready.Round(time.Millisecond), rssReady>>10, hwmReady>>10, rssServing>>10, hwmServing>>10)
}

// createScaleObjects creates n Secrets in ns and n Applications through the API server,
// concurrently, as kubectl apply of many files would.
func createScaleObjects(t *testing.T, k *realservers.Kube, ns string, n int, targetURL string) {
	t.Helper()
	ctx := t.Context()
	secrets := k.Client(t).CoreV1().Secrets(ns)
	dyn, err := dynamic.NewForConfig(k.Config())
	require.NoError(t, err)
	apps := dyn.Resource(kubernetes.ApplicationGVR)
	t.Cleanup(func() {
		_ = apps.DeleteCollection(context.Background(), metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: scaleLabel})
	})
	begin := time.Now()
	const workers = 32
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				err := createScaleObject(ctx, secrets, apps, i, targetURL)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, firstErr)
	t.Logf("created %d Secrets and %d Applications in %v", n, n, time.Since(begin).Round(time.Millisecond))
}

func createScaleObject(ctx context.Context, secrets interface {
	Create(context.Context, *corev1.Secret, metav1.CreateOptions) (*corev1.Secret, error)
}, apps dynamic.ResourceInterface, i int, targetURL string) error {
	name := fmt.Sprintf("scale-%d", i)
	if _, err := secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name},
		Data: map[string][]byte{"username": []byte(fmt.Sprintf("user-%d", i)), "password": []byte("a-password-of-some-length")}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create secret %s: %w", name, err)
	}
	_, err := apps.Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "applicationconnector.kyma-project.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": name, "labels": map[string]any{scaleLabel: "true"}},
		"spec": map[string]any{"description": "scale test " + name, "services": []any{map[string]any{
			"id": fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), "name": "orders", "displayName": "Orders", "description": "the orders API",
			"providerDisplayName": "shop", "entries": []any{map[string]any{"type": "API", "targetUrl": targetURL + "/api/" + name,
				"credentials": map[string]any{"type": "Basic", "secretName": name}}},
		}}},
	}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create application %s: %w", name, err)
	}
	return nil
}

// memoryOf reads VmRSS and VmHWM (peak RSS), in KiB, from /proc/<pid>/status.
func memoryOf(t *testing.T, pid int) (rss, hwm int64) {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = v
		case "VmHWM:":
			hwm = v
		}
	}
	require.Positive(t, rss, "VmRSS in /proc/%d/status", pid)
	return rss, hwm
}
