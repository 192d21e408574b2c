package kubernetes_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/internal/realservers"
)

// leadership records which candidates run, and how many at once.
type leadership struct {
	mu      sync.Mutex
	running map[string]bool
	most    int
	terms   map[string]int
	// linger, when set, keeps a cancelled run from returning until it is closed: a
	// workload that takes its time to stop.
	linger chan struct{}
}

func newLeadership() *leadership {
	return &leadership{running: map[string]bool{}, terms: map[string]int{}}
}

// run is what candidate id runs while it leads: it holds until its context ends.
func (l *leadership) run(id string) func(context.Context) {
	return func(ctx context.Context) {
		l.mu.Lock()
		l.running[id] = true
		l.terms[id]++
		if n := len(l.running); n > l.most {
			l.most = n
		}
		l.mu.Unlock()
		<-ctx.Done()
		if l.linger != nil {
			<-l.linger
		}
		l.mu.Lock()
		delete(l.running, id)
		l.mu.Unlock()
	}
}

// leader returns the one running candidate, "" when none runs.
func (l *leadership) leader() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range l.running {
		return id
	}
	return ""
}

func (l *leadership) snapshot() (most int, terms map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	terms = map[string]int{}
	for k, v := range l.terms {
		terms[k] = v
	}
	return l.most, terms
}

type candidate struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when RunAsLeader returned
	err    *error        // what it returned, once done is closed
}

func startCandidate(t *testing.T, k *realservers.Kube, ns, id string, opts kubernetes.LeaderOptions, l *leadership) candidate {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := candidate{cancel: cancel, done: make(chan struct{}), err: new(error)}
	go func() {
		defer close(c.done)
		*c.err = kubernetes.RunAsLeader(ctx, k.Config(), ns, "runtime-agent", id, opts, l.run(id))
	}()
	t.Cleanup(func() {
		cancel()
		<-c.done
	})
	return c
}

func requireReturns(t *testing.T, c candidate) {
	t.Helper()
	select {
	case <-c.done:
		require.NoError(t, *c.err)
	case <-time.After(10 * time.Second):
		require.FailNow(t, "RunAsLeader did not return after its context was cancelled")
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func holder(t *testing.T, k *realservers.Kube, ns string) string {
	t.Helper()
	l, err := k.Client(t).CoordinationV1().Leases(ns).Get(context.Background(), "runtime-agent", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ""
	}
	require.NoError(t, err)
	return deref(l.Spec.HolderIdentity)
}

// TestRunAsLeaderOneAtATime: of two candidates exactly one runs; when the leader's
// context is cancelled, its run returns before the Lease is released and the other
// takes over well within a LeaseDuration (the release, not the expiry, hands over).
func TestRunAsLeaderOneAtATime(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	opts := kubernetes.LeaderOptions{LeaseDuration: 20 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 100 * time.Millisecond}
	l := newLeadership()
	l.linger = make(chan struct{})
	candidates := map[string]candidate{
		"agent-a": startCandidate(t, k, ns, "agent-a", opts, l),
		"agent-b": startCandidate(t, k, ns, "agent-b", opts, l),
	}
	var first string
	require.Eventually(t, func() bool { first = l.leader(); return first != "" }, 10*time.Second, 10*time.Millisecond, "nobody leads")
	assert.Equal(t, first, holder(t, k, ns), "the Lease names the one that runs")
	second := "agent-a"
	if first == "agent-a" {
		second = "agent-b"
	}

	candidates[first].cancel()
	// While the cancelled run is still stopping, the Lease stays held: many retry
	// periods pass without the other candidate starting.
	deadline := time.Now().Add(30 * opts.RetryPeriod)
	for time.Now().Before(deadline) {
		require.Equal(t, first, l.leader(), "the other candidate started while %s was still stopping", first)
		require.Equal(t, first, holder(t, k, ns))
	}
	start := time.Now()
	close(l.linger)
	requireReturns(t, candidates[first])
	require.Eventually(t, func() bool { return l.leader() == second }, 5*time.Second, 10*time.Millisecond, "%s did not take over", second)
	t.Logf("%s took over %s after %s's run returned", second, time.Since(start).Round(time.Millisecond), first)
	assert.Equal(t, second, holder(t, k, ns))

	candidates[second].cancel()
	requireReturns(t, candidates[second])
	assert.Empty(t, l.leader())
	most, terms := l.snapshot()
	assert.Equal(t, 1, most, "two candidates ran at once")
	assert.Equal(t, map[string]int{"agent-a": 1, "agent-b": 1}, terms)
	assert.Empty(t, holder(t, k, ns), "the last leader released the Lease on its way out")
}

// TestRunAsLeaderLosesLeadership: when another holder takes the Lease, the leader's run
// context is cancelled within the renew deadline; RunAsLeader keeps campaigning and
// runs again once the Lease is free.
func TestRunAsLeaderLosesLeadership(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	leases := k.Client(t).CoordinationV1().Leases(ns)
	ctx := context.Background()
	l := newLeadership()
	c := startCandidate(t, k, ns, "agent-a", kubernetes.LeaderOptions{LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 100 * time.Millisecond}, l)
	require.Eventually(t, func() bool { return l.leader() == "agent-a" }, 10*time.Second, 10*time.Millisecond, "agent-a never leads")

	// Another holder with a long lease, as a replica that took over while this one was
	// cut off from the API server.
	require.Eventually(t, func() bool {
		lease, err := leases.Get(ctx, "runtime-agent", metav1.GetOptions{})
		if err != nil {
			return false
		}
		thief, forever := "thief", int32(3600)
		lease.Spec.HolderIdentity = &thief
		lease.Spec.LeaseDurationSeconds = &forever
		lease.Spec.RenewTime = &metav1.MicroTime{Time: time.Now()}
		_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
		return err == nil // a conflict with the leader's renewal: try again
	}, 10*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { return l.leader() == "" }, 10*time.Second, 10*time.Millisecond, "run's context not cancelled after leadership was lost")
	_, terms := l.snapshot()
	assert.Equal(t, 1, terms["agent-a"], "no second term while the thief holds the Lease")
	assert.Equal(t, "thief", holder(t, k, ns))

	require.NoError(t, leases.Delete(ctx, "runtime-agent", metav1.DeleteOptions{}))
	require.Eventually(t, func() bool { return l.leader() == "agent-a" }, 10*time.Second, 10*time.Millisecond, "agent-a does not campaign again")
	_, terms = l.snapshot()
	assert.Equal(t, 2, terms["agent-a"])
	c.cancel()
	requireReturns(t, c)
	var lease *coordinationv1.Lease
	lease, err := leases.Get(ctx, "runtime-agent", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Empty(t, deref(lease.Spec.HolderIdentity), "released on the way out")
}

func TestRunAsLeaderRejectsBadArguments(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	noop := func(context.Context) {}
	for name, call := range map[string]func() error{
		"no namespace": func() error {
			return kubernetes.RunAsLeader(t.Context(), k.Config(), "", "l", "id", kubernetes.LeaderOptions{}, noop)
		},
		"no lease": func() error {
			return kubernetes.RunAsLeader(t.Context(), k.Config(), "ns", "", "id", kubernetes.LeaderOptions{}, noop)
		},
		"no identity": func() error {
			return kubernetes.RunAsLeader(t.Context(), k.Config(), "ns", "l", "", kubernetes.LeaderOptions{}, noop)
		},
		"no run": func() error {
			return kubernetes.RunAsLeader(t.Context(), k.Config(), "ns", "l", "id", kubernetes.LeaderOptions{}, nil)
		},
		"renew deadline not below lease duration": func() error {
			return kubernetes.RunAsLeader(t.Context(), k.Config(), "ns", "l", "id", kubernetes.LeaderOptions{LeaseDuration: time.Second, RenewDeadline: 2 * time.Second}, noop)
		},
	} {
		assert.Error(t, call(), name)
	}
}
