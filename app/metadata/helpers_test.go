package metadata

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/mocks"
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

type fixture struct {
	svc       *Service
	apps      *mocks.MockApplicationRepository
	secrets   *mocks.MockSecretStore
	certCalls []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	f := &fixture{
		apps:    mocks.NewMockApplicationRepository(ctrl),
		secrets: mocks.NewMockSecretStore(ctrl),
	}
	f.svc = NewService(f.apps, f.secrets, Config{CentralGatewayURL: "http://gw.local:8080/"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.svc.newID = func() string { return testID }
	f.svc.generateCert = func(cn string, _ time.Time) ([]byte, []byte, error) {
		f.certCalls = append(f.certCalls, cn)
		k, c := fixedCertificate(t)
		return k, c, nil
	}
	return f
}

// expectUpdate makes the repository apply fn to a copy of *app and, when fn succeeds,
// store the result back, as a real repository does.
func (f *fixture) expectUpdate(app *application.Application) {
	f.apps.EXPECT().Update(gomock.Any(), app.Name, gomock.Any()).DoAndReturn(
		func(_ context.Context, _ string, fn func(*application.Application) error) (application.Application, error) {
			cp := app.DeepCopy()
			if err := fn(&cp); err != nil {
				return application.Application{}, err
			}
			*app = cp
			return cp, nil
		})
}

func (f *fixture) expectGet(app application.Application) {
	f.apps.EXPECT().Get(gomock.Any(), app.Name).Return(app.DeepCopy(), nil)
}

// recordPuts captures every Secret written.
func (f *fixture) recordPuts(into map[string]credential.Secret) {
	f.secrets.EXPECT().Put(gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, s credential.Secret) (credential.Secret, bool, error) {
			into[s.Name] = s.DeepCopy()
			return s, true, nil
		}).AnyTimes()
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
