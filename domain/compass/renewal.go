package compass

import "time"

// RenewalPolicy is the certificate renewal rule of compass.md 1.6.
type RenewalPolicy struct {
	// Threshold is the share of the total validity below which the remaining validity
	// triggers a renewal (APP_CERT_VALIDITY_RENEWAL_THRESHOLD, 0.3 in Kyma).
	Threshold float64
	// MinimalSyncTime is the minimal time between two rounds. A certificate with less
	// than two of them left is renewed whatever the threshold, because the next round
	// may come too late.
	MinimalSyncTime time.Duration
}

// ShouldRenew reports whether the runtime certificate must be renewed in this round:
// refreshNow (spec.refreshCredentialsNow) is set, or the time left until NotAfter is
// below Threshold of the total validity or below twice MinimalSyncTime. A status
// without NotBefore or NotAfter says nothing about the certificate, so it is renewed:
// renewing needlessly costs one signing call, not renewing may cost the connection.
// Kyma compares whole seconds; durations are compared exactly here, which only differs
// within a second of the boundary.
func (p RenewalPolicy) ShouldRenew(now time.Time, cert CertificateStatus, refreshNow bool) bool {
	if refreshNow || cert.NotBefore == nil || cert.NotAfter == nil {
		return true
	}
	validity := cert.NotAfter.Sub(*cert.NotBefore)
	left := cert.NotAfter.Sub(now)
	if validity <= 0 {
		return true
	}
	return left < time.Duration(float64(validity)*p.Threshold) || left < 2*p.MinimalSyncTime
}

// SkipConnectionSync is compass.md 1.4 step 3: the round stops before connection
// maintenance when the previous one (status.connectionStatus.lastSync) is less than
// minimal ago, unless spec.resyncNow is set or there is no connection status yet.
func SkipConnectionSync(c Connection, now time.Time, minimal time.Duration) bool {
	if c.Spec.ResyncNow || c.Status.ConnectionStatus == nil {
		return false
	}
	return recent(c.Status.ConnectionStatus.LastSync, now, minimal)
}

// SkipApplicationSync is compass.md 1.4 step 6: the Director synchronisation is
// skipped when the previous attempt (status.synchronizationStatus.lastAttempt) is less
// than minimal ago, unless spec.resyncNow is set or there is no synchronisation status
// yet.
func SkipApplicationSync(c Connection, now time.Time, minimal time.Duration) bool {
	if c.Spec.ResyncNow || c.Status.SynchronizationStatus == nil {
		return false
	}
	return recent(c.Status.SynchronizationStatus.LastAttempt, now, minimal)
}

// recent reports whether last is less than minimal before now. A time in the future
// (the clock was set back, or another replica's clock is ahead) does not count as
// recent: treating it so would stop every round until the clock caught up, which
// could be hours.
func recent(last *time.Time, now time.Time, minimal time.Duration) bool {
	if last == nil {
		return false
	}
	elapsed := now.Sub(*last)
	return elapsed >= 0 && elapsed < minimal
}
