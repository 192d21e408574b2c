package compass_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	compassclient "github.com/appconnector/appconnector/adapters/compass"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
)

const testToken = "one-time-token-5ecret"

func newConnector(t *testing.T, o compassclient.Options) *compassclient.ConnectorClient {
	t.Helper()
	c, err := compassclient.NewConnectorClient(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func TestConnectorConfigurationWithToken(t *testing.T) {
	srv := newFakeGraphQL(t, nil, func(gqlRequest) (int, any) {
		return data(map[string]any{"configuration": map[string]any{
			"token":                         map[string]any{"token": "next-token"},
			"certificateSigningRequestInfo": map[string]any{"subject": "O=Org,OU=OrgUnit,L=Locality,ST=State,C=PL,CN=rt-1", "keyAlgorithm": "rsa2048"},
			"managementPlaneInfo":           map[string]any{"directorURL": "https://d/graphql", "certificateSecuredConnectorURL": "https://c/graphql"},
		}})
	})
	c := newConnector(t, compassclient.Options{RootCAs: srv.caPEM()})
	got, err := c.Configuration(context.Background(), ports.ConnectorEndpoint{URL: srv.URL, Token: testToken, RequestID: "rt-1_req"})
	if err != nil {
		t.Fatal(err)
	}
	want := compass.Configuration{
		Token: "next-token", Subject: "O=Org,OU=OrgUnit,L=Locality,ST=State,C=PL,CN=rt-1", KeyAlgorithm: "rsa2048",
		DirectorURL: "https://d/graphql", CertificateSecuredConnectorURL: "https://c/graphql",
	}
	if got != want {
		t.Fatalf("configuration = %+v, want %+v", got, want)
	}
	reqs := srv.all()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if h := r.Header.Get("Connector-Token"); h != testToken {
		t.Errorf("Connector-Token = %q", h)
	}
	if h := r.Header.Get("X-Request-Id"); h != "rt-1_req" {
		t.Errorf("x-request-id = %q", h)
	}
	if r.ClientCN != "" {
		t.Errorf("a token call presented the client certificate %q", r.ClientCN)
	}
	if r.OperationName != "Configuration" || !strings.Contains(r.Query, "configuration") {
		t.Errorf("operation %q query %q", r.OperationName, r.Query)
	}
}

// A revoked certificate gets an answer with nothing in it (compass.md 1.6): not an
// error of the client; the agent decides.
func TestConnectorConfigurationNullPartsAreEmptyFields(t *testing.T) {
	for name, cfg := range map[string]any{
		"all null":      map[string]any{"token": nil, "certificateSigningRequestInfo": nil, "managementPlaneInfo": nil},
		"null URLs":     map[string]any{"managementPlaneInfo": map[string]any{"directorURL": nil, "certificateSecuredConnectorURL": nil}},
		"missing parts": map[string]any{},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFakeGraphQL(t, nil, func(gqlRequest) (int, any) { return data(map[string]any{"configuration": cfg}) })
			c := newConnector(t, compassclient.Options{RootCAs: srv.caPEM()})
			got, err := c.Configuration(context.Background(), ports.ConnectorEndpoint{URL: srv.URL, Token: testToken})
			if err != nil {
				t.Fatal(err)
			}
			if got != (compass.Configuration{}) {
				t.Fatalf("configuration = %+v, want empty", got)
			}
		})
	}
}

func TestConnectorCertificateSecuredCallsUseMTLSWithoutToken(t *testing.T) {
	ca := newTestCA(t)
	srv := newFakeGraphQL(t, ca, func(r gqlRequest) (int, any) {
		if r.OperationName == "RevokeCertificate" {
			return data(map[string]any{"revokeCertificate": true})
		}
		return data(map[string]any{"configuration": map[string]any{}})
	})
	c := newConnector(t, compassclient.Options{RootCAs: srv.caPEM()})
	creds := ca.client(t, "rt-1")
	ep := ports.ConnectorEndpoint{URL: srv.URL, Credentials: &creds}
	if _, err := c.Configuration(context.Background(), ep); err != nil {
		t.Fatal(err)
	}
	if err := c.RevokeCertificate(context.Background(), ep); err != nil {
		t.Fatal(err)
	}
	for _, r := range srv.all() {
		if r.ClientCN != "rt-1" {
			t.Errorf("%s presented %q, want the runtime certificate", r.OperationName, r.ClientCN)
		}
		if _, ok := r.Header["Connector-Token"]; ok {
			t.Errorf("%s sent a Connector-Token header", r.OperationName)
		}
		if _, ok := r.Header["X-Request-Id"]; ok {
			t.Errorf("%s sent an empty x-request-id", r.OperationName)
		}
	}
}

func TestSignCSRSendsBase64VariableAndDecodesPEM(t *testing.T) {
	csrPEM := []byte("-----BEGIN CERTIFICATE REQUEST-----\nTUlJQ1NS\n-----END CERTIFICATE REQUEST-----\n")
	chain := "-----BEGIN CERTIFICATE-----\nY2xpZW50\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n"
	caPEM := "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n"
	client := "-----BEGIN CERTIFICATE-----\nY2xpZW50\n-----END CERTIFICATE-----\n"
	b64 := base64.StdEncoding.EncodeToString
	srv := newFakeGraphQL(t, nil, func(gqlRequest) (int, any) {
		return data(map[string]any{"signCertificateSigningRequest": map[string]any{
			"certificateChain": b64([]byte(chain)), "caCertificate": b64([]byte(caPEM)), "clientCertificate": b64([]byte(client)),
		}})
	})
	c := newConnector(t, compassclient.Options{RootCAs: srv.caPEM()})
	got, err := c.SignCSR(context.Background(), ports.ConnectorEndpoint{URL: srv.URL, Token: testToken}, csrPEM)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.CertificateChain) != chain || string(got.CACertificate) != caPEM || string(got.ClientCertificate) != client {
		t.Fatalf("decoded result = %q / %q / %q", got.CertificateChain, got.CACertificate, got.ClientCertificate)
	}
	r := srv.all()[0]
	if r.Variables["csr"] != b64(csrPEM) {
		t.Errorf("csr variable = %v, want the standard base64 of the PEM", r.Variables["csr"])
	}
	if strings.Contains(r.Query, b64(csrPEM)) || strings.Contains(r.Query, "TUlJQ1NS") {
		t.Error("the CSR was interpolated into the query")
	}
	if !strings.Contains(r.Query, "$csr") {
		t.Errorf("query does not use the $csr variable: %s", r.Query)
	}
}

func TestSignCSRRejectsBadResultFields(t *testing.T) {
	good := base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n"))
	for name, tc := range map[string]struct {
		chain, want string
	}{
		"bad base64":  {"not*base64!", "certificateChain: not valid base64"},
		"not PEM":     {base64.StdEncoding.EncodeToString([]byte("plain bytes")), "certificateChain: decoded base64 is not PEM"},
		"empty field": {"", "certificateChain: empty"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFakeGraphQL(t, nil, func(gqlRequest) (int, any) {
				return data(map[string]any{"signCertificateSigningRequest": map[string]any{
					"certificateChain": tc.chain, "caCertificate": good, "clientCertificate": good,
				}})
			})
			c := newConnector(t, compassclient.Options{RootCAs: srv.caPEM()})
			_, err := c.SignCSR(context.Background(), ports.ConnectorEndpoint{URL: srv.URL, Token: testToken}, []byte("csr"))
			if err == nil || !strings.Contains(err.Error(), "signCertificateSigningRequest") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming the operation and %q", err, tc.want)
			}
		})
	}
}

// The server's message is in the error, with the operation; the token and the CSR are
// not, even when the server echoes them.
func TestConnectorErrorsNameOperationWithoutSecrets(t *testing.T) {
	csrPEM := []byte("-----BEGIN CERTIFICATE REQUEST-----\nU0VDUkVUQ1NS\n-----END CERTIFICATE REQUEST-----\n")
	csrB64 := base64.StdEncoding.EncodeToString(csrPEM)
	echo := "token " + testToken + " and csr " + csrB64 + " refused"
	for name, tc := range map[string]struct {
		status int
		body   any
		code   int
	}{
		"GraphQL error": {http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{"message": echo, "path": []any{"signCertificateSigningRequest"}}}}, http.StatusOK},
		"HTTP 401 text": {http.StatusUnauthorized, echo, http.StatusUnauthorized},
		"HTTP 500 JSON": {http.StatusInternalServerError, map[string]any{"errors": []any{map[string]any{"message": echo}}}, http.StatusInternalServerError},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFakeGraphQL(t, nil, func(gqlRequest) (int, any) { return tc.status, tc.body })
			c := newConnector(t, compassclient.Options{RootCAs: srv.caPEM()})
			_, err := c.SignCSR(context.Background(), ports.ConnectorEndpoint{URL: srv.URL, Token: testToken}, csrPEM)
			var ce *compassclient.Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want *compass.Error", err, err)
			}
			if ce.Operation != "signCertificateSigningRequest" || ce.Service != "connector" || ce.StatusCode != tc.code {
				t.Errorf("error = %+v", ce)
			}
			msg := err.Error()
			if !strings.Contains(msg, "signCertificateSigningRequest") || !strings.Contains(msg, "refused") {
				t.Errorf("error %q does not name the operation and the server's message", msg)
			}
			for _, secret := range []string{testToken, csrB64, "U0VDUkVUQ1NS"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q contains a secret", msg)
				}
			}
		})
	}
}

func TestConnectorRevokeCertificateFalseIsAnError(t *testing.T) {
	ca := newTestCA(t)
	srv := newFakeGraphQL(t, ca, func(gqlRequest) (int, any) { return data(map[string]any{"revokeCertificate": false}) })
	c := newConnector(t, compassclient.Options{RootCAs: srv.caPEM()})
	creds := ca.client(t, "rt-1")
	err := c.RevokeCertificate(context.Background(), ports.ConnectorEndpoint{URL: srv.URL, Credentials: &creds})
	if err == nil || !strings.Contains(err.Error(), "revokeCertificate") {
		t.Fatalf("err = %v", err)
	}
}

func TestConnectorRefusesUnusableEndpoints(t *testing.T) {
	c := newConnector(t, compassclient.Options{})
	broken := compass.Credentials{CertificatePEM: []byte("not a cert"), KeyPEM: []byte("-----BEGIN EC PRIVATE KEY-----\nc2VjcmV0a2V5\n-----END EC PRIVATE KEY-----\n")}
	for name, tc := range map[string]struct {
		ep   ports.ConnectorEndpoint
		want string
	}{
		"no URL":         {ports.ConnectorEndpoint{Token: testToken}, "no URL"},
		"relative URL":   {ports.ConnectorEndpoint{URL: "/graphql", Token: testToken}, "not an absolute http(s) URL"},
		"other scheme":   {ports.ConnectorEndpoint{URL: "ftp://x/graphql", Token: testToken}, "not an absolute http(s) URL"},
		"no auth":        {ports.ConnectorEndpoint{URL: "https://127.0.0.1:1/graphql"}, "neither a one-time token nor the runtime certificate"},
		"broken keypair": {ports.ConnectorEndpoint{URL: "https://127.0.0.1:1/graphql", Credentials: &broken}, "do not form a valid pair"},
		"no key":         {ports.ConnectorEndpoint{URL: "https://127.0.0.1:1/graphql", Credentials: &compass.Credentials{CertificatePEM: []byte("x")}}, "no certificate or no key"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.Configuration(context.Background(), tc.ep)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "configuration") {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "c2VjcmV0a2V5") || strings.Contains(err.Error(), testToken) {
				t.Fatalf("err = %v shows a secret", err)
			}
		})
	}
}

func TestAnswersAreReadWithASizeLimit(t *testing.T) {
	big := strings.Repeat("x", 4096)
	srv := newFakeGraphQL(t, nil, func(gqlRequest) (int, any) {
		return data(map[string]any{"configuration": map[string]any{"token": map[string]any{"token": big}}})
	})
	c := newConnector(t, compassclient.Options{RootCAs: srv.caPEM(), MaxResponseBytes: 1024})
	_, err := c.Configuration(context.Background(), ports.ConnectorEndpoint{URL: srv.URL, Token: testToken})
	if err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") || !strings.Contains(err.Error(), "configuration") {
		t.Fatalf("err = %v", err)
	}
	c = newConnector(t, compassclient.Options{RootCAs: srv.caPEM(), MaxResponseBytes: 8192})
	got, err := c.Configuration(context.Background(), ports.ConnectorEndpoint{URL: srv.URL, Token: testToken})
	if err != nil || got.Token != big {
		t.Fatalf("under the limit: err = %v", err)
	}
}

func TestEveryCallHasATimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newConnector(t, compassclient.Options{InsecureSkipVerify: true, Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := c.Configuration(context.Background(), ports.ConnectorEndpoint{URL: srv.URL, Token: testToken})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "configuration") {
		t.Fatalf("err = %v, want a deadline naming the operation", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the call took %s", d)
	}
}

func TestServerCertificateVerification(t *testing.T) {
	srv := newFakeGraphQL(t, nil, func(gqlRequest) (int, any) { return data(map[string]any{"configuration": map[string]any{}}) })
	ep := ports.ConnectorEndpoint{URL: srv.URL, Token: testToken}

	_, err := newConnector(t, compassclient.Options{}).Configuration(context.Background(), ep)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA: err = %v, want a certificate verification error", err)
	}
	otherCA := newTestCA(t)
	_, err = newConnector(t, compassclient.Options{RootCAs: otherCA.pem}).Configuration(context.Background(), ep)
	if err == nil {
		t.Fatal("a CA that did not sign the server's certificate was accepted")
	}
	for name, o := range map[string]compassclient.Options{
		"RootCAs PEM":        {RootCAs: srv.caPEM()},
		"RootCAPool":         {RootCAPool: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs},
		"InsecureSkipVerify": {InsecureSkipVerify: true},
	} {
		if _, err := newConnector(t, o).Configuration(context.Background(), ep); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := compassclient.NewConnectorClient(compassclient.Options{RootCAs: []byte("garbage")}); err == nil {
		t.Error("a RootCAs without a certificate was accepted")
	}
}
