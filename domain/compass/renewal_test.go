package compass

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func ptr(t time.Time) *time.Time { return &t }

func TestShouldRenew(t *testing.T) {
	policy := RenewalPolicy{Threshold: 0.3, MinimalSyncTime: 10 * time.Second}
	// A 100-hour certificate issued at t0: the threshold is at 30 hours left.
	cert := CertificateStatus{NotBefore: ptr(t0), NotAfter: ptr(t0.Add(100 * time.Hour))}
	short := CertificateStatus{NotBefore: ptr(t0), NotAfter: ptr(t0.Add(time.Minute))}
	tests := []struct {
		name    string
		now     time.Time
		cert    CertificateStatus
		refresh bool
		want    bool
	}{
		{"fresh certificate", t0, cert, false, false},
		{"71 hours left", t0.Add(29 * time.Hour), cert, false, false},
		{"exactly 30% left is not below the threshold", t0.Add(70 * time.Hour), cert, false, false},
		{"just under 30% left", t0.Add(70*time.Hour + time.Second), cert, false, true},
		{"10 hours left", t0.Add(90 * time.Hour), cert, false, true},
		{"expired", t0.Add(101 * time.Hour), cert, false, true},
		{"refreshCredentialsNow on a fresh certificate", t0, cert, true, true},
		// One minute of validity: 30% is 18s, but twice the minimal sync time is 20s.
		{"above threshold, above twice the sync time", t0.Add(30 * time.Second), short, false, false},
		{"19s left: below twice the minimal sync time", t0.Add(41 * time.Second), short, false, true},
		{"exactly twice the minimal sync time left", t0.Add(40 * time.Second), short, false, false},
		{"no NotAfter", t0, CertificateStatus{NotBefore: ptr(t0)}, false, true},
		{"no NotBefore", t0, CertificateStatus{NotAfter: ptr(t0.Add(100 * time.Hour))}, false, true},
		{"no dates at all", t0, CertificateStatus{}, false, true},
		{"NotAfter before NotBefore", t0, CertificateStatus{NotBefore: ptr(t0.Add(time.Hour)), NotAfter: ptr(t0)}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, policy.ShouldRenew(tt.now, tt.cert, tt.refresh))
		})
	}
}

func TestShouldRenewThresholdZero(t *testing.T) {
	// With threshold 0 only the minimal-sync-time rule and the flag remain.
	p := RenewalPolicy{Threshold: 0, MinimalSyncTime: time.Minute}
	cert := CertificateStatus{NotBefore: ptr(t0), NotAfter: ptr(t0.Add(time.Hour))}
	assert.False(t, p.ShouldRenew(t0.Add(57*time.Minute), cert, false))
	assert.True(t, p.ShouldRenew(t0.Add(58*time.Minute+time.Second), cert, false))
}

func TestSkipConnectionSync(t *testing.T) {
	const minimal = 10 * time.Second
	withLastSync := func(last *time.Time, resync bool) Connection {
		return Connection{Spec: Spec{ResyncNow: resync}, Status: Status{ConnectionStatus: &ConnectionStatus{LastSync: last}}}
	}
	tests := []struct {
		name string
		c    Connection
		now  time.Time
		want bool
	}{
		{"no connection status", Connection{}, t0, false},
		{"no connection status, even with resyncNow", Connection{Spec: Spec{ResyncNow: true}}, t0, false},
		{"last sync 5s ago", withLastSync(ptr(t0), false), t0.Add(5 * time.Second), true},
		{"last sync just now", withLastSync(ptr(t0), false), t0, true},
		{"last sync 5s ago, resyncNow", withLastSync(ptr(t0), true), t0.Add(5 * time.Second), false},
		{"last sync exactly the minimal time ago", withLastSync(ptr(t0), false), t0.Add(minimal), false},
		{"last sync 11s ago", withLastSync(ptr(t0), false), t0.Add(11 * time.Second), false},
		{"no lastSync", withLastSync(nil, false), t0, false},
		{"lastSync in the future (clock set back)", withLastSync(ptr(t0.Add(time.Hour)), false), t0, false},
		{"synchronization status is not what counts", Connection{Status: Status{
			ConnectionStatus:      &ConnectionStatus{LastSync: ptr(t0.Add(-time.Minute))},
			SynchronizationStatus: &SynchronizationStatus{LastAttempt: ptr(t0)},
		}}, t0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, SkipConnectionSync(tt.c, tt.now, minimal))
		})
	}
}

func TestSkipApplicationSync(t *testing.T) {
	const minimal = 10 * time.Second
	withLastAttempt := func(last *time.Time, resync bool) Connection {
		return Connection{Spec: Spec{ResyncNow: resync}, Status: Status{
			ConnectionStatus:      &ConnectionStatus{LastSync: ptr(t0.Add(-time.Hour))},
			SynchronizationStatus: &SynchronizationStatus{LastAttempt: last},
		}}
	}
	tests := []struct {
		name string
		c    Connection
		now  time.Time
		want bool
	}{
		{"no synchronization status", Connection{Status: Status{ConnectionStatus: &ConnectionStatus{LastSync: ptr(t0)}}}, t0, false},
		{"last attempt 5s ago", withLastAttempt(ptr(t0), false), t0.Add(5 * time.Second), true},
		{"last attempt 5s ago, resyncNow", withLastAttempt(ptr(t0), true), t0.Add(5 * time.Second), false},
		{"last attempt exactly the minimal time ago", withLastAttempt(ptr(t0), false), t0.Add(minimal), false},
		{"last attempt a minute ago", withLastAttempt(ptr(t0), false), t0.Add(time.Minute), false},
		{"no lastAttempt", withLastAttempt(nil, false), t0, false},
		{"lastAttempt in the future", withLastAttempt(ptr(t0.Add(time.Hour)), false), t0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, SkipApplicationSync(tt.c, tt.now, minimal))
		})
	}
}
