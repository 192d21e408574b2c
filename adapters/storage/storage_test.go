package storage

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/ports"
)

func TestOpen(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for name, dir := range map[string]DataDir{"memory": MemoryDataDir, "bolt": DataDir(t.TempDir())} {
		t.Run(name, func(t *testing.T) {
			s, cleanup, err := Open(context.Background(), Config{DataDir: dir}, logger)
			require.NoError(t, err)
			defer cleanup()
			assert.Equal(t, name == "bolt", s.DB != nil)
			require.NoError(t, s.Ready(context.Background()))
			_, created, err := must(ProvideApplications(s)).Put(context.Background(), application.Application{Name: "a"})
			require.NoError(t, err)
			assert.True(t, created)
			assert.NotNil(t, must(ProvideSecrets(s)))
		})
	}
}

func TestOpenFailsOnUnusableDir(t *testing.T) {
	t.Parallel()
	_, _, err := Open(context.Background(), Config{Store: Embedded, DataDir: "/proc/version/not-a-dir"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	assert.ErrorContains(t, err, "open store in /proc/version/not-a-dir")
	_, _, err = Open(context.Background(), Config{Store: "etcd"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	assert.ErrorContains(t, err, `--store must be embedded or kubernetes, got "etcd"`)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestConnectorPortsShareTheBackend: tokens, revocations and events live where the
// Applications do, so a bolt data dir keeps them across a restart (and memory does not
// pretend to). The event log keeps the size it is given.
func TestConnectorPortsShareTheBackend(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	now := time.Now()
	tok := pairing.Token{Digest: pairing.Digest{1}, Application: "a", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	fp := certificate.Fingerprint{2}
	write := func(t *testing.T, s *Set) {
		t.Helper()
		require.NoError(t, must(ProvideTokens(s)).Put(ctx, tok))
		require.NoError(t, must(ProvideRevocations(s)).Revoke(ctx, fp, now.Add(time.Hour)))
		log := ProvideEventLog(s, 2)
		for _, id := range []string{"e1", "e2", "e3"} {
			_, err := log.Append(ctx, event.Record{Application: "a", ReceivedAt: now, Event: event.CloudEvent{SpecVersion: "1.0", ID: id, Source: "a", Type: "t"}})
			require.NoError(t, err)
		}
	}
	read := func(t *testing.T, s *Set) (tokenFound, revoked bool, ids []string) {
		t.Helper()
		_, err := must(ProvideTokens(s)).Lookup(ctx, tok.Digest, now)
		tokenFound = err == nil
		revoked, err = must(ProvideRevocations(s)).IsRevoked(ctx, fp)
		require.NoError(t, err)
		recs, err := ProvideEventLog(s, 2).List(ctx, ports.EventQuery{Limit: 10})
		require.NoError(t, err)
		for _, r := range recs {
			ids = append(ids, r.Event.ID)
		}
		return tokenFound, revoked, ids
	}

	t.Run("bolt", func(t *testing.T) {
		dir := DataDir(t.TempDir())
		s, cleanup, err := OpenEmbedded(dir, logger)
		require.NoError(t, err)
		write(t, s)
		cleanup()
		s, cleanup, err = OpenEmbedded(dir, logger)
		require.NoError(t, err)
		defer cleanup()
		tokenFound, revoked, ids := read(t, s)
		assert.True(t, tokenFound, "token survives a restart")
		assert.True(t, revoked, "revocation survives a restart")
		assert.Equal(t, []string{"e2", "e3"}, ids, "event log survives a restart and keeps its size")
	})
	t.Run("memory", func(t *testing.T) {
		s, cleanup, err := OpenEmbedded(MemoryDataDir, logger)
		require.NoError(t, err)
		defer cleanup()
		write(t, s)
		tokenFound, revoked, _ := read(t, s)
		assert.True(t, tokenFound)
		assert.True(t, revoked)
		s2, cleanup2, err := OpenEmbedded(MemoryDataDir, logger)
		require.NoError(t, err)
		defer cleanup2()
		tokenFound, revoked, ids := read(t, s2)
		assert.False(t, tokenFound || revoked, "a new memory store starts empty")
		assert.Empty(t, ids)
	})
}

// TestKubeConfigFollowsKubectl: an explicit --kubeconfig wins; without one (and outside a
// Pod) $KUBECONFIG is read with its current context; a missing file is an error naming
// where it looked.
func TestKubeConfigFollowsKubectl(t *testing.T) {
	write := func(server string) string {
		p := filepath.Join(t.TempDir(), "config")
		doc := "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster: {server: " + server +
			"}\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nusers:\n- name: u\n  user: {token: t}\n"
		require.NoError(t, os.WriteFile(p, []byte(doc), 0o600))
		return p
	}
	explicit, env := write("https://explicit.example:6443"), write("https://env.example:6443")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBECONFIG", env)

	cfg, err := KubeConfig(explicit)
	require.NoError(t, err)
	assert.Equal(t, "https://explicit.example:6443", cfg.Host)
	assert.Equal(t, float32(50), cfg.QPS)
	cfg, err = KubeConfig("")
	require.NoError(t, err)
	assert.Equal(t, "https://env.example:6443", cfg.Host)

	_, err = KubeConfig(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorContains(t, err, "--kubeconfig")

	s, cleanup, err := Open(context.Background(), Config{Store: Kubernetes, Kubeconfig: explicit}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	defer cleanup()
	assert.Equal(t, "kyma-system", s.Namespace, "the default namespace is Kyma's")
	assert.NoError(t, s.Ready(context.Background()), "nothing opened yet: nothing to wait for")
}
