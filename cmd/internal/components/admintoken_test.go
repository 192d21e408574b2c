package components

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAdminTokenFileModes: a token others can read is refused; one its own group can
// read is how Kubernetes mounts a Secret for a non-root Pod (fsGroup, 0440) and is taken.
func TestAdminTokenFileModes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for mode, ok := range map[os.FileMode]bool{0o600: true, 0o400: true, 0o440: true, 0o640: true, 0o644: false, 0o604: false} {
		p := filepath.Join(dir, mode.String())
		require.NoError(t, os.WriteFile(p, []byte("a-token-of-enough-length\n"), mode))
		require.NoError(t, os.Chmod(p, mode))
		tok, err := LoadOrCreateAdminToken(p)
		if ok {
			assert.NoError(t, err, "%o", mode)
			assert.Equal(t, "a-token-of-enough-length", tok)
		} else {
			assert.ErrorContains(t, err, "chmod 600", "%o", mode)
		}
	}
}
