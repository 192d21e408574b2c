package bolt_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/bolt"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

func TestOpenCreatesFilesWithPrivateModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	db, err := bolt.Open(dir, nil)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	for path, want := range map[string]fs.FileMode{
		dir:                                  0o700,
		filepath.Join(dir, bolt.DBFileName):  0o600,
		filepath.Join(dir, bolt.KeyFileName): 0o600,
	} {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, want, fi.Mode().Perm(), path)
	}
	key, err := os.ReadFile(filepath.Join(dir, bolt.KeyFileName))
	require.NoError(t, err)
	assert.Len(t, key, 32)
	assert.NotEqual(t, make([]byte, 32), key)
}

func TestRestartKeepsDataAndVersionsKeepIncreasing(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()

	db, err := bolt.Open(dir, nil)
	require.NoError(t, err)
	app, _, err := bolt.NewApplicationRepository(db).Put(ctx, application.Application{
		Name: "orders", Labels: map[string]string{"k": "v"}, Spec: application.Spec{Description: "before restart"},
	})
	require.NoError(t, err)
	sec, _, err := bolt.NewSecretStore(db).Put(ctx, credential.Secret{
		Name: "orders-basic", Data: map[string][]byte{"username": []byte("u"), "password": []byte("p")},
	})
	require.NoError(t, err)
	require.NoError(t, db.Close())

	db, err = bolt.Open(dir, nil)
	require.NoError(t, err)
	defer db.Close()
	apps := bolt.NewApplicationRepository(db)
	secrets := bolt.NewSecretStore(db)

	gotApp, err := apps.Get(ctx, "orders")
	require.NoError(t, err)
	assert.Equal(t, app, gotApp)
	gotSec, err := secrets.Get(ctx, "orders-basic")
	require.NoError(t, err)
	assert.Equal(t, sec.ResourceVersion, gotSec.ResourceVersion)
	assert.Equal(t, []byte("p"), gotSec.Data["password"])

	// A stale version from before the restart still conflicts, and a new write gets a
	// version above every one handed out before: caches keyed on versions stay right.
	stale := app
	stale.ResourceVersion = "0"
	_, _, err = apps.Put(ctx, stale)
	require.ErrorIs(t, err, application.ErrConflict)
	next, _, err := apps.Put(ctx, app)
	require.NoError(t, err)
	assert.Greater(t, mustUint(t, next.ResourceVersion), mustUint(t, app.ResourceVersion))
	assert.Greater(t, mustUint(t, next.ResourceVersion), mustUint(t, sec.ResourceVersion))
}

func TestDBFileHoldsNoPlaintextSecret(t *testing.T) {
	dir := t.TempDir()
	const value = "distinctive-s3cret-value-7f3a9c"
	const label = "distinctive-label-2b81"
	db, err := bolt.Open(dir, nil)
	require.NoError(t, err)
	secrets := bolt.NewSecretStore(db)
	for i := range 50 { // enough to span pages and exercise rewrites
		_, _, err := secrets.Put(t.Context(), credential.Secret{
			Name:   "sec-" + strconv.Itoa(i%5),
			Labels: map[string]string{"l": label},
			Data:   map[string][]byte{"clientSecret": []byte(value), "other": []byte("x")},
		})
		require.NoError(t, err)
	}
	require.NoError(t, db.Close())

	raw, err := os.ReadFile(filepath.Join(dir, bolt.DBFileName))
	require.NoError(t, err)
	assert.False(t, bytes.Contains(raw, []byte(value)), "secret value in plain text")
	assert.False(t, bytes.Contains(raw, []byte("clientSecret")), "secret key name in plain text")
	assert.False(t, bytes.Contains(raw, []byte(label)), "secret label in plain text")
	assert.True(t, bytes.Contains(raw, []byte("sec-0")), "names are in the clear; the test would be void if nothing was readable")
}

func TestOpenRefusesBadKeyFile(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
		wantMsg string
	}{
		{"group readable", func(t *testing.T, dir string) {
			writeKey(t, dir, bytes.Repeat([]byte{1}, 32), 0o640)
		}, "readable by other users"},
		{"world readable", func(t *testing.T, dir string) {
			writeKey(t, dir, bytes.Repeat([]byte{1}, 32), 0o604)
		}, "chmod 600"},
		{"too short", func(t *testing.T, dir string) {
			writeKey(t, dir, []byte("short"), 0o600)
		}, "has 5 bytes, want 32"},
		{"too long", func(t *testing.T, dir string) {
			writeKey(t, dir, bytes.Repeat([]byte{1}, 64), 0o600)
		}, "has 64 bytes, want 32"},
		{"a directory", func(t *testing.T, dir string) {
			require.NoError(t, os.Mkdir(filepath.Join(dir, bolt.KeyFileName), 0o700))
		}, "not a regular file"},
		{"missing while the database holds encrypted data", func(t *testing.T, dir string) {
			db, err := bolt.Open(dir, nil)
			require.NoError(t, err)
			require.NoError(t, db.Close())
			require.NoError(t, os.Remove(filepath.Join(dir, bolt.KeyFileName)))
		}, "is missing"},
		{"replaced by another key", func(t *testing.T, dir string) {
			db, err := bolt.Open(dir, nil)
			require.NoError(t, err)
			require.NoError(t, db.Close())
			require.NoError(t, os.Remove(filepath.Join(dir, bolt.KeyFileName)))
			writeKey(t, dir, bytes.Repeat([]byte{7}, 32), 0o600)
		}, "does not match the database"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.prepare(t, dir)
			db, err := bolt.Open(dir, nil)
			if err == nil {
				_ = db.Close()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantMsg)
			assert.Contains(t, err.Error(), bolt.KeyFileName, "the error names the file")
		})
	}
}

func TestOpenUsesExistingKeyForNewDatabase(t *testing.T) {
	// A key restored before the database (or kept after deleting it) is used, not replaced.
	dir := t.TempDir()
	key := bytes.Repeat([]byte{9}, 32)
	writeKey(t, dir, key, 0o600)
	db, err := bolt.Open(dir, nil)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	got, err := os.ReadFile(filepath.Join(dir, bolt.KeyFileName))
	require.NoError(t, err)
	assert.Equal(t, key, got)
}

func TestCloseEndsWatches(t *testing.T) {
	db, err := bolt.Open(t.TempDir(), nil)
	require.NoError(t, err)
	apps, err := bolt.NewApplicationRepository(db).Watch(context.Background())
	require.NoError(t, err)
	secrets, err := bolt.NewSecretStore(db).Watch(context.Background())
	require.NoError(t, err)
	require.NoError(t, db.Close())
	porttest.RequireClosed(t, apps)
	porttest.RequireClosed(t, secrets)
}

func TestRepositoriesOfOneDBShareWatchers(t *testing.T) {
	db := openDB(t, t.TempDir())
	ch, err := bolt.NewApplicationRepository(db).Watch(t.Context())
	require.NoError(t, err)
	require.Equal(t, ports.EventSynced, (<-ch).Type)
	_, _, err = bolt.NewApplicationRepository(db).Put(t.Context(), application.Application{Name: "other-instance"})
	require.NoError(t, err)
	select {
	case ev := <-ch:
		assert.Equal(t, "other-instance", ev.Name)
	case <-time.After(5 * time.Second):
		t.Fatal("a write through a second repository value was not watched")
	}
}

func writeKey(t *testing.T, dir string, key []byte, mode fs.FileMode) {
	t.Helper()
	path := filepath.Join(dir, bolt.KeyFileName)
	require.NoError(t, os.WriteFile(path, key, mode))
	require.NoError(t, os.Chmod(path, mode)) // WriteFile's mode is filtered by umask
}

func mustUint(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	require.NoError(t, err, "resource version %q", s)
	return n
}
