package porttest

import (
	"cmp"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
)

// CompassEnv is the Compass (Connector and Director) the client suites call: the
// double in tests, a real Compass elsewhere. One env serves every subtest; each
// subtest registers its own runtime and application ids, so the env must keep any
// number of runtimes apart. Operations are GraphQL root fields ("configuration",
// "signCertificateSigningRequest", "revokeCertificate", "runtime",
// "applicationsForRuntime", "setRuntimeLabel").
type CompassEnv interface {
	ConnectorURL() string
	CertSecuredConnectorURL() string
	DirectorURL() string
	// RegisterRuntime registers a new runtime named name and returns its id and tenant.
	RegisterRuntime(name string) (id, tenant string)
	// NewRuntimeToken returns a fresh one-time token that pairs the runtime.
	NewRuntimeToken(runtimeID string) string
	// PutApplication creates or replaces (by app.ID) an application assigned to the runtime.
	PutApplication(runtimeID string, app compass.DirectorApplication)
	DeleteApplication(id string)
	// SetRuntimeLabel sets a label of the runtime to any JSON value.
	SetRuntimeLabel(runtimeID, key string, value any)
	// Fail makes every later call of operation answer a GraphQL error with message
	// until Heal; the suites run their subtests one after another and heal what they fail.
	Fail(operation, message string)
	Heal(operation string)
}

// CompassRequest is one request the env received.
type CompassRequest struct {
	// Operations are the root fields called.
	Operations []string
	Header     textproto.MIMEHeader
}

// CompassRequestRecorder is implemented by an env that can report the requests it
// received; the suites then check the headers the clients send (x-request-id,
// Connector-Token, Tenant). Without it those subtests are skipped.
type CompassRequestRecorder interface {
	CompassRequests() []CompassRequest
}

// RunCompassConnector runs the conformance suite of ports.CompassConnector against env.
// newConnector is called once per subtest and returns a client that trusts env's
// server certificate.
func RunCompassConnector(t *testing.T, env CompassEnv, newConnector func(t *testing.T) ports.CompassConnector) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, env CompassEnv, c ports.CompassConnector)
	}{
		{"configuration with a token answers every field", connectorConfigurationWithToken},
		{"a used or unknown token is refused", connectorTokenWorksOnce},
		{"the CSR token works once", connectorCSRTokenWorksOnce},
		{"SignCSR returns the chain, the CA and the client certificate of the CSR", connectorSignCSR},
		{"configuration and renewal with the runtime certificate", connectorCertificateSecured},
		{"RevokeCertificate revokes the presenting certificate", connectorRevoke},
		{"requests carry the request id and their authentication", connectorHeaders},
		{"a failing operation is an error without the token", connectorFailures},
		{"an endpoint without a token or certificate is an error", connectorNoAuthentication},
		{"an HTTP error is an error without the token", connectorHTTPError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, env, newConnector(t)) })
	}
}

// RunDirector runs the conformance suite of ports.Director against env. newDirector
// is called once per subtest; newConnector pairs the subtest's runtime for the
// certificate the Director needs (any conforming Connector client will do).
func RunDirector(t *testing.T, env CompassEnv, newDirector func(t *testing.T) ports.Director, newConnector func(t *testing.T) ports.CompassConnector) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, env CompassEnv, rt pairedRuntime, d ports.Director)
	}{
		{"a runtime without applications gets none", directorNoApplications},
		{"applications come with every field", directorEveryField},
		{"every page of applications, bundles, API and event definitions is read", directorEveryPage},
		{"changes in Compass are seen", directorChanges},
		{"runtime labels come as decoded from JSON", directorRuntimeLabels},
		{"SetRuntimeLabel round trip", directorSetRuntimeLabel},
		{"a failing operation is an error", directorFailures},
		{"a refused call is an error, not an empty answer", directorRefused},
		{"requests carry the tenant and the request id", directorHeaders},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn := newConnector(t)
			rt := pairRuntime(t, env, conn)
			rt.conn = conn
			c.fn(t, env, rt, newDirector(t))
		})
	}
}

// pairedRuntime is a runtime registered in the env and paired with a certificate.
type pairedRuntime struct {
	ID, Tenant string
	Creds      compass.Credentials
	// Config is the token-secured configuration answer of the pairing.
	Config compass.Configuration
	conn   ports.CompassConnector
}

func (rt pairedRuntime) director(env CompassEnv, requestID string) ports.DirectorEndpoint {
	return ports.DirectorEndpoint{URL: env.DirectorURL(), Tenant: rt.Tenant, Credentials: rt.Creds, RequestID: requestID}
}

func (rt pairedRuntime) certConnector(env CompassEnv, requestID string) ports.ConnectorEndpoint {
	creds := rt.Creds
	return ports.ConnectorEndpoint{URL: env.CertSecuredConnectorURL(), Credentials: &creds, RequestID: requestID}
}

// registerRuntime registers a runtime named after the test.
func registerRuntime(t *testing.T, env CompassEnv) (id, tenant string) {
	t.Helper()
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(t.Name()))
	return env.RegisterRuntime(name)
}

// pairRuntime runs the token-secured part of pairing: configuration, a fresh key and
// CSR for the announced subject, signing.
func pairRuntime(t *testing.T, env CompassEnv, c ports.CompassConnector) pairedRuntime {
	t.Helper()
	id, tenant := registerRuntime(t, env)
	cfg, err := c.Configuration(t.Context(), ports.ConnectorEndpoint{URL: env.ConnectorURL(), Token: env.NewRuntimeToken(id), RequestID: id + "-pair"})
	require.NoError(t, err)
	require.NotEmpty(t, cfg.Token, "configuration with a runtime token hands out the CSR token")
	creds, _ := signCSR(t, c, ports.ConnectorEndpoint{URL: env.ConnectorURL(), Token: cfg.Token, RequestID: id + "-sign"}, cfg)
	return pairedRuntime{ID: id, Tenant: tenant, Creds: creds, Config: cfg}
}

// signCSR creates a key and a CSR for the configuration's subject and has it signed.
func signCSR(t *testing.T, c ports.CompassConnector, ep ports.ConnectorEndpoint, cfg compass.Configuration) (compass.Credentials, []byte) {
	t.Helper()
	csrPEM, keyPEM, err := compass.NewCSR(rand.Reader, cfg.Subject, "rsa2048")
	require.NoError(t, err)
	res, err := c.SignCSR(t.Context(), ep, csrPEM)
	require.NoError(t, err)
	return compass.Credentials{CertificatePEM: res.ClientCertificate, KeyPEM: keyPEM, ChainPEM: res.CertificateChain, CAPEM: res.CACertificate}, csrPEM
}

// parseCertificates parses every CERTIFICATE block of b; at least one must be there.
func parseCertificates(t *testing.T, what string, b []byte) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		require.Equal(t, "CERTIFICATE", block.Type, "%s holds a %s block", what, block.Type)
		cert, err := x509.ParseCertificate(block.Bytes)
		require.NoError(t, err, what)
		out = append(out, cert)
	}
	require.NotEmpty(t, out, "%s holds no PEM certificate", what)
	return out
}

// assertNoSecret fails when err's text holds one of the secrets.
func assertNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("the error %q contains a secret", err)
		}
	}
}

// failing makes operation fail until the end of the test.
func failing(t *testing.T, env CompassEnv, operation, message string) {
	t.Helper()
	env.Fail(operation, message)
	t.Cleanup(func() { env.Heal(operation) })
}

func connectorConfigurationWithToken(t *testing.T, env CompassEnv, c ports.CompassConnector) {
	id, _ := registerRuntime(t, env)
	token := env.NewRuntimeToken(id)
	cfg, err := c.Configuration(t.Context(), ports.ConnectorEndpoint{URL: env.ConnectorURL(), Token: token})
	require.NoError(t, err)
	assert.NotEmpty(t, cfg.Token, "the CSR token")
	assert.NotEqual(t, token, cfg.Token, "the CSR token is a new one")
	assert.Equal(t, env.DirectorURL(), cfg.DirectorURL)
	assert.Equal(t, env.CertSecuredConnectorURL(), cfg.CertificateSecuredConnectorURL)
	assert.NotEmpty(t, cfg.KeyAlgorithm)
	subject, err := compass.ParseSubject(cfg.Subject)
	require.NoError(t, err, "subject %q", cfg.Subject)
	assert.Equal(t, id, subject.CommonName, "the subject's CN is the runtime id")
}

func connectorTokenWorksOnce(t *testing.T, env CompassEnv, c ports.CompassConnector) {
	id, _ := registerRuntime(t, env)
	token := env.NewRuntimeToken(id)
	ep := ports.ConnectorEndpoint{URL: env.ConnectorURL(), Token: token}
	_, err := c.Configuration(t.Context(), ep)
	require.NoError(t, err)
	_, err = c.Configuration(t.Context(), ep)
	require.Error(t, err, "a used token")
	assertNoSecret(t, err, token)

	unknown := "unknown-" + token
	_, err = c.Configuration(t.Context(), ports.ConnectorEndpoint{URL: env.ConnectorURL(), Token: unknown})
	require.Error(t, err, "an unknown token")
	assertNoSecret(t, err, unknown)
}

func connectorCSRTokenWorksOnce(t *testing.T, env CompassEnv, c ports.CompassConnector) {
	id, _ := registerRuntime(t, env)
	cfg, err := c.Configuration(t.Context(), ports.ConnectorEndpoint{URL: env.ConnectorURL(), Token: env.NewRuntimeToken(id)})
	require.NoError(t, err)
	ep := ports.ConnectorEndpoint{URL: env.ConnectorURL(), Token: cfg.Token}
	signCSR(t, c, ep, cfg)
	csrPEM, _, err := compass.NewCSR(rand.Reader, cfg.Subject, "rsa2048")
	require.NoError(t, err)
	_, err = c.SignCSR(t.Context(), ep, csrPEM)
	require.Error(t, err, "a used CSR token")
	assertNoSecret(t, err, cfg.Token)
}

// assertCertificationFor checks that creds hold a client certificate for the key of
// creds.KeyPEM with the runtime's CN, a chain starting with it that verifies up to the
// returned CA, and that CA.
func assertCertificationFor(t *testing.T, runtimeID string, creds compass.Credentials) {
	t.Helper()
	client := parseCertificates(t, "the client certificate", creds.CertificatePEM)
	chain := parseCertificates(t, "the certificate chain", creds.ChainPEM)
	cas := parseCertificates(t, "the CA certificate", creds.CAPEM)
	assert.Len(t, client, 1, "one client certificate")
	assert.Equal(t, runtimeID, client[0].Subject.CommonName)
	assert.True(t, client[0].Equal(chain[0]), "the chain starts with the client certificate")

	block, _ := pem.Decode(creds.KeyPEM)
	require.NotNil(t, block)
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	require.NoError(t, err)
	pub, ok := client[0].PublicKey.(*rsa.PublicKey)
	require.True(t, ok, "the client certificate's key is %T, not the CSR's RSA key", client[0].PublicKey)
	assert.True(t, key.PublicKey.Equal(pub), "the client certificate is for the CSR's key")

	roots, intermediates := x509.NewCertPool(), x509.NewCertPool()
	for _, ca := range cas {
		assert.True(t, ca.IsCA, "the CA certificate %q is a CA", ca.Subject)
		roots.AddCert(ca)
	}
	for _, c := range chain[1:] {
		intermediates.AddCert(c)
	}
	_, err = client[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.NoError(t, err, "the client certificate verifies up to the CA through the chain")
}

func connectorSignCSR(t *testing.T, env CompassEnv, c ports.CompassConnector) {
	rt := pairRuntime(t, env, c)
	assertCertificationFor(t, rt.ID, rt.Creds)
}

func connectorCertificateSecured(t *testing.T, env CompassEnv, c ports.CompassConnector) {
	rt := pairRuntime(t, env, c)
	ep := rt.certConnector(env, rt.ID+"-maintain")
	cfg, err := c.Configuration(t.Context(), ep)
	require.NoError(t, err)
	assert.Equal(t, env.DirectorURL(), cfg.DirectorURL)
	assert.Equal(t, env.CertSecuredConnectorURL(), cfg.CertificateSecuredConnectorURL)
	subject, err := compass.ParseSubject(cfg.Subject)
	require.NoError(t, err, "subject %q", cfg.Subject)
	assert.Equal(t, rt.ID, subject.CommonName)

	// Renewal: a CSR signed over mTLS, no token.
	renewed, _ := signCSR(t, c, ep, cfg)
	assertCertificationFor(t, rt.ID, renewed)
	assert.NotEqual(t, rt.Creds.CertificatePEM, renewed.CertificatePEM, "renewal gives a new certificate")
	_, err = c.Configuration(t.Context(), ports.ConnectorEndpoint{URL: env.CertSecuredConnectorURL(), Credentials: &renewed})
	require.NoError(t, err, "the renewed certificate works")
}

func connectorRevoke(t *testing.T, env CompassEnv, c ports.CompassConnector) {
	rt := pairRuntime(t, env, c)
	kept := rt.certConnector(env, "")
	cfg, err := c.Configuration(t.Context(), kept)
	require.NoError(t, err)
	renewed, _ := signCSR(t, c, kept, cfg)
	revoked := ports.ConnectorEndpoint{URL: env.CertSecuredConnectorURL(), Credentials: &renewed}

	require.NoError(t, c.RevokeCertificate(t.Context(), revoked))
	after, err := c.Configuration(t.Context(), revoked)
	require.NoError(t, err, "Compass answers a revoked certificate's configuration with empty parts")
	assert.Empty(t, after.DirectorURL)
	assert.Empty(t, after.CertificateSecuredConnectorURL)
	assert.Empty(t, after.Token)

	csrPEM, _, err := compass.NewCSR(rand.Reader, cfg.Subject, "rsa2048")
	require.NoError(t, err)
	_, err = c.SignCSR(t.Context(), revoked, csrPEM)
	assert.Error(t, err, "a revoked certificate cannot be renewed")

	// Only the presenting certificate is revoked.
	still, err := c.Configuration(t.Context(), kept)
	require.NoError(t, err)
	assert.Equal(t, env.DirectorURL(), still.DirectorURL)
}

// recorded returns the requests env received with x-request-id rid; it skips the test
// when env cannot report requests.
func recorded(t *testing.T, env CompassEnv, rid string) []CompassRequest {
	t.Helper()
	rec, ok := env.(CompassRequestRecorder)
	if !ok {
		t.Skip("the env does not report the requests it received")
	}
	var out []CompassRequest
	for _, r := range rec.CompassRequests() {
		if r.Header.Get("X-Request-Id") == rid {
			out = append(out, r)
		}
	}
	return out
}

func connectorHeaders(t *testing.T, env CompassEnv, c ports.CompassConnector) {
	if _, ok := env.(CompassRequestRecorder); !ok {
		t.Skip("the env does not report the requests it received")
	}
	rt := pairRuntime(t, env, c)
	for _, r := range recorded(t, env, rt.ID+"-pair") {
		assert.NotEmpty(t, r.Header.Get("Connector-Token"), "token-secured %v without Connector-Token", r.Operations)
	}
	rid := rt.ID + "-" + rand.Text()
	_, err := c.Configuration(t.Context(), rt.certConnector(env, rid))
	require.NoError(t, err)
	got := recorded(t, env, rid)
	require.NotEmpty(t, got, "no request with x-request-id %s", rid)
	for _, r := range got {
		assert.Contains(t, r.Operations, "configuration")
		assert.Empty(t, r.Header.Get("Connector-Token"), "a certificate-secured call sends no token")
	}
	assert.NotEmpty(t, recorded(t, env, rt.ID+"-pair"), "the token-secured configuration sent its x-request-id")
	assert.NotEmpty(t, recorded(t, env, rt.ID+"-sign"), "SignCSR sent its x-request-id")
}

func connectorFailures(t *testing.T, env CompassEnv, c ports.CompassConnector) {
	ctx := t.Context()
	rt := pairRuntime(t, env, c)
	mtls := rt.certConnector(env, "")
	csrPEM, _, err := compass.NewCSR(rand.Reader, rt.Config.Subject, "rsa2048")
	require.NoError(t, err)

	// The server's message echoes the token: the error must not.
	t.Run("configuration with a token", func(t *testing.T) {
		token := env.NewRuntimeToken(rt.ID)
		failing(t, env, "configuration", "refused token "+token)
		_, err := c.Configuration(ctx, ports.ConnectorEndpoint{URL: env.ConnectorURL(), Token: token})
		require.Error(t, err)
		assertNoSecret(t, err, token)
	})
	t.Run("signCertificateSigningRequest with a token", func(t *testing.T) {
		cfg, err := c.Configuration(ctx, ports.ConnectorEndpoint{URL: env.ConnectorURL(), Token: env.NewRuntimeToken(rt.ID)})
		require.NoError(t, err)
		failing(t, env, "signCertificateSigningRequest", "refused token "+cfg.Token)
		_, err = c.SignCSR(ctx, ports.ConnectorEndpoint{URL: env.ConnectorURL(), Token: cfg.Token}, csrPEM)
		require.Error(t, err)
		assertNoSecret(t, err, cfg.Token)
	})
	for _, op := range []string{"configuration", "signCertificateSigningRequest", "revokeCertificate"} {
		t.Run(op+" with the certificate", func(t *testing.T) {
			failing(t, env, op, "injected failure of "+op)
			var err error
			switch op {
			case "configuration":
				_, err = c.Configuration(ctx, mtls)
			case "signCertificateSigningRequest":
				_, err = c.SignCSR(ctx, mtls, csrPEM)
			case "revokeCertificate":
				err = c.RevokeCertificate(ctx, mtls)
			}
			require.Error(t, err)
		})
	}
	// Healed, the operations work again.
	_, err = c.Configuration(ctx, mtls)
	require.NoError(t, err)
}

func connectorNoAuthentication(t *testing.T, env CompassEnv, c ports.CompassConnector) {
	_, err := c.Configuration(t.Context(), ports.ConnectorEndpoint{URL: env.ConnectorURL()})
	assert.Error(t, err, "token-secured URL")
	_, err = c.Configuration(t.Context(), ports.ConnectorEndpoint{URL: env.CertSecuredConnectorURL()})
	assert.Error(t, err, "certificate-secured URL")
}

func connectorHTTPError(t *testing.T, env CompassEnv, c ports.CompassConnector) {
	id, _ := registerRuntime(t, env)
	token := env.NewRuntimeToken(id)
	_, err := c.Configuration(t.Context(), ports.ConnectorEndpoint{URL: env.ConnectorURL() + "/" + token, Token: token})
	require.Error(t, err)
	assertNoSecret(t, err, token)
}

// normalizeApps sorts by id and turns empty slices and maps into nil, which the port
// does not tell apart.
func normalizeApps(apps []compass.DirectorApplication) []compass.DirectorApplication {
	out := make([]compass.DirectorApplication, 0, len(apps))
	for _, a := range apps {
		a.Labels = nilIfEmptyMap(a.Labels)
		a.AuthIDs = nilIfEmpty(a.AuthIDs)
		bundles := make([]compass.Bundle, 0, len(a.Bundles))
		for _, b := range a.Bundles {
			b.APIDefinitions = nilIfEmpty(b.APIDefinitions)
			b.EventDefinitions = nilIfEmpty(b.EventDefinitions)
			if b.DefaultInstanceAuth != nil {
				auth := *b.DefaultInstanceAuth
				auth.AdditionalHeaders = nilIfEmptyMap(auth.AdditionalHeaders)
				auth.AdditionalQueryParams = nilIfEmptyMap(auth.AdditionalQueryParams)
				b.DefaultInstanceAuth = &auth
			}
			bundles = append(bundles, b)
		}
		a.Bundles = nilIfEmpty(bundles)
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b compass.DirectorApplication) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func nilIfEmptyMap[K comparable, V any](m map[K]V) map[K]V {
	if len(m) == 0 {
		return nil
	}
	return m
}

// assertApps compares applications in any order.
func assertApps(t *testing.T, want, got []compass.DirectorApplication) {
	t.Helper()
	want, got = normalizeApps(want), normalizeApps(got)
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i], got[i], "application %s", want[i].ID)
	}
}

func directorNoApplications(t *testing.T, env CompassEnv, rt pairedRuntime, d ports.Director) {
	apps, err := d.ApplicationsForRuntime(t.Context(), rt.director(env, ""), rt.ID)
	require.NoError(t, err)
	assert.Empty(t, apps)
}

// fullApplications cover every field and each form of the credential union.
func fullApplications(prefix string) []compass.DirectorApplication {
	schema := `{"type":"object","properties":{"x":{"type":"string"}}}`
	return []compass.DirectorApplication{
		{
			ID: prefix + "-basic", Name: "orders", ProviderName: "SAP", Description: "the orders system",
			Labels:  map[string]any{"scenarios": []any{"DEFAULT", "other"}, "count": float64(3), "nested": map[string]any{"a": "b"}},
			AuthIDs: []string{prefix + "-client-1", prefix + "-client-2"},
			Bundles: []compass.Bundle{{
				ID: prefix + "-b1", Name: "orders API", Description: "basic with everything",
				InstanceAuthRequestInputSchema: &schema,
				APIDefinitions: []compass.APIDefinition{
					{ID: prefix + "-api1", Name: "orders", Description: "REST", TargetURL: "https://orders.example.com/api/v1"},
					{ID: prefix + "-api2", Name: "odata", TargetURL: "https://orders.example.com/odata?x=1"},
				},
				EventDefinitions: []compass.EventDefinition{{ID: prefix + "-ev1", Name: "order events", Description: "AsyncAPI"}},
				DefaultInstanceAuth: &compass.Auth{
					Basic:                 &compass.BasicCredential{Username: "user", Password: "p@ss word"},
					AdditionalHeaders:     map[string][]string{"X-Custom": {"a", "b"}, "X-Other": {"c"}},
					AdditionalQueryParams: map[string][]string{"client": {"100"}, "multi": {"1", "2"}},
					CSRFTokenEndpointURL:  "https://orders.example.com/csrf",
				},
			}},
		},
		{
			ID: prefix + "-oauth", Name: "crm", Description: "",
			Bundles: []compass.Bundle{
				{
					ID: prefix + "-b2", Name: "crm API",
					APIDefinitions:      []compass.APIDefinition{{ID: prefix + "-api3", Name: "crm", TargetURL: "https://crm.example.com"}},
					DefaultInstanceAuth: &compass.Auth{OAuth: &compass.OAuthCredential{ClientID: "cid", ClientSecret: "csecret", URL: "https://auth.example.com/oauth/token"}},
				},
				{
					ID: prefix + "-b3", Name: "headers only",
					APIDefinitions:      []compass.APIDefinition{{ID: prefix + "-api4", Name: "plain", TargetURL: "https://crm.example.com/plain"}},
					DefaultInstanceAuth: &compass.Auth{AdditionalHeaders: map[string][]string{"Api-Key": {"k"}}},
				},
				{
					ID: prefix + "-b4", Name: "no auth, events only",
					EventDefinitions: []compass.EventDefinition{{ID: prefix + "-ev2", Name: "crm events"}},
				},
			},
		},
		{ID: prefix + "-empty", Name: "no bundles"},
	}
}

func directorEveryField(t *testing.T, env CompassEnv, rt pairedRuntime, d ports.Director) {
	want := fullApplications(rt.ID)
	for _, a := range want {
		env.PutApplication(rt.ID, a)
	}
	got, err := d.ApplicationsForRuntime(t.Context(), rt.director(env, ""), rt.ID)
	require.NoError(t, err)
	assertApps(t, want, got)
}

func directorEveryPage(t *testing.T, env CompassEnv, rt pairedRuntime, d ports.Director) {
	// Counts above 200, the schema's default page size, need more than one page at any
	// page size a client may choose; the Director serves at most 100 applications a page.
	var want []compass.DirectorApplication
	for i := range 250 {
		a := compass.DirectorApplication{ID: fmt.Sprintf("%s-app%03d", rt.ID, i), Name: fmt.Sprintf("app %d", i)}
		b := compass.Bundle{ID: a.ID + "-b0", Name: "bundle",
			APIDefinitions: []compass.APIDefinition{{ID: a.ID + "-api0", Name: "api", TargetURL: "https://app.example.com"}}}
		switch i {
		case 10:
			b.APIDefinitions, b.EventDefinitions = nil, nil
			for j := range 230 {
				b.APIDefinitions = append(b.APIDefinitions, compass.APIDefinition{ID: fmt.Sprintf("%s-api%03d", a.ID, j), Name: "api", TargetURL: fmt.Sprintf("https://app.example.com/%d", j)})
			}
			for j := range 210 {
				b.EventDefinitions = append(b.EventDefinitions, compass.EventDefinition{ID: fmt.Sprintf("%s-ev%03d", a.ID, j), Name: "events"})
			}
		case 200:
			for j := 1; j < 205; j++ {
				a.Bundles = append(a.Bundles, compass.Bundle{ID: fmt.Sprintf("%s-b%03d", a.ID, j), Name: "bundle"})
			}
		}
		a.Bundles = append([]compass.Bundle{b}, a.Bundles...)
		want = append(want, a)
		env.PutApplication(rt.ID, a)
	}
	otherID, _ := env.RegisterRuntime("porttest-other-runtime")
	env.PutApplication(otherID, compass.DirectorApplication{ID: rt.ID + "-not-mine", Name: "another runtime's"})

	got, err := d.ApplicationsForRuntime(t.Context(), rt.director(env, ""), rt.ID)
	require.NoError(t, err)
	assertApps(t, want, got)
}

func directorChanges(t *testing.T, env CompassEnv, rt pairedRuntime, d ports.Director) {
	ep := rt.director(env, "")
	apps := fullApplications(rt.ID)
	for _, a := range apps {
		env.PutApplication(rt.ID, a)
	}
	_, err := d.ApplicationsForRuntime(t.Context(), ep, rt.ID)
	require.NoError(t, err)

	env.DeleteApplication(apps[2].ID)
	changed := apps[0]
	changed.Description = "changed"
	changed.Bundles = nil
	env.PutApplication(rt.ID, changed)
	got, err := d.ApplicationsForRuntime(t.Context(), ep, rt.ID)
	require.NoError(t, err)
	assertApps(t, []compass.DirectorApplication{changed, apps[1]}, got)
}

func directorRuntimeLabels(t *testing.T, env CompassEnv, rt pairedRuntime, d ports.Director) {
	want := map[string]any{
		"isNormalized":      "false",
		"scenarios":         []any{"DEFAULT", "other"},
		"count":             float64(3),
		"enabled":           true,
		"nested":            map[string]any{"a": "b", "n": []any{float64(1)}},
		"runtime_consoleUI": "https://console.example.com",
	}
	for k, v := range want {
		env.SetRuntimeLabel(rt.ID, k, v)
	}
	got, err := d.RuntimeLabels(t.Context(), rt.director(env, ""), rt.ID)
	require.NoError(t, err)
	// Compass may add labels of its own; the ones set must be there as set.
	for _, k := range slices.Sorted(maps.Keys(want)) {
		assert.Equal(t, want[k], got[k], "label %s", k)
	}
}

func directorSetRuntimeLabel(t *testing.T, env CompassEnv, rt pairedRuntime, d ports.Director) {
	ctx := t.Context()
	ep := rt.director(env, "")
	env.SetRuntimeLabel(rt.ID, "scenarios", []any{"DEFAULT"})
	const key = "runtime_eventServiceUrl"
	require.NoError(t, d.SetRuntimeLabel(ctx, ep, rt.ID, key, "https://events.example.com"))
	got, err := d.RuntimeLabels(ctx, ep, rt.ID)
	require.NoError(t, err)
	assert.Equal(t, "https://events.example.com", got[key])

	require.NoError(t, d.SetRuntimeLabel(ctx, ep, rt.ID, key, "https://events2.example.com"))
	got, err = d.RuntimeLabels(ctx, ep, rt.ID)
	require.NoError(t, err)
	assert.Equal(t, "https://events2.example.com", got[key], "set again, the label has the new value")
	assert.Equal(t, []any{"DEFAULT"}, got["scenarios"], "other labels stay")
}

func directorFailures(t *testing.T, env CompassEnv, rt pairedRuntime, d ports.Director) {
	ctx := t.Context()
	ep := rt.director(env, "")
	env.PutApplication(rt.ID, fullApplications(rt.ID)[0])
	calls := map[string]func() error{
		"runtime":                func() error { _, err := d.RuntimeLabels(ctx, ep, rt.ID); return err },
		"applicationsForRuntime": func() error { _, err := d.ApplicationsForRuntime(ctx, ep, rt.ID); return err },
		"setRuntimeLabel":        func() error { return d.SetRuntimeLabel(ctx, ep, rt.ID, "k", "v") },
	}
	for _, op := range slices.Sorted(maps.Keys(calls)) {
		t.Run(op, func(t *testing.T) {
			env.Fail(op, "injected failure of "+op)
			err := calls[op]()
			env.Heal(op)
			require.Error(t, err)
			require.NoError(t, calls[op](), "after Heal")
		})
	}
}

func directorRefused(t *testing.T, env CompassEnv, rt pairedRuntime, d ports.Director) {
	ctx := t.Context()
	env.PutApplication(rt.ID, fullApplications(rt.ID)[0])
	check := func(t *testing.T, ep ports.DirectorEndpoint) {
		t.Helper()
		apps, err := d.ApplicationsForRuntime(ctx, ep, rt.ID)
		assert.Error(t, err, "applications: got %d", len(apps))
		labels, err := d.RuntimeLabels(ctx, ep, rt.ID)
		assert.Error(t, err, "labels: got %v", labels)
		assert.Error(t, d.SetRuntimeLabel(ctx, ep, rt.ID, "k", "v"), "set label")
	}
	t.Run("another tenant", func(t *testing.T) {
		ep := rt.director(env, "")
		ep.Tenant = "not-" + rt.Tenant
		check(t, ep)
	})
	t.Run("a revoked certificate", func(t *testing.T) {
		cfg, err := rt.conn.Configuration(ctx, rt.certConnector(env, ""))
		require.NoError(t, err)
		renewed, _ := signCSR(t, rt.conn, rt.certConnector(env, ""), cfg)
		require.NoError(t, rt.conn.RevokeCertificate(ctx, ports.ConnectorEndpoint{URL: env.CertSecuredConnectorURL(), Credentials: &renewed}))
		ep := rt.director(env, "")
		ep.Credentials = renewed
		check(t, ep)
	})
}

func directorHeaders(t *testing.T, env CompassEnv, rt pairedRuntime, d ports.Director) {
	if _, ok := env.(CompassRequestRecorder); !ok {
		t.Skip("the env does not report the requests it received")
	}
	ctx := t.Context()
	rid := rt.ID + "-" + rand.Text()
	ep := rt.director(env, rid)
	_, err := d.ApplicationsForRuntime(ctx, ep, rt.ID)
	require.NoError(t, err)
	_, err = d.RuntimeLabels(ctx, ep, rt.ID)
	require.NoError(t, err)
	require.NoError(t, d.SetRuntimeLabel(ctx, ep, rt.ID, "k", "v"))
	got := recorded(t, env, rid)
	var ops []string
	for _, r := range got {
		assert.Equal(t, rt.Tenant, r.Header.Get("Tenant"), "%v", r.Operations)
		ops = append(ops, r.Operations...)
	}
	for _, op := range []string{"applicationsForRuntime", "runtime", "setRuntimeLabel"} {
		assert.Contains(t, ops, op, "a request of %s with x-request-id %s", op, rid)
	}
}
