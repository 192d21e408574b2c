package ports

//go:generate go tool mockgen -source=events.go -destination=../mocks/events_mock.go -package=mocks -typed

import (
	"context"

	"github.com/appconnector/appconnector/domain/event"
)

// EventSink is where accepted events go: an HTTP CloudEvents endpoint (Kyma's eventing
// publisher proxy) or the embedded event log.
type EventSink interface {
	// Send delivers e, accepted for the named Application. A failure to deliver is an
	// *event.DeliveryError saying whether the destination timed out, could not be
	// reached, or answered with which status; ctx bounds the attempt.
	Send(ctx context.Context, app string, e event.CloudEvent) error
}

// EventQuery selects records of an EventLog.
type EventQuery struct {
	// After returns only records with Seq > After.
	After uint64
	// Limit caps the number of records; <= 0 means no cap.
	Limit int
	// Application, when set, returns only that Application's records.
	Application string
}

// EventLog is the bounded log of accepted events kept when no eventing endpoint is
// configured. Implementations are safe for concurrent use.
type EventLog interface {
	// Append stores rec with the next sequence number (ignoring rec.Seq) and returns the
	// stored record. When the log is full the oldest records are dropped, so Append
	// never fails for lack of room.
	Append(ctx context.Context, rec event.Record) (event.Record, error)

	// List returns the records matching q, oldest first.
	List(ctx context.Context, q EventQuery) ([]event.Record, error)
}
