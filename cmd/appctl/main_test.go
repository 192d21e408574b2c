package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/app/registry"
	"github.com/appconnector/appconnector/ports"
)

const testToken = "appctl-test-token-0123456789"

type server struct {
	url     string
	apps    ports.ApplicationRepository
	secrets ports.SecretStore
}

func newServer(t *testing.T) server {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	apps, secrets := memory.NewApplicationRepository(), memory.NewSecretStore()
	srv := httpapi.NewServer(httpapi.Config{AdminToken: testToken}, registry.NewService(apps, secrets, logger), logger, nil)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return server{url: ts.URL, apps: apps, secrets: secrets}
}

type result struct {
	code           int
	stdout, stderr string
}

// appctl runs the command against s with explicit --server and --token.
func (s server) appctl(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runAppctl(t, stdin, append([]string{"--server", s.url, "--token", testToken}, args...)...)
}

func runAppctl(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func examplesDir() string { return filepath.Join("..", "..", "examples") }

func TestApplyExamplesAndListThem(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := s.appctl(t, "", "apply", "-f", filepath.Join(examplesDir(), "application.yaml"), "-f", filepath.Join(examplesDir(), "secret.yaml"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "application.applicationconnector.kyma-project.io/orders-app created\nsecret/orders-app-basic created\n", r.stdout)
	assert.Empty(t, r.stderr)

	r = s.appctl(t, "", "apply", "-f", filepath.Join(examplesDir(), "application.yaml"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "application.applicationconnector.kyma-project.io/orders-app configured\n", r.stdout)

	r = s.appctl(t, "", "get", "applications")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "NAME         SERVICES   APIS   EVENTS   DESCRIPTION\n"+
		"orders-app   1          1      0        Order management system of the shop\n", r.stdout)

	r = s.appctl(t, "", "get", "secrets")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "NAME               KEYS                DATA\norders-app-basic   password,username   2\n", r.stdout)
	assert.NotContains(t, r.stdout, "change-me")

	stored, err := s.secrets.Get(context.Background(), "orders-app-basic")
	require.NoError(t, err)
	assert.Equal(t, "change-me", string(stored.Data["password"]))
}

func TestApplyDirectoryMultiDocument(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := s.appctl(t, "", "apply", "-f", examplesDir())
	require.Equal(t, 0, r.code, r.stderr)
	// Sorted files: application.yaml, oauth.yaml (three documents), secret.yaml.
	assert.Equal(t, "application.applicationconnector.kyma-project.io/orders-app created\n"+
		"application.applicationconnector.kyma-project.io/crm-app created\n"+
		"secret/crm-app-oauth created\n"+
		"secret/crm-app-params created\n"+
		"secret/orders-app-basic created\n", r.stdout)
	apps, err := s.apps.List(context.Background())
	require.NoError(t, err)
	assert.Len(t, apps, 2)
}

func TestApplyFromStdin(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	kyma, err := os.ReadFile(filepath.Join("..", "..", "adapters", "manifest", "testdata", "kyma-example-validator-compass.yaml"))
	require.NoError(t, err)
	stdin := string(kyma) + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a: b}\n"
	r := s.appctl(t, stdin, "apply", "-f", "-")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "application.applicationconnector.kyma-project.io/event-test-compass created\nsecret/s created\n", r.stdout)

	r = s.appctl(t, "", "get", "application", "event-test-compass", "-o", "yaml")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "kind: Application\n")
	assert.Contains(t, r.stdout, "- clientId1\n")

	r = s.appctl(t, "", "get", "app", "event-test-compass", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"skipVerify": true`)

	r = s.appctl(t, "", "get", "apps", "-o", "name")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "application.applicationconnector.kyma-project.io/event-test-compass\n", r.stdout)

	r = s.appctl(t, "", "get", "secret", "s", "-o", "yaml")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "keys:\n- a\n")

	// What get -o yaml prints applies back unchanged.
	r2 := s.appctl(t, s.appctl(t, "", "get", "apps", "-o", "yaml").stdout, "apply", "-f", "-")
	require.Equal(t, 0, r2.code, r2.stderr)
	assert.Equal(t, "application.applicationconnector.kyma-project.io/event-test-compass configured\n", r2.stdout)
}

func TestDelete(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	require.Equal(t, 0, s.appctl(t, "", "apply", "-f", examplesDir()).code)

	r := s.appctl(t, "", "delete", "application", "orders-app", "crm-app")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "application.applicationconnector.kyma-project.io \"orders-app\" deleted\n"+
		"application.applicationconnector.kyma-project.io \"crm-app\" deleted\n", r.stdout)

	r = s.appctl(t, "", "delete", "secret", "orders-app-basic", "absent")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "secret \"orders-app-basic\" deleted\n", r.stdout)
	assert.Equal(t, "error: secret \"absent\": server answered 404 Not Found: delete secret absent: secret not found\n", r.stderr)

	r = s.appctl(t, "", "delete", "secret", "absent", "--ignore-not-found")
	assert.Equal(t, 0, r.code, r.stderr)

	r = s.appctl(t, "", "get", "applications")
	require.Equal(t, 0, r.code)
	assert.Empty(t, r.stdout)
	assert.Equal(t, "No applications found.\n", r.stderr)
}

func TestErrorsExitNonZero(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.yaml")
	require.NoError(t, os.WriteFile(typo, []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: ok}\n---\n"+
		"apiVersion: applicationconnector.kyma-project.io/v1alpha1\nkind: Application\nmetadata: {name: a}\n"+
		"spec:\n  services:\n  - id: x\n    entries:\n    - type: API\n      targetURL: http://x\n"), 0o600))
	invalid := filepath.Join(dir, "invalid.yaml")
	require.NoError(t, os.WriteFile(invalid, []byte("apiVersion: applicationconnector.kyma-project.io/v1alpha1\nkind: Application\n"+
		"metadata: {name: Bad_Name}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: fine}\nstringData: {a: b}\n"), 0o600))

	tests := map[string]struct {
		stdin  string
		args   []string
		stdout string
		stderr string
	}{
		"decode error names file, document and field; nothing applied": {
			args:   []string{"apply", "-f", typo},
			stderr: "error: " + typo + `: document[1]: spec.services[0].entries[0].targetURL: unknown field; did you mean "targetUrl"?` + "\n",
		},
		"server rejects one object, the others are applied": {
			args:   []string{"apply", "-f", invalid},
			stdout: "secret/fine created\n",
			stderr: "~error: " + invalid + ": application.applicationconnector.kyma-project.io/Bad_Name: server answered 400 Bad Request: invalid application: metadata.name",
		},
		"missing file":          {args: []string{"apply", "-f", filepath.Join(dir, "absent.yaml")}, stderr: "~error: read " + filepath.Join(dir, "absent.yaml")},
		"missing -f":            {args: []string{"apply"}, stderr: "error: required flag(s) \"filename\" not set\n"},
		"empty stdin":           {args: []string{"apply", "-f", "-"}, stderr: "error: no objects to apply\n"},
		"not a manifest":        {args: []string{"apply", "-f", "-"}, stdin: "hello", stderr: "error: stdin: document[0]: must be an object (a Kubernetes manifest), got a string\n"},
		"unknown kind":          {args: []string{"apply", "-f", "-"}, stdin: "apiVersion: v1\nkind: ConfigMap\n", stderr: "error: stdin: document[0]: kind: \"ConfigMap\" is not supported: use Application, Secret, List, ApplicationList or SecretList\n"},
		"absent application":    {args: []string{"get", "application", "absent"}, stderr: "error: server answered 404 Not Found: get application absent: application not found\n"},
		"bad output":            {args: []string{"get", "applications", "-o", "xml"}, stderr: "error: --output: unknown output format \"xml\": use json or yaml (or name)\n"},
		"unknown resource":      {args: []string{"get", "pods"}, stderr: "error: unknown resource type \"pods\": use applications, compassconnection, secrets\n"},
		"no resource":           {args: []string{"delete"}, stderr: "error: specify a resource type: application, secret\n"},
		"unknown command":       {args: []string{"frobnicate"}, stderr: "error: unknown command \"frobnicate\" for \"appctl\"\n"},
		"delete without a name": {args: []string{"delete", "application"}, stderr: "error: requires at least 1 arg(s), only received 0\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := s.appctl(t, tc.stdin, tc.args...)
			assert.Equal(t, 1, r.code)
			assert.Equal(t, tc.stdout, r.stdout)
			if want, ok := strings.CutPrefix(tc.stderr, "~"); ok {
				assert.Contains(t, r.stderr, want)
			} else {
				assert.Equal(t, tc.stderr, r.stderr)
			}
		})
	}
	apps, err := s.apps.List(context.Background())
	require.NoError(t, err)
	assert.Empty(t, apps, "a file with a bad document applies nothing")
}

func TestWrongTokenAndUnreachableServer(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := runAppctl(t, "", "--server", s.url, "--token", "wrong-token", "get", "secrets")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "error: server answered 401 Unauthorized: missing or invalid bearer token (check --token, APPCONNECTOR_TOKEN or <data-dir>/admin.token)\n", r.stderr)
	assert.NotContains(t, r.stderr, "wrong-token")

	ts := httptest.NewServer(nil)
	addr := ts.URL
	ts.Close()
	r = runAppctl(t, "", "--server", addr, "--token", testToken, "get", "applications")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "error: cannot reach the management API at "+addr+" (is appconnector running? see --server)")
	assert.NotContains(t, r.stderr, testToken)
}

// Not parallel: it sets environment variables.
func TestServerAndTokenFromEnvironmentAndDataDir(t *testing.T) {
	s := newServer(t)
	dataDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dataDir, "admin.token"), []byte(testToken+"\n"), 0o600))

	t.Setenv(envServer, s.url)
	t.Setenv(envToken, "")
	t.Setenv(envDataDir, dataDir)
	r := runAppctl(t, "", "get", "applications")
	assert.Equal(t, 0, r.code, "token from $APPCONNECTOR_DATA_DIR/admin.token: %s", r.stderr)

	t.Setenv(envDataDir, "")
	r = runAppctl(t, "", "--data-dir", dataDir, "get", "applications")
	assert.Equal(t, 0, r.code, "token from --data-dir: %s", r.stderr)

	t.Setenv(envToken, testToken)
	r = runAppctl(t, "", "--data-dir", t.TempDir(), "get", "applications")
	assert.Equal(t, 0, r.code, "$APPCONNECTOR_TOKEN wins over the data dir: %s", r.stderr)

	r = runAppctl(t, "", "--token", "wrong-token", "get", "applications")
	assert.Equal(t, 1, r.code, "--token wins over $APPCONNECTOR_TOKEN")

	t.Setenv(envToken, "")
	empty := t.TempDir()
	r = runAppctl(t, "", "--data-dir", empty, "get", "applications")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "error: no admin token: pass --token, set APPCONNECTOR_TOKEN, or point --data-dir (APPCONNECTOR_DATA_DIR) at the server's data directory")

	t.Setenv(envServer, "")
	g := &globals{getenv: os.Getenv}
	assert.Equal(t, defaultServer, g.ServerURL())
	assert.Equal(t, defaultDataDir, g.DataDir())
}

func TestOtherFilesCanAddCommands(t *testing.T) {
	t.Parallel()
	g := &globals{getenv: func(string) string { return "" }}
	root := newRootCmd(g)
	var names []string
	for _, c := range root.Commands() {
		names = append(names, c.Name())
	}
	assert.Subset(t, names, []string{"apply", "get", "delete"})
}
