package certificate

import "time"

// Revocation is one entry of the revocation list. ExpiresAt is the revoked
// certificate's NotAfter: after it the certificate fails verification anyway, so the
// entry can be purged and the list stays bounded. Zero means keep forever (a hash
// revoked by an operator, whose certificate is unknown).
type Revocation struct {
	Fingerprint Fingerprint `json:"fingerprint"`
	RevokedAt   time.Time   `json:"revokedAt"`
	ExpiresAt   time.Time   `json:"expiresAt,omitzero"`
}

// Expired reports whether the entry may be purged at now.
func (r Revocation) Expired(now time.Time) bool {
	return !r.ExpiresAt.IsZero() && now.After(r.ExpiresAt)
}

// NewRevocation returns the entry for revoking fp at now until expiresAt.
func NewRevocation(fp Fingerprint, now, expiresAt time.Time) Revocation {
	return Revocation{Fingerprint: fp, RevokedAt: now.UTC(), ExpiresAt: expiresAt.UTC()}
}

// Extend applies revoking the same certificate again: the first revocation time stays
// and the later expiry wins, a zero expiry (forever) over every other.
func (r Revocation) Extend(expiresAt time.Time) Revocation {
	switch {
	case r.ExpiresAt.IsZero():
	case expiresAt.IsZero() || expiresAt.After(r.ExpiresAt):
		r.ExpiresAt = expiresAt.UTC()
	}
	return r
}
