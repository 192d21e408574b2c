package vault_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/vault"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/internal/realservers"
	"github.com/appconnector/appconnector/ports"
)

const eventTimeout = 10 * time.Second

func next(t *testing.T, ch <-chan ports.Event[credential.Secret]) ports.Event[credential.Secret] {
	t.Helper()
	select {
	case ev, ok := <-ch:
		require.True(t, ok, "watch channel closed")
		return ev
	case <-time.After(eventTimeout):
		require.FailNow(t, "no watch event", "waited %s", eventTimeout)
	}
	return ports.Event[credential.Secret]{}
}

// TestWatchSeesChangesMadeElsewhere: writes by another instance and by the Vault CLI
// reach the watcher through the poller.
func TestWatchSeesChangesMadeElsewhere(t *testing.T) {
	v := realservers.StartVault(t)
	c, _ := rootClient(t, v, nil)
	other, _ := rootClient(t, v, nil)
	cfg := vault.SecretStoreConfig{Prefix: "elsewhere", PollInterval: 50 * time.Millisecond}
	s := newStore(t, c, cfg)
	o := newStore(t, other, cfg)
	ctx := t.Context()

	pre, _, err := o.Put(ctx, credential.Secret{Name: "pre", Data: map[string][]byte{"k": []byte("1")}})
	require.NoError(t, err)
	ch, err := s.Watch(ctx)
	require.NoError(t, err)
	ev := next(t, ch)
	require.Equal(t, ports.EventPut, ev.Type)
	assert.Equal(t, pre.ResourceVersion, ev.Object.ResourceVersion)
	require.Equal(t, ports.EventSynced, next(t, ch).Type)

	created, _, err := o.Put(ctx, credential.Secret{Name: "new", Labels: map[string]string{"l": "v"}, Data: map[string][]byte{"bin": {0xff, 0}}})
	require.NoError(t, err)
	ev = next(t, ch)
	assert.Equal(t, ports.EventPut, ev.Type)
	assert.Equal(t, "new", ev.Name)
	assert.Equal(t, created.ResourceVersion, ev.Object.ResourceVersion)
	assert.Equal(t, []byte{0xff, 0}, ev.Object.Data["bin"])
	assert.Equal(t, map[string]string{"l": "v"}, ev.Object.Labels)

	updated, _, err := o.Put(ctx, credential.Secret{Name: "pre", Data: map[string][]byte{"k": []byte("2")}})
	require.NoError(t, err)
	ev = next(t, ch)
	assert.Equal(t, "pre", ev.Name)
	assert.Equal(t, updated.ResourceVersion, ev.Object.ResourceVersion)
	assert.Equal(t, "2", string(ev.Object.Data["k"]))

	// The Vault CLI writes a plain KV entry: every field a key, values as strings.
	v.CLI(t, "kv", "put", "secret/elsewhere/cli", "username=shop-user", "password=pw")
	ev = next(t, ch)
	assert.Equal(t, "cli", ev.Name)
	assert.Equal(t, "shop-user", string(ev.Object.Data["username"]))
	got, err := s.Get(ctx, "cli")
	require.NoError(t, err)
	assert.Equal(t, got.ResourceVersion, ev.Object.ResourceVersion)

	// A soft delete (vault kv delete) makes the entry absent for the store.
	v.CLI(t, "kv", "delete", "secret/elsewhere/cli")
	ev = next(t, ch)
	assert.Equal(t, ports.EventDelete, ev.Type)
	assert.Equal(t, "cli", ev.Name)
	_, err = s.Get(ctx, "cli")
	require.ErrorIs(t, err, credential.ErrNotFound)

	require.NoError(t, o.Delete(ctx, "new"))
	ev = next(t, ch)
	assert.Equal(t, ports.EventDelete, ev.Type)
	assert.Equal(t, "new", ev.Name)
	assert.Equal(t, created.ResourceVersion, ev.Object.ResourceVersion, "a delete carries the last known state")

	select {
	case ev := <-ch:
		t.Fatalf("unexpected event %s %s", ev.Type, ev.Name)
	case <-time.After(300 * time.Millisecond): // several polls: nothing more to report
	}
}

// TestPollCost counts what one poll asks Vault: one LIST and one metadata read per
// Secret while nothing changes, plus one data read per Secret that changed.
func TestPollCost(t *testing.T) {
	const n = 20
	v := realservers.StartVault(t)
	c, rec := rootClient(t, v, nil)
	other, _ := rootClient(t, v, nil)
	cfg := vault.SecretStoreConfig{Prefix: "cost", PollInterval: 100 * time.Millisecond}
	s := newStore(t, c, cfg)
	o := newStore(t, other, cfg)
	ctx := t.Context()
	for i := range n {
		_, _, err := o.Put(ctx, credential.Secret{Name: fmt.Sprintf("s%02d", i), Data: map[string][]byte{"k": []byte("v")}})
		require.NoError(t, err)
	}
	ch, err := s.Watch(ctx)
	require.NoError(t, err)
	for range n {
		require.Equal(t, ports.EventPut, next(t, ch).Type)
	}
	require.Equal(t, ports.EventSynced, next(t, ch).Type)

	polls := func() [][]string { return splitPolls(rec.requests()) }
	require.Eventually(t, func() bool { return len(polls()) >= 3 }, eventTimeout, 10*time.Millisecond)
	p := polls()
	first := summarize(p[0])
	assert.Equal(t, pollCost{lists: 1, dataReads: n}, first, "the first poll reads every Secret once")
	steady := summarize(p[1])
	assert.Equal(t, pollCost{lists: 1, metadataReads: n}, steady, "an unchanged store costs one LIST and one metadata read per Secret")

	_, _, err = o.Put(ctx, credential.Secret{Name: "s07", Data: map[string][]byte{"k": []byte("changed")}})
	require.NoError(t, err)
	ev := next(t, ch)
	require.Equal(t, "s07", ev.Name)
	before := len(polls())
	require.Eventually(t, func() bool { return len(polls()) >= before+1 }, eventTimeout, 10*time.Millisecond)
	var changed *pollCost
	for _, pr := range polls() {
		if c := summarize(pr); c.dataReads == 1 {
			changed = &c
		}
	}
	require.NotNil(t, changed, "a poll read the changed Secret")
	assert.Equal(t, pollCost{lists: 1, metadataReads: n, dataReads: 1}, *changed)
	t.Logf("poll of %d unchanged Secrets: %+v; with one change: %+v", n, steady, *changed)
}

type pollCost struct{ lists, metadataReads, dataReads int }

// splitPolls cuts the request log into complete polls: each starts with a LIST and ends
// before the next one (the last, possibly unfinished poll is dropped).
func splitPolls(reqs []string) [][]string {
	var polls [][]string
	var cur []string
	for _, r := range reqs {
		if strings.Contains(r, "list=true") || strings.HasPrefix(r, "LIST ") {
			if cur != nil {
				polls = append(polls, cur)
			}
			cur = []string{r}
			continue
		}
		if cur != nil {
			cur = append(cur, r)
		}
	}
	return polls
}

func summarize(reqs []string) pollCost {
	var c pollCost
	for _, r := range reqs {
		switch {
		case strings.Contains(r, "list=true") || strings.HasPrefix(r, "LIST "):
			c.lists++
		case strings.HasPrefix(r, "GET /v1/secret/metadata/"):
			c.metadataReads++
		case strings.HasPrefix(r, "GET /v1/secret/data/"):
			c.dataReads++
		}
	}
	return c
}
