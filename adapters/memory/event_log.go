package memory

import (
	"context"
	"sync"

	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.EventLog = (*EventLog)(nil)

// DefaultEventLogCapacity is how many events the log keeps when no capacity is given.
const DefaultEventLogCapacity = 1000

// EventLog is an in-memory ports.EventLog: a ring buffer of the latest records.
type EventLog struct {
	mu    sync.RWMutex
	ring  []event.Record
	start int // index of the oldest record
	n     int // number of records held
	seq   uint64
}

// NewEventLog returns an empty log keeping at most capacity records
// (DefaultEventLogCapacity when capacity <= 0).
func NewEventLog(capacity int) *EventLog {
	if capacity <= 0 {
		capacity = DefaultEventLogCapacity
	}
	return &EventLog{ring: make([]event.Record, capacity)}
}

// Append implements ports.EventLog.
func (l *EventLog) Append(_ context.Context, rec event.Record) (event.Record, error) {
	rec = copyRecord(rec)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	rec.Seq = l.seq
	if l.n < len(l.ring) {
		l.ring[(l.start+l.n)%len(l.ring)] = rec
		l.n++
	} else {
		l.ring[l.start] = rec
		l.start = (l.start + 1) % len(l.ring)
	}
	return copyRecord(rec), nil
}

// List implements ports.EventLog.
func (l *EventLog) List(_ context.Context, q ports.EventQuery) ([]event.Record, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := []event.Record{}
	for i := 0; i < l.n; i++ {
		r := l.ring[(l.start+i)%len(l.ring)]
		if r.Seq <= q.After || (q.Application != "" && r.Application != q.Application) {
			continue
		}
		out = append(out, copyRecord(r))
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

func copyRecord(r event.Record) event.Record {
	if r.Event.Extensions != nil {
		ext := make(map[string]string, len(r.Event.Extensions))
		for k, v := range r.Event.Extensions {
			ext[k] = v
		}
		r.Event.Extensions = ext
	}
	if r.Event.Data != nil {
		r.Event.Data = append([]byte(nil), r.Event.Data...)
	}
	return r
}
