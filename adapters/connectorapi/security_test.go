package connectorapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/connectorapi/client"
	"github.com/appconnector/appconnector/domain/application"
)

// A TLS handshake checks the client certificate's validity once; an HTTP/2 or
// kept-alive connection can outlive the certificate. Every request must check it again,
// as it does for revocation.
func TestExpiredCertificateOnKeptAliveConnection(t *testing.T) {
	e := newEnv(t, envOptions{eventingURL: "log"})
	e.createApp(application.Application{Name: "app-a"})
	creds, hc := e.connect("app-a")
	r := send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v1/events", nil, legacyEvent)
	require.Equal(t, http.StatusOK, r.status, r.body)

	e.offset.Store(int64(91 * 24 * time.Hour)) // the connection stays open; the certificate is now expired
	defer e.offset.Store(0)
	r = send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v1/events", nil, legacyEvent)
	assert.Equal(t, http.StatusForbidden, r.status, r.body)
	assert.Contains(t, r.body, "expired")
	_, err := client.ManagementInfo(t.Context(), hc, creds.Info.API.InfoURL)
	assert.ErrorContains(t, err, "403")
	_, err = creds.Renew(t.Context(), hc, e.mtlsURL+"/v1/applications/certificates/renewals", creds.Info.Certificate.Subject, client.KeyECDSAP256)
	assert.ErrorContains(t, err, "expired", "an expired certificate cannot renew")
	r = send(t, hc, http.MethodGet, e.mtlsURL+"/app-a/v1/metadata/services", nil, "")
	assert.Equal(t, http.StatusForbidden, r.status, r.body)
}

// An event the CloudEvents SDK refuses to send is the client's mistake: 400 naming the
// attribute, not a 502 "eventing is unreachable".
func TestUndeliverableEventIsBadRequest(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.createApp(application.Application{Name: "app-a"})
	_, hc := e.connect("app-a")
	for name, tc := range map[string]struct {
		header http.Header
		body   string
		want   string
	}{
		"binary source": {http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {"1"}, "Ce-Source": {"%25zz"}, "Ce-Type": {"t"}}, `{}`, "source:"},
		"structured source": {http.Header{"Content-Type": {"application/cloudevents+json"}},
			`{"specversion":"1.0","id":"1","source":"a\u0001b","type":"t"}`, "source:"},
		"relative dataschema": {http.Header{"Content-Type": {"application/cloudevents+json"}},
			`{"specversion":"1.0","id":"1","source":"s","type":"t","dataschema":"schema.json"}`, "dataschema:"},
		"blank id": {http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {" "}, "Ce-Source": {"s"}, "Ce-Type": {"t"}}, `{}`, "id: missing"},
	} {
		t.Run(name, func(t *testing.T) {
			r := send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v2/events", tc.header, tc.body)
			assert.Equal(t, http.StatusBadRequest, r.status, r.body)
			assert.Contains(t, r.body, tc.want)
		})
	}
}

// Of simultaneous requests with one token exactly one succeeds, for both token-secured
// steps.
func TestTokenSingleUseUnderConcurrency(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.createApp(application.Application{Name: "app-a"})
	race := func(n int, do func() int) map[int]int {
		var (
			mu     sync.Mutex
			wg     sync.WaitGroup
			counts = map[int]int{}
			start  = make(chan struct{})
		)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				status := do()
				mu.Lock()
				counts[status]++
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		return counts
	}
	tok := e.token("app-a")
	counts := race(16, func() int { return send(t, e.connectorHC, http.MethodGet, tok.URL, nil, "").status })
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusForbidden: 15}, counts)

	info, err := client.SigningInfo(t.Context(), e.connectorHC, e.token("app-a").URL)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	csr, err := client.NewCSR(key, info.Certificate.Subject)
	require.NoError(t, err)
	counts = race(16, func() int {
		return send(t, e.connectorHC, http.MethodPost, info.CSRURL, nil, `{"csr":"`+csr+`"}`).status
	})
	assert.Equal(t, map[int]int{http.StatusCreated: 1, http.StatusForbidden: 15}, counts)
}

// A certificate renews only itself: a CSR for another Application is refused.
func TestRenewalCannotChangeTheCN(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.createApp(application.Application{Name: "app-a"})
	e.createApp(application.Application{Name: "app-b"})
	creds, hc := e.connect("app-a")
	other := strings.Replace(creds.Info.Certificate.Subject, "CN=app-a", "CN=app-b", 1)
	_, err := creds.Renew(t.Context(), hc, e.mtlsURL+"/v1/applications/certificates/renewals", other, client.KeyECDSAP256)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "400")
	assert.Contains(t, err.Error(), `subject CN is "app-b", want "app-a"`)
}

// Delivery failures map to 504 (eventing too slow), 502 (unreachable or 5xx) and the
// eventing 4xx itself, on both event shapes.
func TestEventingTimeoutAndRejection(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Ce-Id") == "reject" {
			http.Error(w, "bad event", http.StatusUnprocessableEntity)
			return
		}
		if r.Header.Get("Ce-Id") == "unauthorised" {
			http.Error(w, "who are you", http.StatusForbidden)
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	e := newEnv(t, envOptions{eventingURL: slow.URL}) // the forwarder waits 2 s
	e.createApp(application.Application{Name: "app-a"})
	_, hc := e.connect("app-a")

	r := send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v1/events", nil, legacyEvent)
	assert.Equal(t, http.StatusGatewayTimeout, r.status, r.body)
	assert.Contains(t, r.body, `"status":504`)
	ce := http.Header{"Ce-Specversion": {"1.0"}, "Ce-Source": {"s"}, "Ce-Type": {"t"}}
	ce.Set("Ce-Id", "slow")
	r = send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v2/events", ce, `{}`)
	assert.Equal(t, http.StatusGatewayTimeout, r.status, r.body)
	assert.Contains(t, r.body, `"code":504`)
	ce.Set("Ce-Id", "reject")
	r = send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v2/events", ce, `{}`)
	assert.Equal(t, http.StatusUnprocessableEntity, r.status, r.body)
	assert.Empty(t, r.header.Get("Target-System-Status"))
	ce.Set("Ce-Id", "unauthorised")
	r = send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v2/events", ce, `{}`)
	assert.Equal(t, http.StatusBadGateway, r.status, r.body)
	assert.Contains(t, r.body, "eventing refused appconnector's request with status 403")
}
