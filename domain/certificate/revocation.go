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
