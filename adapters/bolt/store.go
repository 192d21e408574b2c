package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	bbolt "go.etcd.io/bbolt"

	"github.com/appconnector/appconnector/adapters/internal/watchhub"
	"github.com/appconnector/appconnector/ports"
)

// codec describes one object type stored in one bucket.
type codec[T any] struct {
	noun     string // for error messages: "application", "secret"
	bucket   []byte
	notFound error
	conflict error
	invalid  error
	name     func(T) string
	setName  func(*T, string)
	rv       func(T) string
	setRV    func(*T, string)
	copy     func(T) T
	// encode returns the payload for obj (without version); decode is its inverse and
	// need not set name or resource version.
	encode func(db *DB, name string, obj T) ([]byte, error)
	decode func(db *DB, name string, payload []byte) (T, error)
	// identity, when set, carries identity fields the store owns (an Application's UID)
	// from prev, the stored object (nil on creation), to next, inside the write
	// transaction; payloads are then encoded there.
	identity func(prev *T, next *T)
}

// bucketStore gives name -> object records in one bucket, with resource versions,
// optimistic concurrency and watch.
type bucketStore[T any] struct {
	db  *DB
	c   codec[T]
	hub *watchhub.Hub[T]
}

// errStale makes update retry: the object changed between read and write.
var errStale = errors.New("stale read")

func newBucketStore[T any](db *DB, c codec[T]) *bucketStore[T] {
	return &bucketStore[T]{db: db, c: c, hub: hubFor(db, string(c.bucket), c.copy)}
}

// hubFor returns the one watch hub of bucket, so that every store value over the same
// bucket publishes to the same watchers.
func hubFor[T any](db *DB, bucket string, copyFn func(T) T) *watchhub.Hub[T] {
	db.hubsMu.Lock()
	defer db.hubsMu.Unlock()
	if h, ok := db.hubs[bucket]; ok {
		return h.(*watchhub.Hub[T])
	}
	h := watchhub.New(copyFn)
	db.hubs[bucket] = h
	db.closers = append(db.closers, h.Close)
	return h
}

func splitRecord(raw []byte) (uint64, []byte, error) {
	if len(raw) < 8 {
		return 0, nil, fmt.Errorf("record too short (%d bytes)", len(raw))
	}
	return binary.BigEndian.Uint64(raw), raw[8:], nil
}

// decodeRecord turns a raw bucket value into an object with name and version set. raw
// belongs to the transaction; decode copies what it keeps.
func (s *bucketStore[T]) decodeRecord(name string, raw []byte) (T, uint64, error) {
	var zero T
	v, payload, err := splitRecord(raw)
	if err != nil {
		return zero, 0, fmt.Errorf("decode %s %s: %w", s.c.noun, name, err)
	}
	obj, err := s.c.decode(s.db, name, payload)
	if err != nil {
		return zero, 0, fmt.Errorf("decode %s %s: %w", s.c.noun, name, err)
	}
	s.c.setName(&obj, name)
	s.c.setRV(&obj, strconv.FormatUint(v, 10))
	return obj, v, nil
}

func (s *bucketStore[T]) get(ctx context.Context, name string) (T, error) {
	var obj T
	if err := checkCtx(ctx, "get "+s.c.noun+" "+name); err != nil {
		return obj, err
	}
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		raw := tx.Bucket(s.c.bucket).Get([]byte(name))
		if raw == nil {
			return fmt.Errorf("get %s %s: %w", s.c.noun, name, s.c.notFound)
		}
		var err error
		obj, _, err = s.decodeRecord(name, raw)
		return err
	})
	return obj, err
}

// list returns every object; bbolt iterates keys in byte order, which is name order.
func (s *bucketStore[T]) list(ctx context.Context) ([]T, error) {
	if err := checkCtx(ctx, "list "+s.c.noun+"s"); err != nil {
		return nil, err
	}
	out := make([]T, 0)
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(s.c.bucket).ForEach(func(k, raw []byte) error {
			obj, _, err := s.decodeRecord(string(k), raw)
			if err != nil {
				return err
			}
			out = append(out, obj)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list %ss: %w", s.c.noun, err)
	}
	return out, nil
}

func (s *bucketStore[T]) put(ctx context.Context, obj T) (T, bool, error) {
	var zero T
	name := s.c.name(obj)
	if name == "" {
		return zero, false, fmt.Errorf("put %s: name is empty: %w", s.c.noun, s.c.invalid)
	}
	if err := checkCtx(ctx, "put "+s.c.noun+" "+name); err != nil {
		return zero, false, err
	}
	payload, err := s.c.encode(s.db, name, obj)
	if err != nil {
		return zero, false, fmt.Errorf("put %s %s: %w", s.c.noun, name, err)
	}
	want := s.c.rv(obj)
	stored := s.c.copy(obj)
	var created bool
	err = s.db.update(func(tx *bbolt.Tx) (func(), error) {
		b := tx.Bucket(s.c.bucket)
		raw := b.Get([]byte(name))
		created = raw == nil
		if want != "" {
			if raw == nil {
				return nil, fmt.Errorf("put %s %s: resource version %s given but it does not exist: %w", s.c.noun, name, want, s.c.conflict)
			}
			have, _, err := splitRecord(raw)
			if err != nil {
				return nil, fmt.Errorf("put %s %s: %w", s.c.noun, name, err)
			}
			if strconv.FormatUint(have, 10) != want {
				return nil, fmt.Errorf("put %s %s: resource version %s is not current (%d): %w", s.c.noun, name, want, have, s.c.conflict)
			}
		}
		if s.c.identity != nil {
			var prev *T
			if raw != nil {
				_, p, err := splitRecord(raw)
				if err != nil {
					return nil, fmt.Errorf("put %s %s: %w", s.c.noun, name, err)
				}
				old, err := s.c.decode(s.db, name, p)
				if err != nil {
					return nil, fmt.Errorf("put %s %s: %w", s.c.noun, name, err)
				}
				prev = &old
			}
			s.c.identity(prev, &stored)
			if payload, err = s.c.encode(s.db, name, stored); err != nil {
				return nil, fmt.Errorf("put %s %s: %w", s.c.noun, name, err)
			}
		}
		return s.write(tx, name, payload, &stored)
	})
	if err != nil {
		return zero, false, err
	}
	return s.c.copy(stored), created, nil
}

// write stores payload under a new version, sets that version on obj and returns the
// publication of obj for update to run after the commit.
func (s *bucketStore[T]) write(tx *bbolt.Tx, name string, payload []byte, obj *T) (func(), error) {
	v, err := nextVersion(tx)
	if err != nil {
		return nil, err
	}
	record := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint64(record, v)
	record = append(record, payload...)
	if err := tx.Bucket(s.c.bucket).Put([]byte(name), record); err != nil {
		return nil, fmt.Errorf("write %s %s: %w", s.c.noun, name, err)
	}
	s.c.setName(obj, name)
	s.c.setRV(obj, strconv.FormatUint(v, 10))
	ev := ports.Event[T]{Type: ports.EventPut, Name: name, Object: *obj}
	return func() { s.hub.Publish(ev) }, nil
}

// update reads, runs fn without any lock held, and writes only if the version is still
// the one read; otherwise it starts over. A losing attempt rolls back without touching
// the disk.
func (s *bucketStore[T]) update(ctx context.Context, name string, fn func(*T) error) (T, error) {
	var zero T
	for {
		if err := checkCtx(ctx, "update "+s.c.noun+" "+name); err != nil {
			return zero, err
		}
		current, err := s.get(ctx, name)
		if err != nil {
			return zero, fmt.Errorf("update: %w", err)
		}
		readRV := s.c.rv(current)
		var read T
		if s.c.identity != nil {
			read = s.c.copy(current)
		}
		if err := fn(&current); err != nil {
			return zero, err
		}
		// fn's argument may be kept by the caller; store and publish a private copy.
		next := s.c.copy(current)
		if s.c.identity != nil {
			// The version check below makes read the stored state.
			s.c.identity(&read, &next)
		}
		payload, err := s.c.encode(s.db, name, next)
		if err != nil {
			return zero, fmt.Errorf("update %s %s: %w", s.c.noun, name, err)
		}
		err = s.db.update(func(tx *bbolt.Tx) (func(), error) {
			raw := tx.Bucket(s.c.bucket).Get([]byte(name))
			if raw == nil {
				return nil, fmt.Errorf("update %s %s: %w", s.c.noun, name, s.c.notFound)
			}
			have, _, err := splitRecord(raw)
			if err != nil {
				return nil, fmt.Errorf("update %s %s: %w", s.c.noun, name, err)
			}
			if strconv.FormatUint(have, 10) != readRV {
				return nil, errStale
			}
			return s.write(tx, name, payload, &next)
		})
		if errors.Is(err, errStale) {
			continue
		}
		if err != nil {
			return zero, err
		}
		return s.c.copy(next), nil
	}
}

func (s *bucketStore[T]) delete(ctx context.Context, name string) error {
	if err := checkCtx(ctx, "delete "+s.c.noun+" "+name); err != nil {
		return err
	}
	return s.db.update(func(tx *bbolt.Tx) (func(), error) {
		b := tx.Bucket(s.c.bucket)
		raw := b.Get([]byte(name))
		if raw == nil {
			return nil, fmt.Errorf("delete %s %s: %w", s.c.noun, name, s.c.notFound)
		}
		last, _, err := s.decodeRecord(name, raw)
		if err != nil {
			// Deleting is how a user gets rid of a record that no longer decodes, so it
			// must not fail on one; watchers get the name only.
			var zero T
			last = zero
			s.c.setName(&last, name)
		}
		if err := b.Delete([]byte(name)); err != nil {
			return nil, fmt.Errorf("delete %s %s: %w", s.c.noun, name, err)
		}
		ev := ports.Event[T]{Type: ports.EventDelete, Name: name, Object: last}
		return func() { s.hub.Publish(ev) }, nil
	})
}

// watch snapshots the bucket and subscribes while holding the write mutex, so no write
// falls between the two. Records that do not decode are left out of the snapshot and
// logged: one damaged record must not stop every cache from starting.
func (s *bucketStore[T]) watch(ctx context.Context) (<-chan ports.Event[T], error) {
	s.db.writeMu.Lock()
	defer s.db.writeMu.Unlock()
	var snapshot []ports.Event[T]
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(s.c.bucket).ForEach(func(k, raw []byte) error {
			name := string(k)
			obj, _, err := s.decodeRecord(name, raw)
			if err != nil {
				s.db.logger.Error("skipping unreadable record in watch snapshot", "bucket", string(s.c.bucket), "name", name, "error", err)
				return nil
			}
			snapshot = append(snapshot, ports.Event[T]{Type: ports.EventPut, Name: name, Object: obj})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("watch %ss: %w", s.c.noun, err)
	}
	ch, err := s.hub.Subscribe(ctx, snapshot)
	if err != nil {
		return nil, fmt.Errorf("watch %ss: %w", s.c.noun, err)
	}
	return ch, nil
}
