package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
)

// fakeCompassStore is a CompassConnectionStore with the port's contract, until the
// memory adapter lands.
type fakeCompassStore struct {
	mu   sync.Mutex
	conn *compass.Connection
	rv   int
}

var _ ports.CompassConnectionStore = (*fakeCompassStore)(nil)

func (f *fakeCompassStore) Get(context.Context) (compass.Connection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn == nil {
		return compass.Connection{}, fmt.Errorf("get compass connection: %w", compass.ErrNotFound)
	}
	return clone(*f.conn), nil
}

// clone copies the status pointers too: the port hands out copies.
func clone(c compass.Connection) compass.Connection {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	var out compass.Connection
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func (f *fakeCompassStore) Create(_ context.Context, c compass.Connection) (compass.Connection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn != nil {
		return compass.Connection{}, compass.ErrAlreadyExists
	}
	f.rv++
	c.Name, c.UID, c.ResourceVersion = compass.ConnectionName, "uid-"+strconv.Itoa(f.rv), strconv.Itoa(f.rv)
	stored := clone(c)
	f.conn = &stored
	return clone(c), nil
}

func (f *fakeCompassStore) Update(_ context.Context, c compass.Connection) (compass.Connection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn == nil {
		return compass.Connection{}, compass.ErrNotFound
	}
	if c.ResourceVersion != f.conn.ResourceVersion {
		return compass.Connection{}, fmt.Errorf("update compass connection: %w", compass.ErrConflict)
	}
	f.rv++
	c.Name, c.UID, c.ResourceVersion = f.conn.Name, f.conn.UID, strconv.Itoa(f.rv)
	stored := clone(c)
	f.conn = &stored
	return clone(c), nil
}

func (f *fakeCompassStore) Delete(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn == nil {
		return compass.ErrNotFound
	}
	f.conn = nil
	return nil
}

func (f *fakeCompassStore) Watch(context.Context) (<-chan ports.Event[compass.Connection], error) {
	return nil, fmt.Errorf("not needed by the management API")
}
