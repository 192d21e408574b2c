package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/credential"
)

func TestDecodeSecretEveryField(t *testing.T) {
	t.Parallel()
	s, err := DecodeSecret(readTestdata(t, "secret-every-field.yaml"), FormatAuto)
	require.NoError(t, err)
	require.NoError(t, s.Validate())
	assert.Equal(t, "full-app-oauth-cert", s.Name)
	assert.Equal(t, "7", s.ResourceVersion)
	assert.Equal(t, map[string]string{"app": "full-app"}, s.Labels)
	assert.Equal(t, []string{"clientId", "clientSecret", "key", "tls.crt"}, s.Keys())
	assert.Equal(t, "plain-client", string(s.Data["clientId"]), "stringData wins over data")
	assert.Equal(t, "secret", string(s.Data["clientSecret"]))
	assert.Empty(t, s.Data["tls.crt"])
	assert.Contains(t, string(s.Data["key"]), "-----BEGIN PRIVATE KEY-----\n")
}

func TestDecodeSecretJSON(t *testing.T) {
	t.Parallel()
	s, err := DecodeSecret([]byte(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"password":"cGFzcw=="}}`), FormatJSON)
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{"password": []byte("pass")}, s.Data)
}

func TestDecodeSecretErrors(t *testing.T) {
	t.Parallel()
	const head = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
	tests := map[string]struct {
		doc    string
		field  string
		reason string
	}{
		"bad base64": {
			doc: head + "data:\n  password: not*base64\n", field: "data.password",
			reason: "is not valid base64 (standard encoding, with padding); use stringData for plain text",
		},
		"bad base64 in dotted key": {
			doc: head + "data:\n  tls.crt: '%%%'\n", field: `data["tls.crt"]`,
			reason: "is not valid base64 (standard encoding, with padding); use stringData for plain text",
		},
		"data value not a string": {
			doc: head + "data:\n  password: 1234\n", field: "data.password", reason: "must be a string, got a number; quote the value in YAML",
		},
		"stringData not an object": {doc: head + "stringData: [a]\n", field: "stringData", reason: "must be an object, got an array"},
		"view fed back": {
			doc: head + "keys: [password]\n", field: "keys",
			reason: "a Secret view lists key names only and cannot be applied; give the values in data or stringData",
		},
		"unknown field":      {doc: head + "stringdata: {a: b}\n", field: "stringdata", reason: `unknown field; did you mean "stringData"?`},
		"wrong kind":         {doc: "apiVersion: v1\nkind: ConfigMap\n", field: "kind", reason: `must be Secret, got "ConfigMap"`},
		"wrong apiVersion":   {doc: "apiVersion: v2\nkind: Secret\n", field: "apiVersion", reason: "must be v1 for kind Secret"},
		"type not a string":  {doc: head + "type: {}\n", field: "type", reason: "must be a string, got an object"},
		"immutable not bool": {doc: head + "immutable: maybe\n", field: "immutable", reason: "must be a boolean (true or false), got a string"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeSecret([]byte(tc.doc), FormatYAML)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			var me *Error
			require.True(t, errors.As(err, &me))
			assert.Equal(t, tc.field, me.Field)
			assert.Equal(t, tc.reason, me.Reason)
		})
	}
}

func TestDecodeSecretErrorsNeverQuoteValues(t *testing.T) {
	t.Parallel()
	const value = "hunter2-TOPSECRET"
	docs := []string{
		"metadata: {name: s}\ndata:\n  password: " + value + "\n",
		"metadata: {name: s}\ndata:\n  password: [" + value + "]\n",
		"metadata: {name: s}\nstringData:\n  password: {" + value + ": 1}\n",
		"metadata: {name: s}\nstringData:\n  password: '" + value + "\n",
	}
	for _, d := range docs {
		_, err := DecodeSecret([]byte(d), FormatYAML)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), value)
	}
}

func TestSecretViewHasNoValues(t *testing.T) {
	t.Parallel()
	s := credential.Secret{Name: "s", ResourceVersion: "2", Labels: map[string]string{"a": "b"},
		Data: map[string][]byte{"username": []byte("alice"), "password": []byte("hunter2")}}
	for _, f := range []Format{FormatJSON, FormatYAML} {
		b, err := EncodeSecretView(s, f)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "alice")
		assert.NotContains(t, string(b), "hunter2")
		assert.NotContains(t, string(b), "aHVudGVyMg", "not even base64")
		assert.Contains(t, string(b), "password")
	}
	b, err := EncodeSecretViewList([]credential.Secret{s}, FormatJSON)
	require.NoError(t, err)
	assert.JSONEq(t, `{"apiVersion":"v1","kind":"SecretList","metadata":{},"items":[
		{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","resourceVersion":"2","labels":{"a":"b"}},"keys":["password","username"]}]}`, string(b))

	// A view applied back is refused rather than wiping the values.
	_, err = DecodeSecret(b, FormatJSON)
	require.Error(t, err)
	view, err := EncodeSecretView(s, FormatYAML)
	require.NoError(t, err)
	_, err = DecodeSecret(view, FormatYAML)
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestSecretDocumentRoundTripAndRedaction(t *testing.T) {
	t.Parallel()
	s := credential.Secret{Name: "s", Labels: map[string]string{"a": "b"},
		Data: map[string][]byte{"password": []byte("hunter2"), "bin": {0, 1, 2, 255}, "empty": {}}}
	for _, f := range []Format{FormatJSON, FormatYAML} {
		b, err := EncodeSecret(s, f)
		require.NoError(t, err)
		got, err := DecodeSecret(b, f)
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	doc := NewSecretDocument(s)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(verb, doc), "hunter2", verb)
	}
	var back SecretDocument
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, s, back.Secret())
}
