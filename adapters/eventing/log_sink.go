package eventing

import (
	"context"
	"time"

	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.EventSink = (*LogSink)(nil)

// LogSink delivers events into the embedded event log.
type LogSink struct {
	log ports.EventLog
	now func() time.Time
}

// NewLogSink returns a sink appending to log.
func NewLogSink(log ports.EventLog) *LogSink {
	if log == nil {
		panic("eventing.NewLogSink: nil log")
	}
	return &LogSink{log: log, now: time.Now}
}

// Send implements ports.EventSink.
func (s *LogSink) Send(ctx context.Context, app string, e event.CloudEvent) error {
	_, err := s.log.Append(ctx, event.Record{ReceivedAt: s.now().UTC(), Application: app, Event: e})
	if err != nil {
		return &event.DeliveryError{Err: err}
	}
	return nil
}
