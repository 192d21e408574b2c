package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/ports"
)

var bucketTokens = []byte("tokens")

func init() { buckets = append(buckets, bucketTokens) }

var _ ports.TokenStore = (*TokenStore)(nil)

// TokenStore is the bbolt ports.TokenStore: one-time tokens keyed by the SHA-256 digest
// of their secret. The secret is never stored, so nothing here needs sealing.
type TokenStore struct {
	db *DB
}

// NewTokenStore returns the token store of db.
func NewTokenStore(db *DB) *TokenStore { return &TokenStore{db: db} }

type storedToken struct {
	Application    string    `json:"application"`
	ApplicationUID string    `json:"applicationUid,omitempty"`
	IssuedAt       time.Time `json:"issuedAt"`
	ExpiresAt      time.Time `json:"expiresAt"`
}

func decodeToken(d pairing.Digest, v []byte) (pairing.Token, error) {
	var st storedToken
	if err := json.Unmarshal(v, &st); err != nil {
		return pairing.Token{}, fmt.Errorf("decode token %s: %w", d, err)
	}
	return pairing.Token{Digest: d, Application: st.Application, ApplicationUID: st.ApplicationUID,
		IssuedAt: st.IssuedAt, ExpiresAt: st.ExpiresAt}, nil
}

// Put implements ports.TokenStore.
func (s *TokenStore) Put(_ context.Context, tok pairing.Token) error {
	v, err := json.Marshal(storedToken{Application: tok.Application, ApplicationUID: tok.ApplicationUID,
		IssuedAt: tok.IssuedAt, ExpiresAt: tok.ExpiresAt})
	if err != nil {
		return fmt.Errorf("encode token: %w", err)
	}
	err = s.db.update(func(tx *bbolt.Tx) (func(), error) {
		return nil, tx.Bucket(bucketTokens).Put(tok.Digest[:], v)
	})
	if err != nil {
		return fmt.Errorf("store token %s: %w", tok.Digest, err)
	}
	return nil
}

// Lookup implements ports.TokenStore.
func (s *TokenStore) Lookup(_ context.Context, d pairing.Digest, now time.Time) (pairing.Token, error) {
	var tok pairing.Token
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketTokens).Get(d[:])
		if v == nil {
			return pairing.ErrNotFound
		}
		var err error
		tok, err = decodeToken(d, v)
		return err
	})
	if err != nil {
		return pairing.Token{}, fmt.Errorf("look up token %s: %w", d, err)
	}
	if tok.Expired(now) {
		return tok, fmt.Errorf("look up token %s: %w", d, pairing.ErrExpired)
	}
	return tok, nil
}

// Consume implements ports.TokenStore: the read and the delete happen in one write
// transaction, so concurrent consumers of one token cannot both succeed.
func (s *TokenStore) Consume(_ context.Context, d pairing.Digest, now time.Time) (pairing.Token, error) {
	var tok pairing.Token
	err := s.db.update(func(tx *bbolt.Tx) (func(), error) {
		b := tx.Bucket(bucketTokens)
		v := b.Get(d[:])
		if v == nil {
			return nil, pairing.ErrNotFound
		}
		var err error
		if tok, err = decodeToken(d, v); err != nil {
			return nil, err
		}
		return nil, b.Delete(d[:])
	})
	if err != nil {
		return pairing.Token{}, fmt.Errorf("consume token %s: %w", d, err)
	}
	if tok.Expired(now) {
		return tok, fmt.Errorf("consume token %s: %w", d, pairing.ErrExpired)
	}
	return tok, nil
}

// Purge implements ports.TokenStore.
func (s *TokenStore) Purge(_ context.Context, now time.Time) (int, error) {
	n, err := s.db.deleteWhere(bucketTokens, func(k, v []byte) (bool, error) {
		var d pairing.Digest
		copy(d[:], k)
		tok, err := decodeToken(d, v)
		// An undecodable entry can never be used; drop it with the expired ones.
		return err != nil || tok.Expired(now), nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge tokens: %w", err)
	}
	return n, nil
}
