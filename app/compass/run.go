package compass

import (
	"context"
	"time"

	"github.com/appconnector/appconnector/ports"
)

// Run reconciles at start, every SyncPeriod, and at once whenever someone else changes
// or deletes the CompassConnection (a PATCH of resyncNow or refreshCredentialsNow, a
// delete to pair again) or changes the configuration Secret (a new token after a
// revocation), until ctx is done. The echoes of the agent's own writes do not start
// a round. A failed round is logged and retried at the next period.
func (a *Agent) Run(ctx context.Context) error {
	conns := watch(ctx, a, "the CompassConnection", a.deps.Connections.Watch)
	secrets := watch(ctx, a, "the Secrets", a.deps.Secrets.Watch)
	a.runRound(ctx, "start")
	ticker := time.NewTicker(a.cfg.SyncPeriod)
	defer ticker.Stop()
	// The initial snapshots describe what the start round has already seen.
	connsSynced, secretsSynced := false, false
	trigger := func(what string) {
		a.runRound(ctx, what)
		ticker.Reset(a.cfg.SyncPeriod)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			// A watch that ended is taken up again here, not in a tight loop.
			if conns == nil {
				conns, connsSynced = watch(ctx, a, "the CompassConnection", a.deps.Connections.Watch), false
			}
			if secrets == nil {
				secrets, secretsSynced = watch(ctx, a, "the Secrets", a.deps.Secrets.Watch), false
			}
			a.runRound(ctx, "period")
		case ev, ok := <-conns:
			switch {
			case !ok:
				conns = nil
				a.watchEnded(ctx, "the CompassConnection")
			case ev.Type == ports.EventSynced:
				connsSynced = true
			case !connsSynced:
			case ev.Type == ports.EventPut && a.echo(ev.Object.ResourceVersion):
				// Rounds run in this goroutine, so the echo of a write is only read
				// after the round that made it has remembered its version.
			default:
				trigger("connection " + ev.Type.String())
			}
		case ev, ok := <-secrets:
			switch {
			case !ok:
				secrets = nil
				a.watchEnded(ctx, "the Secrets")
			case ev.Type == ports.EventSynced:
				secretsSynced = true
			case !secretsSynced, ev.Name != a.cfg.ConfigSecret:
				// The agent never writes the configuration Secret: every change is
				// someone else's.
			default:
				trigger("configuration Secret " + ev.Type.String())
			}
		}
	}
}

// watch subscribes; a nil channel (never ready) when the store refuses, so Run goes on
// with the period and tries again then.
func watch[T any](ctx context.Context, a *Agent, what string, fn func(context.Context) (<-chan ports.Event[T], error)) <-chan ports.Event[T] {
	ch, err := fn(ctx)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("cannot watch "+what+"; watching again at the next period", "error", err.Error())
		}
		return nil
	}
	return ch
}

func (a *Agent) watchEnded(ctx context.Context, what string) {
	if ctx.Err() == nil {
		a.log.Warn("the watch of " + what + " ended; watching again at the next period")
	}
}

func (a *Agent) runRound(ctx context.Context, trigger string) {
	if ctx.Err() != nil {
		return
	}
	if err := a.Reconcile(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("Compass round failed", "trigger", trigger, "error", err.Error())
	}
}
