package bolt

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bbolt "go.etcd.io/bbolt"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

func openTestDB(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(dir, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestSecondOpenReportsDataDirInUse(t *testing.T) {
	old := lockTimeout
	lockTimeout = 100 * time.Millisecond
	t.Cleanup(func() { lockTimeout = old })

	dir := t.TempDir()
	first := openTestDB(t, dir)
	start := time.Now()
	_, err := Open(dir, nil)
	require.ErrorIs(t, err, ErrInUse)
	assert.Contains(t, err.Error(), "data dir in use")
	assert.Contains(t, err.Error(), filepath.Join(dir, DBFileName))
	assert.Less(t, time.Since(start), 5*time.Second, "second open must not hang")

	require.NoError(t, first.Close())
	again, err := Open(dir, nil)
	require.NoError(t, err, "the dir is free again after Close")
	require.NoError(t, again.Close())
}

func TestSealOpen(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	plain := []byte("attack at dawn")
	sealed, err := db.seal("secrets", "a", plain)
	require.NoError(t, err)
	again, err := db.seal("secrets", "a", plain)
	require.NoError(t, err)
	assert.NotEqual(t, sealed, again, "a fresh nonce per seal")
	assert.False(t, bytes.Contains(sealed, plain))

	got, err := db.open("secrets", "a", sealed)
	require.NoError(t, err)
	assert.Equal(t, plain, got)

	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	tests := map[string]struct {
		bucket, name string
		sealed       []byte
	}{
		"other name":         {"secrets", "b", sealed},
		"other bucket":       {"tokens", "a", sealed},
		"bucket/name shifts": {"secret", "sa", sealed},
		"flipped bit":        {"secrets", "a", flipped},
		"truncated":          {"secrets", "a", sealed[:10]},
		"empty":              {"secrets", "a", nil},
		"unknown format":     {"secrets", "a", append([]byte{99}, sealed[1:]...)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := db.open(tc.bucket, tc.name, tc.sealed)
			require.ErrorIs(t, err, ErrDecrypt)
			assert.NotContains(t, err.Error(), string(plain))
		})
	}
}

// rawUpdate edits the file under the stores, as disk corruption or a hostile edit would.
func rawUpdate(t *testing.T, db *DB, fn func(tx *bbolt.Tx) error) {
	t.Helper()
	require.NoError(t, db.bolt.Update(fn))
}

func TestCorruptedSecretGivesClearErrorsAndCanBeDeleted(t *testing.T) {
	var logs bytes.Buffer
	db, err := Open(t.TempDir(), slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	ctx := t.Context()
	store := NewSecretStore(db)
	for _, n := range []string{"good", "bitflip", "swapped", "short"} {
		_, _, err := store.Put(ctx, credential.Secret{Name: n, Data: map[string][]byte{"password": []byte("value-of-" + n)}})
		require.NoError(t, err)
	}
	rawUpdate(t, db, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSecrets)
		flipped := bytes.Clone(b.Get([]byte("bitflip")))
		flipped[len(flipped)/2] ^= 0x40
		if err := b.Put([]byte("bitflip"), flipped); err != nil {
			return err
		}
		// A valid ciphertext under another name must not be accepted.
		if err := b.Put([]byte("swapped"), bytes.Clone(b.Get([]byte("good")))); err != nil {
			return err
		}
		return b.Put([]byte("short"), []byte{1, 2, 3})
	})

	for _, name := range []string{"bitflip", "swapped", "short"} {
		t.Run(name, func(t *testing.T) {
			_, err := store.Get(ctx, name)
			require.Error(t, err)
			assert.Contains(t, err.Error(), name, "the error names the record")
			assert.NotContains(t, err.Error(), "value-of-")
			assert.NotErrorIs(t, err, credential.ErrNotFound)
		})
	}
	_, err = store.Get(ctx, "bitflip")
	require.ErrorIs(t, err, ErrDecrypt)
	_, err = store.Get(ctx, "swapped")
	require.ErrorIs(t, err, ErrDecrypt)

	_, err = store.List(ctx)
	require.Error(t, err, "list does not silently hide damaged records")

	ch, err := store.Watch(ctx)
	require.NoError(t, err, "one damaged record must not stop watchers")
	var names []string
	for ev := range ch {
		if ev.Type == ports.EventSynced {
			break
		}
		names = append(names, ev.Name)
	}
	assert.Equal(t, []string{"good"}, names)
	assert.Contains(t, logs.String(), "skipping unreadable record")
	assert.NotContains(t, logs.String(), "value-of-")

	for _, name := range []string{"bitflip", "swapped", "short"} {
		require.NoError(t, store.Delete(ctx, name), "a damaged record can be removed")
	}
	items, err := store.List(ctx)
	require.NoError(t, err)
	require.Len(t, items, 1)

	// Writing over a damaged record works too.
	rawUpdate(t, db, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSecrets).Put([]byte("good"), []byte("garbage-garbage"))
	})
	_, created, err := store.Put(ctx, credential.Secret{Name: "good", Data: map[string][]byte{"k": []byte("v")}})
	require.NoError(t, err)
	assert.False(t, created)
}

func TestCorruptedApplicationGivesClearError(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	repo := NewApplicationRepository(db)
	ctx := t.Context()
	_, _, err := repo.Put(ctx, application.Application{Name: "orders"})
	require.NoError(t, err)
	rawUpdate(t, db, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketApplications)
		raw := bytes.Clone(b.Get([]byte("orders")))
		return b.Put([]byte("orders"), append(raw[:8], "{not json"...))
	})
	_, err = repo.Get(ctx, "orders")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "decode application orders")
	_, err = repo.Update(ctx, "orders", func(*application.Application) error { return nil })
	require.Error(t, err)
	require.NoError(t, repo.Delete(ctx, "orders"))
}

func TestCancelledContextStartsNoWork(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	repo := NewApplicationRepository(db)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := repo.Put(ctx, application.Application{Name: "a"})
	require.ErrorIs(t, err, context.Canceled)
	_, err = repo.Get(ctx, "a")
	require.ErrorIs(t, err, context.Canceled)
	_, err = repo.Get(t.Context(), "a")
	require.ErrorIs(t, err, application.ErrNotFound)
}

func TestBucketsExist(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	require.NoError(t, db.bolt.View(func(tx *bbolt.Tx) error {
		for _, b := range buckets {
			if tx.Bucket(b) == nil {
				return fmt.Errorf("bucket %s missing", b)
			}
		}
		return nil
	}))
}
