package compass

import (
	"errors"
	"maps"
	"time"
)

// Phase is the step of a round that failed; it decides the state the connection is
// left in (compass.md 1.3).
type Phase string

const (
	// PhasePairing: establishing the connection with a one-time token.
	PhasePairing Phase = "pairing"
	// PhaseMaintenance: the certificate-secured configuration query or the renewal.
	PhaseMaintenance Phase = "maintenance"
	// PhaseFetch: reading the runtime configuration or fetching from the Director.
	PhaseFetch Phase = "fetch"
	// PhaseApply: applying the Applications (listing the stored ones failed).
	PhaseApply Phase = "apply"
	// PhaseLabels: setting the runtime labels.
	PhaseLabels Phase = "labels"
)

var (
	// ErrCertificateRevoked says Compass refuses the runtime certificate because it
	// was revoked. Renewing needs a valid certificate, so only a new pairing helps.
	ErrCertificateRevoked = errors.New("the runtime certificate has been revoked")
	// ErrCertificateExpired says the runtime certificate is past its NotAfter, so it
	// can no longer be renewed either.
	ErrCertificateExpired = errors.New("the runtime certificate has expired")
)

// recoverHint tells the operator how to leave ConnectionFailed after the certificate
// became unusable: the agent re-pairs with whatever token the Secret holds, and the old
// one was consumed at the first pairing.
const recoverHint = "put a new one-time token from Compass into the " + ConfigKeyToken +
	" key of the " + ConfigurationSecretName + " Secret; the agent then pairs again"

// StateFor returns the state a failure in phase p leaves the connection in. An unknown
// phase counts as a fetch failure: the agent keeps retrying and does not re-pair.
func StateFor(p Phase) State {
	switch p {
	case PhasePairing:
		return StateConnectionFailed
	case PhaseMaintenance:
		return StateConnectionMaintenanceFailed
	case PhaseApply:
		return StateResourceApplicationFailed
	case PhaseLabels:
		return StateMetadataUpdateFailed
	default:
		return StateSynchronizationFailed
	}
}

// CertificateInfo is the validity of the runtime certificate.
type CertificateInfo struct {
	NotBefore, NotAfter time.Time
}

// SetPaired records a successful pairing (compass.md 1.5 step 8): state Connected, the
// management URLs, a connection status established, synchronised and successful at
// now, and the new certificate acquired now. A pending refreshCredentialsNow is
// cleared: the certificate was just issued.
func (c *Connection) SetPaired(now time.Time, cert CertificateInfo, info ManagementInfo) {
	c.Spec.ManagementInfo = info
	c.Spec.RefreshCredentialsNow = false
	c.Status.ConnectionState = StateConnected
	c.Status.ConnectionStatus = &ConnectionStatus{
		Established:       at(now),
		LastSync:          at(now),
		LastSuccess:       at(now),
		CertificateStatus: certificateStatus(now, cert),
	}
}

// SetRenewed records a renewed certificate (compass.md 1.6): renewed and acquired now,
// the new validity, and refreshCredentialsNow cleared. The state is left as it is;
// SetMaintained follows.
func (c *Connection) SetRenewed(now time.Time, cert CertificateInfo) {
	cs := c.connectionStatus()
	cs.Renewed = at(now)
	cs.CertificateStatus = certificateStatus(now, cert)
	c.Spec.RefreshCredentialsNow = false
}

// SetMaintained records a successful maintenance: lastSync and lastSuccess now and the
// error cleared. The state is not changed (compass.md 1.6): the synchronisation that
// follows sets it.
func (c *Connection) SetMaintained(now time.Time) {
	cs := c.connectionStatus()
	cs.LastSync = at(now)
	cs.LastSuccess = at(now)
	cs.Error = ""
}

// SetFailed records a failure in phase p (compass.md 1.3, 1.7): the state is
// StateFor(p), except that a revoked or expired certificate (ErrCertificateRevoked,
// ErrCertificateExpired) leads to ConnectionFailed with an error that says how to
// recover. A pairing or maintenance failure sets connectionStatus.lastSync (so the
// minimal sync time applies to the retries) and connectionStatus.error; a fetch
// failure sets synchronizationStatus.lastAttempt and its error; an apply or labels
// failure also sets lastSuccessfulFetch, because the fetch before it succeeded. The
// other times are kept.
func (c *Connection) SetFailed(now time.Time, p Phase, err error) {
	msg := "unknown error"
	if err != nil {
		msg = err.Error()
	}
	if errors.Is(err, ErrCertificateRevoked) || errors.Is(err, ErrCertificateExpired) {
		c.Status.ConnectionState = StateConnectionFailed
		cs := c.connectionStatus()
		cs.LastSync = at(now)
		cs.Error = "Failed to use the runtime certificate: " + msg + ": " + recoverHint
		return
	}
	c.Status.ConnectionState = StateFor(p)
	switch p {
	case PhasePairing:
		cs := c.connectionStatus()
		cs.LastSync = at(now)
		cs.Error = "Failed to establish a connection with Compass: " + msg
	case PhaseMaintenance:
		cs := c.connectionStatus()
		cs.LastSync = at(now)
		cs.Error = "Failed to maintain the connection with Compass: " + msg
	case PhaseApply:
		ss := c.synchronizationStatus()
		ss.LastAttempt = at(now)
		ss.LastSuccessfulFetch = at(now)
		ss.Error = "Failed to apply the configuration from Director: " + msg
	case PhaseLabels:
		ss := c.synchronizationStatus()
		ss.LastAttempt = at(now)
		ss.LastSuccessfulFetch = at(now)
		ss.Error = "Failed to reconcile the runtime labels: " + msg
	default:
		ss := c.synchronizationStatus()
		ss.LastAttempt = at(now)
		ss.Error = "Failed to fetch the configuration from Director: " + msg
	}
}

// SetSynchronized records a complete round (compass.md 1.7): state Synchronized,
// lastAttempt, lastSuccessfulFetch and lastSuccessfulApplication now, the error
// cleared, how many Compass-managed Applications are in place and the errors of those
// that failed (by name), and resyncNow cleared.
func (c *Connection) SetSynchronized(now time.Time, applications int, failed map[string]string) {
	c.Status.ConnectionState = StateSynchronized
	ss := &SynchronizationStatus{
		LastAttempt:               at(now),
		LastSuccessfulFetch:       at(now),
		LastSuccessfulApplication: at(now),
		Applications:              applications,
	}
	if len(failed) > 0 {
		ss.FailedApplications = maps.Clone(failed)
	}
	c.Status.SynchronizationStatus = ss
	c.Spec.ResyncNow = false
}

func (c *Connection) connectionStatus() *ConnectionStatus {
	if c.Status.ConnectionStatus == nil {
		c.Status.ConnectionStatus = &ConnectionStatus{}
	}
	return c.Status.ConnectionStatus
}

func (c *Connection) synchronizationStatus() *SynchronizationStatus {
	if c.Status.SynchronizationStatus == nil {
		c.Status.SynchronizationStatus = &SynchronizationStatus{}
	}
	return c.Status.SynchronizationStatus
}

// certificateStatus leaves an unknown (zero) validity bound nil, which makes
// RenewalPolicy.ShouldRenew renew rather than trust it.
func certificateStatus(now time.Time, cert CertificateInfo) CertificateStatus {
	cs := CertificateStatus{Acquired: at(now)}
	if !cert.NotBefore.IsZero() {
		cs.NotBefore = at(cert.NotBefore)
	}
	if !cert.NotAfter.IsZero() {
		cs.NotAfter = at(cert.NotAfter)
	}
	return cs
}

// at returns a pointer to its own copy of t, so that no two fields share one.
func at(t time.Time) *time.Time { return &t }
