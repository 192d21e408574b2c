package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/ports"
)

var bucketRevocations = []byte("revocations")

func init() { buckets = append(buckets, bucketRevocations) }

var _ ports.RevocationList = (*RevocationList)(nil)

// RevocationList is the bbolt ports.RevocationList, keyed by fingerprint (so List is
// sorted by it). IsRevoked is one read transaction, about a microsecond.
type RevocationList struct {
	db  *DB
	now func() time.Time
}

// NewRevocationList returns the revocation list of db.
func NewRevocationList(db *DB) *RevocationList { return &RevocationList{db: db, now: time.Now} }

type storedRevocation struct {
	RevokedAt time.Time `json:"revokedAt"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

func decodeRevocation(k, v []byte) (certificate.Revocation, error) {
	var fp certificate.Fingerprint
	copy(fp[:], k)
	var sr storedRevocation
	if err := json.Unmarshal(v, &sr); err != nil {
		return certificate.Revocation{}, fmt.Errorf("decode revocation %s: %w", fp, err)
	}
	return certificate.Revocation{Fingerprint: fp, RevokedAt: sr.RevokedAt, ExpiresAt: sr.ExpiresAt}, nil
}

// Revoke implements ports.RevocationList.
func (l *RevocationList) Revoke(_ context.Context, fp certificate.Fingerprint, expiresAt time.Time) error {
	err := l.db.update(func(tx *bbolt.Tx) (func(), error) {
		b := tx.Bucket(bucketRevocations)
		r := certificate.NewRevocation(fp, l.now(), expiresAt)
		if v := b.Get(fp[:]); v != nil {
			prev, err := decodeRevocation(fp[:], v)
			if err != nil {
				return nil, err
			}
			r = prev.Extend(expiresAt)
		}
		v, err := json.Marshal(storedRevocation{RevokedAt: r.RevokedAt, ExpiresAt: r.ExpiresAt})
		if err != nil {
			return nil, err
		}
		return nil, b.Put(fp[:], v)
	})
	if err != nil {
		return fmt.Errorf("revoke %s: %w", fp, err)
	}
	return nil
}

// IsRevoked implements ports.RevocationList.
func (l *RevocationList) IsRevoked(_ context.Context, fp certificate.Fingerprint) (bool, error) {
	var found bool
	err := l.db.bolt.View(func(tx *bbolt.Tx) error {
		found = tx.Bucket(bucketRevocations).Get(fp[:]) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("check revocation of %s: %w", fp, err)
	}
	return found, nil
}

// List implements ports.RevocationList.
func (l *RevocationList) List(context.Context) ([]certificate.Revocation, error) {
	out := []certificate.Revocation{}
	err := l.db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketRevocations).ForEach(func(k, v []byte) error {
			r, err := decodeRevocation(k, v)
			if err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list revocations: %w", err)
	}
	return out, nil
}

// Purge implements ports.RevocationList.
func (l *RevocationList) Purge(_ context.Context, now time.Time) (int, error) {
	n, err := l.db.deleteWhere(bucketRevocations, func(k, v []byte) (bool, error) {
		r, err := decodeRevocation(k, v)
		if err != nil {
			return false, err // keep what cannot be read: dropping a revocation is unsafe
		}
		return r.Expired(now), nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge revocations: %w", err)
	}
	return n, nil
}
