package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Default leader election timings, client-go's and controller-runtime's usual ones.
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// LeaderOptions tunes RunAsLeader; zero fields take the defaults.
type LeaderOptions struct {
	// LeaseDuration is how long the others wait after the last renewal before they
	// take over.
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader keeps trying to renew before it gives up
	// leading; less than LeaseDuration.
	RenewDeadline time.Duration
	// RetryPeriod is the pause between two attempts to acquire or renew.
	RetryPeriod time.Duration
}

func (o LeaderOptions) withDefaults() LeaderOptions {
	if o.LeaseDuration == 0 {
		o.LeaseDuration = DefaultLeaseDuration
	}
	if o.RenewDeadline == 0 {
		o.RenewDeadline = DefaultRenewDeadline
	}
	if o.RetryPeriod == 0 {
		o.RetryPeriod = DefaultRetryPeriod
	}
	return o
}

// RunAsLeader campaigns for the coordination.k8s.io Lease namespace/leaseName under
// identity, and runs run while it holds it. run's ctx is cancelled when leadership is
// lost or ctx is done; run is expected to return then. After losing leadership (or
// when run returns by itself) it campaigns again, so run may be called several times,
// never twice at once. RunAsLeader returns nil once ctx is done and run has returned;
// the Lease is released on the way out (after run returned), so another candidate
// takes over within its RetryPeriod instead of a LeaseDuration. It needs get, create
// and update on leases in namespace. Errors are for a configuration that cannot work.
func RunAsLeader(ctx context.Context, cfg *rest.Config, namespace, leaseName, identity string, opts LeaderOptions, run func(ctx context.Context)) error {
	switch {
	case namespace == "":
		return errors.New("leader election: namespace is empty")
	case leaseName == "":
		return errors.New("leader election: lease name is empty")
	case identity == "":
		return errors.New("leader election: identity is empty")
	case run == nil:
		return errors.New("leader election: nothing to run")
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("leader election: kubernetes client: %w", err)
	}
	opts = opts.withDefaults()
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: namespace, Name: leaseName},
		Client:     cs.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: identity},
	}
	newElector := func(t *term) (*leaderelection.LeaderElector, error) {
		return leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            lock,
			Name:            leaseName,
			LeaseDuration:   opts.LeaseDuration,
			RenewDeadline:   opts.RenewDeadline,
			RetryPeriod:     opts.RetryPeriod,
			ReleaseOnCancel: true,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: t.lead,
				OnStoppedLeading: func() {},
			},
		})
	}
	for {
		// A new elector and term per round: a callback of an earlier round that starts
		// late must not touch this one.
		t := &term{ctx: ctx, run: run, runDone: make(chan struct{})}
		elector, err := newElector(t)
		if err != nil {
			return fmt.Errorf("leader election: %w", err)
		}
		t.round(elector)
		if ctx.Err() != nil {
			return nil
		}
		// run returned or leadership was lost: campaign again, but not in a hot loop
		// when run returns at once.
		timer := time.NewTimer(opts.RetryPeriod)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
	}
}

// term is one round of campaigning. client-go's elector starts OnStartedLeading in its
// own goroutine and releases the Lease as soon as its context ends, without waiting for
// that goroutine; round makes the release wait for run, so that a successor never runs
// while this run is still finishing after a cancel.
type term struct {
	ctx     context.Context
	run     func(context.Context)
	runDone chan struct{} // closed when run returns

	mu       sync.Mutex
	stopping bool
	running  bool
}

// round runs elector once: until ctx is done, leadership is lost, or run returns.
func (t *term) round(elector *leaderelection.LeaderElector) {
	// The elector's context ends only after run has returned (see above).
	electCtx, stopElector := context.WithCancel(context.WithoutCancel(t.ctx))
	defer stopElector()
	electorDone := make(chan struct{})
	go func() {
		defer close(electorDone)
		elector.Run(electCtx)
	}()
	select {
	case <-t.ctx.Done():
	case <-electorDone:
	case <-t.runDone:
	}
	t.mu.Lock()
	t.stopping = true
	running := t.running
	t.mu.Unlock()
	if running {
		// Its context is cancelled: by ctx, or by the elector when leadership is lost.
		<-t.runDone
	}
	stopElector()
	<-electorDone
}

// lead is OnStartedLeading: leaderCtx ends when leadership is lost.
func (t *term) lead(leaderCtx context.Context) {
	t.mu.Lock()
	if t.stopping {
		// The round ended before this goroutine started: the Lease is, or is being,
		// given up, so run must not start.
		t.mu.Unlock()
		return
	}
	t.running = true
	t.mu.Unlock()
	defer close(t.runDone)

	ctx, cancel := context.WithCancel(leaderCtx)
	defer cancel()
	stop := context.AfterFunc(t.ctx, cancel)
	defer stop()
	t.run(ctx)
}
