package watchhub

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

type obj struct{ M map[string]int }

func copyObj(o obj) obj { return obj{M: maps.Clone(o.M)} }

func recv(t *testing.T, ch <-chan ports.Event[obj]) ports.Event[obj] {
	t.Helper()
	select {
	case ev, ok := <-ch:
		require.True(t, ok, "channel closed early")
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return ports.Event[obj]{}
}

func TestSnapshotSyncedThenPublishedInOrder(t *testing.T) {
	h := New(copyObj)
	defer h.Close()
	ch, err := h.Subscribe(context.Background(), []ports.Event[obj]{{Type: ports.EventPut, Name: "a"}})
	require.NoError(t, err)
	for i := range 1000 {
		h.Publish(ports.Event[obj]{Type: ports.EventPut, Name: "x", Object: obj{M: map[string]int{"i": i}}})
	}
	assert.Equal(t, "a", recv(t, ch).Name)
	assert.Equal(t, ports.EventSynced, recv(t, ch).Type)
	for i := range 1000 {
		require.Equal(t, i, recv(t, ch).Object.M["i"])
	}
}

func TestWatchersGetIndependentCopies(t *testing.T) {
	h := New(copyObj)
	defer h.Close()
	a, err := h.Subscribe(context.Background(), nil)
	require.NoError(t, err)
	b, err := h.Subscribe(context.Background(), nil)
	require.NoError(t, err)
	recv(t, a)
	recv(t, b)
	src := obj{M: map[string]int{"v": 1}}
	h.Publish(ports.Event[obj]{Type: ports.EventPut, Name: "x", Object: src})
	ea := recv(t, a)
	ea.Object.M["v"] = 99
	assert.Equal(t, 1, recv(t, b).Object.M["v"])
	assert.Equal(t, 1, src.M["v"])
}

func TestCancelClosesAndUnsubscribes(t *testing.T) {
	h := New(copyObj)
	defer h.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := h.Subscribe(ctx, nil)
	require.NoError(t, err)
	h.Publish(ports.Event[obj]{Type: ports.EventPut, Name: "unread"})
	cancel()
	porttest.RequireClosed(t, ch)
	require.Eventually(t, func() bool { return h.Watchers() == 0 }, 5*time.Second, time.Millisecond)
}

func TestCloseClosesWatchersAndRefusesNew(t *testing.T) {
	h := New(copyObj)
	ch, err := h.Subscribe(context.Background(), nil)
	require.NoError(t, err)
	h.Publish(ports.Event[obj]{Type: ports.EventPut, Name: "unread"})
	h.Close()
	porttest.RequireClosed(t, ch)
	_, err = h.Subscribe(context.Background(), nil)
	require.ErrorIs(t, err, ErrClosed)
	h.Close()
}

func TestSubscribeWithDoneContextFails(t *testing.T) {
	h := New(copyObj)
	defer h.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.Subscribe(ctx, nil)
	require.ErrorIs(t, err, context.Canceled)
}
