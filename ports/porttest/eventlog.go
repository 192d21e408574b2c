package porttest

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/ports"
)

// RunEventLog runs the conformance suite of ports.EventLog. newLog is called once per
// subtest and must return an empty log that keeps at most capacity records.
func RunEventLog(t *testing.T, newLog func(t *testing.T, capacity int) ports.EventLog) {
	t.Helper()
	rec := func(app string, i int) event.Record {
		return event.Record{
			ReceivedAt:  time.Date(2025, 1, 1, 0, 0, i, 0, time.UTC),
			Application: app,
			Event: event.CloudEvent{
				SpecVersion: event.SpecVersion, ID: strconv.Itoa(i), Source: app, Type: "t.v1",
				DataContentType: "application/json", Data: []byte(`{"i":` + strconv.Itoa(i) + `}`),
				Extensions: map[string]string{"eventtypeversion": "v1"},
			},
		}
	}
	cases := []struct {
		name string
		fn   func(t *testing.T, newLog func(t *testing.T, capacity int) ports.EventLog)
	}{
		{"append assigns increasing sequence numbers", func(t *testing.T, newLog func(*testing.T, int) ports.EventLog) {
			l := newLog(t, 10)
			for i := 1; i <= 3; i++ {
				in := rec("app", i)
				in.Seq = 999
				got, err := l.Append(t.Context(), in)
				require.NoError(t, err)
				assert.Equal(t, uint64(i), got.Seq)
			}
			all, err := l.List(t.Context(), ports.EventQuery{})
			require.NoError(t, err)
			require.Len(t, all, 3)
			for i, r := range all {
				want := rec("app", i+1)
				want.Seq = uint64(i + 1)
				assert.Equal(t, want.Application, r.Application)
				assert.Equal(t, want.Seq, r.Seq)
				assert.True(t, want.ReceivedAt.Equal(r.ReceivedAt))
				assert.Equal(t, want.Event, r.Event)
			}
		}},
		{"query by after, limit and application", func(t *testing.T, newLog func(*testing.T, int) ports.EventLog) {
			l := newLog(t, 10)
			for i := 1; i <= 6; i++ {
				app := "a"
				if i%2 == 0 {
					app = "b"
				}
				_, err := l.Append(t.Context(), rec(app, i))
				require.NoError(t, err)
			}
			got, err := l.List(t.Context(), ports.EventQuery{After: 2, Limit: 2})
			require.NoError(t, err)
			assert.Equal(t, []uint64{3, 4}, seqs(got))
			got, err = l.List(t.Context(), ports.EventQuery{Application: "b"})
			require.NoError(t, err)
			assert.Equal(t, []uint64{2, 4, 6}, seqs(got))
			got, err = l.List(t.Context(), ports.EventQuery{Application: "a", After: 1, Limit: 1})
			require.NoError(t, err)
			assert.Equal(t, []uint64{3}, seqs(got))
			got, err = l.List(t.Context(), ports.EventQuery{After: 6})
			require.NoError(t, err)
			assert.Empty(t, got)
		}},
		{"oldest records are dropped past capacity", func(t *testing.T, newLog func(*testing.T, int) ports.EventLog) {
			l := newLog(t, 3)
			for i := 1; i <= 7; i++ {
				_, err := l.Append(t.Context(), rec("app", i))
				require.NoError(t, err)
			}
			got, err := l.List(t.Context(), ports.EventQuery{})
			require.NoError(t, err)
			assert.Equal(t, []uint64{5, 6, 7}, seqs(got))
		}},
		{"concurrent appends get distinct sequence numbers", func(t *testing.T, newLog func(*testing.T, int) ports.EventLog) {
			l := newLog(t, 100)
			var mu sync.Mutex
			seen := map[uint64]bool{}
			var wg sync.WaitGroup
			for i := range 40 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := l.Append(t.Context(), rec("app", i%60))
					assert.NoError(t, err)
					mu.Lock()
					defer mu.Unlock()
					assert.False(t, seen[r.Seq], "sequence %d handed out twice", r.Seq)
					seen[r.Seq] = true
				}()
			}
			wg.Wait()
			got, err := l.List(t.Context(), ports.EventQuery{})
			require.NoError(t, err)
			assert.Len(t, got, 40)
			for i := 1; i < len(got); i++ {
				assert.Less(t, got[i-1].Seq, got[i].Seq)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newLog) })
	}
}

func seqs(rs []event.Record) []uint64 {
	out := make([]uint64, len(rs))
	for i, r := range rs {
		out[i] = r.Seq
	}
	return out
}
