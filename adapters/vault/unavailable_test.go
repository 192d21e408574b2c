package vault_test

import (
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

// TestSealedVault: while Vault is sealed every operation fails with ErrUnavailable
// saying so, the watch stays open, and it catches up after unsealing without a restart.
func TestSealedVault(t *testing.T) {
	v := realservers.StartVault(t)
	logs := &syncBuffer{}
	c, _ := rootClient(t, v, debugLogger(logs))
	other, _ := rootClient(t, v, nil)
	cfg := vault.SecretStoreConfig{Prefix: "sealed", PollInterval: 50 * time.Millisecond, Logger: debugLogger(logs)}
	s := newStore(t, c, cfg)
	o := newStore(t, other, cfg)
	ctx := t.Context()

	_, _, err := s.Put(ctx, credential.Secret{Name: "a", Data: map[string][]byte{"k": []byte("1")}})
	require.NoError(t, err)
	ch, err := s.Watch(ctx)
	require.NoError(t, err)
	require.Equal(t, "a", next(t, ch).Name)
	require.Equal(t, ports.EventSynced, next(t, ch).Type)

	v.Seal(t)
	_, err = s.Get(ctx, "a")
	requireUnavailable(t, err, "sealed")
	_, err = s.List(ctx)
	requireUnavailable(t, err, "sealed")
	_, _, err = s.Put(ctx, credential.Secret{Name: "b"})
	requireUnavailable(t, err, "sealed")
	requireUnavailable(t, s.Delete(ctx, "a"), "sealed")
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "watching Vault failed") }, eventTimeout, 10*time.Millisecond,
		"the poller reports the outage once")

	select {
	case ev, ok := <-ch:
		t.Fatalf("watch delivered %v (open %v) while Vault was sealed", ev.Type, ok)
	case <-time.After(200 * time.Millisecond):
	}

	v.Unseal(t)
	b, _, err := o.Put(ctx, credential.Secret{Name: "b", Data: map[string][]byte{"k": []byte("2")}})
	require.NoError(t, err)
	ev := next(t, ch)
	assert.Equal(t, "b", ev.Name)
	assert.Equal(t, b.ResourceVersion, ev.Object.ResourceVersion)
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "watching Vault works again") }, eventTimeout, 10*time.Millisecond)
	got, err := s.Get(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "1", string(got.Data["k"]))
}

func requireUnavailable(t *testing.T, err error, why string) {
	t.Helper()
	require.ErrorIs(t, err, vault.ErrUnavailable)
	assert.Contains(t, err.Error(), why)
	assert.NotErrorIs(t, err, credential.ErrNotFound)
}

// TestUnreachableVault: a stopped server is reported as unreachable.
func TestUnreachableVault(t *testing.T) {
	v := realservers.StartVault(t)
	c, _ := rootClient(t, v, nil)
	s := newStore(t, c, vault.SecretStoreConfig{})
	v.Stop()
	_, err := s.Get(t.Context(), "a")
	requireUnavailable(t, err, "unreachable")
	_, _, err = s.Put(t.Context(), credential.Secret{Name: "a"})
	requireUnavailable(t, err, "unreachable")
}

// TestPermissionDenied: a token whose policy does not cover the prefix is reported as
// permission denied, as unavailable (an operator has to fix the policy).
func TestPermissionDenied(t *testing.T) {
	v := realservers.StartVault(t)
	v.CLI(t, "policy", "write", "other-only", writeFile(t, "policy.hcl", `path "secret/data/other/*" { capabilities = ["read"] }`))
	token := strings.TrimSpace(v.CLI(t, "token", "create", "-policy=other-only", "-field=token"))
	cfg, _ := apiConfig(t, v)
	c, err := vault.NewClient(t.Context(), vault.ClientConfig{API: cfg, Auth: vault.AuthConfig{TokenFile: writeFile(t, "token", token)}})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	s := newStore(t, c, vault.SecretStoreConfig{Prefix: "mine"})
	_, err = s.Get(t.Context(), "a")
	requireUnavailable(t, err, "permission denied")
	assert.NotContains(t, err.Error(), token)
}

// TestMinimalPolicy: the policy in the package documentation is enough for every
// operation, and a watch.
func TestMinimalPolicy(t *testing.T) {
	v := realservers.StartVault(t)
	v.CLI(t, "policy", "write", "appconnector", writeFile(t, "policy.hcl", `
path "secret/data/appconnector/secrets/*"     { capabilities = ["create", "update", "read"] }
path "secret/metadata/appconnector/secrets/*" { capabilities = ["read", "list", "delete"] }
`))
	token := strings.TrimSpace(v.CLI(t, "token", "create", "-policy=appconnector", "-field=token"))
	cfg, _ := apiConfig(t, v)
	c, err := vault.NewClient(t.Context(), vault.ClientConfig{API: cfg, Auth: vault.AuthConfig{TokenFile: writeFile(t, "token", token)}})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	s := newStore(t, c, vault.SecretStoreConfig{PollInterval: 20 * time.Millisecond})
	ctx := t.Context()

	ch, err := s.Watch(ctx)
	require.NoError(t, err)
	require.Equal(t, ports.EventSynced, next(t, ch).Type)
	stored, created, err := s.Put(ctx, credential.Secret{Name: "a", Data: map[string][]byte{"k": []byte("1")}})
	require.NoError(t, err)
	require.True(t, created)
	_, _, err = s.Put(ctx, credential.Secret{Name: "a", ResourceVersion: stored.ResourceVersion, Data: map[string][]byte{"k": []byte("2")}})
	require.NoError(t, err)
	_, err = s.Get(ctx, "a")
	require.NoError(t, err)
	items, err := s.List(ctx)
	require.NoError(t, err)
	require.Len(t, items, 1)
	require.NoError(t, s.Delete(ctx, "a"))
	for _, want := range []ports.EventType{ports.EventPut, ports.EventPut, ports.EventDelete} {
		require.Equal(t, want, next(t, ch).Type)
	}
	v.CLI(t, "kv", "put", "secret/appconnector/secrets/b", "k=v")
	ev := next(t, ch)
	require.Equal(t, "b", ev.Name, "the poller works with the policy too")
}

// TestReadyAfterFirstRead: a watched store is ready once the poller has read Vault once,
// not before (Vault sealed at start), and stays ready through a later outage.
func TestReadyAfterFirstRead(t *testing.T) {
	v := realservers.StartVault(t)
	c, _ := rootClient(t, v, nil)
	s := newStore(t, c, vault.SecretStoreConfig{Prefix: "ready", PollInterval: 20 * time.Millisecond})
	require.NoError(t, s.Ready(t.Context()), "unwatched: every call reads Vault, nothing to sync")

	v.Seal(t)
	watched := make(chan error, 1)
	go func() {
		_, err := s.Watch(t.Context())
		watched <- err
	}()
	require.Eventually(t, func() bool { return s.Ready(t.Context()) != nil }, eventTimeout, 5*time.Millisecond)
	err := s.Ready(t.Context())
	require.ErrorIs(t, err, vault.ErrUnavailable)
	select {
	case err := <-watched:
		t.Fatalf("Watch returned (%v) before Vault was read", err)
	default:
	}

	v.Unseal(t)
	select {
	case err := <-watched:
		require.NoError(t, err)
	case <-time.After(eventTimeout):
		t.Fatal("Watch did not return after unsealing")
	}
	require.NoError(t, s.Ready(t.Context()))
	v.Seal(t)
	require.NoError(t, s.Ready(t.Context()), "synced once: the watchers keep serving what they have")
}
