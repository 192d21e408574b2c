package event

import (
	"time"
)

// ApplicationTypeLabel is the Application label that, when set, replaces the
// Application name in legacy event types.
const ApplicationTypeLabel = "application-type"

// LegacyOptions says how a legacy event becomes a CloudEvent.
type LegacyOptions struct {
	// Prefix starts every event type, for example "sap.kyma.custom"; may be empty.
	Prefix string
	// Source is the CloudEvent source; empty means the Application name.
	Source string
	// Application is the Application name from the URL.
	Application string
	// ApplicationType is the Application's application-type label, or "".
	ApplicationType string
}

// ToCloudEvent converts a validated legacy event as Kyma's publisher proxy does: id =
// event-id or newID(), time = event-time, type from LegacyType (with the application-type
// label in place of the name when set), extension eventtypeversion = the version,
// datacontenttype application/json and data = the JSON value of data.
func (le LegacyEvent) ToCloudEvent(opts LegacyOptions, newID func() string) CloudEvent {
	id := le.EventID
	if id == "" {
		id = newID()
	}
	app := opts.Application
	if opts.ApplicationType != "" {
		app = opts.ApplicationType
	}
	source := opts.Source
	if source == "" {
		source = opts.Application
	}
	t, _ := time.Parse(time.RFC3339Nano, le.EventTime) // validated by Validate
	return CloudEvent{
		SpecVersion:     SpecVersion,
		ID:              id,
		Source:          source,
		Type:            LegacyType(opts.Prefix, app, le.EventType, le.EventTypeVersion),
		Time:            t,
		DataContentType: "application/json",
		Extensions:      map[string]string{"eventtypeversion": le.EventTypeVersion},
		Data:            []byte(le.Data),
	}
}
