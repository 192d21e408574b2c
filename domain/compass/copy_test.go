package compass

import (
	"testing"
	"time"
)

func TestDeepCopySharesNothing(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 500, time.FixedZone("x", 3600))
	c := Connection{Status: Status{
		ConnectionStatus:      &ConnectionStatus{LastSync: &now, CertificateStatus: CertificateStatus{NotAfter: &now}},
		SynchronizationStatus: &SynchronizationStatus{LastAttempt: &now, FailedApplications: map[string]string{"a": "x"}},
	}}
	d := c.DeepCopy()
	*d.Status.ConnectionStatus.LastSync = now.Add(time.Hour)
	*d.Status.ConnectionStatus.CertificateStatus.NotAfter = now.Add(time.Hour)
	*d.Status.SynchronizationStatus.LastAttempt = now.Add(time.Hour)
	d.Status.SynchronizationStatus.FailedApplications["a"] = "changed"
	d.Status.ConnectionStatus.Error = "changed"
	if !c.Status.ConnectionStatus.LastSync.Equal(now) || !c.Status.ConnectionStatus.CertificateStatus.NotAfter.Equal(now) ||
		!c.Status.SynchronizationStatus.LastAttempt.Equal(now) || c.Status.SynchronizationStatus.FailedApplications["a"] != "x" ||
		c.Status.ConnectionStatus.Error != "" {
		t.Fatalf("the copy shares state with the original: %+v", c.Status)
	}

	s := c.Stored()
	if got := *s.Status.ConnectionStatus.LastSync; got.Location() != time.UTC || got.Nanosecond() != 0 || !got.Equal(now.Truncate(time.Second)) {
		t.Errorf("Stored time = %v, want %v in UTC", got, now.Truncate(time.Second))
	}
	if s.Name != ConnectionName || !now.Equal(*c.Status.ConnectionStatus.LastSync) {
		t.Errorf("Stored = %q, original changed: %v", s.Name, *c.Status.ConnectionStatus.LastSync)
	}
	c.Status.SynchronizationStatus.FailedApplications = map[string]string{}
	if c.Stored().Status.SynchronizationStatus.FailedApplications != nil {
		t.Error("an empty failure map is stored as none")
	}
}
