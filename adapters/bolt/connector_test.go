package bolt_test

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/bolt"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

func TestTokenStoreConformance(t *testing.T) {
	porttest.RunTokenStore(t, func(t *testing.T) ports.TokenStore { return bolt.NewTokenStore(openDB(t, t.TempDir())) })
}

func TestRevocationListConformance(t *testing.T) {
	porttest.RunRevocationList(t, func(t *testing.T) ports.RevocationList {
		return bolt.NewRevocationList(openDB(t, t.TempDir()))
	})
}

func TestEventLogConformance(t *testing.T) {
	porttest.RunEventLog(t, func(t *testing.T, capacity int) ports.EventLog {
		return bolt.NewEventLog(openDB(t, t.TempDir()), capacity)
	})
}

// TestConnectorStoresSurviveRestart: tokens, revocations and events are on disk.
func TestConnectorStoresSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	db, err := bolt.Open(dir, nil)
	require.NoError(t, err)
	_, tok, err := pairing.New(rand.Reader, "app", now, time.Minute)
	require.NoError(t, err)
	require.NoError(t, bolt.NewTokenStore(db).Put(t.Context(), tok))
	fp := certificate.FingerprintOf([]byte("cert"))
	require.NoError(t, bolt.NewRevocationList(db).Revoke(t.Context(), fp, now.Add(time.Hour)))
	first, err := bolt.NewEventLog(db, 10).Append(t.Context(), event.Record{Application: "app", Event: event.CloudEvent{SpecVersion: "1.0", ID: "1", Source: "s", Type: "t"}})
	require.NoError(t, err)
	require.NoError(t, db.Close())

	db = openDB(t, dir)
	got, err := bolt.NewTokenStore(db).Consume(t.Context(), tok.Digest, now)
	require.NoError(t, err)
	assert.Equal(t, "app", got.Application)
	revoked, err := bolt.NewRevocationList(db).IsRevoked(t.Context(), fp)
	require.NoError(t, err)
	assert.True(t, revoked)
	next, err := bolt.NewEventLog(db, 10).Append(t.Context(), event.Record{Application: "app", Event: event.CloudEvent{SpecVersion: "1.0", ID: "2", Source: "s", Type: "t"}})
	require.NoError(t, err)
	assert.Equal(t, first.Seq+1, next.Seq, "sequence numbers are never reused")
}

func TestEventLogShrinksToSmallerCapacity(t *testing.T) {
	db := openDB(t, t.TempDir())
	big := bolt.NewEventLog(db, 10)
	for i := range 10 {
		_, err := big.Append(t.Context(), event.Record{Application: "app", Event: event.CloudEvent{SpecVersion: "1.0", ID: string(rune('a' + i)), Source: "s", Type: "t"}})
		require.NoError(t, err)
	}
	small := bolt.NewEventLog(db, 3)
	_, err := small.Append(t.Context(), event.Record{Application: "app", Event: event.CloudEvent{SpecVersion: "1.0", ID: "z", Source: "s", Type: "t"}})
	require.NoError(t, err)
	recs, err := small.List(t.Context(), ports.EventQuery{})
	require.NoError(t, err)
	require.Len(t, recs, 3)
	assert.Equal(t, uint64(9), recs[0].Seq)
}
