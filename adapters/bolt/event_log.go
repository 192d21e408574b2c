package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/ports"
)

var bucketEvents = []byte("events")

func init() { buckets = append(buckets, bucketEvents) }

var _ ports.EventLog = (*EventLog)(nil)

// DefaultEventLogCapacity is how many events the log keeps when no capacity is given.
const DefaultEventLogCapacity = 1000

// EventLog is the bbolt ports.EventLog: records keyed by their 8-byte big-endian
// sequence number (the bucket's own sequence, so numbers survive restarts and are never
// reused); Append drops the oldest records beyond the capacity in the same transaction.
type EventLog struct {
	db       *DB
	capacity uint64
}

// NewEventLog returns the event log of db keeping at most capacity records
// (DefaultEventLogCapacity when capacity <= 0).
func NewEventLog(db *DB, capacity int) *EventLog {
	if capacity <= 0 {
		capacity = DefaultEventLogCapacity
	}
	return &EventLog{db: db, capacity: uint64(capacity)}
}

// Append implements ports.EventLog.
func (l *EventLog) Append(_ context.Context, rec event.Record) (event.Record, error) {
	err := l.db.update(func(tx *bbolt.Tx) (func(), error) {
		b := tx.Bucket(bucketEvents)
		seq, err := b.NextSequence()
		if err != nil {
			return nil, err
		}
		rec.Seq = seq
		v, err := json.Marshal(rec)
		if err != nil {
			return nil, fmt.Errorf("encode event: %w", err)
		}
		if err := b.Put(seqKey(seq), v); err != nil {
			return nil, err
		}
		if seq <= l.capacity {
			return nil, nil
		}
		// Collect first: deleting under a bbolt cursor can skip the next key.
		oldestKept := seqKey(seq - l.capacity + 1)
		var drop [][]byte
		c := b.Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, oldestKept) < 0; k, _ = c.Next() {
			drop = append(drop, append([]byte(nil), k...))
		}
		for _, k := range drop {
			if err := b.Delete(k); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err != nil {
		return event.Record{}, fmt.Errorf("append event: %w", err)
	}
	return rec, nil
}

// List implements ports.EventLog.
func (l *EventLog) List(_ context.Context, q ports.EventQuery) ([]event.Record, error) {
	out := []event.Record{}
	err := l.db.bolt.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.Seek(seqKey(q.After + 1)); k != nil; k, v = c.Next() {
			var r event.Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if q.Application != "" && r.Application != q.Application {
				continue
			}
			out = append(out, r)
			if q.Limit > 0 && len(out) == q.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }
