package bolt

import (
	"context"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"
)

// File names inside the data dir.
const (
	DBFileName  = "appconnector.db"
	KeyFileName = "secret.key"
)

// ErrInUse is returned (wrapped) by Open when another process holds the data dir.
var ErrInUse = errors.New("data dir in use by another process")

// lockTimeout bounds how long Open waits for the file lock; a variable so tests that
// provoke the conflict need not wait long.
var lockTimeout = time.Second

var (
	bucketMeta         = []byte("meta")
	bucketApplications = []byte("applications")
	bucketSecrets      = []byte("secrets")
)

// buckets lists every top-level bucket; Open creates the missing ones. A store added to
// this package appends its bucket here.
var buckets = [][]byte{
	bucketMeta,
	bucketApplications,
	bucketSecrets,
}

// Keys of the meta bucket.
var (
	metaSchema   = []byte("schema")
	metaKeyCheck = []byte("keycheck")
)

// schemaVersion is stored at creation so a later release can migrate old files.
const schemaVersion = 1

// DB is an open data dir: the bbolt file and the secret key. It is safe for concurrent
// use; Close it when done.
type DB struct {
	bolt   *bbolt.DB
	aead   cipher.AEAD
	logger *slog.Logger

	// writeMu serialises every write transaction together with the publication of its
	// events (see update), and Watch snapshots against both.
	writeMu sync.Mutex

	hubsMu  sync.Mutex
	hubs    map[string]any
	closers []func()
}

// Open opens the data dir dir, creating it (mode 0700), the database file (0600) and the
// secret key (0600) on first start. A nil logger discards logs. It fails with an error wrapping ErrInUse when another
// process has the dir open, and with a clear error when secret.key is unusable.
func Open(dir string, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", dir, err)
	}
	// MkdirAll leaves an existing dir as it is; say so if others can look inside.
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o077 != 0 && runtime.GOOS != "windows" {
		logger.Warn("data dir is accessible by other users; chmod 700 recommended", "dir", dir, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
	}
	path := filepath.Join(dir, DBFileName)
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: lockTimeout})
	if err != nil {
		if errors.Is(err, bberrors.ErrTimeout) {
			return nil, fmt.Errorf("open %s: %w (lock not acquired within %s)", path, ErrInUse, lockTimeout)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{bolt: bdb, logger: logger, hubs: map[string]any{}}
	if err := db.init(dir); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	logger.Info("opened data store", "path", path)
	return db, nil
}

// init creates the missing buckets, loads or creates the key and checks it against the
// database, in one transaction: a failed start leaves the file as it was.
func (db *DB) init(dir string) error {
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		for _, name := range buckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		if meta.Get(metaSchema) == nil {
			if err := meta.Put(metaSchema, binary.BigEndian.AppendUint64(nil, schemaVersion)); err != nil {
				return fmt.Errorf("write schema version: %w", err)
			}
		}
		check := meta.Get(metaKeyCheck)
		aead, created, err := loadKey(filepath.Join(dir, KeyFileName), check != nil)
		if err != nil {
			return err
		}
		db.aead = aead
		if created {
			db.logger.Info("created secret key", "path", filepath.Join(dir, KeyFileName))
		}
		return db.verifyKey(meta, check)
	})
	if err != nil {
		return fmt.Errorf("initialise data dir %s: %w", dir, err)
	}
	return nil
}

// Close ends every watch and closes the database file. Stores of a closed DB return errors.
func (db *DB) Close() error {
	db.hubsMu.Lock()
	closers := db.closers
	db.closers = nil
	db.hubsMu.Unlock()
	for _, c := range closers {
		c()
	}
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close data store: %w", err)
	}
	return nil
}

// update runs fn in a write transaction. If it commits, the function fn returned (if
// any) runs before the next write starts, which is where stores publish watch events:
// that keeps events in commit order.
func (db *DB) update(fn func(tx *bbolt.Tx) (after func(), err error)) error {
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	var after func()
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		var err error
		after, err = fn(tx)
		return err
	})
	if err != nil {
		return err
	}
	if after != nil {
		after()
	}
	return nil
}

// nextVersion returns the next resource version, unique and increasing across every
// bucket and restart. It must be called inside an update transaction.
func nextVersion(tx *bbolt.Tx) (uint64, error) {
	v, err := tx.Bucket(bucketMeta).NextSequence()
	if err != nil {
		return 0, fmt.Errorf("next resource version: %w", err)
	}
	return v, nil
}

// checkCtx keeps a cancelled caller from starting work; bbolt itself takes no context.
func checkCtx(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// deleteWhere deletes, in one write transaction, every record of bucket for which match
// says so, and returns how many it deleted. An error from match aborts the whole purge.
func (db *DB) deleteWhere(bucket []byte, match func(k, v []byte) (bool, error)) (int, error) {
	n := 0
	err := db.update(func(tx *bbolt.Tx) (func(), error) {
		b := tx.Bucket(bucket)
		var doomed [][]byte
		err := b.ForEach(func(k, v []byte) error {
			ok, err := match(k, v)
			if ok {
				// Keys are only valid inside ForEach; copy before deleting after it.
				doomed = append(doomed, append([]byte(nil), k...))
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, k := range doomed {
			if err := b.Delete(k); err != nil {
				return nil, err
			}
		}
		n = len(doomed)
		return nil, nil
	})
	return n, err
}
