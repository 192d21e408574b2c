package client

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func credentials(t *testing.T, tag string) *Credentials {
	t.Helper()
	key, err := GenerateKey(KeyECDSAP256)
	require.NoError(t, err)
	return &Credentials{Key: key, ClientPEM: []byte("cert " + tag), ChainPEM: []byte("chain " + tag), CAPEM: []byte("ca " + tag)}
}

func dirContents(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	m := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		m[e.Name()] = string(b)
	}
	return m
}

// TestWriteFilesReplacesAllOrNothing: when a file cannot be written part-way through a
// renewal, the old key and certificate stay in place together (and no temporary file is
// left behind); only a complete write replaces them.
func TestWriteFilesReplacesAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, WriteFiles(dir, credentials(t, "old"), StoredInfo{Application: "a"}))
	old := dirContents(t, dir)
	require.Len(t, old, 5)
	assert.Equal(t, "cert old", old[FileCert])

	for fail := 1; fail <= 5; fail++ {
		calls := 0
		syncFile = func(f *os.File) error {
			if calls++; calls == fail {
				return errors.New("disk full")
			}
			return f.Sync()
		}
		err := WriteFiles(dir, credentials(t, "new"), StoredInfo{Application: "a"})
		assert.ErrorContains(t, err, "disk full")
		assert.Equal(t, old, dirContents(t, dir), "failing write %d changed the files", fail)
	}
	syncFile = (*os.File).Sync

	renewed := credentials(t, "new")
	require.NoError(t, WriteFiles(dir, renewed, StoredInfo{Application: "a"}))
	now := dirContents(t, dir)
	assert.Len(t, now, 5)
	assert.Equal(t, "cert new", now[FileCert])
	keyPEM, err := renewed.KeyPEM()
	require.NoError(t, err)
	assert.Equal(t, string(keyPEM), now[FileKey])
	for name := range now {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), name)
	}
}
