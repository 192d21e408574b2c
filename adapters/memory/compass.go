package memory

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/google/uuid"

	"github.com/appconnector/appconnector/adapters/internal/watchhub"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.CompassConnectionStore = (*CompassConnectionStore)(nil)

// CompassConnectionStore is an in-memory ports.CompassConnectionStore. It keeps what a
// Kubernetes object keeps: times to the second, in UTC.
type CompassConnectionStore struct {
	hub *watchhub.Hub[compass.Connection]

	mu      sync.Mutex
	conn    *compass.Connection
	version uint64
}

// NewCompassConnectionStore returns a store without a connection.
func NewCompassConnectionStore() *CompassConnectionStore {
	return &CompassConnectionStore{hub: watchhub.New(compass.Connection.DeepCopy)}
}

// Get implements ports.CompassConnectionStore.
func (s *CompassConnectionStore) Get(context.Context) (compass.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return compass.Connection{}, fmt.Errorf("get compass connection: %w", compass.ErrNotFound)
	}
	return compass.Connection.DeepCopy(*s.conn), nil
}

// Create implements ports.CompassConnectionStore.
func (s *CompassConnectionStore) Create(_ context.Context, c compass.Connection) (compass.Connection, error) {
	stored := compass.Connection.Stored(c)
	stored.UID = uuid.NewString()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		return compass.Connection{}, fmt.Errorf("create compass connection: %w", compass.ErrAlreadyExists)
	}
	return s.commit(stored), nil
}

// Update implements ports.CompassConnectionStore.
func (s *CompassConnectionStore) Update(_ context.Context, c compass.Connection) (compass.Connection, error) {
	stored := compass.Connection.Stored(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return compass.Connection{}, fmt.Errorf("update compass connection: %w", compass.ErrNotFound)
	}
	if c.ResourceVersion != s.conn.ResourceVersion {
		return compass.Connection{}, fmt.Errorf("update compass connection: resource version %q is not current (%s): %w", c.ResourceVersion, s.conn.ResourceVersion, compass.ErrConflict)
	}
	stored.UID = s.conn.UID
	return s.commit(stored), nil
}

// Delete implements ports.CompassConnectionStore.
func (s *CompassConnectionStore) Delete(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return fmt.Errorf("delete compass connection: %w", compass.ErrNotFound)
	}
	last := *s.conn
	s.conn = nil
	s.hub.Publish(ports.Event[compass.Connection]{Type: ports.EventDelete, Name: last.Name, Object: last})
	return nil
}

// Watch implements ports.CompassConnectionStore.
func (s *CompassConnectionStore) Watch(ctx context.Context) (<-chan ports.Event[compass.Connection], error) {
	// The lock keeps writers out between the snapshot and the subscription.
	s.mu.Lock()
	defer s.mu.Unlock()
	var snapshot []ports.Event[compass.Connection]
	if s.conn != nil {
		snapshot = append(snapshot, ports.Event[compass.Connection]{Type: ports.EventPut, Name: s.conn.Name, Object: *s.conn})
	}
	ch, err := s.hub.Subscribe(ctx, snapshot)
	if err != nil {
		return nil, fmt.Errorf("watch compass connection: %w", err)
	}
	return ch, nil
}

// Close closes every watch channel; later Watch calls fail. Reads and writes keep working.
func (s *CompassConnectionStore) Close() { s.hub.Close() }

// commit stores c under a new version and publishes it; s.mu is held, so events go out
// in commit order. c must not be shared with a caller.
func (s *CompassConnectionStore) commit(c compass.Connection) compass.Connection {
	s.version++
	c.ResourceVersion = strconv.FormatUint(s.version, 10)
	s.conn = &c
	s.hub.Publish(ports.Event[compass.Connection]{Type: ports.EventPut, Name: c.Name, Object: c})
	return compass.Connection.DeepCopy(c)
}
