package connector

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/mocks"
)

var testNow = time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)

type fixture struct {
	svc    *Service
	apps   *mocks.MockApplicationRepository
	tokens *mocks.MockTokenStore
	signer *mocks.MockCertificateSigner
	revs   *mocks.MockRevocationList
	sink   *mocks.MockEventSink
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	f := &fixture{
		apps:   mocks.NewMockApplicationRepository(ctrl),
		tokens: mocks.NewMockTokenStore(ctrl),
		signer: mocks.NewMockCertificateSigner(ctrl),
		revs:   mocks.NewMockRevocationList(ctrl),
		sink:   mocks.NewMockEventSink(ctrl),
	}
	if cfg.Subject == (certificate.Subject{}) {
		cfg.Subject = certificate.DefaultSubject
	}
	svc, err := New(cfg, Deps{
		Applications: f.apps, Tokens: f.tokens, Signer: f.signer, Revocations: f.revs, Sink: f.sink,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    func() time.Time { return testNow },
		Rand:   rand.Reader,
	})
	require.NoError(t, err)
	f.svc = svc
	return f
}

func testCSR(t *testing.T, cn string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: certificate.DefaultSubject.ForApplication(cn).Name(),
	}, key)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func issuedFor(cn string) certificate.Issued {
	return certificate.Issued{Certificate: &x509.Certificate{
		Raw: []byte("cert-" + cn), Subject: pkix.Name{CommonName: cn}, SerialNumber: bigOne(), NotAfter: testNow.Add(time.Hour),
	}}
}

func identity(cn string) certificate.Identity {
	return certificate.Identity{CommonName: cn, Fingerprint: certificate.FingerprintOf([]byte("cert-" + cn)), NotAfter: testNow.Add(time.Hour)}
}

// zeroReader makes token generation fail.
var zeroReader = bytes.NewReader(nil)
