package memory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.TokenStore = (*TokenStore)(nil)

// TokenStore is an in-memory ports.TokenStore. Tokens are lost on restart, which is
// harmless: they live five minutes.
type TokenStore struct {
	mu     sync.Mutex
	tokens map[pairing.Digest]pairing.Token
}

// NewTokenStore returns an empty store.
func NewTokenStore() *TokenStore {
	return &TokenStore{tokens: make(map[pairing.Digest]pairing.Token)}
}

// Put implements ports.TokenStore.
func (s *TokenStore) Put(_ context.Context, tok pairing.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok.Digest] = tok
	return nil
}

// Lookup implements ports.TokenStore.
func (s *TokenStore) Lookup(_ context.Context, d pairing.Digest, now time.Time) (pairing.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := s.tokens[d]
	if !ok {
		return pairing.Token{}, fmt.Errorf("look up token %s: %w", d, pairing.ErrNotFound)
	}
	if tok.Expired(now) {
		return tok, fmt.Errorf("look up token %s: %w", d, pairing.ErrExpired)
	}
	return tok, nil
}

// Consume implements ports.TokenStore.
func (s *TokenStore) Consume(_ context.Context, d pairing.Digest, now time.Time) (pairing.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := s.tokens[d]
	if !ok {
		return pairing.Token{}, fmt.Errorf("consume token %s: %w", d, pairing.ErrNotFound)
	}
	delete(s.tokens, d)
	if tok.Expired(now) {
		return tok, fmt.Errorf("consume token %s: %w", d, pairing.ErrExpired)
	}
	return tok, nil
}

// Purge implements ports.TokenStore.
func (s *TokenStore) Purge(_ context.Context, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for d, tok := range s.tokens {
		if tok.Expired(now) {
			delete(s.tokens, d)
			n++
		}
	}
	return n, nil
}
