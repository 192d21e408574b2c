package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/internal/compassdouble"
	"github.com/appconnector/appconnector/internal/realservers"
	"github.com/appconnector/appconnector/internal/testutil"
)

// leadsMessage is what AddAgent logs, with the replica's identity, when it wins the Lease.
const leadsMessage = "runtime agent leads: it syncs with Compass"

// syncBuffer is the stderr of an in-process binary: written by its goroutines while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records are the JSON log records written so far.
func (b *syncBuffer) records() []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(b.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil {
			out = append(out, rec)
		}
	}
	return out
}

// leaderIdentity is the identity the agent logged when it started leading, or "".
func (b *syncBuffer) leaderIdentity() string {
	for _, rec := range b.records() {
		if rec["msg"] == leadsMessage {
			id, _ := rec["identity"].(string)
			return id
		}
	}
	return ""
}

// agentProc is one runtime-agent run in this process, stoppable in the middle of a test
// (componenttest.Start stops only at the end).
type agentProc struct {
	name   string
	log    *syncBuffer
	addrs  map[string]string
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// startAgent runs the binary with args until stop or the end of the test, and returns
// once it listens.
func startAgent(t *testing.T, name string, args ...string) *agentProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a := &agentProc{name: name, log: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	addrs := make(chan map[string]string, 1)
	go func() {
		a.done <- binary.Run(ctx, args, func(string) string { return "" }, a.log, func(m map[string]string) { addrs <- m })
	}()
	t.Cleanup(func() { a.stop(t) })
	select {
	case a.addrs = <-addrs:
		return a
	case err := <-a.done:
		a.done <- err // stop reads it again
		t.Fatalf("%s stopped before listening: %v\n%s", name, err, a.log)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not listen within 30 s\n%s", name, a.log)
	}
	return nil
}

// stop cancels the agent and waits for Run to return; Run's error fails the test.
func (a *agentProc) stop(t *testing.T) {
	t.Helper()
	a.once.Do(func() {
		a.cancel()
		select {
		case a.err = <-a.done:
			if a.err != nil {
				t.Errorf("%s stopped with %v", a.name, a.err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not stop within 30 s", a.name)
		}
	})
}

// eventually polls cond every 10 ms until it holds or timeout passes; msg and the
// last state describe the failure.
func eventually(t *testing.T, timeout time.Duration, cond func() (bool, string), msg string) {
	t.Helper()
	testutil.Eventually(t, timeout, msg, cond)
}

// newDouble starts a Compass double with one runtime until the test ends.
func newDouble(t *testing.T, runtimeID, tenant string) *compassdouble.Double {
	t.Helper()
	d, err := compassdouble.New(compassdouble.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	d.AddRuntime(runtimeID, "runtime "+runtimeID, tenant)
	return d
}

// writeCA writes the double's CA for --compass-ca.
func writeCA(t *testing.T, d *compassdouble.Double) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "compass-ca.pem")
	require.NoError(t, os.WriteFile(p, d.CACertPEM(), 0o600))
	return p
}

// putConfigSecret creates or replaces the agent's configuration Secret in ns, as a user
// would with kubectl apply.
func putConfigSecret(t *testing.T, k *realservers.Kube, ns string, d *compassdouble.Double, runtimeID, tenant, token string) {
	t.Helper()
	secrets := k.Client(t).CoreV1().Secrets(ns)
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "compass-agent-configuration"}, StringData: map[string]string{
		compass.ConfigKeyConnectorURL: d.ConnectorURL(), compass.ConfigKeyToken: token,
		compass.ConfigKeyRuntimeID: runtimeID, compass.ConfigKeyTenant: tenant,
	}}
	_, err := secrets.Create(t.Context(), s, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		_, err = secrets.Update(t.Context(), s, metav1.UpdateOptions{})
	}
	require.NoError(t, err)
}

// connections is the dynamic client of the cluster-scoped CompassConnection.
func connections(t *testing.T, k *realservers.Kube) dynamic.ResourceInterface {
	t.Helper()
	dyn, err := dynamic.NewForConfig(k.Config())
	require.NoError(t, err)
	return dyn.Resource(kubernetes.CompassConnectionGVR)
}

// applications is the dynamic client of Kyma's cluster-scoped Application.
func applications(t *testing.T, k *realservers.Kube) dynamic.ResourceInterface {
	t.Helper()
	dyn, err := dynamic.NewForConfig(k.Config())
	require.NoError(t, err)
	return dyn.Resource(kubernetes.ApplicationGVR)
}

// isolateCluster removes the cluster-scoped objects an agent leaves (the one
// CompassConnection, the Applications it manages) before the test and again after it,
// since the tests of this package share one API server. Register it before starting
// agents, so that the cleanup runs after they stopped.
func isolateCluster(t *testing.T, k *realservers.Kube) {
	t.Helper()
	conns, apps := connections(t, k), applications(t, k)
	clean := func(ctx context.Context) error {
		if err := conns.Delete(ctx, compass.ConnectionName, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		return apps.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{
			LabelSelector: compass.LabelManagedBy + "=" + compass.ManagedByRuntimeAgent})
	}
	require.NoError(t, clean(t.Context()))
	t.Cleanup(func() {
		if err := clean(context.Background()); err != nil {
			t.Errorf("cleaning up the cluster: %v", err)
		}
	})
}

// getConnection is the CompassConnection, or nil when there is none.
func getConnection(t *testing.T, conns dynamic.ResourceInterface) *unstructured.Unstructured {
	t.Helper()
	u, err := conns.Get(t.Context(), compass.ConnectionName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	require.NoError(t, err)
	return u
}

// connectionState is status.connectionState, or "" without a connection.
func connectionState(t *testing.T, conns dynamic.ResourceInterface) string {
	t.Helper()
	u := getConnection(t, conns)
	if u == nil {
		return ""
	}
	s, _, _ := unstructured.NestedString(u.Object, "status", "connectionState")
	return s
}

// waitState waits until the CompassConnection is in state.
func waitState(t *testing.T, conns dynamic.ResourceInterface, state string, timeout time.Duration) *unstructured.Unstructured {
	t.Helper()
	var last *unstructured.Unstructured
	eventually(t, timeout, func() (bool, string) {
		last = getConnection(t, conns)
		if last == nil {
			return false, "no CompassConnection"
		}
		s, _, _ := unstructured.NestedString(last.Object, "status", "connectionState")
		b, _ := json.Marshal(last.Object["status"])
		return s == state, string(b)
	}, "the CompassConnection must reach "+state)
	return last
}

// directorUserAgents are the User-Agent headers of the Director requests the double
// received, oldest first.
func directorUserAgents(d *compassdouble.Double) []string {
	var out []string
	for _, r := range d.Requests() {
		if r.Path == compassdouble.DirectorPath {
			out = append(out, r.Header.Get("User-Agent"))
		}
	}
	return out
}

func userAgentOf(identity string) string { return "appconnector-runtime-agent (" + identity + ")" }

// buildBinaries builds the named cmd/ binaries into a temporary directory, in the
// background: the test goes on pairing while the linker works. wait returns their paths.
func buildBinaries(t *testing.T, names ...string) (wait func() map[string]string) {
	t.Helper()
	dir := t.TempDir()
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		args := []string{"build", "-o", dir + string(os.PathSeparator)}
		for _, n := range names {
			args = append(args, "../"+n)
		}
		out, err := exec.Command("go", args...).CombinedOutput()
		done <- result{out, err}
	}()
	var once sync.Once
	var paths map[string]string
	return func() map[string]string {
		t.Helper()
		once.Do(func() {
			r := <-done
			require.NoError(t, r.err, "go build %v: %s", names, r.out)
			paths = map[string]string{}
			for _, n := range names {
				paths[n] = filepath.Join(dir, n)
			}
		})
		require.NotNil(t, paths, "the build failed")
		return paths
	}
}

// subprocess is a binary started as its own process until the test ends.
type subprocess struct {
	name   string
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan error
}

// startProcess runs bin with args and waits until healthAddr answers 200 on /readyz.
func startProcess(t *testing.T, bin, healthAddr string, args ...string) *subprocess {
	t.Helper()
	p := &subprocess{name: filepath.Base(bin), cmd: exec.Command(bin, args...), stderr: &syncBuffer{}, exited: make(chan error, 1)}
	// Only what the binary needs: no APPCONNECTOR_* of the developer's shell.
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	p.cmd.Stderr = p.stderr
	require.NoError(t, p.cmd.Start())
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	hc := &http.Client{Timeout: time.Second}
	eventually(t, 30*time.Second, func() (bool, string) {
		select {
		case err := <-p.exited:
			p.exited <- err
			t.Fatalf("%s exited before ready: %v\n%s", p.name, err, p.stderr)
		default:
		}
		resp, err := hc.Get("http://" + healthAddr + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	}, p.name+" must become ready")
	return p
}

// nestedString reads a string field of an unstructured object, "" when missing.
func nestedString(obj map[string]any, fields ...string) string {
	s, _, _ := unstructured.NestedString(obj, fields...)
	return s
}
