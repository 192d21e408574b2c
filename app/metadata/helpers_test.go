package metadata

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/mocks"
	"github.com/appconnector/appconnector/ports"
)

const (
	testApp = "mp-sales"
	testID  = "8f0e7b5a-1c2d-4e3f-9a8b-7c6d5e4f3a2b"
)

var (
	certOnce          sync.Once
	testKey, testCert []byte
)

// fixedCertificate is one real key pair generated once per test binary: RSA key
// generation is slow, and most tests only need valid bytes.
func fixedCertificate(t *testing.T) (keyPEM, certPEM []byte) {
	t.Helper()
	certOnce.Do(func() {
		var err error
		testKey, testCert, err = generateClientCertificate("fixed-cn", time.Now())
		if err != nil {
			panic(err)
		}
	})
	return testKey, testCert
}

// fixture runs the service over the memory adapters: tests assert what ends up stored.
type fixture struct {
	svc       *Service
	apps      *memory.ApplicationRepository
	secrets   *memory.SecretStore
	certCalls []string
}

// newFixture builds the service over empty memory stores; wrap, when given, stands
// between the service and the stores to inject a failure.
func newFixture(t *testing.T, wrap ...func(ports.ApplicationRepository, ports.SecretStore) (ports.ApplicationRepository, ports.SecretStore)) *fixture {
	t.Helper()
	f := &fixture{apps: memory.NewApplicationRepository(), secrets: memory.NewSecretStore()}
	var apps ports.ApplicationRepository = f.apps
	var secrets ports.SecretStore = f.secrets
	for _, w := range wrap {
		apps, secrets = w(apps, secrets)
	}
	f.svc = newTestService(t, apps, secrets, &f.certCalls)
	return f
}

func newTestService(t *testing.T, apps ports.ApplicationRepository, secrets ports.SecretStore, certCalls *[]string) *Service {
	t.Helper()
	svc := NewService(apps, secrets, Config{CentralGatewayURL: "http://gw.local:8080/"}, slog.New(slog.DiscardHandler))
	svc.newID = func() string { return testID }
	svc.generateCert = func(cn string, _ time.Time) ([]byte, []byte, error) {
		*certCalls = append(*certCalls, cn)
		k, c := fixedCertificate(t)
		return k, c, nil
	}
	return svc
}

// putApp stores app as it is, whatever resource version it carries.
func (f *fixture) putApp(t *testing.T, app application.Application) {
	t.Helper()
	app.ResourceVersion = ""
	_, _, err := f.apps.Put(t.Context(), app)
	require.NoError(t, err)
}

// putSecrets stores secrets as they are, whatever resource versions they carry.
func (f *fixture) putSecrets(t *testing.T, secrets map[string]credential.Secret) {
	t.Helper()
	for _, s := range secrets {
		s.ResourceVersion = ""
		_, _, err := f.secrets.Put(t.Context(), s)
		require.NoError(t, err)
	}
}

// app returns the stored Application of testApp.
func (f *fixture) app(t *testing.T) application.Application {
	t.Helper()
	app, err := f.apps.Get(t.Context(), testApp)
	require.NoError(t, err)
	return app
}

// storedSecrets returns every stored Secret by name.
func (f *fixture) storedSecrets(t *testing.T) map[string]credential.Secret {
	t.Helper()
	list, err := f.secrets.List(t.Context())
	require.NoError(t, err)
	out := make(map[string]credential.Secret, len(list))
	for _, s := range list {
		out[s.Name] = s
	}
	return out
}

// mockFixture runs the service over gomock stores, for failures the memory adapters
// cannot produce and for call orders that are the point of a test.
type mockFixture struct {
	svc       *Service
	apps      *mocks.MockApplicationRepository
	secrets   *mocks.MockSecretStore
	certCalls []string
}

func newMockFixture(t *testing.T) *mockFixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	f := &mockFixture{apps: mocks.NewMockApplicationRepository(ctrl), secrets: mocks.NewMockSecretStore(ctrl)}
	f.svc = newTestService(t, f.apps, f.secrets, &f.certCalls)
	return f
}

// failingUpdate is an Application repository whose Update fails.
type failingUpdate struct {
	ports.ApplicationRepository
	err error
}

func (r failingUpdate) Update(context.Context, string, func(*application.Application) error) (application.Application, error) {
	return application.Application{}, r.err
}

// staleGet is an Application repository whose Get returns an older state than Update
// sees, as when another client writes between the two.
type staleGet struct {
	ports.ApplicationRepository
	stale application.Application
}

func (r staleGet) Get(context.Context, string) (application.Application, error) {
	return r.stale.DeepCopy(), nil
}

// failingPut is a Secret store that refuses to write the Secret named name.
type failingPut struct {
	ports.SecretStore
	name string
	err  error
}

func (s failingPut) Put(ctx context.Context, sec credential.Secret) (credential.Secret, bool, error) {
	if sec.Name == s.name {
		return credential.Secret{}, false, s.err
	}
	return s.SecretStore.Put(ctx, sec)
}

func emptyApp() application.Application {
	return application.Application{Name: testApp, ResourceVersion: "1"}
}

func basicDefinition() ServiceDefinition {
	return ServiceDefinition{
		Provider:    "SAP",
		Name:        "Sales Orders",
		Description: "Orders API",
		Identifier:  "ext-1",
		Labels:      map[string]string{"team": "a", labelConnectedApp: "spoofed"},
		API: &API{
			TargetURL:        "https://orders.example.com/api",
			SpecificationURL: "https://orders.example.com/spec",
			APIType:          "odata",
			Credentials: &Credentials{Basic: &Basic{
				Username: "alice", Password: "s3cret",
				CSRFInfo: &CSRFInfo{TokenEndpointURL: "https://orders.example.com/csrf"},
			}},
		},
		Events: &Events{Spec: []byte(`{"asyncapi":"2.0.0"}`)},
	}
}

func requireMetadataError(t *testing.T, err error, kind error, msg string) {
	t.Helper()
	var e *Error
	require.ErrorAs(t, err, &e)
	require.ErrorIs(t, err, kind)
	require.Equal(t, msg, e.Message)
}
