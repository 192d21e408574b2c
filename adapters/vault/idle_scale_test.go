package vault_test

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/vault"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/internal/realservers"
	"github.com/appconnector/appconnector/ports"
)

// TestIdleRequestsPerMinuteWith1000Secrets measures what a watching store asks Vault
// when nothing changes: 1,000 Secrets at rest, the default 5 s poll interval, 30 s of
// idle watching, every request counted at the client's transport. It takes about a
// minute, so it runs only with APPCONNECTOR_SCALE_TEST=1.
func TestIdleRequestsPerMinuteWith1000Secrets(t *testing.T) {
	if os.Getenv("APPCONNECTOR_SCALE_TEST") != "1" {
		t.Skip("runs with APPCONNECTOR_SCALE_TEST=1 (about a minute: 1,000 Secrets, 30 s of idle polling)")
	}
	const n, window = 1000, 30 * time.Second
	v := realservers.StartVault(t)
	writer, _ := rootClient(t, v, nil)
	ws := newStore(t, writer, vault.SecretStoreConfig{Prefix: "idle"})
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	names := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range names {
				_, _, err := ws.Put(t.Context(), credential.Secret{Name: fmt.Sprintf("app-%04d", i), Data: map[string][]byte{
					"username": []byte("user"), "password": []byte(fmt.Sprintf("pw-%d", i)),
				}})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range n {
		names <- i
	}
	close(names)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	t.Logf("wrote %d Secrets in %v", n, time.Since(start).Round(time.Millisecond))

	c, rec := rootClient(t, v, nil)
	s := newStore(t, c, vault.SecretStoreConfig{Prefix: "idle"}) // default poll interval
	start = time.Now()
	ch, err := s.Watch(t.Context())
	require.NoError(t, err)
	t.Logf("first sync of %d Secrets: %v", n, time.Since(start).Round(time.Millisecond))
	got := 0
	for ev := range ch {
		if ev.Type == ports.EventSynced {
			break
		}
		got++
	}
	require.Equal(t, n, got, "the snapshot holds every Secret")

	before := len(rec.requests())
	idle := time.NewTimer(window) // the measurement window itself, not a wait for a state
	select {
	case ev := <-ch:
		t.Fatalf("an event while nothing changed: %+v", ev)
	case <-idle.C:
	}
	reqs := rec.requests()[before:]
	lists, metas, data, other := 0, 0, 0, 0
	for _, r := range reqs {
		switch {
		case strings.HasPrefix(r, "LIST ") || strings.Contains(r, "list=true"):
			lists++
		case strings.Contains(r, "/secret/metadata/"):
			metas++
		case strings.Contains(r, "/secret/data/"):
			data++
		default:
			other++
		}
	}
	perMinute := float64(len(reqs)) * float64(time.Minute) / float64(window)
	t.Logf("idle %v with %d Secrets at the default %v interval: %d requests (%d LIST, %d metadata reads, %d data reads, %d other) = %.0f per minute",
		window, n, vault.DefaultPollInterval, len(reqs), lists, metas, data, other, perMinute)
	assert.Zero(t, data, "no value is read while nothing changes")
	require.GreaterOrEqual(t, lists, 4, "a poll at least every 5 s plus its own duration")
	assert.LessOrEqual(t, lists, int(window/vault.DefaultPollInterval)+1)
	// A poll under way at either edge of the window is counted in part.
	assert.InDelta(t, lists*n, metas, float64(2*n), "one metadata read per Secret per poll")
}
