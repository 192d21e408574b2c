package compass

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStateFor(t *testing.T) {
	tests := map[Phase]State{
		PhasePairing:     StateConnectionFailed,
		PhaseMaintenance: StateConnectionMaintenanceFailed,
		PhaseFetch:       StateSynchronizationFailed,
		PhaseApply:       StateResourceApplicationFailed,
		PhaseLabels:      StateMetadataUpdateFailed,
		Phase("unknown"): StateSynchronizationFailed,
	}
	for p, want := range tests {
		assert.Equal(t, want, StateFor(p), p)
	}
}

// synchronized is a connection after a complete round at t0.
func synchronized() Connection {
	c := Connection{Name: ConnectionName}
	c.SetPaired(t0.Add(-time.Hour), CertificateInfo{NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(99 * time.Hour)},
		ManagementInfo{ConnectorURL: "https://c", DirectorURL: "https://d"})
	c.SetMaintained(t0)
	c.SetSynchronized(t0, 3, nil)
	return c
}

// The state reached on each failure (compass.md 1.3) and the times each one writes.
func TestSetFailed(t *testing.T) {
	now := t0.Add(time.Minute)
	boom := errors.New("boom")
	tests := []struct {
		name      string
		phase     Phase
		err       error
		state     State
		connError string // connectionStatus.error
		syncError string // synchronizationStatus.error
		lastSync  time.Time
		attempt   time.Time
		fetch     time.Time
	}{
		{"pairing", PhasePairing, boom, StateConnectionFailed,
			"Failed to establish a connection with Compass: boom", "", now, t0, t0},
		{"maintenance", PhaseMaintenance, boom, StateConnectionMaintenanceFailed,
			"Failed to maintain the connection with Compass: boom", "", now, t0, t0},
		{"fetch", PhaseFetch, boom, StateSynchronizationFailed,
			"", "Failed to fetch the configuration from Director: boom", t0, now, t0},
		{"apply", PhaseApply, boom, StateResourceApplicationFailed,
			"", "Failed to apply the configuration from Director: boom", t0, now, now},
		{"labels", PhaseLabels, boom, StateMetadataUpdateFailed,
			"", "Failed to reconcile the runtime labels: boom", t0, now, now},
		{"revoked certificate in maintenance", PhaseMaintenance, fmt.Errorf("configuration: %w", ErrCertificateRevoked), StateConnectionFailed,
			"Failed to use the runtime certificate: configuration: the runtime certificate has been revoked: put a new one-time token from Compass into the TOKEN key of the compass-agent-configuration Secret; the agent then pairs again",
			"", now, t0, t0},
		{"expired certificate in fetch", PhaseFetch, fmt.Errorf("director: %w", ErrCertificateExpired), StateConnectionFailed,
			"Failed to use the runtime certificate: director: the runtime certificate has expired: put a new one-time token from Compass into the TOKEN key of the compass-agent-configuration Secret; the agent then pairs again",
			"", now, t0, t0},
		{"nil error", PhaseFetch, nil, StateSynchronizationFailed,
			"", "Failed to fetch the configuration from Director: unknown error", t0, now, t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := synchronized()
			c.SetFailed(now, tt.phase, tt.err)
			assert.Equal(t, tt.state, c.Status.ConnectionState)
			cs, ss := c.Status.ConnectionStatus, c.Status.SynchronizationStatus
			require.NotNil(t, cs)
			require.NotNil(t, ss)
			assert.Equal(t, tt.connError, cs.Error)
			assert.Equal(t, tt.syncError, ss.Error)
			assert.Equal(t, tt.lastSync, *cs.LastSync, "connectionStatus.lastSync")
			assert.Equal(t, tt.attempt, *ss.LastAttempt, "synchronizationStatus.lastAttempt")
			assert.Equal(t, tt.fetch, *ss.LastSuccessfulFetch, "synchronizationStatus.lastSuccessfulFetch")
			// What a failure never changes.
			assert.Equal(t, t0, *cs.LastSuccess, "lastSuccess")
			assert.Equal(t, t0, *ss.LastSuccessfulApplication, "lastSuccessfulApplication")
			assert.Equal(t, t0.Add(-time.Hour), *cs.Established)
			assert.Equal(t, 3, ss.Applications)
			assert.Equal(t, ManagementInfo{ConnectorURL: "https://c", DirectorURL: "https://d"}, c.Spec.ManagementInfo)
		})
	}
}

func TestSetFailedWithoutStatus(t *testing.T) {
	// The first pairing of a new CompassConnection fails: there is no status yet.
	var c Connection
	c.SetFailed(t0, PhasePairing, errors.New("Connector URL is empty"))
	assert.Equal(t, StateConnectionFailed, c.Status.ConnectionState)
	require.NotNil(t, c.Status.ConnectionStatus)
	assert.Equal(t, t0, *c.Status.ConnectionStatus.LastSync)
	assert.Nil(t, c.Status.ConnectionStatus.LastSuccess)
	assert.Nil(t, c.Status.SynchronizationStatus)
	assert.Contains(t, c.Status.ConnectionStatus.Error, "Connector URL is empty")

	var d Connection
	d.SetFailed(t0, PhaseFetch, errors.New("x"))
	require.NotNil(t, d.Status.SynchronizationStatus)
	assert.Equal(t, t0, *d.Status.SynchronizationStatus.LastAttempt)
	assert.Nil(t, d.Status.SynchronizationStatus.LastSuccessfulFetch)
}

func TestSetPaired(t *testing.T) {
	c := synchronized()
	c.Spec.RefreshCredentialsNow = true
	c.SetFailed(t0, PhasePairing, errors.New("x"))
	now := t0.Add(time.Hour)
	cert := CertificateInfo{NotBefore: now.Add(-time.Minute), NotAfter: now.Add(90 * 24 * time.Hour)}
	c.SetPaired(now, cert, ManagementInfo{ConnectorURL: "https://c2", DirectorURL: "https://d2"})

	assert.Equal(t, StateConnected, c.Status.ConnectionState)
	assert.Equal(t, ManagementInfo{ConnectorURL: "https://c2", DirectorURL: "https://d2"}, c.Spec.ManagementInfo)
	assert.False(t, c.Spec.RefreshCredentialsNow)
	cs := c.Status.ConnectionStatus
	assert.Equal(t, now, *cs.Established)
	assert.Equal(t, now, *cs.LastSync)
	assert.Equal(t, now, *cs.LastSuccess)
	assert.Nil(t, cs.Renewed)
	assert.Empty(t, cs.Error)
	assert.Equal(t, CertificateStatus{Acquired: ptr(now), NotBefore: ptr(cert.NotBefore), NotAfter: ptr(cert.NotAfter)}, cs.CertificateStatus)
	// The times are distinct values: moving one does not move the others.
	*cs.LastSync = t0
	assert.Equal(t, now, *cs.Established)
	assert.NotNil(t, c.Status.SynchronizationStatus, "the previous synchronisation status is kept")
}

func TestSetRenewedAndMaintained(t *testing.T) {
	c := synchronized()
	c.Spec.RefreshCredentialsNow = true
	c.SetFailed(t0, PhaseMaintenance, errors.New("x"))
	now := t0.Add(time.Hour)
	cert := CertificateInfo{NotBefore: now, NotAfter: now.Add(time.Hour)}
	c.SetRenewed(now, cert)
	assert.False(t, c.Spec.RefreshCredentialsNow)
	cs := c.Status.ConnectionStatus
	assert.Equal(t, now, *cs.Renewed)
	assert.Equal(t, CertificateStatus{Acquired: ptr(now), NotBefore: ptr(now), NotAfter: ptr(now.Add(time.Hour))}, cs.CertificateStatus)
	assert.Equal(t, StateConnectionMaintenanceFailed, c.Status.ConnectionState, "renewal alone does not change the state")

	c.SetMaintained(now)
	assert.Equal(t, now, *cs.LastSync)
	assert.Equal(t, now, *cs.LastSuccess)
	assert.Empty(t, cs.Error)
	assert.Equal(t, StateConnectionMaintenanceFailed, c.Status.ConnectionState, "maintenance does not change the state (compass.md 1.6)")
	assert.Equal(t, t0.Add(-time.Hour), *cs.Established)

	// A renewed certificate without known dates is renewed again next round.
	c.SetRenewed(now, CertificateInfo{})
	assert.True(t, RenewalPolicy{Threshold: 0.3}.ShouldRenew(now, c.Status.ConnectionStatus.CertificateStatus, false))
}

func TestSetSynchronized(t *testing.T) {
	c := synchronized()
	c.Spec.ResyncNow = true
	c.SetFailed(t0, PhaseApply, errors.New("x"))
	now := t0.Add(time.Hour)
	failed := map[string]string{"broken": "invalid"}
	c.SetSynchronized(now, 5, failed)
	failed["other"] = "not seen"

	assert.Equal(t, StateSynchronized, c.Status.ConnectionState)
	assert.False(t, c.Spec.ResyncNow)
	assert.Equal(t, &SynchronizationStatus{
		LastAttempt:               ptr(now),
		LastSuccessfulFetch:       ptr(now),
		LastSuccessfulApplication: ptr(now),
		Applications:              5,
		FailedApplications:        map[string]string{"broken": "invalid"},
	}, c.Status.SynchronizationStatus)

	c.SetSynchronized(now, 5, map[string]string{})
	assert.Nil(t, c.Status.SynchronizationStatus.FailedApplications)
}

// A whole life: pairing fails, succeeds, maintenance fails and recovers, the
// certificate is revoked, and a new pairing brings it back.
func TestConnectionLifecycle(t *testing.T) {
	policy := RenewalPolicy{Threshold: 0.3, MinimalSyncTime: 10 * time.Second}
	var c Connection
	c.SetFailed(t0, PhasePairing, errors.New("no token"))
	assert.Equal(t, StateConnectionFailed, c.Status.ConnectionState)
	assert.True(t, SkipConnectionSync(c, t0.Add(time.Second), 10*time.Second))

	now := t0.Add(time.Minute)
	c.SetPaired(now, CertificateInfo{NotBefore: now, NotAfter: now.Add(100 * time.Second)}, ManagementInfo{ConnectorURL: "c", DirectorURL: "d"})
	assert.False(t, SkipApplicationSync(c, now, 10*time.Second), "first sync is never skipped")
	c.SetSynchronized(now, 1, nil)

	now = now.Add(71 * time.Second)
	assert.True(t, policy.ShouldRenew(now, c.Status.ConnectionStatus.CertificateStatus, false))
	c.SetFailed(now, PhaseMaintenance, errors.New("sign failed"))
	assert.Equal(t, StateConnectionMaintenanceFailed, c.Status.ConnectionState)

	now = now.Add(10 * time.Second)
	c.SetRenewed(now, CertificateInfo{NotBefore: now, NotAfter: now.Add(100 * time.Second)})
	c.SetMaintained(now)
	assert.False(t, policy.ShouldRenew(now, c.Status.ConnectionStatus.CertificateStatus, false))
	c.SetSynchronized(now, 1, nil)
	assert.Equal(t, StateSynchronized, c.Status.ConnectionState)

	now = now.Add(10 * time.Second)
	c.SetFailed(now, PhaseMaintenance, ErrCertificateRevoked)
	assert.Equal(t, StateConnectionFailed, c.Status.ConnectionState)
	assert.Contains(t, c.Status.ConnectionStatus.Error, "TOKEN")

	now = now.Add(time.Minute)
	c.SetPaired(now, CertificateInfo{NotBefore: now, NotAfter: now.Add(time.Hour)}, ManagementInfo{ConnectorURL: "c", DirectorURL: "d"})
	assert.Equal(t, StateConnected, c.Status.ConnectionState)
	assert.Empty(t, c.Status.ConnectionStatus.Error)
}
