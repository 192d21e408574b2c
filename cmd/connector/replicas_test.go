package main

import (
	"crypto/rand"
	"crypto/tls"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appconnector/appconnector/adapters/connectorapi/client"
	"github.com/appconnector/appconnector/adapters/connectorapi/schema"
	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/internal/realservers"
)

// TestTwoReplicas: two connector replicas on one API server, as two Pods of the
// Deployment. The next token one replica issues with the signing-request info is
// redeemed exactly once by 16 concurrent certificate requests split across both; the
// certificate revoked through one is refused by the other within 1 s.
func TestTwoReplicas(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	ctx := t.Context()
	app := ns
	cr, err := componenttest.CreateApplication(t, k, app, map[string]any{"description": "d", "services": []any{}}).Get(ctx, app, metav1.GetOptions{})
	require.NoError(t, err)
	tokens, err := kubernetes.NewTokenStore(k.Config(), ns)
	require.NoError(t, err)
	secret, tok, err := pairing.New(rand.Reader, app, time.Now(), time.Minute)
	require.NoError(t, err)
	tok.ApplicationUID = string(cr.GetUID())
	require.NoError(t, tokens.Put(ctx, tok), "the token as the management API issues it")

	// Two replicas in one process cannot share the default metrics port.
	args := append(componenttest.KubeArgs(t, k, ns), "--health-addr", "127.0.0.1:0", "--connector-addr", "127.0.0.1:0", "--mtls-addr", "127.0.0.1:0",
		"--metrics-addr", "")
	var replicas [2]map[string]string
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() { replicas[i] = componenttest.Start(t, binary, args...) }) // starting together, they agree on one CA
	}
	wg.Wait()
	for _, r := range replicas {
		componenttest.WaitHealthy(t, r[components.ServerHealth])
	}
	a, b := replicas[0], replicas[1]
	pool := componenttest.CAPool(t, k, ns)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	info, err := client.SigningInfo(ctx, hc, "https://"+a[components.ServerConnector]+schema.PathSigningInfo+"?token="+secret)
	require.NoError(t, err, "replica A's listener chains to the shared CA")
	next, err := componenttest.NextToken(info)
	require.NoError(t, err)

	const n = 16
	certs := make(chan tls.Certificate, n)
	refused := make(chan int, n)
	start := make(chan struct{})
	for i := range n {
		addr := replicas[i%2][components.ServerConnector]
		wg.Go(func() {
			<-start
			c, err := componenttest.RequestCertificate(hc, addr, next, info.Certificate.Subject)
			if err != nil {
				refused <- componenttest.StatusOf(err)
				return
			}
			certs <- c
		})
	}
	close(start)
	wg.Wait()
	close(certs)
	close(refused)
	require.Len(t, certs, 1, "exactly one certificate for one token, whichever replica served it")
	codes := map[int]int{}
	for c := range refused {
		codes[c]++
	}
	assert.Equal(t, map[int]int{http.StatusForbidden: n - 1}, codes, "the other requests are refused as a used-up token")

	certHC := componenttest.MTLSClient(pool, <-certs)
	_, err = client.ManagementInfo(ctx, certHC, "https://"+b[components.ServerMTLS]+schema.PathManagementInfo)
	require.NoError(t, err, "replica B accepts the certificate")
	require.NoError(t, client.Revoke(ctx, certHC, "https://"+a[components.ServerMTLS]+schema.PathRevocations))
	revoked := time.Now()
	require.Eventually(t, func() bool {
		_, err := client.ManagementInfo(ctx, certHC, "https://"+b[components.ServerMTLS]+schema.PathManagementInfo)
		return componenttest.StatusOf(err) == http.StatusForbidden
	}, time.Second, 5*time.Millisecond, "a certificate revoked through replica A must be refused by replica B within 1 s")
	t.Logf("replica B refused the revoked certificate after %v", time.Since(revoked))
}
