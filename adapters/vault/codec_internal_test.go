package vault

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/credential"
)

// roundTrip sends fields through JSON, as they travel to Vault and back.
func roundTrip(t *testing.T, s credential.Secret) credential.Secret {
	t.Helper()
	fields, err := encodeFields(s)
	require.NoError(t, err)
	b, err := json.Marshal(fields)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	got, err := decodeFields(s.Name, back)
	require.NoError(t, err)
	return got
}

func TestFieldsRoundTripByteForByte(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	in := credential.Secret{
		Name:   "s",
		Labels: map[string]string{"app": "orders"},
		Data: map[string][]byte{
			"crt":      []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
			"all":      all,
			"random":   random,
			"nul":      {0, 0, 'a', 0},
			"html":     []byte(`<a href="x">&amp;</a>`),
			"unicode":  []byte("grüße 🔑"),
			"empty":    {},
			"bad-utf8": {0xff, 'a'},
		},
	}
	got := roundTrip(t, in)
	assert.Equal(t, in.Labels, got.Labels)
	require.Len(t, got.Data, len(in.Data))
	for k, v := range in.Data {
		assert.Equal(t, v, got.Data[k], "key %q", k) // values are test data, not secrets
	}

	fields, err := encodeFields(in)
	require.NoError(t, err)
	assert.Equal(t, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", fields["crt"], "text values are stored as they are")
	meta := fields[metaField].(entryMeta)
	assert.ElementsMatch(t, []string{"all", "random", "bad-utf8"}, meta.Base64, "only values that are not UTF-8 are base64")
}

func TestPlainEntryHasNoMetaField(t *testing.T) {
	fields, err := encodeFields(credential.Secret{Name: "s", Data: map[string][]byte{"username": []byte("u")}})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"username": "u"}, fields)
}

func TestReservedKeyIsInvalid(t *testing.T) {
	_, err := encodeFields(credential.Secret{Name: "s", Data: map[string][]byte{metaField: []byte("x")}})
	require.ErrorIs(t, err, credential.ErrInvalid)
}

func TestEntriesWrittenByOtherTools(t *testing.T) {
	got, err := decodeFields("s", map[string]any{"port": json.Number("8080"), "on": true, "obj": map[string]any{"a": "b"}, "null": nil})
	require.NoError(t, err)
	assert.Equal(t, "8080", string(got.Data["port"]))
	assert.Equal(t, "true", string(got.Data["on"]))
	assert.JSONEq(t, `{"a":"b"}`, string(got.Data["obj"]))
	assert.Empty(t, got.Data["null"])

	_, err = decodeFields("s", map[string]any{"k": "not base64 !", metaField: map[string]any{"base64": []any{"k"}}})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "not base64 !")
}

func TestResourceVersion(t *testing.T) {
	v := version{n: 3, created: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)}
	got, ok := parseRV(v.rv())
	require.True(t, ok)
	assert.True(t, v.equal(got))
	for _, bad := range []string{"", "1", "0-5", "x-1", "1-x", "-1-2"} {
		_, ok := parseRV(bad)
		assert.False(t, ok, bad)
	}
	other := version{n: 3, created: v.created.Add(time.Nanosecond)}
	assert.NotEqual(t, v.rv(), other.rv(), "a recreated entry at the same version number gets another resource version")
}
