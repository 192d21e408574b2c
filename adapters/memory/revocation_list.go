package memory

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.RevocationList = (*RevocationList)(nil)

// RevocationList is an in-memory ports.RevocationList. IsRevoked takes a read lock
// only, so the per-request check on the mTLS and validator paths does not serialise.
type RevocationList struct {
	mu      sync.RWMutex
	entries map[certificate.Fingerprint]certificate.Revocation
	now     func() time.Time
}

// NewRevocationList returns an empty list.
func NewRevocationList() *RevocationList {
	return &RevocationList{entries: make(map[certificate.Fingerprint]certificate.Revocation), now: time.Now}
}

// Revoke implements ports.RevocationList.
func (l *RevocationList) Revoke(_ context.Context, fp certificate.Fingerprint, expiresAt time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if prev, ok := l.entries[fp]; ok {
		l.entries[fp] = prev.Extend(expiresAt)
		return nil
	}
	l.entries[fp] = certificate.NewRevocation(fp, l.now(), expiresAt)
	return nil
}

// IsRevoked implements ports.RevocationList.
func (l *RevocationList) IsRevoked(_ context.Context, fp certificate.Fingerprint) (bool, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	_, ok := l.entries[fp]
	return ok, nil
}

// List implements ports.RevocationList.
func (l *RevocationList) List(context.Context) ([]certificate.Revocation, error) {
	l.mu.RLock()
	out := make([]certificate.Revocation, 0, len(l.entries))
	for _, r := range l.entries {
		out = append(out, r)
	}
	l.mu.RUnlock()
	slices.SortFunc(out, func(a, b certificate.Revocation) int {
		return bytes.Compare(a.Fingerprint[:], b.Fingerprint[:])
	})
	return out, nil
}

// Purge implements ports.RevocationList.
func (l *RevocationList) Purge(_ context.Context, now time.Time) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for fp, r := range l.entries {
		if r.Expired(now) {
			delete(l.entries, fp)
			n++
		}
	}
	return n, nil
}
