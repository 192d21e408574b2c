package porttest

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
)

// RunCompassConnectionStore runs the conformance suite of ports.CompassConnectionStore.
// newStore is called once per subtest and must return a store without a connection.
//
// Beyond the port's comments, the suite fixes what every adapter keeps of a
// Connection, the lowest common denominator of a Kubernetes object: times are kept to
// the second (Kubernetes stores RFC 3339 seconds) and come back in UTC; a nil time or
// status pointer stays nil; an empty FailedApplications map may come back nil.
func RunCompassConnectionStore(t *testing.T, newStore func(t *testing.T) ports.CompassConnectionStore) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, s ports.CompassConnectionStore)
	}{
		{"get on an empty store returns not found", func(t *testing.T, s ports.CompassConnectionStore) {
			_, err := s.Get(t.Context())
			require.ErrorIs(t, err, compass.ErrNotFound)
		}},
		{"create keeps spec and status and assigns identity", func(t *testing.T, s ports.CompassConnectionStore) {
			ctx := t.Context()
			in := fullConnection()
			in.Name, in.UID, in.ResourceVersion = "chosen-by-the-caller", "uid-by-the-caller", ""
			created, err := s.Create(ctx, in)
			require.NoError(t, err)
			assert.Equal(t, compass.ConnectionName, created.Name)
			assert.NotEmpty(t, created.UID)
			assert.NotEqual(t, "uid-by-the-caller", created.UID, "the store assigns the uid")
			assert.NotEmpty(t, created.ResourceVersion)
			want := storedForm(fullConnection())
			want.Name, want.UID, want.ResourceVersion = created.Name, created.UID, created.ResourceVersion
			assertConnection(t, want, created)

			got, err := s.Get(ctx)
			require.NoError(t, err)
			assertConnection(t, want, got)
		}},
		{"nil statuses stay nil", func(t *testing.T, s ports.CompassConnectionStore) {
			ctx := t.Context()
			in := compass.Connection{Spec: compass.Spec{ManagementInfo: compass.ManagementInfo{
				ConnectorURL: "https://compass.example.com/connector-mtls/graphql",
				DirectorURL:  "https://compass.example.com/director/graphql",
			}}}
			created, err := s.Create(ctx, in)
			require.NoError(t, err)
			got, err := s.Get(ctx)
			require.NoError(t, err)
			want := in
			want.Name, want.UID, want.ResourceVersion = created.Name, created.UID, created.ResourceVersion
			assertConnection(t, want, got)
			assert.Nil(t, got.Status.ConnectionStatus)
			assert.Nil(t, got.Status.SynchronizationStatus)

			// A status with some times unset: each nil stays nil on its own.
			partial := got
			partial.Status.ConnectionState = compass.StateConnectionFailed
			at := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
			partial.Status.ConnectionStatus = &compass.ConnectionStatus{LastSync: &at, Error: "Failed to retrieve certificate: boom"}
			updated, err := s.Update(ctx, partial)
			require.NoError(t, err)
			got, err = s.Get(ctx)
			require.NoError(t, err)
			want = partial
			want.ResourceVersion = updated.ResourceVersion
			assertConnection(t, want, got)
			assert.Nil(t, got.Status.ConnectionStatus.Established)
			assert.Nil(t, got.Status.ConnectionStatus.CertificateStatus.NotAfter)
			assert.Nil(t, got.Status.SynchronizationStatus)
		}},
		{"times are kept to the second", func(t *testing.T, s ports.CompassConnectionStore) {
			in := fullConnection()
			precise := time.Date(2025, 1, 2, 3, 4, 5, 999_999_999, time.FixedZone("CEST", 2*3600))
			in.Status.ConnectionStatus.LastSync = &precise
			created, err := s.Create(t.Context(), in)
			require.NoError(t, err)
			got, err := s.Get(t.Context())
			require.NoError(t, err)
			for _, c := range []compass.Connection{created, got} {
				require.NotNil(t, c.Status.ConnectionStatus.LastSync)
				assert.True(t, time.Date(2025, 1, 2, 1, 4, 5, 0, time.UTC).Equal(*c.Status.ConnectionStatus.LastSync),
					"got %s", c.Status.ConnectionStatus.LastSync)
			}
		}},
		{"second create returns already exists", func(t *testing.T, s ports.CompassConnectionStore) {
			ctx := t.Context()
			first, err := s.Create(ctx, fullConnection())
			require.NoError(t, err)
			other := fullConnection()
			other.Spec.ManagementInfo.DirectorURL = "https://other.example.com/director/graphql"
			_, err = s.Create(ctx, other)
			require.ErrorIs(t, err, compass.ErrAlreadyExists)
			got, err := s.Get(ctx)
			require.NoError(t, err)
			assertConnection(t, first, got)
		}},
		{"update replaces spec and status", func(t *testing.T, s ports.CompassConnectionStore) {
			ctx := t.Context()
			created, err := s.Create(ctx, fullConnection())
			require.NoError(t, err)
			next := created
			next.Name, next.UID = "renamed", "another-uid"
			next.Spec.ResyncNow, next.Spec.RefreshCredentialsNow = false, false
			next.Spec.ManagementInfo.DirectorURL = "https://moved.example.com/director/graphql"
			next.Status.ConnectionState = compass.StateSynchronized
			later := time.Date(2025, 9, 9, 9, 9, 9, 0, time.UTC)
			next.Status.ConnectionStatus = &compass.ConnectionStatus{LastSync: &later, LastSuccess: &later}
			next.Status.SynchronizationStatus = &compass.SynchronizationStatus{LastAttempt: &later, Applications: 3}
			updated, err := s.Update(ctx, next)
			require.NoError(t, err)
			assert.NotEqual(t, created.ResourceVersion, updated.ResourceVersion, "an update gets a new resource version")
			want := next
			want.Name, want.UID, want.ResourceVersion = compass.ConnectionName, created.UID, updated.ResourceVersion
			assertConnection(t, want, updated)
			got, err := s.Get(ctx)
			require.NoError(t, err)
			assertConnection(t, want, got)
		}},
		{"update with unchanged content still gets a new resource version", func(t *testing.T, s ports.CompassConnectionStore) {
			ctx := t.Context()
			created, err := s.Create(ctx, fullConnection())
			require.NoError(t, err)
			updated, err := s.Update(ctx, created)
			require.NoError(t, err)
			assert.NotEqual(t, created.ResourceVersion, updated.ResourceVersion)
			_, err = s.Update(ctx, created)
			require.ErrorIs(t, err, compass.ErrConflict, "the first update made created's version stale")
		}},
		{"update with a stale resource version conflicts", func(t *testing.T, s ports.CompassConnectionStore) {
			ctx := t.Context()
			stale, err := s.Create(ctx, fullConnection())
			require.NoError(t, err)
			current, err := s.Update(ctx, stale)
			require.NoError(t, err)
			next := stale
			next.Status.ConnectionState = compass.StateSynchronized
			_, err = s.Update(ctx, next)
			require.ErrorIs(t, err, compass.ErrConflict)
			noRV := current
			noRV.ResourceVersion = ""
			_, err = s.Update(ctx, noRV)
			require.ErrorIs(t, err, compass.ErrConflict, "an update must name the version it read")
			got, err := s.Get(ctx)
			require.NoError(t, err)
			assertConnection(t, current, got)
		}},
		{"update of a missing connection returns not found", func(t *testing.T, s ports.CompassConnectionStore) {
			ctx := t.Context()
			in := fullConnection()
			in.ResourceVersion = "1"
			_, err := s.Update(ctx, in)
			require.ErrorIs(t, err, compass.ErrNotFound)
			_, err = s.Get(ctx)
			require.ErrorIs(t, err, compass.ErrNotFound, "an update creates nothing")
		}},
		{"values handed out are copies", func(t *testing.T, s ports.CompassConnectionStore) {
			ctx := t.Context()
			in := fullConnection()
			created, err := s.Create(ctx, in)
			require.NoError(t, err)
			mutateConnection(&in)
			mutateConnection(&created)
			got, err := s.Get(ctx)
			require.NoError(t, err)
			want := storedForm(fullConnection())
			want.Name, want.UID, want.ResourceVersion = got.Name, got.UID, got.ResourceVersion
			assertConnection(t, want, got, "mutating the input or the create result changed the store")

			mutateConnection(&got)
			again, err := s.Get(ctx)
			require.NoError(t, err)
			assertConnection(t, want, again, "mutating a get result changed the store")

			next := again
			updated, err := s.Update(ctx, next)
			require.NoError(t, err)
			mutateConnection(&next)
			mutateConnection(&updated)
			got, err = s.Get(ctx)
			require.NoError(t, err)
			want.ResourceVersion = got.ResourceVersion
			assertConnection(t, want, got, "mutating the update input or result changed the store")
		}},
		{"delete removes and create after delete gets a new uid", func(t *testing.T, s ports.CompassConnectionStore) {
			ctx := t.Context()
			first, err := s.Create(ctx, fullConnection())
			require.NoError(t, err)
			require.NoError(t, s.Delete(ctx))
			_, err = s.Get(ctx)
			require.ErrorIs(t, err, compass.ErrNotFound)
			require.ErrorIs(t, s.Delete(ctx), compass.ErrNotFound)
			_, err = s.Update(ctx, first)
			require.ErrorIs(t, err, compass.ErrNotFound)

			second, err := s.Create(ctx, fullConnection())
			require.NoError(t, err)
			assert.NotEqual(t, first.UID, second.UID, "a re-created connection has a new uid")
			assert.NotEqual(t, first.ResourceVersion, second.ResourceVersion)
		}},
		{"delete of a missing connection returns not found", func(t *testing.T, s ports.CompassConnectionStore) {
			require.ErrorIs(t, s.Delete(t.Context()), compass.ErrNotFound)
		}},
		{"concurrent updates from one version: exactly one wins", func(t *testing.T, s ports.CompassConnectionStore) {
			const writers = 8
			ctx := t.Context()
			base, err := s.Create(ctx, fullConnection())
			require.NoError(t, err)
			var (
				wg       sync.WaitGroup
				mu       sync.Mutex
				won      []compass.Connection
				conflict int
			)
			start := make(chan struct{})
			for i := range writers {
				wg.Go(func() {
					next := base
					next.Status.SynchronizationStatus = &compass.SynchronizationStatus{Applications: 100 + i}
					<-start
					out, err := s.Update(ctx, next)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						won = append(won, out)
					case errors.Is(err, compass.ErrConflict):
						conflict++
					default:
						t.Errorf("writer %d: %v", i, err)
					}
				})
			}
			close(start)
			wg.Wait()
			require.Len(t, won, 1, "exactly one update from the same version succeeds")
			assert.Equal(t, writers-1, conflict)
			got, err := s.Get(ctx)
			require.NoError(t, err)
			assertConnection(t, won[0], got)
		}},
		{"watch on an empty store starts with synced", func(t *testing.T, s ports.CompassConnectionStore) {
			ch, err := s.Watch(t.Context())
			require.NoError(t, err)
			assert.Equal(t, ports.EventSynced, recv(t, ch).Type)
		}},
		{"watch delivers the connection, synced, then changes in order", func(t *testing.T, s ports.CompassConnectionStore) {
			ctx := t.Context()
			created, err := s.Create(ctx, fullConnection())
			require.NoError(t, err)
			ch, err := s.Watch(ctx)
			require.NoError(t, err)
			ev := recv(t, ch)
			require.Equal(t, ports.EventPut, ev.Type)
			assert.Equal(t, compass.ConnectionName, ev.Name)
			assertConnection(t, created, ev.Object)
			mutateConnection(&ev.Object)
			got, err := s.Get(ctx)
			require.NoError(t, err)
			assertConnection(t, created, got, "mutating a watch event changed the store")
			require.Equal(t, ports.EventSynced, recv(t, ch).Type)

			next := created
			next.Status.ConnectionState = compass.StateSynchronized
			updated, err := s.Update(ctx, next)
			require.NoError(t, err)
			require.NoError(t, s.Delete(ctx))
			again, err := s.Create(ctx, compass.Connection{})
			require.NoError(t, err)

			want := []struct {
				typ ports.EventType
				obj compass.Connection
			}{
				{ports.EventPut, updated},
				{ports.EventDelete, updated},
				{ports.EventPut, again},
			}
			for i, w := range want {
				ev := recv(t, ch)
				assert.Equal(t, w.typ, ev.Type, "event %d type", i)
				assert.Equal(t, compass.ConnectionName, ev.Name, "event %d name", i)
				assertConnection(t, w.obj, ev.Object, "event %d object", i)
			}
			requireQuiet(t, ch, 50*time.Millisecond)
		}},
		{"cancelling the context closes the watch channel", func(t *testing.T, s ports.CompassConnectionStore) {
			_, err := s.Create(t.Context(), fullConnection())
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(t.Context())
			ch, err := s.Watch(ctx)
			require.NoError(t, err)
			require.Equal(t, ports.EventPut, recv(t, ch).Type)
			cancel()
			RequireClosed(t, ch)
			// The store keeps working for others after a watcher left.
			require.NoError(t, s.Delete(t.Context()))
			other, err := s.Watch(t.Context())
			require.NoError(t, err)
			assert.Equal(t, ports.EventSynced, recv(t, other).Type)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// fullConnection sets every field, pointer and map of a Connection, with times that
// carry nanoseconds and a zone, so that a store that drops a field, keeps more than
// the contract promises, or shares memory with its caller fails.
func fullConnection() compass.Connection {
	zone := time.FixedZone("UTC+2", 2*3600)
	at := func(sec int) *time.Time {
		t := time.Date(2025, 3, 4, 5, 6, sec, 123_456_789, zone)
		return &t
	}
	return compass.Connection{
		Spec: compass.Spec{
			ManagementInfo: compass.ManagementInfo{
				ConnectorURL: "https://compass.example.com/connector-mtls/graphql",
				DirectorURL:  "https://compass.example.com/director/graphql",
			},
			ResyncNow:             true,
			RefreshCredentialsNow: true,
		},
		Status: compass.Status{
			ConnectionState: compass.StateResourceApplicationFailed,
			ConnectionStatus: &compass.ConnectionStatus{
				Established: at(1),
				Renewed:     at(2),
				LastSync:    at(3),
				LastSuccess: at(4),
				CertificateStatus: compass.CertificateStatus{
					Acquired:  at(5),
					NotBefore: at(6),
					NotAfter:  at(7),
				},
				Error: "connection error",
			},
			SynchronizationStatus: &compass.SynchronizationStatus{
				LastAttempt:               at(8),
				LastSuccessfulFetch:       at(9),
				LastSuccessfulApplication: at(10),
				Error:                     "sync error",
				Applications:              2,
				FailedApplications:        map[string]string{"mp-orders": "duplicate name", "mp-stock": "bad target"},
			},
		},
	}
}

// mutateConnection changes every value reachable through a reference in c, in place.
func mutateConnection(c *compass.Connection) {
	if cs := c.Status.ConnectionStatus; cs != nil {
		for _, p := range []*time.Time{cs.Established, cs.Renewed, cs.LastSync, cs.LastSuccess,
			cs.CertificateStatus.Acquired, cs.CertificateStatus.NotBefore, cs.CertificateStatus.NotAfter} {
			if p != nil {
				*p = p.Add(time.Hour)
			}
		}
		cs.Error = "mutated"
	}
	if ss := c.Status.SynchronizationStatus; ss != nil {
		for _, p := range []*time.Time{ss.LastAttempt, ss.LastSuccessfulFetch, ss.LastSuccessfulApplication} {
			if p != nil {
				*p = p.Add(time.Hour)
			}
		}
		ss.Error = "mutated"
		ss.Applications = -1
		for k := range ss.FailedApplications {
			ss.FailedApplications[k] = "mutated"
		}
		if ss.FailedApplications != nil {
			ss.FailedApplications["added"] = "mutated"
		}
	}
	c.Spec.ManagementInfo.DirectorURL = "https://mutated.example.com"
}

// storedForm is what the contract says a store gives back for c: times to the second
// in UTC, an empty failure map as nil.
func storedForm(c compass.Connection) compass.Connection {
	return canonical(c, true)
}

// canonical copies c with every time in UTC, truncated to the second when truncate is
// set, so that two Connections compare with assert.Equal regardless of zone.
func canonical(c compass.Connection, truncate bool) compass.Connection {
	fix := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		t := p.UTC()
		if truncate {
			t = t.Truncate(time.Second)
		}
		return &t
	}
	if cs := c.Status.ConnectionStatus; cs != nil {
		n := *cs
		n.Established, n.Renewed, n.LastSync, n.LastSuccess = fix(cs.Established), fix(cs.Renewed), fix(cs.LastSync), fix(cs.LastSuccess)
		n.CertificateStatus = compass.CertificateStatus{
			Acquired:  fix(cs.CertificateStatus.Acquired),
			NotBefore: fix(cs.CertificateStatus.NotBefore),
			NotAfter:  fix(cs.CertificateStatus.NotAfter),
		}
		c.Status.ConnectionStatus = &n
	}
	if ss := c.Status.SynchronizationStatus; ss != nil {
		n := *ss
		n.LastAttempt, n.LastSuccessfulFetch, n.LastSuccessfulApplication = fix(ss.LastAttempt), fix(ss.LastSuccessfulFetch), fix(ss.LastSuccessfulApplication)
		n.FailedApplications = maps.Clone(ss.FailedApplications)
		if len(n.FailedApplications) == 0 {
			n.FailedApplications = nil
		}
		c.Status.SynchronizationStatus = &n
	}
	return c
}

// assertConnection compares want, in its stored form, with got, whose times are only
// moved to UTC: a store that keeps sub-second precision fails.
func assertConnection(t *testing.T, want, got compass.Connection, msgAndArgs ...any) {
	t.Helper()
	assert.Equal(t, storedForm(want), canonical(got, false), msgAndArgs...)
}
