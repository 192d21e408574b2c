package compass_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	compassclient "github.com/appconnector/appconnector/adapters/compass"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/internal/compassdouble"
	"github.com/appconnector/appconnector/ports"
)

func newDouble(t *testing.T) *compassdouble.Double {
	t.Helper()
	d, err := compassdouble.New(compassdouble.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// signWith creates a key and a CSR for the configuration's subject and has it signed.
func signWith(t *testing.T, c *compassclient.ConnectorClient, ep ports.ConnectorEndpoint, cfg compass.Configuration) compass.Credentials {
	t.Helper()
	csrPEM, keyPEM, err := compass.NewCSR(rand.Reader, cfg.Subject, "rsa2048")
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.SignCSR(context.Background(), ep, csrPEM)
	if err != nil {
		t.Fatal(err)
	}
	return compass.Credentials{CertificatePEM: res.ClientCertificate, KeyPEM: keyPEM, ChainPEM: res.CertificateChain, CAPEM: res.CACertificate}
}

// pair runs the token-secured part of pairing (compass.md 1.5) and returns the
// runtime credentials and the management plane info.
func pair(t *testing.T, d *compassdouble.Double, c *compassclient.ConnectorClient, runtimeID string) (compass.Credentials, compass.Configuration) {
	t.Helper()
	ctx := context.Background()
	cfg, err := c.Configuration(ctx, ports.ConnectorEndpoint{URL: d.ConnectorURL(), Token: d.NewRuntimeToken(runtimeID), RequestID: runtimeID + "_pair"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Token == "" || cfg.DirectorURL != d.DirectorURL() || cfg.CertificateSecuredConnectorURL != d.CertSecuredConnectorURL() {
		t.Fatalf("token-secured configuration = %v (token set: %t)", cfg, cfg.Token != "")
	}
	creds := signWith(t, c, ports.ConnectorEndpoint{URL: d.ConnectorURL(), Token: cfg.Token, RequestID: runtimeID + "_sign"}, cfg)
	return creds, cfg
}

func commonName(t *testing.T, certPEM []byte) string {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatal("no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert.Subject.CommonName
}

func clients(t *testing.T, d *compassdouble.Double, o compassclient.Options) (*compassclient.ConnectorClient, *compassclient.DirectorClient) {
	t.Helper()
	o.RootCAs = d.CACertPEM()
	return newConnector(t, o), newDirector(t, o)
}

func sampleApplication(id string, bundles, apis, events int) compass.DirectorApplication {
	schema := `{"type":"object"}`
	app := compass.DirectorApplication{
		ID: id, Name: "app-" + id, ProviderName: "SAP", Description: "application " + id,
		Labels:  map[string]any{"scenarios": []any{"DEFAULT"}},
		AuthIDs: []string{"client-" + id},
	}
	for b := range bundles {
		bundle := compass.Bundle{
			ID: fmt.Sprintf("%s-b%03d", id, b), Name: fmt.Sprintf("bundle %d", b), Description: "a bundle",
			InstanceAuthRequestInputSchema: &schema,
		}
		if b%2 == 0 {
			bundle.DefaultInstanceAuth = &compass.Auth{
				Basic:                 &compass.BasicCredential{Username: "user", Password: "pass"},
				AdditionalHeaders:     map[string][]string{"X-Custom": {"a", "b"}},
				AdditionalQueryParams: map[string][]string{"q": {"1"}},
				CSRFTokenEndpointURL:  "https://orders.local/csrf",
			}
		} else {
			bundle.DefaultInstanceAuth = &compass.Auth{OAuth: &compass.OAuthCredential{ClientID: "cid", ClientSecret: "sec", URL: "https://auth.local/token"}}
		}
		for a := range apis {
			bundle.APIDefinitions = append(bundle.APIDefinitions, compass.APIDefinition{
				ID: fmt.Sprintf("%s-api%04d", bundle.ID, a), Name: fmt.Sprintf("api %d", a), Description: "an API", TargetURL: fmt.Sprintf("https://orders.local/api/%d", a),
			})
		}
		for e := range events {
			bundle.EventDefinitions = append(bundle.EventDefinitions, compass.EventDefinition{
				ID: fmt.Sprintf("%s-ev%04d", bundle.ID, e), Name: fmt.Sprintf("events %d", e), Description: "events",
			})
		}
		app.Bundles = append(app.Bundles, bundle)
	}
	return app
}

// The whole runtime flow against the double, for what the conformance suites
// (conformance_test.go) leave to the adapter: the CA handed out is the double's, the
// exact requests and headers of one round, another runtime's labels refused, and the
// Director's refusal of a revoked certificate named by operation while an older
// certificate of the runtime keeps working.
func TestPairingFlowAgainstTheDouble(t *testing.T) {
	ctx := context.Background()
	d := newDouble(t)
	d.AddRuntime("rt-1", "runtime one", "tenant-1")
	d.PutApplication("rt-1", sampleApplication("a1", 2, 2, 1))
	conn, dir := clients(t, d, compassclient.Options{})

	creds, cfg := pair(t, d, conn, "rt-1")
	if cn := commonName(t, creds.CertificatePEM); cn != "rt-1" {
		t.Fatalf("certificate CN = %q", cn)
	}
	if !reflect.DeepEqual(creds.CAPEM, d.CACertPEM()) {
		t.Fatal("the CA is not the double's")
	}

	// Certificate-secured configuration, then renewal over mTLS with no token.
	mtls := ports.ConnectorEndpoint{URL: cfg.CertificateSecuredConnectorURL, Credentials: &creds, RequestID: "rt-1_maintain"}
	cfg2, err := conn.Configuration(ctx, mtls)
	if err != nil {
		t.Fatal(err)
	}
	renewed := signWith(t, conn, mtls, cfg2)

	// Director with the renewed certificate.
	dep := ports.DirectorEndpoint{URL: cfg.DirectorURL, Tenant: "tenant-1", Credentials: renewed, RequestID: "rt-1_sync"}
	if _, err := dir.ApplicationsForRuntime(ctx, dep, "rt-1"); err != nil {
		t.Fatal(err)
	}
	if err := dir.SetRuntimeLabel(ctx, dep, "rt-1", "runtime_eventServiceUrl", "https://events.local"); err != nil {
		t.Fatal(err)
	}
	if got := d.RuntimeLabels("rt-1")["runtime_eventServiceUrl"]; got != "https://events.local" {
		t.Fatalf("label in the double = %v", got)
	}
	if _, err := dir.RuntimeLabels(ctx, dep, "rt-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := dir.RuntimeLabels(ctx, dep, "rt-unknown"); err == nil {
		t.Fatal("another runtime's labels were readable")
	}

	// Headers as the double saw them.
	var sawToken, sawTenant int
	for _, r := range d.Requests() {
		switch r.Path {
		case "/connector/graphql":
			sawToken++
			if r.Header.Get("Connector-Token") == "" || !strings.HasPrefix(r.Header.Get("X-Request-Id"), "rt-1_") {
				t.Errorf("token-secured %v: Connector-Token set %t, x-request-id %q", r.Operations, r.Header.Get("Connector-Token") != "", r.Header.Get("X-Request-Id"))
			}
		case "/connector-mtls/graphql":
			if r.Header.Get("Connector-Token") != "" || r.Header.Get("X-Request-Id") != "rt-1_maintain" {
				t.Errorf("certificate-secured %v: headers %v", r.Operations, r.Header)
			}
		case "/director/graphql":
			sawTenant++
			if r.Header.Get("Tenant") != "tenant-1" || r.Header.Get("X-Request-Id") != "rt-1_sync" {
				t.Errorf("director %v: Tenant %q, x-request-id %q", r.Operations, r.Header.Get("Tenant"), r.Header.Get("X-Request-Id"))
			}
		default:
			t.Errorf("request to %s", r.Path)
		}
	}
	if sawToken != 2 || sawTenant != 4 {
		t.Errorf("%d token-secured and %d Director requests, want 2 and 4", sawToken, sawTenant)
	}

	// Revocation: the Director refuses the revoked certificate, naming the operation.
	revoked := ports.ConnectorEndpoint{URL: cfg.CertificateSecuredConnectorURL, Credentials: &renewed}
	if err := conn.RevokeCertificate(ctx, revoked); err != nil {
		t.Fatal(err)
	}
	if _, err := dir.ApplicationsForRuntime(ctx, dep, "rt-1"); err == nil || !strings.Contains(err.Error(), "applicationsForRuntime") {
		t.Fatalf("Director with a revoked certificate: err = %v", err)
	}
	// The first certificate was not revoked and still works.
	if _, err := dir.RuntimeLabels(ctx, ports.DirectorEndpoint{URL: cfg.DirectorURL, Tenant: "tenant-1", Credentials: creds}, "rt-1"); err != nil {
		t.Fatal(err)
	}
}

// More than two pages of applications, bundles beyond a page, and API and event
// definitions beyond a page: everything is read, in order.
func TestDirectorReadsAllOf450Applications(t *testing.T) {
	ctx := context.Background()
	d := newDouble(t)
	d.AddRuntime("rt-1", "runtime one", "tenant-1")
	var want []compass.DirectorApplication
	for i := range 450 {
		app := sampleApplication(fmt.Sprintf("app%03d", i), 1, 1, 1)
		switch i {
		case 7, 300:
			app = sampleApplication(app.ID, 3, 230, 120) // API and event pages beyond 100
		case 420:
			app = sampleApplication(app.ID, 130, 0, 1) // bundle pages beyond 100
		}
		want = append(want, app)
		d.PutApplication("rt-1", app)
	}
	d.PutApplication("rt-other", sampleApplication("zzz", 1, 1, 1))
	conn, dir := clients(t, d, compassclient.Options{})
	creds, cfg := pair(t, d, conn, "rt-1")

	got, err := dir.ApplicationsForRuntime(ctx, ports.DirectorEndpoint{URL: cfg.DirectorURL, Tenant: "tenant-1", Credentials: creds}, "rt-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d applications, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("application %d (%s) differs: %d bundles, want %d", i, want[i].ID, len(got[i].Bundles), len(want[i].Bundles))
		}
	}
	if n := d.Calls("applicationsForRuntime"); n != 5 {
		t.Errorf("%d applicationsForRuntime calls, want 5 pages of 100", n)
	}
	// 2 apps x 3 bundles x (2 more API pages + 1 more event page) + 1 more bundle page.
	if n := d.Calls("application"); n != 2*3*3+1 {
		t.Errorf("%d application calls, want %d", n, 2*3*3+1)
	}
}

func TestDoubleFailureNamesTheOperation(t *testing.T) {
	ctx := context.Background()
	d := newDouble(t)
	d.AddRuntime("rt-1", "runtime one", "tenant-1")
	d.PutApplication("rt-1", sampleApplication("a1", 2, 1, 1))
	conn, dir := clients(t, d, compassclient.Options{PageSize: 1})
	creds, cfg := pair(t, d, conn, "rt-1")
	mtls := ports.ConnectorEndpoint{URL: cfg.CertificateSecuredConnectorURL, Credentials: &creds}
	dep := ports.DirectorEndpoint{URL: cfg.DirectorURL, Tenant: "tenant-1", Credentials: creds}

	calls := map[string]func() error{
		"configuration": func() error { _, err := conn.Configuration(ctx, mtls); return err },
		"signCertificateSigningRequest": func() error {
			_, err := conn.SignCSR(ctx, mtls, []byte("-----BEGIN CERTIFICATE REQUEST-----\nAA==\n-----END CERTIFICATE REQUEST-----\n"))
			return err
		},
		"runtime":                func() error { _, err := dir.RuntimeLabels(ctx, dep, "rt-1"); return err },
		"applicationsForRuntime": func() error { _, err := dir.ApplicationsForRuntime(ctx, dep, "rt-1"); return err },
		"application":            func() error { _, err := dir.ApplicationsForRuntime(ctx, dep, "rt-1"); return err },
		"setRuntimeLabel":        func() error { return dir.SetRuntimeLabel(ctx, dep, "rt-1", "k", "v") },
		"revokeCertificate":      func() error { return conn.RevokeCertificate(ctx, mtls) },
	}
	ops := slices.Sorted(maps.Keys(calls))
	// revokeCertificate last: it really revokes when healed.
	ops = append(slices.DeleteFunc(ops, func(s string) bool { return s == "revokeCertificate" }), "revokeCertificate")
	for _, op := range ops {
		t.Run(op, func(t *testing.T) {
			d.Fail(op, "injected failure of "+op)
			err := calls[op]()
			d.Heal(op)
			var ce *compassclient.Error
			if !errors.As(err, &ce) || ce.Operation != op {
				t.Fatalf("err = %v, want a *compass.Error of %s", err, op)
			}
			if !strings.Contains(err.Error(), op) || !strings.Contains(err.Error(), "injected failure of "+op) {
				t.Fatalf("err = %q names neither the operation nor the message", err)
			}
			if op != "signCertificateSigningRequest" {
				if err := calls[op](); err != nil {
					t.Fatalf("after Heal: %v", err)
				}
			}
		})
	}
}

func TestDoubleServerCertificateVerification(t *testing.T) {
	d := newDouble(t)
	d.AddRuntime("rt-1", "runtime one", "tenant-1")
	ep := ports.ConnectorEndpoint{URL: d.ConnectorURL(), Token: d.NewRuntimeToken("rt-1")}
	_, err := newConnector(t, compassclient.Options{}).Configuration(context.Background(), ep)
	if err == nil || !strings.Contains(err.Error(), "certificate") || !strings.Contains(err.Error(), "configuration") {
		t.Fatalf("without the double's CA: err = %v", err)
	}
	if d.Calls("configuration") != 0 {
		t.Fatal("the call reached the double")
	}
	if _, err := newConnector(t, compassclient.Options{RootCAs: d.CACertPEM()}).Configuration(context.Background(), ep); err != nil {
		t.Fatalf("with the double's CA: %v", err)
	}
}
