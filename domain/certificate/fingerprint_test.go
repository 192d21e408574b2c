package certificate

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFingerprint(t *testing.T) {
	f := FingerprintOf([]byte("abc"))
	const hexABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	assert.Equal(t, hexABC, f.String())
	assert.False(t, f.IsZero())
	assert.True(t, Fingerprint{}.IsZero())

	for _, in := range []string{hexABC, strings.ToUpper(hexABC), " " + hexABC + "\n", colons(hexABC)} {
		got, err := ParseFingerprint(in)
		require.NoError(t, err, in)
		assert.Equal(t, f, got)
	}
	for _, in := range []string{"", "abc", hexABC + "00", strings.Replace(hexABC, "b", "z", 1)} {
		_, err := ParseFingerprint(in)
		assert.ErrorIs(t, err, ErrInvalidFingerprint, in)
	}
}

func colons(h string) string {
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}
