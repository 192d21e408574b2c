package compass

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dc "github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/internal/testutil"
)

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, what, testutil.Holds(cond))
}

func (f *fixture) start() (stop func()) {
	ctx, cancel := context.WithCancel(f.t.Context())
	done := make(chan error, 1)
	go func() { done <- f.agent.Run(ctx) }()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				require.NoError(f.t, err)
			case <-time.After(10 * time.Second):
				f.t.Fatal("Run did not return after cancel")
			}
		})
	}
}

func (f *fixture) state() dc.State {
	c, err := f.conns.Get(context.Background())
	if err != nil {
		return ""
	}
	return c.Status.ConnectionState
}

// Run pairs at start, then reacts to a user's change of the connection at once (the
// period is an hour), and not to its own writes.
func TestRunReactsToConnectionChanges(t *testing.T) {
	f := newFixture(t)
	f.compass.SetApplications(directorApp("a1", "orders"))
	f.putConfig()
	stop := f.start()
	defer stop()

	eventually(t, "Synchronized after start", func() bool { return f.state() == dc.StateSynchronized })
	require.Equal(t, 1, f.compass.Calls(opApplications))

	// resyncNow: a round at once, bypassing the rate limit; the flag is reset.
	f.editSpec(func(s *dc.Spec) { s.ResyncNow = true })
	eventually(t, "the resync round", func() bool { return f.compass.Calls(opApplications) == 2 && !f.conn().Spec.ResyncNow })

	// refreshCredentialsNow: renewed at once.
	f.editSpec(func(s *dc.Spec) { s.RefreshCredentialsNow = true })
	eventually(t, "the renewal", func() bool { return f.compass.Calls(opCertSign) == 1 && !f.conn().Spec.RefreshCredentialsNow })

	// A delete pairs again at once with the Secret's (new) token.
	first := f.conn().UID
	f.putConfig()
	require.NoError(t, f.conns.Delete(t.Context()))
	eventually(t, "a new pairing", func() bool {
		c, err := f.conns.Get(context.Background())
		return err == nil && c.UID != first && c.Status.ConnectionState == dc.StateSynchronized
	})
	require.Equal(t, 2, f.compass.Calls(opTokenConfiguration))

	// The agent's own writes did not start rounds: every round above was either
	// rate-limited or is counted. A forced round proves the loop is still live and
	// that nothing else ran in between.
	apps := f.compass.Calls(opApplications)
	f.editSpec(func(s *dc.Spec) { s.ResyncNow = true })
	eventually(t, "one more round", func() bool { return f.compass.Calls(opApplications) == apps+1 && !f.conn().Spec.ResyncNow })
	stop()
	require.Equal(t, apps+1, f.compass.Calls(opApplications))
}

// Run also rounds every SyncPeriod.
func TestRunEverySyncPeriod(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.SyncPeriod = 20 * time.Millisecond })
	f.pair()
	stop := f.start()
	defer stop()
	// The fake clock moves only when the test moves it, so rounds are rate-limited
	// until then.
	f.clock.Advance(time.Minute)
	eventually(t, "a periodic round", func() bool { return f.compass.Calls(opApplications) >= 2 })
}

// The echoes of the agent's own writes start no round. Without rate limiting (every
// clock reading is a second later, the minimal sync time is a nanosecond) an echo
// would start a round that writes again, for ever.
func TestRunIgnoresItsOwnWrites(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MinimalSyncTime = time.Nanosecond })
	f.cfg.Now = func() time.Time { f.clock.Advance(time.Second); return f.clock.Now() }
	f.agent = f.newAgent(f.connector, f.director)
	f.putConfig()
	stop := f.start()
	defer stop()
	eventually(t, "Synchronized after start", func() bool { return f.state() == dc.StateSynchronized })

	// Events are handled in order, so once the round for this edit is done every
	// echo before it has been handled too.
	f.editSpec(func(s *dc.Spec) { s.ResyncNow = true })
	eventually(t, "the resync round", func() bool { return !f.conn().Spec.ResyncNow })
	f.editSpec(func(s *dc.Spec) { s.ResyncNow = true })
	eventually(t, "the second resync round", func() bool { return !f.conn().Spec.ResyncNow })
	stop()
	require.Equal(t, 3, f.compass.Calls(opApplications))
}

// After a revocation, a new token in the configuration Secret pairs again at once.
func TestRunPairsAtOnceWithANewToken(t *testing.T) {
	f := newFixture(t)
	f.pair()
	f.compass.Revoke(f.clientCert())
	f.clock.Advance(f.cfg.MinimalSyncTime)
	stop := f.start()
	defer stop()
	eventually(t, "ConnectionFailed after the revocation", func() bool { return f.state() == dc.StateConnectionFailed })

	f.clock.Advance(f.cfg.MinimalSyncTime)
	f.putConfig()
	eventually(t, "paired again", func() bool { return f.state() == dc.StateSynchronized })
	require.Equal(t, 2, f.compass.Calls(opTokenConfiguration))
}
