package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestDecodeApplicationKymaExample(t *testing.T) {
	t.Parallel()
	app, err := DecodeApplication(readTestdata(t, "kyma-example-validator-compass.yaml"), FormatAuto)
	require.NoError(t, err)
	require.NoError(t, app.Validate())
	assert.Equal(t, "event-test-compass", app.Name)
	assert.Equal(t, "Test app-con-validator", app.Spec.Description)
	assert.True(t, app.Spec.SkipVerify)
	assert.True(t, app.Spec.EncodesURL(), "encodeUrl defaults to true")
	assert.Equal(t, []string{"clientId1", "clientId2"}, app.Spec.ClientIDs())
	assert.Equal(t, "applicationId", app.Spec.CompassMetadata.ApplicationID)
}

func TestDecodeApplicationEveryField(t *testing.T) {
	t.Parallel()
	app, err := DecodeApplication(readTestdata(t, "full-application.yaml"), FormatYAML)
	require.NoError(t, err)
	require.NoError(t, app.Validate())

	assert.Equal(t, "full-app", app.Name)
	assert.Equal(t, "12345", app.ResourceVersion)
	assert.Equal(t, map[string]string{"application-type": "erp", "connected-app": "full-app"}, app.Labels)
	assert.Equal(t, map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}"}, app.Annotations)

	s := app.Spec
	assert.Equal(t, "ERP system", s.Description)
	assert.True(t, s.SkipVerify)
	assert.False(t, s.EncodesURL())
	assert.Equal(t, map[string]string{"region": "eu"}, s.Labels)
	assert.Equal(t, "full-app", s.AccessLabel)
	assert.Equal(t, "tenant-a", s.Tenant)
	assert.Equal(t, "group-a", s.Group)
	assert.Equal(t, "Full App", s.DisplayName)
	assert.Equal(t, "ACME", s.ProviderDisplayName)
	assert.Equal(t, "A long description.", s.LongDescription)
	assert.Equal(t, []string{"erp", "sap"}, s.Tags)
	assert.Equal(t, []string{"client-1", "client-2"}, s.ClientIDs())

	require.Len(t, s.Services, 1)
	svc := s.Services[0]
	assert.Equal(t, "erp-orders", svc.Identifier)
	assert.Equal(t, "Orders", svc.DisplayName)
	require.NotNil(t, svc.AuthCreateParameterSchema)
	assert.Equal(t, `{"type":"object"}`, *svc.AuthCreateParameterSchema)
	assert.Equal(t, []string{"orders"}, svc.Tags)
	require.Len(t, svc.Entries, 2)
	e := svc.Entries[0]
	assert.Equal(t, application.Entry{
		Type:                        application.EntryTypeAPI,
		GatewayURL:                  "http://full-app-gateway.kyma-integration.svc.cluster.local",
		CentralGatewayURL:           "http://central-application-gateway.kyma-system.svc.cluster.local:8082/full-app/orders/orders-v1",
		AccessLabel:                 "full-app",
		TargetURL:                   "https://erp.example.com/orders?client=100",
		SpecificationURL:            "https://erp.example.com/orders/spec",
		APIType:                     "OPEN_API",
		RequestParametersSecretName: "params-full-app",
		Name:                        "orders v1",
		ID:                          "66666666-7777-8888-9999-000000000000",
		Credentials: &application.Credentials{
			Type:              application.CredentialOAuthWithCert,
			SecretName:        "full-app-oauth-cert",
			AuthenticationURL: "https://erp.example.com/oauth/token",
			CSRFInfo:          &application.CSRFInfo{TokenEndpointURL: "https://erp.example.com/csrf"},
		},
	}, e)
	assert.Equal(t, application.EntryTypeEvents, svc.Entries[1].Type)
}

func TestDecodeApplicationJSON(t *testing.T) {
	t.Parallel()
	doc := `{"apiVersion":"applicationconnector.kyma-project.io/v1alpha1","kind":"Application",
	  "metadata":{"name":"a"},"spec":{"skipVerify":true,"labels":null,"tags":null}}`
	for _, f := range []Format{FormatAuto, FormatJSON, FormatYAML} {
		app, err := DecodeApplication([]byte(doc), f)
		require.NoError(t, err, f.String())
		assert.Equal(t, "a", app.Name)
		assert.True(t, app.Spec.SkipVerify)
	}
}

func TestDecodeApplicationErrors(t *testing.T) {
	t.Parallel()
	const head = "apiVersion: applicationconnector.kyma-project.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\n"
	tests := map[string]struct {
		doc    string
		format Format
		field  string
		reason string
	}{
		"typo in entry field": {
			doc:   head + "spec:\n  services:\n  - id: x\n    entries:\n    - type: API\n      targetURL: http://x\n",
			field: "spec.services[0].entries[0].targetURL", reason: `unknown field; did you mean "targetUrl"?`,
		},
		"unknown spec field": {
			doc: head + "spec:\n  colour: blue\n", field: "spec.colour", reason: "unknown field",
		},
		"misspelt field": {
			doc: head + "spec:\n  skipVerfy: true\n", field: "spec.skipVerfy", reason: `unknown field; did you mean "skipVerify"?`,
		},
		"unknown credentials field": {
			doc:   head + "spec:\n  services:\n  - entries:\n    - credentials: {type: Basic, secret: s}\n",
			field: "spec.services[0].entries[0].credentials.secret", reason: "unknown field",
		},
		"unknown top-level field": {
			doc: head + "specs: {}\n", field: "specs", reason: `unknown field; did you mean "spec"?`,
		},
		"unknown metadata field": {
			doc: head + "  lables: {a: b}\n", field: "metadata.lables", reason: `unknown field; did you mean "labels"?`,
		},
		"bool as string": {
			doc: head + "spec:\n  skipVerify: \"yes\"\n", field: "spec.skipVerify", reason: "must be a boolean (true or false), got a string",
		},
		"yaml bool in string field": {
			doc: head + "spec:\n  description: yes\n", field: "spec.description", reason: "must be a string, got a boolean; quote the value in YAML",
		},
		"number in string field": {
			doc: head + "spec:\n  labels:\n    version: 2\n", field: "spec.labels.version", reason: "must be a string, got a number; quote the value in YAML",
		},
		"services not an array": {
			doc: head + "spec:\n  services: {}\n", field: "spec.services", reason: "must be an array, got an object",
		},
		"metadata not an object": {
			doc: "kind: Application\nmetadata: [a]\n", field: "metadata", reason: "must be an object, got an array",
		},
		"wrong kind": {
			doc: "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n", field: "kind", reason: `must be Application, got "Secret"`,
		},
		"wrong apiVersion": {
			doc: "apiVersion: applicationconnector.kyma-project.io/v1\nkind: Application\n", field: "apiVersion",
			reason: "must be applicationconnector.kyma-project.io/v1alpha1 for kind Application",
		},
		"kind not a string": {
			doc: "kind: 1\n", field: "kind", reason: "must be a string, got a number; quote the value in YAML",
		},
		"not an object":      {doc: "- a\n- b\n", reason: "must be an object (a Kubernetes manifest), got an array"},
		"scalar":             {doc: "hello\n", reason: "must be an object (a Kubernetes manifest), got a string"},
		"empty":              {doc: "", reason: "document is empty"},
		"null":               {doc: "null", format: FormatJSON, reason: "document is empty"},
		"malformed json":     {doc: `{"kind": `, format: FormatJSON, reason: "malformed JSON: unexpected EOF"},
		"trailing json":      {doc: `{"kind":"Application"} {}`, format: FormatJSON, reason: "malformed JSON: unexpected data after the document"},
		"duplicate yaml key": {doc: head + "spec: {}\nspec: {}\n"},
		"malformed yaml":     {doc: "kind: [\n"},
		"tab indentation":    {doc: "kind: Application\nmetadata:\n\tname: a\n"},
		"content after a flow mapping": {
			doc: "{kind: Application}\nspec: {skipVerify: true}\n", reason: "malformed YAML: unexpected content after the end of the document",
		},
		"trailing json garbage": {doc: `{"kind":"Application"} garbage`, reason: "malformed JSON: unexpected data after the document"},
		"two yaml documents": {
			doc: "kind: Application\n---\nkind: Application\n", reason: "expected one document, got 2; apply a stream with appctl apply -f",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeApplication([]byte(tc.doc), tc.format)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			var me *Error
			require.True(t, errors.As(err, &me), "%T", err)
			assert.Equal(t, -1, me.Document)
			assert.Equal(t, tc.field, me.Field)
			if tc.reason != "" {
				assert.Equal(t, tc.reason, me.Reason)
			}
		})
	}
}

func TestDecodeApplicationYAMLFlowMapping(t *testing.T) {
	t.Parallel()
	// Starts with '{' but is YAML, not JSON.
	app, err := DecodeApplication([]byte("{metadata: {name: a}, spec: {skipVerify: true}}\n# comment\n"), FormatAuto)
	require.NoError(t, err)
	assert.Equal(t, "a", app.Name)
	assert.True(t, app.Spec.SkipVerify)
}

func TestDecodeApplicationLenientHeader(t *testing.T) {
	t.Parallel()
	app, err := DecodeApplication([]byte("metadata:\n  name: a\nspec:\n  description: d\n"), FormatYAML)
	require.NoError(t, err)
	assert.Equal(t, "a", app.Name)
	assert.Equal(t, "d", app.Spec.Description)
}

func TestDecodeApplicationNullsAreAbsent(t *testing.T) {
	t.Parallel()
	app, err := DecodeApplication([]byte("metadata: {name: a, labels: null}\nspec:\n  encodeUrl: null\n  services:\n  - id: x\n    entries: null\n"), FormatYAML)
	require.NoError(t, err)
	assert.Nil(t, app.Labels)
	assert.Nil(t, app.Spec.EncodeURL)
	assert.True(t, app.Spec.EncodesURL())
	require.Len(t, app.Spec.Services, 1)
	assert.Nil(t, app.Spec.Services[0].Entries)
}

func TestEncodeApplicationRoundTrip(t *testing.T) {
	t.Parallel()
	want, err := DecodeApplication(readTestdata(t, "full-application.yaml"), FormatYAML)
	require.NoError(t, err)
	for _, f := range []Format{FormatJSON, FormatYAML} {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			b, err := EncodeApplication(want, f)
			require.NoError(t, err)
			got, err := DecodeApplication(b, f)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

func TestEncodeApplicationShape(t *testing.T) {
	t.Parallel()
	b, err := EncodeApplication(application.Application{Name: "a", ResourceVersion: "3"}, FormatYAML)
	require.NoError(t, err)
	assert.Equal(t, "apiVersion: applicationconnector.kyma-project.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\n  resourceVersion: \"3\"\nspec: {}\n", string(b))

	b, err = EncodeApplicationList(nil, FormatJSON)
	require.NoError(t, err)
	assert.JSONEq(t, `{"apiVersion":"applicationconnector.kyma-project.io/v1alpha1","kind":"ApplicationList","metadata":{},"items":[]}`, string(b))
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Format{"json": FormatJSON, "yaml": FormatYAML, "yml": FormatYAML} {
		got, err := ParseFormat(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := ParseFormat("xml")
	assert.EqualError(t, err, `unknown output format "xml": use json or yaml`)
}
