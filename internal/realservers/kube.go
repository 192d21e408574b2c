package realservers

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// kubeStartTimeout bounds etcd plus kube-apiserver plus the CRDs becoming usable; on
// 2 busy cores the apiserver alone has needed ~2.5 s, so this is generous on purpose.
const kubeStartTimeout = 90 * time.Second

// Kube is a running etcd and kube-apiserver on loopback, with RBAC on and the CRDs of
// deployments/crds applied.
type Kube struct {
	// URL of the API server (https://127.0.0.1:port).
	URL string

	dir        string
	adminToken string
	caData     []byte
	etcd       *process
	apiserver  *process
}

var (
	kubeOnce sync.Once
	kubeInst *Kube
	kubeErr  error
)

// KubeAPIServer returns the test binary's API server, starting it on first use: one per
// test package, shared by its tests, which therefore must not assume an empty cluster
// (use a fresh namespace, or clean up what they create). The package's TestMain must
// call StopKube after m.Run; the servers also die with the test binary if it does not.
func KubeAPIServer(t testing.TB) *Kube {
	t.Helper()
	kubeOnce.Do(func() {
		etcdBin, err := binaryFromEnv("etcd", "APPCONNECTOR_ETCD")
		if err != nil {
			kubeErr = err
			return
		}
		apiBin, err := binaryFromEnv("kube-apiserver", "APPCONNECTOR_KUBE_APISERVER")
		if err != nil {
			kubeErr = err
			return
		}
		kubeInst, kubeErr = startKube(etcdBin, apiBin)
	})
	if kubeErr != nil {
		t.Fatalf("real kube-apiserver is needed and could not be started: %v", kubeErr)
	}
	return kubeInst
}

// binaryFromEnv uses the binary the environment variable names, as hack/realservers.sh
// does, without running the script: it holds one machine-wide lock while it builds
// anything, so a Vault build in progress would otherwise hold up every Kubernetes test.
func binaryFromEnv(name, env string) (string, error) {
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s names %s: %w", env, name, err)
		}
		return p, nil
	}
	return binary(name)
}

// StopKube stops the API server and etcd started by KubeAPIServer, if any, and removes
// their files. Call it from TestMain after m.Run.
func StopKube() {
	if kubeInst != nil {
		kubeInst.stop()
	}
}

// Config returns a new admin (system:masters) client configuration. Rate limiting is
// raised far above client-go's default of 5 requests per second, which would make the
// conformance suites (hundreds of writes) take minutes.
func (k *Kube) Config() *rest.Config {
	return k.ConfigForToken(k.adminToken)
}

// ConfigForToken returns a client configuration that authenticates with a bearer token,
// e.g. one from ServiceAccountToken.
func (k *Kube) ConfigForToken(token string) *rest.Config {
	return &rest.Config{
		Host:            k.URL,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: bytes.Clone(k.caData)},
		QPS:             1000,
		Burst:           2000,
		Timeout:         30 * time.Second,
	}
}

// Client returns an admin clientset.
func (k *Kube) Client(t testing.TB) kubernetes.Interface {
	t.Helper()
	c, err := kubernetes.NewForConfig(k.Config())
	if err != nil {
		t.Fatalf("kubernetes client: %v", err)
	}
	return c
}

// Namespace creates a namespace with a name unique in this cluster and deletes it when
// t ends.
func (k *Kube) Namespace(t testing.TB) string {
	t.Helper()
	c := k.Client(t)
	ns, err := c.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() {
		// Without a controller manager the namespace stays Terminating; that is
		// harmless, its objects are gone from every watch once deleted below.
		_ = c.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
	})
	return ns.Name
}

// ServiceAccountToken creates the ServiceAccount namespace/name if it does not exist
// and returns a token for it from the TokenRequest API (what `kubectl create token`
// does), valid for an hour. Use it with ConfigForToken to prove that a Role suffices.
func (k *Kube) ServiceAccountToken(t testing.TB, namespace, name string) string {
	t.Helper()
	ctx := context.Background()
	c := k.Client(t)
	_, err := c.CoreV1().ServiceAccounts(namespace).Create(ctx, &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create service account %s/%s: %v", namespace, name, err)
	}
	hour := int64(3600)
	tr, err := c.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &hour},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for service account %s/%s: %v", namespace, name, err)
	}
	return tr.Status.Token
}

func startKube(etcdBin, apiBin string) (k *Kube, err error) {
	dir, err := os.MkdirTemp("", "realservers-kube-")
	if err != nil {
		return nil, err
	}
	k = &Kube{dir: dir}
	defer func() {
		if err != nil {
			k.stop()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), kubeStartTimeout)
	defer cancel()

	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	clientURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	k.etcd, err = startProcess(filepath.Join(dir, "etcd.log"), etcdBin,
		"--name=default",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL,
		"--unsafe-no-fsync",
		"--log-level=warn",
	)
	if err != nil {
		return nil, err
	}
	if err := waitFor(ctx, k.etcd, "etcd /health", func() bool {
		return httpOK(ctx, http.DefaultClient, clientURL+"/health", "")
	}); err != nil {
		return nil, err
	}

	tokenBytes := make([]byte, 24)
	if _, err := rand.Read(tokenBytes); err != nil {
		return nil, err
	}
	k.adminToken = hex.EncodeToString(tokenBytes)
	tokenFile := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokenFile, []byte(k.adminToken+`,admin,admin-uid,"system:masters"`+"\n"), 0o600); err != nil {
		return nil, err
	}
	saKey, saPub, err := writeServiceAccountKeys(dir)
	if err != nil {
		return nil, err
	}
	certDir := filepath.Join(dir, "certs")
	k.URL = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	k.apiserver, err = startProcess(filepath.Join(dir, "kube-apiserver.log"), apiBin,
		"--etcd-servers="+clientURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// The endpoint reconciler refuses a loopback advertise address.
		"--endpoint-reconciler-type=none",
		"--secure-port="+strconv.Itoa(ports[2]),
		"--cert-dir="+certDir,
		"--token-auth-file="+tokenFile,
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+saPub,
		"--service-account-signing-key-file="+saKey,
		"--v=0",
	)
	if err != nil {
		return nil, err
	}
	// The self-signed serving bundle appears in cert-dir before the port opens; the
	// probe verifies TLS against it, as every client will.
	if err := waitFor(ctx, k.apiserver, "kube-apiserver /readyz", func() bool {
		if k.caData == nil {
			if k.caData, err = servingCA(certDir); err != nil {
				return false
			}
		}
		c, err := rest.HTTPClientFor(k.Config())
		if err != nil {
			return false
		}
		defer c.CloseIdleConnections()
		return httpOK(ctx, c, k.URL+"/readyz", "")
	}); err != nil {
		return nil, err
	}
	if err := k.applyCRDs(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *Kube) stop() {
	// The API server first, so that it does not log etcd errors while going down.
	for _, p := range []*process{k.apiserver, k.etcd} {
		if p != nil {
			p.stop()
		}
	}
	if k.dir != "" {
		_ = os.RemoveAll(k.dir)
	}
}

// servingCA returns the certificates of the self-signed serving bundle the API server
// wrote, so that clients verify TLS instead of skipping verification.
func servingCA(certDir string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(certDir, "apiserver.crt"))
	if err != nil {
		return nil, fmt.Errorf("kube-apiserver serving certificate: %w", err)
	}
	if !bytes.Contains(b, []byte("-----END CERTIFICATE-----")) {
		return nil, errors.New("kube-apiserver serving certificate not completely written yet")
	}
	return b, nil
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// applyCRDs creates every CRD of deployments/crds and waits until each is Established
// and its resource answers a list, so tests can use it at once.
func (k *Kube) applyCRDs(ctx context.Context) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(root, "deployments", "crds", "*.yaml"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("no CRD in deployments/crds")
	}
	dyn, err := dynamic.NewForConfig(k.Config())
	if err != nil {
		return err
	}
	disco, err := discovery.NewDiscoveryClientForConfig(k.Config())
	if err != nil {
		return err
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var obj map[string]any
		if err := yaml.Unmarshal(raw, &obj); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		crd := &unstructured.Unstructured{Object: obj}
		if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create CRD from %s: %w", f, err)
		}
		group, _, _ := unstructured.NestedString(obj, "spec", "group")
		plural, _, _ := unstructured.NestedString(obj, "spec", "names", "plural")
		versions, _, _ := unstructured.NestedSlice(obj, "spec", "versions")
		if len(versions) == 0 {
			return fmt.Errorf("%s: no versions", f)
		}
		version, _, _ := unstructured.NestedString(versions[0].(map[string]any), "name")
		gvr := schema.GroupVersionResource{Group: group, Version: version, Resource: plural}
		// Served for requests is not yet served in discovery, which the API server updates
		// on its own schedule; RESTMapper-based clients (helm, kubectl) need both.
		if err := waitFor(ctx, k.apiserver, "CRD "+crd.GetName()+" served", func() bool {
			if _, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
				return false
			}
			_, err := disco.ServerResourcesForGroupVersion(gvr.GroupVersion().String())
			return err == nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func writeServiceAccountKeys(dir string) (keyFile, pubFile string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	keyFile, pubFile = filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600); err != nil {
		return "", "", err
	}
	return keyFile, pubFile, nil
}

// freePorts reserves n loopback ports by listening on them together, so that they are
// distinct, then releases them for the servers to bind.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func httpOK(ctx context.Context, c *http.Client, url, token string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// waitFor polls cond until it holds, the process exits, or ctx ends.
func waitFor(ctx context.Context, p *process, what string, cond func() bool) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s: %s exited (%v) while waiting; log tail:\n%s", what, filepath.Base(p.cmd.Path), p.err, p.logTail())
		case <-ctx.Done():
			return fmt.Errorf("%s: not ready after %s; log tail:\n%s", what, kubeStartTimeout, p.logTail())
		case <-tick.C:
		}
	}
}

type process struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	err     error
}

func startProcess(logPath, bin string, args ...string) (*process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// A test binary killed by go test's timeout never runs StopKube; the kernel then
	// kills the servers instead of leaving them running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.exited)
	}()
	return p, nil
}

func (p *process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func (p *process) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	return tail(strings.TrimSpace(string(b)), 4000)
}
