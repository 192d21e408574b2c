package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/internal/compassdouble"
	"github.com/appconnector/appconnector/internal/realservers"
	"github.com/appconnector/appconnector/internal/testutil"
)

// seen is what the target of a proxied request received.
type seen struct {
	Path, User, Password, APIKey string
	Query                        url.Values
}

// ordersApp is the Director Application the Kubernetes test syncs: one bundle with an
// API (Basic credentials, an additional header and query parameter) and events.
func ordersApp(targetURL, password, description string) compass.DirectorApplication {
	return compass.DirectorApplication{
		ID: "app-orders", Name: "orders", ProviderName: "shop", Description: description,
		AuthIDs: []string{"orders-system", "orders-backup"},
		Bundles: []compass.Bundle{{
			ID: "b1", Name: "orders-api", Description: "the orders API",
			APIDefinitions:   []compass.APIDefinition{{ID: "api-1", Name: "orders", TargetURL: targetURL + "/api"}},
			EventDefinitions: []compass.EventDefinition{{ID: "ev-1", Name: "order events"}},
			DefaultInstanceAuth: &compass.Auth{
				Basic:                 &compass.BasicCredential{Username: "shop-user", Password: password},
				AdditionalHeaders:     map[string][]string{"X-Api-Key": {"key-1"}},
				AdditionalQueryParams: map[string][]string{"env": {"test"}},
			},
		}},
	}
}

// TestKubernetesMode is issue 11's acceptance on a real API server, as a user with
// kubectl and Kyma's objects sees it: the configuration Secret pairs the runtime, the
// CompassConnection reaches Synchronized in Kyma's shape, the certificate and CA Secrets
// have Kyma's names and keys, the Director's Applications become Application CRs with
// their Secrets, the application-gateway binary proxies to them with the injected
// credentials, the connectivity-validator binary accepts events from their client ids,
// changes and removals in the Director are applied, a failing Director is reported and
// recovered from, hand-made Applications are never touched, a restart does not pair
// again, resyncNow starts a round at once, refreshCredentialsNow renews at once without
// a token, and deleting the CompassConnection pairs again with the Secret's new token.
// No log holds a token, a key or a password.
func TestKubernetesMode(t *testing.T) {
	bins := buildBinaries(t, "application-gateway", "connectivity-validator")
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	ctx := t.Context()
	isolateCluster(t, k)
	conns, apps := connections(t, k), applications(t, k)
	secrets := k.Client(t).CoreV1().Secrets(ns)

	const runtimeID, tenant = "runtime-e2e", "tenant-e2e"
	d := newDouble(t, runtimeID, tenant)
	var mu sync.Mutex
	var lastSeen seen
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		mu.Lock()
		lastSeen = seen{Path: r.URL.Path, User: u, Password: p, APIKey: r.Header.Get("X-Api-Key"), Query: r.URL.Query()}
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(target.Close)
	const password1, password2 = "first-s3cret-password", "second-s3cret-password"
	d.PutApplication(runtimeID, ordersApp(target.URL, password1, "orders of the shop"))
	d.PutApplication(runtimeID, compass.DirectorApplication{ID: "app-billing", Name: "billing", AuthIDs: []string{"billing-system"}})
	// Same name as the Director's "inventory" after normalisation, but made by hand: the
	// agent must leave it alone and report the clash for that Application only.
	d.PutApplication(runtimeID, compass.DirectorApplication{ID: "app-inventory", Name: "inventory"})
	manual := map[string]map[string]any{
		"manual-" + ns: {"description": "made by hand", "services": []any{}},
		"mp-inventory": {"description": "mine, not Compass's", "services": []any{}},
	}
	manualVersions := map[string]string{}
	for name, spec := range manual {
		componenttest.CreateApplication(t, k, name, spec)
		u, err := apps.Get(ctx, name, metav1.GetOptions{})
		require.NoError(t, err)
		manualVersions[name] = u.GetResourceVersion()
	}

	token1 := d.NewRuntimeToken(runtimeID)
	putConfigSecret(t, k, ns, d, runtimeID, tenant, token1)
	gwCompassAddr, gwHealth := componenttest.FreeAddr(t), componenttest.FreeAddr(t)
	kube := componenttest.KubeArgs(t, k, ns)
	// Debug is the most the agent logs: assertNoSecretsLogged looks at all of it.
	agentArgs := func(period string) []string {
		return append(append([]string{}, kube...), "--compass-ca", writeCA(t, d), "--compass-sync-period", period,
			"--compass-min-sync-time", "50ms", "--health-addr", "127.0.0.1:0", "--metrics-addr=", "--log-level", "debug",
			"--gateway-base-url", "http://"+gwCompassAddr,
			"--runtime-events-url", "https://gateway.example.com/events", "--runtime-console-url", "https://console.example.com")
	}
	agent := startAgent(t, "runtime-agent", agentArgs("200ms")...)
	logs := []*syncBuffer{agent.log}
	componenttest.WaitHealthy(t, agent.addrs[components.ServerHealth])

	// The connection, in Kyma's shape.
	conn := waitState(t, conns, string(compass.StateSynchronized), 20*time.Second)
	assert.Equal(t, d.DirectorURL(), nestedString(conn.Object, "spec", "managementInfo", "directorUrl"))
	assert.Equal(t, d.CertSecuredConnectorURL(), nestedString(conn.Object, "spec", "managementInfo", "connectorUrl"))
	for _, f := range [][]string{
		{"connectionStatus", "established"}, {"connectionStatus", "lastSync"}, {"connectionStatus", "lastSuccess"},
		{"connectionStatus", "certificateStatus", "notBefore"}, {"connectionStatus", "certificateStatus", "notAfter"},
		{"connectionStatus", "certificateStatus", "acquired"},
		{"synchronizationStatus", "lastAttempt"}, {"synchronizationStatus", "lastSuccessfulFetch"},
		{"synchronizationStatus", "lastSuccessfulApplication"},
	} {
		v := nestedString(conn.Object, append([]string{"status"}, f...)...)
		_, err := time.Parse(time.RFC3339, v)
		assert.NoError(t, err, "status.%s must be an RFC 3339 time, is %q", strings.Join(f, "."), v)
	}
	notAfter, _ := time.Parse(time.RFC3339, nestedString(conn.Object, "status", "connectionStatus", "certificateStatus", "notAfter"))
	assert.WithinDuration(t, time.Now().Add(2160*time.Hour), notAfter, time.Hour, "the double issues for 90 days")
	assert.Empty(t, nestedString(conn.Object, "status", "connectionStatus", "error"))
	assert.Empty(t, nestedString(conn.Object, "status", "synchronizationStatus", "error"))

	// The certificate and the CA, under Kyma's names and keys.
	certSecret, err := secrets.Get(ctx, "cluster-client-certificates", metav1.GetOptions{})
	require.NoError(t, err, "Secret %s", "cluster-client-certificates")
	for _, key := range []string{"crt", "key", "crtChain"} {
		require.NotEmpty(t, certSecret.Data[key], "%s/%s", "cluster-client-certificates", key)
	}
	crt := parseCert(t, certSecret.Data["crt"])
	assert.Equal(t, runtimeID, crt.Subject.CommonName)
	_, err = tls.X509KeyPair(certSecret.Data["crt"], certSecret.Data["key"])
	assert.NoError(t, err, "key must be the key of crt")
	assert.Equal(t, crt.Raw, parseCert(t, certSecret.Data["crtChain"]).Raw, "crtChain starts with crt")
	caSecret, err := secrets.Get(ctx, "ca-certificates", metav1.GetOptions{})
	require.NoError(t, err, "Secret %s", "ca-certificates")
	ca := parseCert(t, caSecret.Data["cacert"])
	assert.NoError(t, crt.CheckSignatureFrom(ca), "cacert must be the CA of the runtime certificate")
	keyPEMs := [][]byte{certSecret.Data["key"]}

	// The runtime labels.
	labels := d.RuntimeLabels(runtimeID)
	assert.Equal(t, "https://gateway.example.com/events", labels["runtime_eventServiceUrl"])
	assert.Equal(t, "https://console.example.com", labels["runtime_consoleUrl"])

	// The Director's Applications as Application CRs with their Secrets.
	managed, err := apps.List(ctx, metav1.ListOptions{LabelSelector: compass.LabelManagedBy + "=" + compass.ManagedByRuntimeAgent})
	require.NoError(t, err)
	var names []string
	for _, u := range managed.Items {
		names = append(names, u.GetName())
	}
	assert.ElementsMatch(t, []string{"mp-orders", "mp-billing"}, names)
	orders, err := apps.Get(ctx, "mp-orders", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "app-orders", nestedString(orders.Object, "spec", "compassMetadata", "applicationId"))
	clientIDs, _, _ := unstructured.NestedStringSlice(orders.Object, "spec", "compassMetadata", "authentication", "clientIds")
	assert.Equal(t, []string{"orders-system", "orders-backup"}, clientIDs)
	assert.Equal(t, "orders of the shop", nestedString(orders.Object, "spec", "description"))
	entry := apiEntry(t, orders)
	credName, _, _ := unstructured.NestedString(entry, "credentials", "secretName")
	paramsName, _ := entry["requestParametersSecretName"].(string)
	assert.Equal(t, "mp-orders-b1", credName)
	assert.Equal(t, "params-mp-orders-b1", paramsName)
	cred, err := secrets.Get(ctx, credName, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "shop-user", string(cred.Data["username"]))
	assert.Equal(t, password1, string(cred.Data["password"]))
	assert.Equal(t, map[string]string{"app": "mp-orders", "bundleId": "b1"}, cred.Labels)
	params, err := secrets.Get(ctx, paramsName, metav1.GetOptions{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"X-Api-Key":["key-1"]}`, string(params.Data["headers"]))
	assert.JSONEq(t, `{"env":["test"]}`, string(params.Data["queryParameters"]))
	gatewayURL, _ := entry["centralGatewayUrl"].(string)
	require.True(t, strings.HasPrefix(gatewayURL, "http://"+gwCompassAddr+"/mp-orders/"), "centralGatewayUrl %q", gatewayURL)

	// The clash with the hand-made Application is that Application's failure only.
	failed, _, _ := unstructured.NestedStringMap(conn.Object, "status", "synchronizationStatus", "failedApplications")
	assert.Contains(t, failed, "mp-inventory", "failedApplications: %v", failed)

	// The gateway binary proxies through its Compass listener with the Director's
	// credentials, header and query parameter.
	paths := bins()
	gateway := startProcess(t, paths["application-gateway"], gwHealth, append(append([]string{}, kube...),
		"--gateway-addr", "127.0.0.1:0", "--gateway-compass-addr", gwCompassAddr, "--health-addr", gwHealth, "--metrics-addr", "")...)
	proxy := func() (int, seen) {
		code, body := componenttest.Get(t, gatewayURL+"/items?limit=1", "")
		mu.Lock()
		defer mu.Unlock()
		if code != http.StatusOK {
			t.Logf("gateway: %d %s", code, body)
		}
		s := lastSeen
		lastSeen = seen{}
		return code, s
	}
	code, got := proxy()
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "/api/items", got.Path)
	assert.Equal(t, "shop-user", got.User)
	assert.Equal(t, password1, got.Password)
	assert.Equal(t, "key-1", got.APIKey)
	assert.Equal(t, "test", got.Query.Get("env"))
	assert.Equal(t, "1", got.Query.Get("limit"))

	// A change and a removal in the Director are applied at the next round.
	d.PutApplication(runtimeID, ordersApp(target.URL, password2, "all orders of the shop"))
	d.DeleteApplication("app-billing")
	eventually(t, 5*time.Second, func() (bool, string) {
		code, got := proxy()
		return code == http.StatusOK && got.Password == password2, got.Password
	}, "the gateway must use the Director's new password")
	eventually(t, 5*time.Second, func() (bool, string) {
		_, err := apps.Get(ctx, "mp-billing", metav1.GetOptions{})
		return apierrors.IsNotFound(err), errString(err)
	}, "the Application removed in the Director must be deleted")
	orders, err = apps.Get(ctx, "mp-orders", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "all orders of the shop", nestedString(orders.Object, "spec", "description"))

	// The Director fails: SynchronizationFailed with its message, the Applications stay
	// and are still served; healed, the next round is Synchronized again.
	d.Fail("applicationsForRuntime", "director down for maintenance")
	conn = waitState(t, conns, string(compass.StateSynchronizationFailed), 5*time.Second)
	assert.Contains(t, nestedString(conn.Object, "status", "synchronizationStatus", "error"), "director down for maintenance")
	_, err = apps.Get(ctx, "mp-orders", metav1.GetOptions{})
	require.NoError(t, err, "a failed fetch must not remove Applications")
	code, _ = proxy()
	assert.Equal(t, http.StatusOK, code)
	d.HealAll()
	waitState(t, conns, string(compass.StateSynchronized), 5*time.Second)

	// Events from the Application's client ids, through the validator binary.
	testEvents(t, k, ns, paths["connectivity-validator"], kube)

	// Restart: the connection is kept, no new pairing. The long period makes every
	// later round one that something triggered.
	agent.stop(t)
	signs := d.Calls("signCertificateSigningRequest")
	require.Equal(t, 1, signs)
	fetches := d.Calls("applicationsForRuntime")
	agent = startAgent(t, "runtime-agent (restarted)", agentArgs("1h")...)
	logs = append(logs, agent.log)
	eventually(t, 10*time.Second, func() (bool, string) {
		return d.Calls("applicationsForRuntime") > fetches, ""
	}, "the restarted agent must sync")
	assert.Equal(t, signs, d.Calls("signCertificateSigningRequest"), "a restart must not pair again")
	assert.Equal(t, string(compass.StateSynchronized), connectionState(t, conns))

	// kubectl patch compassconnection compass-connection --type merge -p '{"spec":{"resyncNow":true}}'
	fetches = d.Calls("applicationsForRuntime")
	start := time.Now()
	_, err = conns.Patch(ctx, compass.ConnectionName, types.MergePatchType, []byte(`{"spec":{"resyncNow":true}}`), metav1.PatchOptions{})
	require.NoError(t, err)
	eventually(t, 5*time.Second, func() (bool, string) {
		u := getConnection(t, conns)
		resync, _, _ := unstructured.NestedBool(u.Object, "spec", "resyncNow")
		return d.Calls("applicationsForRuntime") > fetches && !resync, "resyncNow " + boolString(resync)
	}, "resyncNow must start a round at once and be reset")
	t.Logf("resyncNow: a round and the reset within %v", time.Since(start))

	// kubectl patch ... '{"spec":{"refreshCredentialsNow":true}}': a renewal at once, over
	// mTLS, without a token.
	seenBefore := len(d.Requests())
	_, err = conns.Patch(ctx, compass.ConnectionName, types.MergePatchType, []byte(`{"spec":{"refreshCredentialsNow":true}}`), metav1.PatchOptions{})
	require.NoError(t, err)
	eventually(t, 10*time.Second, func() (bool, string) {
		u := getConnection(t, conns)
		refresh, _, _ := unstructured.NestedBool(u.Object, "spec", "refreshCredentialsNow")
		return d.Calls("signCertificateSigningRequest") == signs+1 && !refresh, "refreshCredentialsNow " + boolString(refresh)
	}, "refreshCredentialsNow must renew the certificate at once and be reset")
	for _, r := range d.Requests()[seenBefore:] {
		assert.NotEqual(t, compassdouble.ConnectorPath, r.Path, "a renewal uses the certificate-secured Connector only")
	}
	eventually(t, 5*time.Second, func() (bool, string) {
		certSecret, err = secrets.Get(ctx, "cluster-client-certificates", metav1.GetOptions{})
		require.NoError(t, err)
		return parseCert(t, certSecret.Data["crt"]).SerialNumber.Cmp(crt.SerialNumber) != 0, "the old certificate"
	}, "the renewed certificate must be stored")
	renewed := parseCert(t, certSecret.Data["crt"])
	keyPEMs = append(keyPEMs, certSecret.Data["key"])

	// kubectl delete compassconnection compass-connection, with a new token in the Secret.
	token2 := d.NewRuntimeToken(runtimeID)
	putConfigSecret(t, k, ns, d, runtimeID, tenant, token2)
	require.NoError(t, conns.Delete(ctx, compass.ConnectionName, metav1.DeleteOptions{}))
	eventually(t, 10*time.Second, func() (bool, string) {
		return d.Calls("signCertificateSigningRequest") == signs+2 && connectionState(t, conns) == string(compass.StateSynchronized),
			connectionState(t, conns)
	}, "deleting the CompassConnection must make the agent pair again with the new token")
	withToken2 := 0
	for _, r := range d.Requests() {
		if r.Path == compassdouble.ConnectorPath && r.Header.Get(compassdouble.TokenHeader) == token2 {
			withToken2++
		}
	}
	assert.Equal(t, 1, withToken2, "the pairing uses the Secret's new token, once")
	certSecret, err = secrets.Get(ctx, "cluster-client-certificates", metav1.GetOptions{})
	require.NoError(t, err)
	assert.NotEqual(t, renewed.SerialNumber, parseCert(t, certSecret.Data["crt"]).SerialNumber, "a new certificate")
	keyPEMs = append(keyPEMs, certSecret.Data["key"])

	// Hand-made Applications were never written to.
	for name := range manual {
		u, err := apps.Get(ctx, name, metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, manualVersions[name], u.GetResourceVersion(), "the hand-made Application %s must never be modified", name)
		assert.NotContains(t, u.GetLabels(), compass.LabelManagedBy)
	}

	agent.stop(t)
	assertNoSecretsLogged(t, append(logs, gateway.stderr), []string{token1, token2, password1, password2}, keyPEMs)
}

// testEvents starts the validator binary on the Applications the agent wrote: an event
// whose forwarded certificate has one of compassMetadata.authentication.clientIds as CN
// reaches the eventing sink; another CN is refused.
func testEvents(t *testing.T, k *realservers.Kube, ns, bin string, kube []string) {
	t.Helper()
	// The validator needs the CA Secret the connector creates on its first start.
	_, _, err := kubernetes.LoadOrCreateCA(t.Context(), k.Config(), ns, "appconnector-ca", nil)
	require.NoError(t, err)
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
	addr, health := componenttest.FreeAddr(t), componenttest.FreeAddr(t)
	startProcess(t, bin, health, append(append([]string{}, kube...), "--validator-addr", addr, "--health-addr", health,
		"--metrics-addr", "", "--trust-xfcc", "--eventing-url", sink.URL)...)
	send := func(cn string) (int, string) {
		return testutil.PostEventAs(t, "http://"+addr+"/mp-orders/v1/events",
			`{"event-type":"order.created","event-type-version":"v1","event-time":"2024-05-06T07:08:09Z","data":{"orderId":"42"}}`,
			"CN="+cn+",OU=OrgUnit,O=Org")
	}
	code, body := send("orders-backup")
	require.Equal(t, http.StatusOK, code, body)
	mu.Lock()
	require.Len(t, received, 1)
	assert.Contains(t, received[0], "order.created")
	assert.Contains(t, received[0], `"orderId":"42"`)
	mu.Unlock()
	code, body = send("someone-else")
	assert.Equal(t, http.StatusForbidden, code, body)
	mu.Lock()
	assert.Len(t, received, 1, "a refused event must not reach the sink")
	mu.Unlock()
}

// TestTwoAgents: two agents with the same flags against one API server: one leads, and
// every call to Compass carries its identity, none the other's; when the leader stops,
// the other takes over and the calls carry its identity from then on.
func TestTwoAgents(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	isolateCluster(t, k)
	conns := connections(t, k)
	const runtimeID, tenant = "runtime-ha", "tenant-ha"
	d := newDouble(t, runtimeID, tenant)
	d.PutApplication(runtimeID, compass.DirectorApplication{ID: "app-ha", Name: "ha", AuthIDs: []string{"ha-system"}})
	token := d.NewRuntimeToken(runtimeID)
	putConfigSecret(t, k, ns, d, runtimeID, tenant, token)
	args := append(componenttest.KubeArgs(t, k, ns), "--compass-ca", writeCA(t, d), "--compass-sync-period", "200ms",
		"--compass-min-sync-time", "50ms", "--health-addr", "127.0.0.1:0", "--metrics-addr=", "--log-level", "debug")

	agents := []*agentProc{startAgent(t, "agent-1", args...), startAgent(t, "agent-2", args...)}
	var leader, follower *agentProc
	eventually(t, 20*time.Second, func() (bool, string) {
		for i, a := range agents {
			if a.log.leaderIdentity() != "" {
				leader, follower = a, agents[1-i]
				return true, ""
			}
		}
		return false, "no agent leads"
	}, "one agent must lead")
	leaderID := leader.log.leaderIdentity()
	// The one standing by is ready too: it serves as soon as the leader goes.
	componenttest.WaitHealthy(t, follower.addrs[components.ServerHealth])
	waitState(t, conns, string(compass.StateSynchronized), 20*time.Second)
	fetches := d.Calls("applicationsForRuntime")
	eventually(t, 10*time.Second, func() (bool, string) {
		return d.Calls("applicationsForRuntime") >= fetches+3, ""
	}, "the leader must go on syncing")

	assert.Empty(t, follower.log.leaderIdentity(), "only one agent may lead")
	uas := directorUserAgents(d)
	require.NotEmpty(t, uas)
	for i, ua := range uas {
		require.Equal(t, userAgentOf(leaderID), ua, "Director request %d of %d must come from the leader", i, len(uas))
	}
	for _, r := range d.Requests() {
		assert.Equal(t, userAgentOf(leaderID), r.Header.Get("User-Agent"), "%s %v", r.Path, r.Operations)
	}

	// The leader stops: it releases the Lease after its last round, and the other takes over.
	leader.stop(t)
	stopped := time.Now()
	before := len(directorUserAgents(d))
	eventually(t, 20*time.Second, func() (bool, string) {
		return follower.log.leaderIdentity() != "", ""
	}, "the other agent must take over")
	takeover := time.Since(stopped)
	followerID := follower.log.leaderIdentity()
	require.NotEqual(t, leaderID, followerID)
	eventually(t, 10*time.Second, func() (bool, string) {
		return len(directorUserAgents(d)) >= before+3, ""
	}, "the new leader must sync")
	t.Logf("takeover %v after the leader stopped (client-go retry period %v)", takeover, kubernetes.DefaultRetryPeriod)
	assert.Less(t, takeover, 2*kubernetes.DefaultLeaseDuration/3, "a released Lease is taken within retry periods, not a lease duration")
	for i, ua := range directorUserAgents(d)[before:] {
		require.Equal(t, userAgentOf(followerID), ua, "Director request %d after the handover must come from the new leader", before+i)
	}
	assert.Equal(t, 1, d.Calls("signCertificateSigningRequest"), "the new leader keeps the connection")
	follower.stop(t)
	assertNoSecretsLogged(t, []*syncBuffer{agents[0].log, agents[1].log}, []string{token}, nil)
}

// assertNoSecretsLogged: no log holds a secret, a private key or a line of one.
func assertNoSecretsLogged(t *testing.T, logs []*syncBuffer, secrets []string, keyPEMs [][]byte) {
	t.Helper()
	for _, kp := range keyPEMs {
		// A key in a JSON log has its newlines escaped; a line of its base64 body is
		// found either way.
		for _, line := range strings.Split(string(kp), "\n") {
			if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
				secrets = append(secrets, line)
			}
		}
	}
	for i, l := range logs {
		s := l.String()
		require.NotEmpty(t, s)
		assert.NotContains(t, s, "PRIVATE KEY", "log %d", i)
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("log %d holds a secret (%d characters)", i, len(secret))
			}
		}
	}
}

func parseCert(t *testing.T, pemData []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(pemData)
	require.NotNil(t, block, "no PEM")
	c, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return c
}

// apiEntry is the only API entry of the Application's only service.
func apiEntry(t *testing.T, u *unstructured.Unstructured) map[string]any {
	t.Helper()
	services, _, _ := unstructured.NestedSlice(u.Object, "spec", "services")
	require.Len(t, services, 1)
	entries, _, _ := unstructured.NestedSlice(services[0].(map[string]any), "entries")
	for _, e := range entries {
		m := e.(map[string]any)
		if m["type"] == "API" {
			return m
		}
	}
	b, _ := json.Marshal(entries)
	t.Fatalf("no API entry in %s", b)
	return nil
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
