package connectorapi

import (
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/appconnector/appconnector/domain/event"
)

// Media types of the CloudEvents HTTP binding.
const (
	mediaStructured = "application/cloudevents+json"
	mediaBatch      = "application/cloudevents-batch+json"
)

// decodeCloudEvent reads a CloudEvent from an HTTP request in structured mode
// (application/cloudevents+json body) or binary mode (ce-* headers, body = data).
func decodeCloudEvent(h http.Header, body []byte) (event.CloudEvent, error) {
	ct := h.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	switch mt {
	case mediaStructured:
		return event.DecodeStructured(body)
	case mediaBatch:
		return event.CloudEvent{}, &event.InvalidError{Reason: "batched mode is not supported; send one event per request"}
	}
	return decodeBinary(h, ct, body)
}

func decodeBinary(h http.Header, contentType string, body []byte) (event.CloudEvent, error) {
	if h.Get("Ce-Specversion") == "" {
		return event.CloudEvent{}, &event.InvalidError{Field: "specversion",
			Reason: "missing: send ce-* headers (binary mode) or an application/cloudevents+json body (structured mode)"}
	}
	e := event.CloudEvent{DataContentType: contentType}
	for name, vals := range h {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, "ce-") || len(vals) == 0 {
			continue
		}
		attr := lower[3:]
		v, err := url.PathUnescape(vals[0])
		if err != nil {
			return event.CloudEvent{}, &event.InvalidError{Field: attr, Reason: "invalid percent-encoding"}
		}
		switch attr {
		case "specversion":
			e.SpecVersion = v
		case "id":
			e.ID = v
		case "source":
			e.Source = v
		case "type":
			e.Type = v
		case "subject":
			e.Subject = v
		case "dataschema":
			e.DataSchema = v
		case "datacontenttype":
			// Not an HTTP binary-mode header (Content-Type is); ignore like the SDK.
		case "time":
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return event.CloudEvent{}, &event.InvalidError{Field: "time", Reason: "not an RFC 3339 timestamp"}
			}
			e.Time = t
		default:
			if e.Extensions == nil {
				e.Extensions = make(map[string]string)
			}
			e.Extensions[attr] = v
		}
	}
	if len(body) > 0 {
		e.Data = body
	}
	if err := e.Validate(); err != nil {
		return event.CloudEvent{}, err
	}
	return e, nil
}
