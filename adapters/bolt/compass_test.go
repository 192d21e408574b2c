package bolt_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/bolt"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

func TestCompassConnectionStoreConformance(t *testing.T) {
	porttest.RunCompassConnectionStore(t, func(t *testing.T) ports.CompassConnectionStore {
		return bolt.NewCompassConnectionStore(openDB(t, t.TempDir()))
	})
}

// TestCompassConnectionSurvivesRestart: the agent must not pair again after a restart,
// so the connection, its UID and its version are on disk, and a version read before the
// restart still guards the next write.
func TestCompassConnectionSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	db, err := bolt.Open(dir, nil)
	require.NoError(t, err)
	at := time.Date(2025, 4, 5, 6, 7, 8, 0, time.UTC)
	created, err := bolt.NewCompassConnectionStore(db).Create(ctx, compass.Connection{
		Spec: compass.Spec{ManagementInfo: compass.ManagementInfo{ConnectorURL: "https://c.example.com/graphql", DirectorURL: "https://d.example.com/graphql"}},
		Status: compass.Status{
			ConnectionState:       compass.StateSynchronized,
			ConnectionStatus:      &compass.ConnectionStatus{Established: &at, CertificateStatus: compass.CertificateStatus{NotAfter: &at}},
			SynchronizationStatus: &compass.SynchronizationStatus{LastAttempt: &at, Applications: 4, FailedApplications: map[string]string{"x": "boom"}},
		},
	})
	require.NoError(t, err)
	stale := created
	updated, err := bolt.NewCompassConnectionStore(db).Update(ctx, created)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s := bolt.NewCompassConnectionStore(openDB(t, dir))
	got, err := s.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, updated, got)
	assert.Equal(t, created.UID, got.UID)

	_, err = s.Update(ctx, stale)
	require.ErrorIs(t, err, compass.ErrConflict)
	again, err := s.Update(ctx, got)
	require.NoError(t, err)
	before, _ := strconv.ParseUint(got.ResourceVersion, 10, 64)
	after, _ := strconv.ParseUint(again.ResourceVersion, 10, 64)
	assert.Greater(t, after, before, "versions keep increasing across a restart")
}
