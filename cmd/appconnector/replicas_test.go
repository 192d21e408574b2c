package main

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/connectorapi/client"
	"github.com/appconnector/appconnector/adapters/connectorapi/schema"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/internal/realservers"
)

// TestTwoReplicas: two replicas of every component (two all-in-one processes) on one API
// server share everything through it. An Application with its Secret registered through
// A's management API is routed by B's gateway within 1 s; a token issued through A's
// management API is redeemed through B's connector, once; one issued through B's is
// redeemed exactly once by 16 concurrent clients split across both connectors; the
// certificate revoked through A's connector is refused by B's within 1 s.
func TestTwoReplicas(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	const token = "a-token-of-enough-length"
	tokenFile := filepath.Join(t.TempDir(), "tok")
	require.NoError(t, os.WriteFile(tokenFile, []byte(token+"\n"), 0o600))
	// Two replicas in one process cannot share the default metrics port.
	args := append(componenttest.KubeArgs(t, k, ns), "--admin-token-file", tokenFile, "--metrics-addr", "")
	a, stopA := startApp(t, args...)
	defer stopA()
	b, stopB := startApp(t, args...)
	defer stopB()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		_, _ = w.Write([]byte(r.URL.Path + " " + u + ":" + p))
	}))
	t.Cleanup(target.Close)

	apiA, apiB := "http://"+a[serverAPI], "http://"+b[serverAPI]
	code, body := do(t, http.MethodPut, apiA+"/v1/secrets/shop-basic", token, "apiVersion: v1\nkind: Secret\nmetadata: {name: shop-basic}\nstringData: {username: u, password: p}\n")
	require.Equal(t, http.StatusCreated, code, body)
	app := ns
	code, body = do(t, http.MethodPut, apiA+"/v1/applications/"+app, token, `apiVersion: applicationconnector.kyma-project.io/v1alpha1
kind: Application
metadata: {name: `+app+`}
spec:
  services:
  - {id: "1", name: orders, displayName: Orders, description: d, providerDisplayName: p,
     entries: [{type: API, targetUrl: "`+target.URL+`/api", credentials: {type: Basic, secretName: shop-basic}}]}
`)
	require.Equal(t, http.StatusCreated, code, body)
	registered := time.Now()
	defer do(t, http.MethodDelete, apiA+"/v1/applications/"+app, token, "") // before the stops: Applications are cluster-wide
	require.Eventually(t, func() bool {
		code, body := do(t, http.MethodGet, "http://"+b[serverGateway]+"/"+app+"/orders/x", "", "")
		return code == http.StatusOK && body == "/api/x u:p"
	}, time.Second, 5*time.Millisecond, "an Application registered through A's management API must be routed by B's gateway within 1 s")
	t.Logf("B's gateway routed the Application %v after A's management API registered it", time.Since(registered))

	issue := func(api string) string {
		t.Helper()
		code, body := do(t, http.MethodPost, api+"/v1/applications/"+app+"/tokens", token, "")
		require.Equal(t, http.StatusCreated, code, body)
		var issued schema.TokenResponse
		require.NoError(t, json.Unmarshal([]byte(body), &issued))
		return issued.Token
	}
	pool := componenttest.CAPool(t, k, ns)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	// Issued through A, redeemed through B, and then used up for A too.
	first := issue(apiA)
	_, err := componenttest.Pair(hc, b[serverConnector], b[serverConnector], first)
	require.NoError(t, err, "a token A's management API issued is redeemed through B's connector")
	_, err = componenttest.Pair(hc, a[serverConnector], a[serverConnector], first)
	require.Equal(t, http.StatusForbidden, componenttest.StatusOf(err), "and then refused by A's: %v", err)

	second := issue(apiB)
	const n = 16
	certs := make(chan tls.Certificate, n)
	refused := make(chan int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		addr := []string{a[serverConnector], b[serverConnector]}[i%2]
		wg.Go(func() {
			<-start
			c, err := componenttest.Pair(hc, addr, addr, second)
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
	require.Len(t, certs, 1, "exactly one certificate for one token, whichever connector replica served it")
	codes := map[int]int{}
	for c := range refused {
		codes[c]++
	}
	assert.Equal(t, map[int]int{http.StatusForbidden: n - 1}, codes, "the other clients are refused as with a used-up token")

	certHC := componenttest.MTLSClient(pool, <-certs)
	infoB := "https://" + b[serverMTLS] + schema.PathManagementInfo
	_, err = client.ManagementInfo(t.Context(), certHC, infoB)
	require.NoError(t, err, "B's connector accepts the certificate")
	require.NoError(t, client.Revoke(t.Context(), certHC, "https://"+a[serverMTLS]+schema.PathRevocations))
	revoked := time.Now()
	require.Eventually(t, func() bool {
		_, err := client.ManagementInfo(t.Context(), certHC, infoB)
		return componenttest.StatusOf(err) == http.StatusForbidden
	}, time.Second, 5*time.Millisecond, "a certificate revoked through A's connector must be refused by B's within 1 s")
	t.Logf("B's connector refused the revoked certificate %v after A revoked it", time.Since(revoked))
}
