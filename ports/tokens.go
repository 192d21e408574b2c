package ports

//go:generate go tool mockgen -source=tokens.go -destination=../mocks/tokens_mock.go -package=mocks -typed

import (
	"context"
	"time"

	"github.com/appconnector/appconnector/domain/pairing"
)

// TokenStore stores one-time pairing tokens by the digest of their secret; the secret
// itself is never stored. Every field of a token, ApplicationUID included, is returned
// as it was put. Implementations are safe for concurrent use.
type TokenStore interface {
	// Put stores tok under tok.Digest, replacing any token with the same digest.
	Put(ctx context.Context, tok pairing.Token) error

	// Lookup returns the token with the digest without using it up. It returns an error
	// wrapping pairing.ErrNotFound when there is none, and one wrapping pairing.ErrExpired
	// (and the token) when it has expired at now.
	Lookup(ctx context.Context, digest pairing.Digest, now time.Time) (pairing.Token, error)

	// Consume atomically removes the token with the digest and returns it: of any number
	// of concurrent calls for one digest, at most one succeeds. It returns an error
	// wrapping pairing.ErrNotFound when there is none (never stored or already consumed),
	// and one wrapping pairing.ErrExpired when it has expired at now; an expired token is
	// removed as well.
	Consume(ctx context.Context, digest pairing.Digest, now time.Time) (pairing.Token, error)

	// Purge removes every token expired at now and returns how many it removed.
	Purge(ctx context.Context, now time.Time) (int, error)
}
