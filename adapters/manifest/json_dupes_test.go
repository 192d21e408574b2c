package manifest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// JSON forbids nothing here, but two values for one key mean one is silently lost; the
// YAML path already refuses the same bytes, and so does kubectl's strict validation.
func TestJSONDuplicateKeysAreRefused(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in    string
		field string
	}{
		"top level":       {in: `{"kind":"Secret","kind":"Secret"}`, field: "kind"},
		"nested":          {in: `{"stringData":{"password":"a","password":"b"}}`, field: "stringData.password"},
		"in array item":   {in: `{"spec":{"services":[{"id":"1"},{"id":"2","id":"3"}]}}`, field: "spec.services[1].id"},
		"after a nesting": {in: `{"metadata":{"labels":{"a":"1"}},"spec":{},"metadata":{}}`, field: "metadata"},
		"odd key":         {in: `{"data":{"tls.crt":"","tls.crt":""}}`, field: `data["tls.crt"]`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, f := range []Format{FormatJSON, FormatAuto} {
				_, err := DecodeSecret([]byte(tc.in), f)
				require.ErrorIs(t, err, ErrInvalid, "format %s", f)
				assert.Equal(t, tc.field+": duplicate key", err.Error(), "format %s", f)
			}
		})
	}

	t.Run("stream names the document", func(t *testing.T) {
		t.Parallel()
		in := `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"}}` + "\n" +
			`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"b","name":"c"}}`
		_, err := DecodeStream(strings.NewReader(in))
		require.ErrorIs(t, err, ErrInvalid)
		assert.Equal(t, "document[1]: metadata.name: duplicate key", err.Error())
	})
	t.Run("same key in sibling objects is fine", func(t *testing.T) {
		t.Parallel()
		s, err := DecodeSecret([]byte(`{"metadata":{"name":"s","labels":{"name":"x"}},"stringData":{"name":"v"}}`), FormatJSON)
		require.NoError(t, err)
		assert.Equal(t, "s", s.Name)
	})
}

func TestJSONDuplicateKeysAfterBOM(t *testing.T) {
	t.Parallel()
	_, err := DecodeStream(strings.NewReader("\uFEFF" + `{"apiVersion":"v1","kind":"Secret","kind":"Secret"}`))
	require.ErrorIs(t, err, ErrInvalid)
	assert.Equal(t, "document[0]: kind: duplicate key", err.Error())
}
