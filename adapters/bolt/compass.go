package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	bbolt "go.etcd.io/bbolt"

	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
)

var bucketCompass = []byte("compass")

func init() { buckets = append(buckets, bucketCompass) }

var _ ports.CompassConnectionStore = (*CompassConnectionStore)(nil)

// CompassConnectionStore is the ports.CompassConnectionStore of the embedded store: the
// one CompassConnection under its name in its own bucket. It holds URLs, times and
// error texts, nothing secret (the runtime's key is a Secret), so it is plain JSON like
// the Applications. Times are kept to the second in UTC, as a Kubernetes object keeps
// them.
type CompassConnectionStore struct {
	s *bucketStore[compass.Connection]
}

// NewCompassConnectionStore returns the store over db's compass bucket. Every store of
// the same DB shares one set of watchers.
func NewCompassConnectionStore(db *DB) *CompassConnectionStore {
	return &CompassConnectionStore{s: newBucketStore(db, codec[compass.Connection]{
		noun:     "compass connection",
		bucket:   bucketCompass,
		notFound: compass.ErrNotFound,
		conflict: compass.ErrConflict,
		invalid:  compass.ErrInvalid,
		name:     func(c compass.Connection) string { return c.Name },
		setName:  func(c *compass.Connection, n string) { c.Name = n },
		rv:       func(c compass.Connection) string { return c.ResourceVersion },
		setRV:    func(c *compass.Connection, rv string) { c.ResourceVersion = rv },
		copy:     compass.Connection.DeepCopy,
		encode:   encodeConnection,
		decode:   decodeConnection,
	})}
}

func encodeConnection(_ *DB, _ string, c compass.Connection) ([]byte, error) {
	// Name and version live in the key and the record header; the UID is the store's
	// and kept in the payload.
	c.Name, c.ResourceVersion = "", ""
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return b, nil
}

func decodeConnection(_ *DB, _ string, payload []byte) (compass.Connection, error) {
	var c compass.Connection
	if err := json.Unmarshal(payload, &c); err != nil {
		return c, fmt.Errorf("unmarshal: %w", err)
	}
	return c, nil
}

// Get implements ports.CompassConnectionStore.
func (s *CompassConnectionStore) Get(ctx context.Context) (compass.Connection, error) {
	return s.s.get(ctx, compass.ConnectionName)
}

// Create implements ports.CompassConnectionStore.
func (s *CompassConnectionStore) Create(ctx context.Context, c compass.Connection) (compass.Connection, error) {
	if err := checkCtx(ctx, "create compass connection"); err != nil {
		return compass.Connection{}, err
	}
	stored := compass.Connection.Stored(c)
	stored.UID = uuid.NewString()
	payload, err := encodeConnection(s.s.db, stored.Name, stored)
	if err != nil {
		return compass.Connection{}, fmt.Errorf("create compass connection: %w", err)
	}
	err = s.s.db.update(func(tx *bbolt.Tx) (func(), error) {
		if tx.Bucket(bucketCompass).Get([]byte(stored.Name)) != nil {
			return nil, fmt.Errorf("create compass connection: %w", compass.ErrAlreadyExists)
		}
		return s.s.write(tx, stored.Name, payload, &stored)
	})
	if err != nil {
		return compass.Connection{}, err
	}
	return compass.Connection.DeepCopy(stored), nil
}

// Update implements ports.CompassConnectionStore.
func (s *CompassConnectionStore) Update(ctx context.Context, c compass.Connection) (compass.Connection, error) {
	if err := checkCtx(ctx, "update compass connection"); err != nil {
		return compass.Connection{}, err
	}
	stored := compass.Connection.Stored(c)
	err := s.s.db.update(func(tx *bbolt.Tx) (func(), error) {
		raw := tx.Bucket(bucketCompass).Get([]byte(stored.Name))
		if raw == nil {
			return nil, fmt.Errorf("update compass connection: %w", compass.ErrNotFound)
		}
		have, old, err := splitRecord(raw)
		if err != nil {
			return nil, fmt.Errorf("update compass connection: %w", err)
		}
		if strconv.FormatUint(have, 10) != c.ResourceVersion {
			return nil, fmt.Errorf("update compass connection: resource version %q is not current (%d): %w", c.ResourceVersion, have, compass.ErrConflict)
		}
		prev, err := decodeConnection(s.s.db, stored.Name, old)
		if err != nil {
			return nil, fmt.Errorf("update compass connection: stored record: %w", err)
		}
		stored.UID = prev.UID
		payload, err := encodeConnection(s.s.db, stored.Name, stored)
		if err != nil {
			return nil, fmt.Errorf("update compass connection: %w", err)
		}
		return s.s.write(tx, stored.Name, payload, &stored)
	})
	if err != nil {
		return compass.Connection{}, err
	}
	return compass.Connection.DeepCopy(stored), nil
}

// Delete implements ports.CompassConnectionStore. It also removes a record that no
// longer decodes.
func (s *CompassConnectionStore) Delete(ctx context.Context) error {
	return s.s.delete(ctx, compass.ConnectionName)
}

// Watch implements ports.CompassConnectionStore. Channels close when ctx is done or the
// DB is closed.
func (s *CompassConnectionStore) Watch(ctx context.Context) (<-chan ports.Event[compass.Connection], error) {
	return s.s.watch(ctx)
}
