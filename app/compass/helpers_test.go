package compass

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/domain/application"
	dc "github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/internal/testutil"
	"github.com/appconnector/appconnector/mocks"
	"github.com/appconnector/appconnector/ports"
)

const (
	testRuntimeID    = "runtime-1"
	testTenant       = "tenant-1"
	tokenURL         = "https://compass.test/connector/graphql"
	certConnectorURL = "https://compass-mtls.test/connector/graphql"
	directorURL      = "https://compass-mtls.test/director/graphql"
	eventsURL        = "https://gateway.runtime.test"
	consoleURL       = "https://console.runtime.test"
	testPassword     = "s3cret-basic-password"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is the agent's and the fake Compass's time, moved by the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeCompass plays the Connector and the Director behind the gomock mocks: one-time
// tokens, a CA that signs the runtime's CSRs, revocation, Applications and runtime
// labels, and failures on demand.
type fakeCompass struct {
	t     *testing.T
	clock *clock

	caKey  *ecdsa.PrivateKey
	caCert *x509.Certificate
	caPEM  []byte

	mu           sync.Mutex
	validity     time.Duration
	tokens       map[string]bool // valid one-time tokens
	issued       []string        // every token ever issued, to check the logs
	serial       int64
	revoked      map[string]bool // by certificate serial
	apps         []dc.DirectorApplication
	labels       map[string]any
	fail         map[string]error
	calls        map[string]int
	requestIDs   []string
	setLabels    []string // key=value of every setRuntimeLabel
	directorURL  string
	connectorURL string
	// onApplications runs inside ApplicationsForRuntime, to act during a round.
	onApplications func()
}

// Operation names for fail and calls.
const (
	opTokenConfiguration = "token configuration"
	opCertConfiguration  = "cert configuration"
	opTokenSign          = "token sign"
	opCertSign           = "cert sign"
	opApplications       = "applicationsForRuntime"
	opRuntimeLabels      = "runtime labels"
	opSetLabel           = "setRuntimeLabel"
)

func newFakeCompass(t *testing.T, c *clock) *fakeCompass {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "compass-test-ca"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &fakeCompass{
		t: t, clock: c, caKey: key, caCert: ca,
		caPEM:        pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		validity:     90 * 24 * time.Hour,
		tokens:       map[string]bool{},
		serial:       1,
		revoked:      map[string]bool{},
		labels:       map[string]any{dc.LabelIsNormalized: "true"},
		fail:         map[string]error{},
		calls:        map[string]int{},
		directorURL:  directorURL,
		connectorURL: certConnectorURL,
	}
}

// newToken issues a one-time token, as the Director does for the runtime.
func (f *fakeCompass) newToken() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.newTokenLocked()
}

func (f *fakeCompass) newTokenLocked() string {
	tok := "tok-" + uuid.NewString()
	f.tokens[tok] = true
	f.issued = append(f.issued, tok)
	return tok
}

func (f *fakeCompass) Fail(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[op] = err
}

func (f *fakeCompass) Heal(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.fail, op)
}

func (f *fakeCompass) Calls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeCompass) SetApplications(apps ...dc.DirectorApplication) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apps = apps
}

func (f *fakeCompass) SetLabel(k string, v any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.labels[k] = v
}

func (f *fakeCompass) SetLabelCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.setLabels...)
}

func (f *fakeCompass) RequestIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requestIDs...)
}

// Revoke makes Compass refuse the certificate.
func (f *fakeCompass) Revoke(certPEM []byte) {
	cert := parseCert(f.t, certPEM)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked[cert.SerialNumber.String()] = true
}

// call records a call and returns the failure set for op; f.mu must be held.
func (f *fakeCompass) call(op, requestID string) error {
	f.calls[op]++
	f.requestIDs = append(f.requestIDs, requestID)
	return f.fail[op]
}

// client checks the runtime certificate presented over mTLS; revoked reports a
// certificate Compass refuses.
func (f *fakeCompass) client(creds *dc.Credentials) (revoked bool, err error) {
	if creds == nil {
		return false, errors.New("no client certificate")
	}
	if !bytes.HasPrefix(creds.ChainPEM, creds.CertificatePEM) {
		return false, errors.New("the chain does not start with the client certificate")
	}
	b, _ := pem.Decode(creds.CertificatePEM)
	if b == nil {
		return false, errors.New("client certificate not PEM")
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return false, err
	}
	if err := cert.CheckSignatureFrom(f.caCert); err != nil {
		return false, fmt.Errorf("certificate not from the Compass CA: %w", err)
	}
	now := f.clock.Now()
	if now.Before(cert.NotBefore) || !now.Before(cert.NotAfter) {
		return false, errors.New("certificate expired")
	}
	return f.revoked[cert.SerialNumber.String()], nil
}

func (f *fakeCompass) Configuration(_ context.Context, ep ports.ConnectorEndpoint) (dc.Configuration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ep.Token != "" {
		if ep.Credentials != nil {
			f.t.Errorf("configuration with both a token and a certificate")
		}
		if ep.URL != tokenURL {
			f.t.Errorf("token configuration at %q, want %q", ep.URL, tokenURL)
		}
		if err := f.call(opTokenConfiguration, ep.RequestID); err != nil {
			return dc.Configuration{}, err
		}
		if !f.tokens[ep.Token] {
			return dc.Configuration{}, errors.New("invalid token")
		}
		delete(f.tokens, ep.Token)
	} else {
		if ep.URL != f.connectorURL {
			f.t.Errorf("certificate-secured configuration at %q, want %q", ep.URL, f.connectorURL)
		}
		if err := f.call(opCertConfiguration, ep.RequestID); err != nil {
			return dc.Configuration{}, err
		}
		revoked, err := f.client(ep.Credentials)
		if err != nil {
			return dc.Configuration{}, err
		}
		if revoked {
			return dc.Configuration{}, nil
		}
	}
	return dc.Configuration{
		Token:                          f.newTokenLocked(),
		Subject:                        "O=Org,OU=OrgUnit,L=Locality,ST=State,C=PL,CN=" + testRuntimeID,
		KeyAlgorithm:                   "rsa2048",
		DirectorURL:                    f.directorURL,
		CertificateSecuredConnectorURL: f.connectorURL,
	}, nil
}

func (f *fakeCompass) SignCSR(_ context.Context, ep ports.ConnectorEndpoint, csrPEM []byte) (dc.CertificationResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ep.Token != "" {
		if err := f.call(opTokenSign, ep.RequestID); err != nil {
			return dc.CertificationResult{}, err
		}
		if !f.tokens[ep.Token] {
			return dc.CertificationResult{}, errors.New("invalid token")
		}
		delete(f.tokens, ep.Token)
	} else {
		if err := f.call(opCertSign, ep.RequestID); err != nil {
			return dc.CertificationResult{}, err
		}
		revoked, err := f.client(ep.Credentials)
		if err != nil {
			return dc.CertificationResult{}, err
		}
		if revoked {
			return dc.CertificationResult{}, errors.New("certificate revoked")
		}
	}
	b, _ := pem.Decode(csrPEM)
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		return dc.CertificationResult{}, errors.New("CSR not PEM")
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return dc.CertificationResult{}, err
	}
	if err := csr.CheckSignature(); err != nil {
		return dc.CertificationResult{}, err
	}
	if csr.Subject.CommonName != testRuntimeID || len(csr.Subject.Organization) != 1 || csr.Subject.Organization[0] != "Org" {
		return dc.CertificationResult{}, fmt.Errorf("CSR: invalid subject %s", csr.Subject)
	}
	f.serial++
	now := f.clock.Now()
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(f.serial), Subject: csr.Subject,
		NotBefore: now, NotAfter: now.Add(f.validity),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, f.caCert, csr.PublicKey, f.caKey)
	if err != nil {
		return dc.CertificationResult{}, err
	}
	client := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return dc.CertificationResult{
		CertificateChain:  append(append([]byte{}, client...), f.caPEM...),
		CACertificate:     f.caPEM,
		ClientCertificate: client,
	}, nil
}

func (f *fakeCompass) RevokeCertificate(context.Context, ports.ConnectorEndpoint) error {
	f.t.Errorf("the agent never revokes")
	return nil
}

func (f *fakeCompass) director(op string, ep ports.DirectorEndpoint, runtimeID string) error {
	if ep.URL != f.directorURL {
		f.t.Errorf("%s at %q, want %q", op, ep.URL, f.directorURL)
	}
	if ep.Tenant != testTenant || runtimeID != testRuntimeID {
		f.t.Errorf("%s: tenant %q runtime %q", op, ep.Tenant, runtimeID)
	}
	if err := f.call(op, ep.RequestID); err != nil {
		return err
	}
	revoked, err := f.client(&ep.Credentials)
	if err != nil {
		return err
	}
	if revoked {
		return errors.New("unauthorized")
	}
	return nil
}

func (f *fakeCompass) ApplicationsForRuntime(_ context.Context, ep ports.DirectorEndpoint, runtimeID string) ([]dc.DirectorApplication, error) {
	f.mu.Lock()
	hook := f.onApplications
	err := f.director(opApplications, ep, runtimeID)
	apps := append([]dc.DirectorApplication(nil), f.apps...)
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	if err != nil {
		return nil, err
	}
	return apps, nil
}

func (f *fakeCompass) RuntimeLabels(_ context.Context, ep ports.DirectorEndpoint, runtimeID string) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.director(opRuntimeLabels, ep, runtimeID); err != nil {
		return nil, err
	}
	return maps.Clone(f.labels), nil
}

func (f *fakeCompass) SetRuntimeLabel(_ context.Context, ep ports.DirectorEndpoint, runtimeID, key, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.director(opSetLabel, ep, runtimeID); err != nil {
		return err
	}
	f.labels[key] = value
	f.setLabels = append(f.setLabels, key+"="+value)
	return nil
}

// failingApps is the memory repository with List and per-name Put failures on demand.
type failingApps struct {
	*memory.ApplicationRepository
	failList atomic.Bool
	mu       sync.Mutex
	failPut  map[string]bool
}

func (r *failingApps) List(ctx context.Context) ([]application.Application, error) {
	if r.failList.Load() {
		return nil, errors.New("the API server is unavailable")
	}
	return r.ApplicationRepository.List(ctx)
}

func (r *failingApps) Put(ctx context.Context, app application.Application) (application.Application, bool, error) {
	r.mu.Lock()
	fail := r.failPut[app.Name]
	r.mu.Unlock()
	if fail {
		return application.Application{}, false, errors.New("admission webhook refused it")
	}
	return r.ApplicationRepository.Put(ctx, app)
}

type fixture struct {
	t         *testing.T
	clock     *clock
	compass   *fakeCompass
	conns     *memory.CompassConnectionStore
	secrets   *memory.SecretStore
	apps      *failingApps
	connector *mocks.MockCompassConnector
	director  *mocks.MockDirector
	logs      *testutil.SyncBuffer
	cfg       Config
	agent     *Agent
}

// newFixture wires an Agent to memory stores and to gomock Connector and Director
// mocks that delegate to a fakeCompass. Every test checks at the end that no token,
// key or password reached the logs.
func newFixture(t *testing.T, opts ...func(*Config)) *fixture {
	t.Helper()
	c := &clock{now: t0}
	f := &fixture{
		t: t, clock: c, compass: newFakeCompass(t, c),
		conns:   memory.NewCompassConnectionStore(),
		secrets: memory.NewSecretStore(),
		apps:    &failingApps{ApplicationRepository: memory.NewApplicationRepository(), failPut: map[string]bool{}},
		logs:    &testutil.SyncBuffer{},
	}
	t.Cleanup(func() { f.conns.Close(); f.secrets.Close(); f.apps.Close() })
	ctrl := gomock.NewController(t)
	f.connector = mocks.NewMockCompassConnector(ctrl)
	f.director = mocks.NewMockDirector(ctrl)
	f.connector.EXPECT().Configuration(gomock.Any(), gomock.Any()).DoAndReturn(f.compass.Configuration).AnyTimes()
	f.connector.EXPECT().SignCSR(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(f.compass.SignCSR).AnyTimes()
	f.director.EXPECT().ApplicationsForRuntime(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(f.compass.ApplicationsForRuntime).AnyTimes()
	f.director.EXPECT().RuntimeLabels(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(f.compass.RuntimeLabels).AnyTimes()
	f.director.EXPECT().SetRuntimeLabel(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(f.compass.SetRuntimeLabel).AnyTimes()
	f.cfg = Config{
		SyncPeriod: time.Hour, MinimalSyncTime: 10 * time.Second, RenewalThreshold: 0.3,
		GatewayBaseURL: "http://gateway.test:8082", EventsURL: eventsURL, ConsoleURL: consoleURL,
		Now:    c.Now,
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, o := range opts {
		o(&f.cfg)
	}
	f.agent = f.newAgent(f.connector, f.director)
	t.Cleanup(f.checkLogs)
	return f
}

func (f *fixture) newAgent(conn ports.CompassConnector, dir ports.Director) *Agent {
	return New(f.cfg, Deps{Connections: f.conns, Secrets: f.secrets, Applications: f.apps, Connector: conn, Director: dir})
}

// checkLogs fails when a token, a private key or a credential shows in the logs.
func (f *fixture) checkLogs() {
	logs := f.logs.String()
	f.compass.mu.Lock()
	issued := append([]string(nil), f.compass.issued...)
	f.compass.mu.Unlock()
	for _, tok := range issued {
		if strings.Contains(logs, tok) {
			f.t.Errorf("a token is in the logs")
		}
	}
	for _, s := range []string{"PRIVATE KEY", "BEGIN", testPassword, "oauth-client-secret"} {
		if strings.Contains(logs, s) {
			f.t.Errorf("%q is in the logs", s)
		}
	}
}

// putConfig writes the configuration Secret with a fresh token and returns the token.
func (f *fixture) putConfig() string {
	tok := f.compass.newToken()
	f.putSecret(f.cfg.configSecret(), map[string]string{
		dc.ConfigKeyConnectorURL: tokenURL, dc.ConfigKeyToken: tok,
		dc.ConfigKeyRuntimeID: testRuntimeID, dc.ConfigKeyTenant: testTenant,
	})
	return tok
}

func (c Config) configSecret() string { return c.withDefaults().ConfigSecret }

func (f *fixture) putSecret(name string, data map[string]string) {
	f.t.Helper()
	s := credential.Secret{Name: name, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	_, _, err := f.secrets.Put(context.Background(), s)
	require.NoError(f.t, err)
}

func (f *fixture) secret(name string) credential.Secret {
	f.t.Helper()
	s, err := f.secrets.Get(context.Background(), name)
	require.NoError(f.t, err, "secret %s", name)
	return s
}

func (f *fixture) noSecret(name string) {
	f.t.Helper()
	_, err := f.secrets.Get(context.Background(), name)
	require.ErrorIs(f.t, err, credential.ErrNotFound, "secret %s", name)
}

func (f *fixture) conn() dc.Connection {
	f.t.Helper()
	c, err := f.conns.Get(context.Background())
	require.NoError(f.t, err)
	return c
}

func (f *fixture) app(name string) application.Application {
	f.t.Helper()
	a, err := f.apps.Get(context.Background(), name)
	require.NoError(f.t, err, "application %s", name)
	return a
}

// editSpec changes the connection's spec as a user's PATCH does.
func (f *fixture) editSpec(fn func(*dc.Spec)) {
	f.t.Helper()
	c := f.conn()
	fn(&c.Spec)
	_, err := f.conns.Update(context.Background(), c)
	require.NoError(f.t, err)
}

// pair pairs and synchronises once, from no connection.
func (f *fixture) pair() dc.Connection {
	f.t.Helper()
	f.putConfig()
	require.NoError(f.t, f.agent.Reconcile(context.Background()))
	c := f.conn()
	require.Equal(f.t, dc.StateSynchronized, c.Status.ConnectionState)
	return c
}

// round moves the clock past the minimal sync time and runs a round.
func (f *fixture) round() error {
	f.clock.Advance(f.cfg.MinimalSyncTime)
	return f.agent.Reconcile(context.Background())
}

func (f *fixture) requireState(want dc.State) dc.Connection {
	f.t.Helper()
	c := f.conn()
	require.Equal(f.t, want, c.Status.ConnectionState, "status %+v %+v", c.Status.ConnectionStatus, c.Status.SynchronizationStatus)
	return c
}

func parseCert(t *testing.T, p []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(p)
	require.NotNil(t, b)
	c, err := x509.ParseCertificate(b.Bytes)
	require.NoError(t, err)
	return c
}

// directorApp is a Director Application with one bundle, one API with Basic
// credentials and one event catalogue.
func directorApp(id, name string) dc.DirectorApplication {
	return dc.DirectorApplication{
		ID: id, Name: name, Description: "the " + name + " system", AuthIDs: []string{"client-" + id},
		Bundles: []dc.Bundle{{
			ID: bundleID(id), Name: "Orders", Description: "orders bundle",
			APIDefinitions:   []dc.APIDefinition{{ID: "api-" + id, Name: "Orders API", TargetURL: "https://" + name + ".example/api"}},
			EventDefinitions: []dc.EventDefinition{{ID: "ev-" + id, Name: "Order events"}},
			DefaultInstanceAuth: &dc.Auth{
				Basic:             &dc.BasicCredential{Username: "user-" + id, Password: testPassword},
				AdditionalHeaders: map[string][]string{"X-Tenant": {"t1"}},
			},
		}},
	}
}

// bundleID is a stable UUID per Application id, as Director bundle ids are.
func bundleID(appID string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte(appID)).String()
}
