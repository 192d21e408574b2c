package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/mocks"
	"github.com/appconnector/appconnector/ports"
)

func newCompassStore() ports.CompassConnectionStore { return memory.NewCompassConnectionStore() }

func newCompassEnv(t *testing.T, store ports.CompassConnectionStore) *env {
	t.Helper()
	return newEnv(t, func(cfg *httpapi.Config, a ports.ApplicationRepository, s ports.SecretStore) (ports.ApplicationRepository, ports.SecretStore) {
		cfg.CompassConnections = store
		return a, s
	})
}

// pairedConnection is what the agent stores after pairing and one sync round.
func pairedConnection() compass.Connection {
	at := func(min int) *time.Time {
		t := time.Date(2025, 3, 1, 10, min, 0, 0, time.UTC)
		return &t
	}
	notAfter := time.Date(2025, 5, 30, 10, 0, 0, 0, time.UTC)
	return compass.Connection{
		Spec: compass.Spec{ManagementInfo: compass.ManagementInfo{
			ConnectorURL: "https://compass.example/connector-mtls/graphql",
			DirectorURL:  "https://compass.example/director/graphql",
		}},
		Status: compass.Status{
			ConnectionState: compass.StateSynchronized,
			ConnectionStatus: &compass.ConnectionStatus{
				Established: at(0), LastSync: at(5), LastSuccess: at(5),
				CertificateStatus: compass.CertificateStatus{Acquired: at(0), NotBefore: at(0), NotAfter: &notAfter},
			},
			SynchronizationStatus: &compass.SynchronizationStatus{
				LastAttempt: at(5), LastSuccessfulFetch: at(5), LastSuccessfulApplication: at(5),
				Applications: 2, FailedApplications: map[string]string{"mp-crm": "duplicate name after normalisation"},
			},
		},
	}
}

func createConnection(t *testing.T, store ports.CompassConnectionStore) compass.Connection {
	t.Helper()
	c, err := store.Create(context.Background(), pairedConnection())
	require.NoError(t, err)
	return c
}

// compassDoc is the wire form the tests read back.
type compassDoc struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name            string `json:"name"`
		UID             string `json:"uid"`
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Spec   compass.Spec   `json:"spec"`
	Status compass.Status `json:"status"`
}

func decodeCompassDoc(t *testing.T, body string) compassDoc {
	t.Helper()
	var d compassDoc
	require.NoError(t, json.Unmarshal([]byte(body), &d), body)
	return d
}

func TestCompassConnectionGet(t *testing.T) {
	t.Parallel()

	t.Run("Compass mode off", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		for _, m := range []string{http.MethodGet, http.MethodDelete} {
			r := e.do(t, request{method: m, path: "/v1/compassconnection"})
			require.Equal(t, http.StatusNotFound, r.status, r.body)
			_, msg := r.errorBody(t)
			assert.Equal(t, "Compass mode is off: start with --compass", msg)
		}
		r := e.do(t, request{method: http.MethodPatch, path: "/v1/compassconnection", body: `{"spec":{"resyncNow":true}}`})
		assert.Equal(t, http.StatusNotFound, r.status, r.body)
	})

	t.Run("not paired yet", func(t *testing.T) {
		t.Parallel()
		e := newCompassEnv(t, newCompassStore())
		r := e.do(t, request{method: http.MethodGet, path: "/v1/compassconnection"})
		require.Equal(t, http.StatusNotFound, r.status, r.body)
		code, msg := r.errorBody(t)
		assert.Equal(t, http.StatusNotFound, code)
		assert.Equal(t, "no CompassConnection yet: apply the compass-agent-configuration Secret; the agent pairs at its next round", msg)
	})

	t.Run("as Kyma's CompassConnection, JSON, YAML and HEAD", func(t *testing.T) {
		t.Parallel()
		store := newCompassStore()
		stored := createConnection(t, store)
		e := newCompassEnv(t, store)

		r := e.do(t, request{method: http.MethodGet, path: "/v1/compassconnection"})
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "application/json", r.header.Get("Content-Type"))
		assert.JSONEq(t, `{
			"apiVersion": "compass.kyma-project.io/v1alpha1",
			"kind": "CompassConnection",
			"metadata": {"name": "compass-connection", "uid": "`+stored.UID+`", "resourceVersion": "`+stored.ResourceVersion+`"},
			"spec": {"managementInfo": {"connectorUrl": "https://compass.example/connector-mtls/graphql", "directorUrl": "https://compass.example/director/graphql"}},
			"status": {
				"connectionState": "Synchronized",
				"connectionStatus": {
					"established": "2025-03-01T10:00:00Z", "renewed": null, "lastSync": "2025-03-01T10:05:00Z", "lastSuccess": "2025-03-01T10:05:00Z",
					"certificateStatus": {"acquired": "2025-03-01T10:00:00Z", "notBefore": "2025-03-01T10:00:00Z", "notAfter": "2025-05-30T10:00:00Z"}
				},
				"synchronizationStatus": {
					"lastAttempt": "2025-03-01T10:05:00Z", "lastSuccessfulFetch": "2025-03-01T10:05:00Z", "lastSuccessfulApplication": "2025-03-01T10:05:00Z",
					"applications": 2, "failedApplications": {"mp-crm": "duplicate name after normalisation"}
				}
			}
		}`, r.body)

		r = e.do(t, request{method: http.MethodGet, path: "/v1/compassconnection", headers: map[string]string{"Accept": "application/yaml"}})
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "application/yaml", r.header.Get("Content-Type"))
		assert.True(t, strings.HasPrefix(r.body, "apiVersion: compass.kyma-project.io/v1alpha1\nkind: CompassConnection\nmetadata:\n"), r.body)
		assert.Contains(t, r.body, "connectionState: Synchronized\n")

		r = e.do(t, request{method: http.MethodHead, path: "/v1/compassconnection"})
		assert.Equal(t, http.StatusOK, r.status)
		assert.Empty(t, r.body)
		assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	})

	t.Run("token and methods", func(t *testing.T) {
		t.Parallel()
		e := newCompassEnv(t, newCompassStore())
		r := e.do(t, request{method: http.MethodGet, path: "/v1/compassconnection", noAuth: true})
		assert.Equal(t, http.StatusUnauthorized, r.status)
		r = e.do(t, request{method: http.MethodPost, path: "/v1/compassconnection", body: "{}"})
		require.Equal(t, http.StatusMethodNotAllowed, r.status)
		assert.ElementsMatch(t, []string{"DELETE", "GET", "HEAD", "PATCH", "PUT"}, allowed(r.header.Get("Allow")))
	})
}

func TestCompassConnectionPatch(t *testing.T) {
	t.Parallel()
	store := newCompassStore()
	created := createConnection(t, store)
	e := newCompassEnv(t, store)
	mergePatch := map[string]string{"Content-Type": "application/merge-patch+json"}

	r := e.do(t, request{method: http.MethodPatch, path: "/v1/compassconnection", body: `{"spec":{"resyncNow":true}}`, headers: mergePatch})
	require.Equal(t, http.StatusOK, r.status, r.body)
	d := decodeCompassDoc(t, r.body)
	assert.True(t, d.Spec.ResyncNow)
	assert.NotEqual(t, created.ResourceVersion, d.Metadata.ResourceVersion)
	stored, err := store.Get(context.Background())
	require.NoError(t, err)
	assert.True(t, stored.Spec.ResyncNow)
	assert.False(t, stored.Spec.RefreshCredentialsNow)
	assert.Equal(t, created.Spec.ManagementInfo, stored.Spec.ManagementInfo, "the agent's part of the spec is kept")
	assert.Equal(t, created.Status, stored.Status, "the status is kept")

	// application/json works too; a current resourceVersion is a met precondition.
	r = e.do(t, request{method: http.MethodPatch, path: "/v1/compassconnection",
		body:    `{"metadata":{"name":"compass-connection","resourceVersion":"` + stored.ResourceVersion + `"},"spec":{"refreshCredentialsNow":true}}`,
		headers: map[string]string{"Content-Type": "application/json"}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	d = decodeCompassDoc(t, r.body)
	assert.True(t, d.Spec.ResyncNow, "a flag the patch leaves out is kept")
	assert.True(t, d.Spec.RefreshCredentialsNow)

	// null removes a flag (RFC 7396).
	r = e.do(t, request{method: http.MethodPatch, path: "/v1/compassconnection", body: `{"spec":{"resyncNow":null,"refreshCredentialsNow":false}}`, headers: mergePatch})
	require.Equal(t, http.StatusOK, r.status, r.body)
	stored, err = store.Get(context.Background())
	require.NoError(t, err)
	assert.False(t, stored.Spec.ResyncNow)
	assert.False(t, stored.Spec.RefreshCredentialsNow)

	// A stale resourceVersion is a failed precondition.
	r = e.do(t, request{method: http.MethodPatch, path: "/v1/compassconnection", body: `{"metadata":{"resourceVersion":"` + created.ResourceVersion + `"},"spec":{"resyncNow":true}}`, headers: mergePatch})
	require.Equal(t, http.StatusConflict, r.status, r.body)
	_, msg := r.errorBody(t)
	assert.Contains(t, msg, "metadata.resourceVersion does not match the stored CompassConnection")
	again, err := store.Get(context.Background())
	require.NoError(t, err)
	assert.Equal(t, stored, again, "nothing written")
}

func TestCompassConnectionPatchRejects(t *testing.T) {
	t.Parallel()
	store := newCompassStore()
	createConnection(t, store)
	before, err := store.Get(context.Background())
	require.NoError(t, err)
	e := newCompassEnv(t, store)
	const only = "only spec.resyncNow and spec.refreshCredentialsNow can be changed"

	tests := map[string]struct {
		body        string
		contentType string
		status      int
		msg         string
	}{
		"status":               {body: `{"status":{"connectionState":"Synchronized"}}`, status: 400, msg: "status: is written by the agent; " + only},
		"managementInfo":       {body: `{"spec":{"managementInfo":{"directorUrl":"https://evil.example"}}}`, status: 400, msg: "spec.managementInfo: belongs to the agent, which learns it from the Connector; " + only},
		"unknown spec field":   {body: `{"spec":{"resyncnow":true}}`, status: 400, msg: "spec.resyncnow: unknown field (known here: managementInfo, resyncNow, refreshCredentialsNow); " + only},
		"unknown top field":    {body: `{"spec":{"resyncNow":true},"extra":1}`, status: 400, msg: "extra: unknown field (known here: apiVersion, kind, metadata, spec, status); " + only},
		"odd field name":       {body: `{"spec":{"a b":true}}`, status: 400, msg: `~spec."a b": unknown field`},
		"not a boolean":        {body: `{"spec":{"resyncNow":"yes"}}`, status: 400, msg: "spec.resyncNow: must be true or false, got a string"},
		"spec not an object":   {body: `{"spec":true}`, status: 400, msg: "spec: must be an object; " + only},
		"nothing to change":    {body: `{}`, status: 400, msg: "the patch changes nothing: " + only},
		"other name":           {body: `{"metadata":{"name":"other"},"spec":{"resyncNow":true}}`, status: 400, msg: "metadata.name: must be compass-connection, the only CompassConnection"},
		"labels":               {body: `{"metadata":{"labels":{"a":"b"}},"spec":{"resyncNow":true}}`, status: 400, msg: "metadata.labels: cannot be patched; a patch may carry metadata.name and metadata.resourceVersion (a precondition) only"},
		"wrong kind":           {body: `{"kind":"Application","spec":{"resyncNow":true}}`, status: 400, msg: "kind: must be CompassConnection"},
		"wrong apiVersion":     {body: `{"apiVersion":"v1","spec":{"resyncNow":true}}`, status: 400, msg: "apiVersion: must be compass.kyma-project.io/v1alpha1"},
		"a list":               {body: `[1]`, status: 400, msg: "the body must be a CompassConnection object, got a list"},
		"malformed JSON":       {body: `{"spec":`, status: 400, msg: "~malformed JSON"},
		"trailing data":        {body: `{"spec":{"resyncNow":true}} {}`, status: 400, msg: "malformed JSON: unexpected data after the document"},
		"duplicate YAML key":   {body: "spec:\n  resyncNow: true\n  resyncNow: false\n", contentType: "application/yaml", status: 400, msg: "~malformed YAML"},
		"duplicate JSON key":   {body: `{"spec":{"resyncNow":true,"resyncNow":false}}`, status: 400, msg: "spec.resyncNow: duplicate key"},
		"deeply nested":        {body: `{"spec":{"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}}`, status: 400, msg: "the document is nested more than 32 levels deep"},
		"unclosed object":      {body: `{"spec":{"resyncNow":true}`, status: 400, msg: "~malformed JSON"},
		"YAML alias bomb":      {body: aliasBomb, contentType: "application/yaml", status: 400, msg: "~malformed YAML"},
		"empty body":           {body: "", status: 400, msg: "request body is empty: send a document"},
		"unsupported type":     {body: `{"spec":{"resyncNow":true}}`, contentType: "text/plain", status: 415, msg: "unsupported Content-Type text/plain: send application/json or application/yaml"},
		"json patch is not ok": {body: `[{"op":"replace","path":"/spec/resyncNow","value":true}]`, contentType: "application/json-patch+json", status: 400, msg: "the body must be a CompassConnection object, got a list"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ct := tc.contentType
			if ct == "" {
				ct = "application/merge-patch+json"
			}
			r := e.do(t, request{method: http.MethodPatch, path: "/v1/compassconnection", body: tc.body, headers: map[string]string{"Content-Type": ct}})
			require.Equal(t, tc.status, r.status, r.body)
			code, msg := r.errorBody(t)
			assert.Equal(t, tc.status, code)
			if m, ok := strings.CutPrefix(tc.msg, "~"); ok {
				assert.Contains(t, msg, m)
			} else {
				assert.Equal(t, tc.msg, msg)
			}
		})
	}
	t.Cleanup(func() {
		after, err := store.Get(context.Background())
		require.NoError(t, err)
		assert.Equal(t, before, after, "no rejected patch wrote anything")
	})
}

// aliasBomb expands to about a billion strings if a parser follows the aliases.
const aliasBomb = `a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
spec: {resyncNow: true, x: *i}
`

// conflictingStore makes the first n Updates fail as if the agent had written in
// between.
type conflictingStore struct {
	ports.CompassConnectionStore
	mu      sync.Mutex
	n       int
	updates int
}

func (s *conflictingStore) Update(ctx context.Context, c compass.Connection) (compass.Connection, error) {
	s.mu.Lock()
	s.updates++
	fail := s.updates <= s.n
	s.mu.Unlock()
	if fail {
		return compass.Connection{}, fmt.Errorf("update: %w", compass.ErrConflict)
	}
	return s.CompassConnectionStore.Update(ctx, c)
}

func TestCompassConnectionWriteRetriesConflicts(t *testing.T) {
	t.Parallel()

	t.Run("without resourceVersion: retried", func(t *testing.T) {
		t.Parallel()
		inner := newCompassStore()
		createConnection(t, inner)
		store := &conflictingStore{CompassConnectionStore: inner, n: 3}
		e := newCompassEnv(t, store)
		r := e.do(t, request{method: http.MethodPatch, path: "/v1/compassconnection", body: `{"spec":{"resyncNow":true}}`})
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, 4, store.updates)
		got, err := inner.Get(context.Background())
		require.NoError(t, err)
		assert.True(t, got.Spec.ResyncNow)
	})

	t.Run("with resourceVersion: one attempt, 409", func(t *testing.T) {
		t.Parallel()
		inner := newCompassStore()
		c := createConnection(t, inner)
		store := &conflictingStore{CompassConnectionStore: inner, n: 1}
		e := newCompassEnv(t, store)
		r := e.do(t, request{method: http.MethodPut, path: "/v1/compassconnection", body: `{"metadata":{"resourceVersion":"` + c.ResourceVersion + `"},"spec":{"resyncNow":true}}`})
		require.Equal(t, http.StatusConflict, r.status, r.body)
		assert.Equal(t, 1, store.updates)
	})

	t.Run("endless conflicts end in 409", func(t *testing.T) {
		t.Parallel()
		inner := newCompassStore()
		createConnection(t, inner)
		store := &conflictingStore{CompassConnectionStore: inner, n: 1000}
		e := newCompassEnv(t, store)
		r := e.do(t, request{method: http.MethodPatch, path: "/v1/compassconnection", body: `{"spec":{"resyncNow":true}}`})
		require.Equal(t, http.StatusConflict, r.status, r.body)
		assert.Equal(t, 10, store.updates)
	})

	t.Run("the agent writing status all the time", func(t *testing.T) {
		t.Parallel()
		store := newCompassStore()
		createConnection(t, store)
		e := newCompassEnv(t, store)
		ctx, cancel := context.WithCancel(context.Background())
		agentDone := make(chan int)
		go func() {
			// A busy agent: read-modify-write of the status as fast as it can,
			// keeping the spec flags it read; it counts its own successful writes.
			written := 0
			defer func() { agentDone <- written }()
			for ctx.Err() == nil {
				c, err := store.Get(ctx)
				if err != nil {
					return
				}
				c.Status.SynchronizationStatus.Applications++
				if _, err := store.Update(ctx, c); err == nil {
					written++
				}
			}
		}()
		for i := 0; i < 20; i++ {
			r := e.do(t, request{method: http.MethodPatch, path: "/v1/compassconnection", body: fmt.Sprintf(`{"spec":{"resyncNow":%t}}`, i%2 == 0)})
			require.Equal(t, http.StatusOK, r.status, r.body)
			assert.Equal(t, i%2 == 0, decodeCompassDoc(t, r.body).Spec.ResyncNow)
		}
		cancel()
		written := <-agentDone
		final, err := store.Get(context.Background())
		require.NoError(t, err)
		assert.Equal(t, 2+written, final.Status.SynchronizationStatus.Applications, "no agent write was lost to a PATCH")
		assert.False(t, final.Spec.ResyncNow, "the last PATCH set false")
	})
}

func TestCompassConnectionPut(t *testing.T) {
	t.Parallel()
	store := newCompassStore()
	createConnection(t, store)
	e := newCompassEnv(t, store)
	yamlCT := map[string]string{"Content-Type": "application/yaml"}

	// What GET -o yaml answers, edited, goes back unchanged otherwise.
	got := e.do(t, request{method: http.MethodGet, path: "/v1/compassconnection?output=yaml"})
	require.Equal(t, http.StatusOK, got.status)
	edited := strings.Replace(got.body, "spec:\n", "spec:\n  resyncNow: true\n", 1)
	// The status is ignored, whatever it says.
	edited = strings.Replace(edited, "connectionState: Synchronized", "connectionState: ConnectionFailed", 1)
	require.NotEqual(t, got.body, edited)
	r := e.do(t, request{method: http.MethodPut, path: "/v1/compassconnection", body: edited, headers: yamlCT})
	require.Equal(t, http.StatusOK, r.status, r.body)
	d := decodeCompassDoc(t, r.body)
	assert.True(t, d.Spec.ResyncNow)
	assert.Equal(t, compass.StateSynchronized, d.Status.ConnectionState)
	stored, err := store.Get(context.Background())
	require.NoError(t, err)
	assert.True(t, stored.Spec.ResyncNow)
	assert.Equal(t, compass.StateSynchronized, stored.Status.ConnectionState)

	// The same body again carries a stale resourceVersion now.
	r = e.do(t, request{method: http.MethodPut, path: "/v1/compassconnection", body: edited, headers: yamlCT})
	require.Equal(t, http.StatusConflict, r.status, r.body)

	// Without managementInfo and resourceVersion: a replace of the user's flags, so a
	// flag left out becomes false.
	r = e.do(t, request{method: http.MethodPut, path: "/v1/compassconnection",
		body: `{"apiVersion":"compass.kyma-project.io/v1alpha1","kind":"CompassConnection","metadata":{"name":"compass-connection"},"spec":{"refreshCredentialsNow":true}}`})
	require.Equal(t, http.StatusOK, r.status, r.body)
	stored, err = store.Get(context.Background())
	require.NoError(t, err)
	assert.False(t, stored.Spec.ResyncNow)
	assert.True(t, stored.Spec.RefreshCredentialsNow)
	assert.Equal(t, "https://compass.example/director/graphql", stored.Spec.ManagementInfo.DirectorURL)

	for name, tc := range map[string]struct {
		body, msg string
	}{
		"managementInfo changed": {
			body: `{"spec":{"managementInfo":{"connectorUrl":"https://compass.example/connector-mtls/graphql","directorUrl":"https://evil.example/graphql"}}}`,
			msg:  "spec.managementInfo: belongs to the agent, which learns it from the Connector; leave it out or send the stored value",
		},
		"unknown managementInfo field": {body: `{"spec":{"managementInfo":{"directorURL":"x"}}}`, msg: "~spec.managementInfo.directorURL: unknown field (known here: connectorUrl, directorUrl)"},
		"unknown spec field":           {body: `{"spec":{"resync":true}}`, msg: "~spec.resync: unknown field"},
		"unknown metadata field":       {body: `{"metadata":{"namespace":"x"}}`, msg: "~metadata.namespace: unknown field"},
		"other name":                   {body: `{"metadata":{"name":"x"}}`, msg: "metadata.name: must be compass-connection, the only CompassConnection"},
		"wrong kind":                   {body: `{"kind":"Secret"}`, msg: "kind: must be CompassConnection"},
		"resourceVersion a number":     {body: `{"metadata":{"resourceVersion":5}}`, msg: "metadata.resourceVersion: must be a string, got a number"},
		"resourceVersion not issued":   {body: `{"metadata":{"resourceVersion":"abc"}}`, msg: "~metadata.resourceVersion: \"abc\" is not a resource version"},
	} {
		r := e.do(t, request{method: http.MethodPut, path: "/v1/compassconnection", body: tc.body})
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", name, r.body)
		_, msg := r.errorBody(t)
		if m, ok := strings.CutPrefix(tc.msg, "~"); ok {
			assert.Contains(t, msg, m, name)
		} else {
			assert.Equal(t, tc.msg, msg, name)
		}
	}
	after, err := store.Get(context.Background())
	require.NoError(t, err)
	assert.Equal(t, stored, after, "no rejected PUT wrote anything")
}

func TestCompassConnectionDelete(t *testing.T) {
	t.Parallel()
	store := newCompassStore()
	createConnection(t, store)
	e := newCompassEnv(t, store)

	r := e.do(t, request{method: http.MethodDelete, path: "/v1/compassconnection"})
	require.Equal(t, http.StatusNoContent, r.status, r.body)
	_, err := store.Get(context.Background())
	require.ErrorIs(t, err, compass.ErrNotFound)

	for _, m := range []string{http.MethodDelete, http.MethodGet, http.MethodPut, http.MethodPatch} {
		r = e.do(t, request{method: m, path: "/v1/compassconnection", body: `{"spec":{"resyncNow":true}}`})
		require.Equal(t, http.StatusNotFound, r.status, "%s: %s", m, r.body)
		_, msg := r.errorBody(t)
		assert.Contains(t, msg, "no CompassConnection yet", m)
	}
	_, err = store.Get(context.Background())
	require.ErrorIs(t, err, compass.ErrNotFound, "a PUT or PATCH never creates it: the agent does")
}

func TestCompassConnectionBodyLimit(t *testing.T) {
	t.Parallel()
	store := newCompassStore()
	createConnection(t, store)
	e := newCompassEnv(t, store)
	big := `{"spec":{"resyncNow":true},"status":{"x":"` + strings.Repeat("x", httpapi.DefaultBodyLimit) + `"}}`
	for _, m := range []string{http.MethodPatch, http.MethodPut} {
		r := e.do(t, request{method: m, path: "/v1/compassconnection", body: big})
		require.Equal(t, http.StatusRequestEntityTooLarge, r.status, m)
		_, msg := r.errorBody(t)
		assert.Equal(t, "request body is larger than 1048576 bytes", msg)
	}
}

// TestUnavailableCompassStoreIs503 fails the store as an adapter whose backend is down
// does: 503 with a fixed message and Retry-After; the cause only in the log.
func TestUnavailableCompassStoreIs503(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	store := mocks.NewMockCompassConnectionStore(ctrl)
	cause := fmt.Errorf("get compassconnection: Get \"https://10.0.0.1:6443/apis/compass.kyma-project.io\": dial tcp: connection refused")
	store.EXPECT().Get(gomock.Any()).Return(compass.Connection{}, cause).Times(3)
	store.EXPECT().Delete(gomock.Any()).Return(cause)
	e := newCompassEnv(t, store)
	for _, req := range []request{
		{method: http.MethodGet, path: "/v1/compassconnection"},
		{method: http.MethodPatch, path: "/v1/compassconnection", body: `{"spec":{"resyncNow":true}}`},
		{method: http.MethodPut, path: "/v1/compassconnection", body: `{"spec":{"resyncNow":true}}`},
		{method: http.MethodDelete, path: "/v1/compassconnection"},
	} {
		r := e.do(t, req)
		require.Equal(t, http.StatusServiceUnavailable, r.status, "%s: %s", req.method, r.body)
		code, msg := r.errorBody(t)
		assert.Equal(t, http.StatusServiceUnavailable, code)
		assert.Equal(t, "CompassConnection store unavailable; retry later", msg)
		assert.Equal(t, "5", r.header.Get("Retry-After"))
		assert.NotContains(t, r.body, "10.0.0.1")
	}
	assert.Contains(t, e.logs.String(), "10.0.0.1:6443")
}

// TestCompassStoreFailingUpdate covers an Update that fails after a good Get, and
// the contract's invalid error.
func TestCompassStoreFailingUpdate(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	store := mocks.NewMockCompassConnectionStore(ctrl)
	c := pairedConnection()
	c.Name, c.ResourceVersion = compass.ConnectionName, "7"
	store.EXPECT().Get(gomock.Any()).Return(c, nil).Times(2)
	gomock.InOrder(
		store.EXPECT().Update(gomock.Any(), gomock.Any()).Return(compass.Connection{}, fmt.Errorf("bolt: database not open")),
		store.EXPECT().Update(gomock.Any(), gomock.Any()).Return(compass.Connection{}, fmt.Errorf("%w: spec.managementInfo.directorUrl is required", compass.ErrInvalid)),
	)
	e := newCompassEnv(t, store)
	r := e.do(t, request{method: http.MethodPatch, path: "/v1/compassconnection", body: `{"spec":{"resyncNow":true}}`})
	assert.Equal(t, http.StatusServiceUnavailable, r.status, r.body)
	r = e.do(t, request{method: http.MethodPatch, path: "/v1/compassconnection", body: `{"spec":{"resyncNow":true}}`})
	require.Equal(t, http.StatusBadRequest, r.status, r.body)
	_, msg := r.errorBody(t)
	assert.Equal(t, "invalid: spec.managementInfo.directorUrl is required", msg)
}
