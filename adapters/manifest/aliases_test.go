package manifest

import (
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scalarAliasBomb is a small document whose aliases each repeat one large scalar: the
// parser's own guard counts nodes, not bytes, so it lets this through, and converting it
// to JSON would write n copies of the scalar.
func scalarAliasBomb(scalar, n int) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\nstringData:\n  a: &a \"")
	b.WriteString(strings.Repeat("x", scalar))
	b.WriteString("\"\n  b: [")
	for range n {
		b.WriteString("*a,")
	}
	b.WriteString("*a]\n")
	return b.String()
}

func TestYAMLAliasExpansionIsBounded(t *testing.T) {
	// 100 kB in, 200 MB out if expanded; at the API's 1 MiB limit the same shape is
	// tens of gigabytes.
	bomb := scalarAliasBomb(100_000, 2_000)
	decoders := map[string]func() error{
		"DecodeSecret":      func() error { _, err := DecodeSecret([]byte(bomb), FormatYAML); return err },
		"DecodeSecret auto": func() error { _, err := DecodeSecret([]byte(bomb), FormatAuto); return err },
		"DecodeApplication": func() error { _, err := DecodeApplication([]byte(bomb), FormatYAML); return err },
		"DecodeStream":      func() error { _, err := DecodeStream(strings.NewReader(bomb)); return err },
	}
	for name, decode := range decoders {
		// Sequential, and measured in bytes allocated rather than wall time: a loaded CI
		// machine makes any time bound flaky, while an expansion allocates hundreds of MB
		// whatever the load.
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := decode()
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), "aliases")
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "the document must be refused before it is expanded")
		})
	}
}

func TestYAMLModestAliasesStillDecode(t *testing.T) {
	t.Parallel()
	in := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  labels: &l {team: shop}\n" +
		"stringData:\n  a: &v \"" + strings.Repeat("v", 1000) + "\"\n  b: *v\n  c: *v\n"
	s, err := DecodeSecret([]byte(in), FormatYAML)
	require.NoError(t, err)
	assert.Len(t, s.Data["c"], 1000)
	assert.Equal(t, map[string]string{"team": "shop"}, s.Labels)
}
