package runner

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGroupServesAndShutsDown(t *testing.T) {
	t.Parallel()
	g := New(slog.New(slog.NewTextHandler(io.Discard, nil)), time.Second)
	g.AddServer("hello", "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hi") }))
	loopStopped := make(chan struct{})
	g.AddLoop(func(ctx context.Context) error { <-ctx.Done(); close(loopStopped); return nil })
	var mu sync.Mutex
	var addr string
	started := make(chan struct{})
	g.Listening = func(_, a string) { mu.Lock(); addr = a; mu.Unlock(); close(started) }

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	<-started
	mu.Lock()
	resp, err := http.Get("http://" + addr)
	mu.Unlock()
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "hi", string(b))
	cancel()
	require.NoError(t, <-done)
	<-loopStopped
}

func TestGroupFailsOnPortInUseAndLoopError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	g := New(logger, time.Second)
	g.AddServer("first", "127.0.0.1:0", http.NotFoundHandler())
	g.AddServer("taken", ln.Addr().String(), http.NotFoundHandler())
	assert.ErrorContains(t, g.Run(context.Background()), "listen for taken")

	g = New(logger, time.Second)
	g.AddServer("s", "127.0.0.1:0", http.NotFoundHandler())
	boom := errors.New("boom")
	g.AddLoop(func(context.Context) error { return boom })
	assert.ErrorIs(t, g.Run(context.Background()), boom)
}
