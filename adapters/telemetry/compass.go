package telemetry

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
)

// compassStates are every state of the CompassConnection: each is exported as a 0/1
// series, so an alert can say "not Synchronized for 10m" without knowing the failures.
var compassStates = []compass.State{compass.StateConnected, compass.StateConnectionFailed, compass.StateConnectionMaintenanceFailed,
	compass.StateSynchronizationFailed, compass.StateResourceApplicationFailed, compass.StateMetadataUpdateFailed, compass.StateSynchronized}

// CompassCollector exports the CompassConnection's status at scrape time. It reads the
// store (an informer cache or the embedded store) instead of being told by the agent, so
// every replica reports the same connection, the leader and those standing by alike,
// and the agent's code carries no metrics.
type CompassCollector struct {
	store   ports.CompassConnectionStore
	timeout time.Duration

	present, state, notAfter, renewed, lastSync, lastApplied, apps, failed *prometheus.Desc
}

// NewCompassCollector returns the collector of store; register it on the process's
// registry.
func NewCompassCollector(store ports.CompassConnectionStore) *CompassCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "compass", name), help, labels, nil)
	}
	return &CompassCollector{store: store, timeout: 2 * time.Second,
		present:     d("connection_present", "1 when the CompassConnection exists (the runtime has paired, or tried to), else 0."),
		state:       d("connection_state", "1 for the CompassConnection's current status.connectionState, 0 for the others.", "state"),
		notAfter:    d("certificate_not_after_timestamp_seconds", "When the runtime certificate expires (Unix time)."),
		renewed:     d("certificate_renewed_timestamp_seconds", "When the runtime certificate was last renewed (Unix time)."),
		lastSync:    d("last_connection_success_timestamp_seconds", "When connection maintenance last succeeded (Unix time)."),
		lastApplied: d("last_sync_success_timestamp_seconds", "When the Director's Applications were last applied (Unix time)."),
		apps:        d("applications", "Applications synced from the Director in the last successful round."),
		failed:      d("failed_applications", "Applications the last round could not apply (their errors are in the status)."),
	}
}

// Describe implements prometheus.Collector.
func (c *CompassCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.present, c.state, c.notAfter, c.renewed, c.lastSync, c.lastApplied, c.apps, c.failed} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *CompassCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	conn, err := c.store.Get(ctx)
	if errors.Is(err, compass.ErrNotFound) {
		ch <- prometheus.MustNewConstMetric(c.present, prometheus.GaugeValue, 0)
		return
	}
	if err != nil {
		// An unreadable store is not "no connection": report nothing rather than a lie,
		// and let the scrape's error say why.
		ch <- prometheus.NewInvalidMetric(c.present, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.present, prometheus.GaugeValue, 1)
	for _, s := range compassStates {
		v := 0.0
		if conn.Status.ConnectionState == s {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, string(s))
	}
	timestamp := func(d *prometheus.Desc, t *time.Time) {
		if t != nil {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(t.Unix()))
		}
	}
	if cs := conn.Status.ConnectionStatus; cs != nil {
		timestamp(c.notAfter, cs.CertificateStatus.NotAfter)
		timestamp(c.renewed, cs.Renewed)
		timestamp(c.lastSync, cs.LastSuccess)
	}
	if ss := conn.Status.SynchronizationStatus; ss != nil {
		timestamp(c.lastApplied, ss.LastSuccessfulApplication)
		ch <- prometheus.MustNewConstMetric(c.apps, prometheus.GaugeValue, float64(ss.Applications))
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.GaugeValue, float64(len(ss.FailedApplications)))
	}
}
