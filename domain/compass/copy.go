package compass

import (
	"maps"
	"time"
)

// DeepCopy returns a copy of c that shares no pointer or map with it, what a store
// hands out so that a caller's edits never reach the stored object.
func (c Connection) DeepCopy() Connection {
	if cs := c.Status.ConnectionStatus; cs != nil {
		n := *cs
		c.Status.ConnectionStatus = &n
	}
	if ss := c.Status.SynchronizationStatus; ss != nil {
		n := *ss
		n.FailedApplications = maps.Clone(ss.FailedApplications)
		c.Status.SynchronizationStatus = &n
	}
	c.eachTime(func(*time.Time) {})
	return c
}

// Stored returns a copy of c as every store keeps it: the one name, no UID or version
// (the store sets them), times to the second in UTC (what a Kubernetes object holds,
// so that code tested on one store behaves the same on all), and an empty failure map
// as none.
func (c Connection) Stored() Connection {
	c = c.DeepCopy()
	c.Name, c.UID, c.ResourceVersion = ConnectionName, "", ""
	c.eachTime(func(t *time.Time) { *t = t.Truncate(time.Second).UTC() })
	if ss := c.Status.SynchronizationStatus; ss != nil && len(ss.FailedApplications) == 0 {
		ss.FailedApplications = nil
	}
	return c
}

// eachTime replaces every time pointer of c's status by a pointer to a fresh copy, then
// lets fn edit that copy. c's status structs must be c's own.
func (c *Connection) eachTime(fn func(*time.Time)) {
	var ptrs []**time.Time
	if cs := c.Status.ConnectionStatus; cs != nil {
		ptrs = append(ptrs, &cs.Established, &cs.Renewed, &cs.LastSync, &cs.LastSuccess,
			&cs.CertificateStatus.Acquired, &cs.CertificateStatus.NotBefore, &cs.CertificateStatus.NotAfter)
	}
	if ss := c.Status.SynchronizationStatus; ss != nil {
		ptrs = append(ptrs, &ss.LastAttempt, &ss.LastSuccessfulFetch, &ss.LastSuccessfulApplication)
	}
	for _, p := range ptrs {
		if *p != nil {
			t := **p
			fn(&t)
			*p = &t
		}
	}
}
