package connector

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/ports"
)

// stateFixture wires the Service to the memory adapters, for tests where the stored
// state is what matters. Signing is a stub: what is signed is the CA adapter's business.
type stateFixture struct {
	svc    *Service
	apps   *memory.ApplicationRepository
	tokens *memory.TokenStore
	revs   *memory.RevocationList
	log    *memory.EventLog
	signer *stubSigner
	cfg    Config
	now    time.Time
}

// stubSigner records what it was asked to sign.
type stubSigner struct {
	mu   sync.Mutex
	reqs []certificate.Request
}

func (s *stubSigner) Sign(_ context.Context, r certificate.Request) (certificate.Issued, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
	return issuedFor(r.Subject.CommonName), nil
}

func (s *stubSigner) CACertificates(context.Context) ([]*x509.Certificate, error) { return nil, nil }

func (s *stubSigner) requests() []certificate.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]certificate.Request(nil), s.reqs...)
}

func newStateFixture(t *testing.T, cfg Config) *stateFixture {
	t.Helper()
	f := &stateFixture{
		apps: memory.NewApplicationRepository(), tokens: memory.NewTokenStore(),
		revs: memory.NewRevocationList(), log: memory.NewEventLog(100), signer: &stubSigner{}, now: testNow,
	}
	t.Cleanup(f.apps.Close)
	if cfg.Subject == (certificate.Subject{}) {
		cfg.Subject = certificate.DefaultSubject
	}
	f.cfg = cfg
	f.svc = f.serviceWithSink(t, logSink{f.log})
	return f
}

// serviceWithSink is a Service on the fixture's stores that delivers events to sink.
func (f *stateFixture) serviceWithSink(t *testing.T, sink ports.EventSink) *Service {
	t.Helper()
	svc, err := New(f.cfg, Deps{
		Applications: f.apps, Tokens: f.tokens, Signer: f.signer, Revocations: f.revs,
		Sink: sink, EventLog: f.log,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    func() time.Time { return f.now },
		Rand:   rand.Reader,
	})
	require.NoError(t, err)
	return svc
}

// logSink appends to the event log, as adapters/eventing.LogSink does.
type logSink struct{ log ports.EventLog }

func (s logSink) Send(ctx context.Context, app string, e event.CloudEvent) error {
	_, err := s.log.Append(ctx, event.Record{Application: app, Event: e})
	return err
}

func (f *stateFixture) put(t *testing.T, app application.Application) application.Application {
	t.Helper()
	stored, _, err := f.apps.Put(t.Context(), app)
	require.NoError(t, err)
	return stored
}

func withClientIDs(name string, ids ...string) application.Application {
	return application.Application{Name: name, Spec: application.Spec{CompassMetadata: &application.CompassMetadata{
		Authentication: application.Authentication{ClientIDs: ids},
	}}}
}

// Authorisation agrees with the repository at once: right after a write, while Run
// watches the repository, a new Application is authorised, and a deleted one or a
// removed client id is refused, without waiting for any watch to catch up.
func TestAuthorizationAgreesWithRepositoryImmediately(t *testing.T) {
	f := newStateFixture(t, Config{})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	f.put(t, application.Application{Name: "probe"})
	require.Eventually(t, func() bool {
		return f.svc.Authorize(t.Context(), "probe", []certificate.Identity{identity("probe")}) == nil
	}, 5*time.Second, time.Millisecond)

	for i := range 200 {
		name := fmt.Sprintf("app-%d", i)
		f.put(t, application.Application{Name: name})
		require.NoError(t, f.svc.Authorize(t.Context(), name, []certificate.Identity{identity(name)}), "read %d right after Put", i)
	}
	for i := range 50 {
		name := fmt.Sprintf("app-%d", i)
		require.NoError(t, f.apps.Delete(t.Context(), name))
		assert.ErrorIs(t, f.svc.Authorize(t.Context(), name, []certificate.Identity{identity(name)}), application.ErrNotFound, "read %d right after Delete", i)
	}

	f.put(t, withClientIDs("compass", "client-1", "client-2"))
	require.NoError(t, f.svc.Authorize(t.Context(), "compass", []certificate.Identity{identity("client-1")}))
	f.put(t, withClientIDs("compass", "client-2"))
	assert.ErrorIs(t, f.svc.Authorize(t.Context(), "compass", []certificate.Identity{identity("client-1")}), ErrForbidden,
		"a removed client id is refused at once")

	f.put(t, application.Application{Name: "typed", Labels: map[string]string{event.ApplicationTypeLabel: "crm"}})
	from, err := f.svc.AuthorizeSender(t.Context(), "typed", []certificate.Identity{identity("typed")})
	require.NoError(t, err)
	id, err := f.svc.PublishLegacy(t.Context(), from, []byte(legacyBody))
	require.NoError(t, err)
	recs, err := f.svc.Events(t.Context(), ports.EventQuery{Application: "typed", Limit: 10})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, id, recs[0].Event.ID)
	assert.Equal(t, "crm.order.created.v1", recs[0].Event.Type, "the label written just before is used")
}

// Deleting an Application revokes its one-time tokens: the token of the deleted
// Application, or of an earlier Application with the same name, is refused at both
// steps and used up, so re-creating the Application does not bring it back.
func TestTokenDiesWithItsApplication(t *testing.T) {
	for _, step := range []string{"info", "csr"} {
		t.Run(step, func(t *testing.T) {
			f := newStateFixture(t, Config{})
			f.put(t, application.Application{Name: "temp-app"})
			tok, err := f.svc.IssueToken(t.Context(), "temp-app")
			require.NoError(t, err)
			if step == "csr" {
				info, err := f.svc.SigningRequestInfo(t.Context(), tok.Secret)
				require.NoError(t, err)
				tok = info.Next
			}
			require.NoError(t, f.apps.Delete(t.Context(), "temp-app"))
			use := func() error {
				if step == "info" {
					_, err := f.svc.SigningRequestInfo(t.Context(), tok.Secret)
					return err
				}
				_, err := f.svc.SignCSR(t.Context(), tok.Secret, testCSR(t, "temp-app"))
				return err
			}
			assert.ErrorIs(t, use(), pairing.ErrNotFound, "the Application is gone")

			f.put(t, application.Application{Name: "temp-app"})
			assert.ErrorIs(t, use(), pairing.ErrNotFound, "a new Application of the same name is another Application")
			d, err := pairing.HashSecret(tok.Secret)
			require.NoError(t, err)
			_, err = f.tokens.Lookup(t.Context(), d, f.now)
			assert.ErrorIs(t, err, pairing.ErrNotFound, "the refused token is removed")
		})
	}

	// Replacing the Application keeps its tokens valid.
	f := newStateFixture(t, Config{})
	f.put(t, application.Application{Name: "kept"})
	tok, err := f.svc.IssueToken(t.Context(), "kept")
	require.NoError(t, err)
	f.put(t, application.Application{Name: "kept", Spec: application.Spec{Description: "replaced"}})
	info, err := f.svc.SigningRequestInfo(t.Context(), tok.Secret)
	require.NoError(t, err)
	_, err = f.svc.SignCSR(t.Context(), info.Next.Secret, testCSR(t, "kept"))
	require.NoError(t, err)
}
