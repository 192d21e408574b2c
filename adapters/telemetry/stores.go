package telemetry

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

// Store names (the "store" label) used by the decorators below.
const (
	StoreApplications = "applications"
	StoreSecrets      = "secrets"
)

// StoreMetrics are the watch streams' metrics per store.
type StoreMetrics struct {
	events    *prometheus.CounterVec
	lastSync  *prometheus.GaugeVec
	lastEvent *prometheus.GaugeVec
	now       func() time.Time
}

// NewStoreMetrics registers the store metrics on reg; now is the clock of the
// timestamps (nil: time.Now).
func NewStoreMetrics(reg prometheus.Registerer, now func() time.Time) *StoreMetrics {
	if reg == nil {
		panic(errNilRegistry)
	}
	if now == nil {
		now = time.Now
	}
	const sub = "store"
	m := &StoreMetrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub,
			Name: "watch_events_total", Help: "Watch events received, by store and type (put, delete, synced)."}, []string{"store", "type"}),
		lastSync: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Subsystem: sub,
			Name: "last_sync_timestamp_seconds", Help: "When the store's watch last completed a full snapshot (Unix time); time() minus it is the age of the last sync."}, []string{"store"}),
		lastEvent: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Subsystem: sub,
			Name: "last_event_timestamp_seconds", Help: "When the store's watch last delivered any event (Unix time)."}, []string{"store"}),
		now: now,
	}
	reg.MustRegister(m.events, m.lastSync, m.lastEvent)
	return m
}

// WatchEvent records one event of the named store's watch stream.
func (m *StoreMetrics) WatchEvent(store string, t ports.EventType) {
	if m == nil {
		return
	}
	typ := "unknown"
	switch t {
	case ports.EventPut, ports.EventDelete, ports.EventSynced:
		typ = t.String()
	}
	m.events.WithLabelValues(store, typ).Inc()
	now := float64(m.now().UnixNano()) / 1e9
	m.lastEvent.WithLabelValues(store).Set(now)
	if t == ports.EventSynced {
		m.lastSync.WithLabelValues(store).Set(now)
	}
}

// Applications wraps repo so its watch streams are counted as StoreApplications.
func (m *StoreMetrics) Applications(repo ports.ApplicationRepository) ports.ApplicationRepository {
	if m == nil {
		return repo
	}
	return &watchedApps{ApplicationRepository: repo, m: m}
}

// Secrets wraps store so its watch streams are counted as StoreSecrets.
func (m *StoreMetrics) Secrets(store ports.SecretStore) ports.SecretStore {
	if m == nil {
		return store
	}
	return &watchedSecrets{SecretStore: store, m: m}
}

type watchedApps struct {
	ports.ApplicationRepository
	m *StoreMetrics
}

func (w *watchedApps) Watch(ctx context.Context) (<-chan ports.Event[application.Application], error) {
	ch, err := w.ApplicationRepository.Watch(ctx)
	if err != nil {
		return nil, err
	}
	return relay(ctx, ch, w.m, StoreApplications), nil
}

type watchedSecrets struct {
	ports.SecretStore
	m *StoreMetrics
}

func (w *watchedSecrets) Watch(ctx context.Context) (<-chan ports.Event[credential.Secret], error) {
	ch, err := w.SecretStore.Watch(ctx)
	if err != nil {
		return nil, err
	}
	return relay(ctx, ch, w.m, StoreSecrets), nil
}

// relay passes every event on, recording it first. Unbuffered, so a slow consumer
// slows the source exactly as before. When ctx ends it stops forwarding and drains the
// source until it closes, so neither goroutine is left blocked.
func relay[T any](ctx context.Context, in <-chan ports.Event[T], m *StoreMetrics, store string) <-chan ports.Event[T] {
	out := make(chan ports.Event[T])
	go func() {
		defer close(out)
		for ev := range in {
			m.WatchEvent(store, ev.Type)
			select {
			case out <- ev:
			case <-ctx.Done():
				for range in {
				}
				return
			}
		}
	}()
	return out
}
