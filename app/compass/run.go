package compass

import (
	"context"
	"time"

	dc "github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
)

// Run reconciles at start, every SyncPeriod and at once whenever someone else changes
// or deletes the CompassConnection (a PATCH of resyncNow or refreshCredentialsNow, a
// delete to pair again), until ctx is done. The echoes of the agent's own writes do
// not start a round. A failed round is logged and retried at the next period.
func (a *Agent) Run(ctx context.Context) error {
	events := a.watch(ctx)
	a.runRound(ctx, "start")
	ticker := time.NewTicker(a.cfg.SyncPeriod)
	defer ticker.Stop()
	// The initial snapshot describes what the start round has already seen.
	synced := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			if events == nil {
				events, synced = a.watch(ctx), false
			}
			a.runRound(ctx, "period")
		case ev, ok := <-events:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				a.log.Warn("CompassConnection watch ended; watching again at the next period")
				events = nil
				continue
			}
			switch {
			case ev.Type == ports.EventSynced:
				synced = true
			case !synced:
			case ev.Type == ports.EventPut && a.echo(ev.Object.ResourceVersion):
			default:
				// Rounds run in this goroutine, so the echo of a write is only read
				// after the round that made it has remembered its version.
				a.runRound(ctx, "connection "+ev.Type.String())
				ticker.Reset(a.cfg.SyncPeriod)
			}
		}
	}
}

// watch subscribes to the connection's changes; a nil channel (never ready) when the
// store refuses, so Run goes on with the period and tries again then.
func (a *Agent) watch(ctx context.Context) <-chan ports.Event[dc.Connection] {
	ch, err := a.deps.Connections.Watch(ctx)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("cannot watch the CompassConnection; rounds run every period only", "error", err.Error())
		}
		return nil
	}
	return ch
}

func (a *Agent) runRound(ctx context.Context, trigger string) {
	if ctx.Err() != nil {
		return
	}
	if err := a.Reconcile(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("Compass round failed", "trigger", trigger, "error", err.Error())
	}
}
