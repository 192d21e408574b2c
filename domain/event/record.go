package event

import "time"

// Record is one entry of the embedded event log: an accepted event, the Application it
// came from, and when it arrived. Seq increases by one for every appended record and is
// never reused, so readers page with "after seq".
type Record struct {
	Seq         uint64     `json:"seq"`
	ReceivedAt  time.Time  `json:"receivedAt"`
	Application string     `json:"application"`
	Event       CloudEvent `json:"event"`
}
