package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/ca"
	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/internal/realservers"
)

func TestMain(m *testing.M) { componenttest.Main(m) }

func TestHealthEndpoints(t *testing.T) {
	addrs := componenttest.Start(t, binary, "--data-dir", ":memory:", "--validator-addr", "127.0.0.1:0", "--health-addr", "127.0.0.1:0")
	componenttest.WaitHealthy(t, addrs[components.ServerHealth])
	assert.Contains(t, addrs, components.ServerValidator)
}

const legacyEvent = `{"event-type":"order.created","event-type-version":"v1","event-time":"2024-05-06T07:08:09Z","data":{"orderId":"42"}}`

// TestKubernetesMode: with the Application and the CA in the API server (as the
// connector leaves them), an event whose certificate the ingress forwards in XFCC is
// forwarded to --eventing-url; a revocation another replica writes through the API
// server is refused within 1 s. Without the CA Secret the validator does not start.
func TestKubernetesMode(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	ctx := t.Context()
	app := ns
	kube := append(componenttest.KubeArgs(t, k, ns), "--validator-addr", "127.0.0.1:0", "--health-addr", "127.0.0.1:0", "--trust-xfcc")

	err := binary.Run(ctx, kube, func(string) string { return "" }, io.Discard, nil)
	assert.ErrorContains(t, err, "does not exist yet: the connector creates it")

	componenttest.CreateApplication(t, k, app, map[string]any{"description": "d", "services": []any{}})
	certPEM, keyPEM, err := kubernetes.LoadOrCreateCA(ctx, k.Config(), ns, "appconnector-ca", nil)
	require.NoError(t, err)
	signer, err := ca.FromPEM(certPEM, keyPEM, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	issued, err := signer.Sign(ctx, certificate.Request{PublicKey: &key.PublicKey, Subject: certificate.DefaultSubject.ForApplication(app),
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	id := certificate.IdentityOf(issued.Certificate)

	var mu sync.Mutex
	var received []string
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, r.Header.Get("Ce-Type")+" "+string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(sink.Close)

	addrs := componenttest.Start(t, binary, append(kube, "--eventing-url", sink.URL)...)
	componenttest.WaitHealthy(t, addrs[components.ServerHealth])
	send := func() int {
		req, err := http.NewRequest(http.MethodPost, "http://"+addrs[components.ServerValidator]+"/"+app+"/v1/events", strings.NewReader(legacyEvent))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-Client-Cert", `Hash=`+id.Fingerprint.String()+`;Subject="`+issued.Certificate.Subject.String()+`"`)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, send())
	mu.Lock()
	require.Len(t, received, 1)
	// Kyma's event type: prefix, Application name without dashes, legacy type and version.
	assert.Contains(t, received[0], "sap.kyma.custom."+strings.ReplaceAll(app, "-", "")+".order.created.v1")
	assert.Contains(t, received[0], `"orderId":"42"`)
	mu.Unlock()

	revocations, err := kubernetes.NewRevocationList(ctx, k.Config(), ns, nil)
	require.NoError(t, err)
	defer revocations.Close()
	require.NoError(t, revocations.Revoke(ctx, id.Fingerprint, issued.Certificate.NotAfter))
	require.Eventually(t, func() bool { return send() == http.StatusForbidden }, time.Second, 5*time.Millisecond,
		"a revocation written through the API server must be honoured within 1 s")
}
