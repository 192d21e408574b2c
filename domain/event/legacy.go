package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// HTTP statuses of the legacy error shape, spelled out so the domain needs no net/http.
const (
	statusBadRequest            = 400
	statusRequestEntityTooLarge = 413
)

// Field names of the legacy v1 event JSON.
const (
	FieldEventType        = "event-type"
	FieldEventTypeVersion = "event-type-version"
	FieldEventID          = "event-id"
	FieldEventTime        = "event-time"
	FieldData             = "data"
)

// Error types of the legacy error body, as Kyma's eventing publisher proxy sends them.
const (
	ErrorTypeBadPayload          = "bad_payload_syntax"
	ErrorTypeValidationViolation = "validation_violation"
	ErrorTypeMissingField        = "missing_field"
	ErrorTypeInvalidField        = "invalid_field"
	ErrorTypeRequestBodyTooLarge = "request_body_too_large"
)

// LegacyEvent is the body of POST /{app}/v1/events.
type LegacyEvent struct {
	EventType        string          `json:"event-type"`
	EventTypeVersion string          `json:"event-type-version"`
	EventID          string          `json:"event-id,omitempty"`
	EventTime        string          `json:"event-time"`
	Data             json.RawMessage `json:"data"`
}

// LegacyResponse is the 200 body of a published legacy event.
type LegacyResponse struct {
	EventID string `json:"event-id"`
}

// LegacyError is the error body of the legacy endpoint, field for field what Kyma's
// publisher proxy sends, with messages that name the problem.
type LegacyError struct {
	Status   int                 `json:"status"`
	Type     string              `json:"type"`
	Message  string              `json:"message"`
	MoreInfo string              `json:"moreInfo"`
	Details  []LegacyErrorDetail `json:"details"`
}

// LegacyErrorDetail names one offending field.
type LegacyErrorDetail struct {
	Field    string `json:"field"`
	Type     string `json:"type"`
	Message  string `json:"message"`
	MoreInfo string `json:"moreInfo"`
}

func (e *LegacyError) Error() string {
	if len(e.Details) > 0 {
		return fmt.Sprintf("invalid legacy event: %s: %s", e.Details[0].Field, e.Details[0].Message)
	}
	return "invalid legacy event: " + e.Message
}

// Is makes errors.Is(err, ErrInvalid) true for client errors.
func (e *LegacyError) Is(target error) bool { return target == ErrInvalid && e.Status < 500 }

// NewLegacyError builds a legacy error body without field details, for failures that
// are not about the payload (for example delivery failures passed through).
func NewLegacyError(status int, typ, message string) *LegacyError {
	return &LegacyError{Status: status, Type: typ, Message: message, Details: []LegacyErrorDetail{}}
}

// LegacyBodyTooLarge is the 413 error for a body over the size limit.
func LegacyBodyTooLarge(limit int64) *LegacyError {
	return NewLegacyError(statusRequestEntityTooLarge, ErrorTypeRequestBodyTooLarge,
		fmt.Sprintf("request body too large: the limit is %d bytes", limit))
}

func badPayload(reason string) *LegacyError {
	return NewLegacyError(statusBadRequest, ErrorTypeBadPayload, "bad payload syntax: "+reason)
}

func fieldError(field, typ, message string) *LegacyError {
	top := "missing field"
	if typ == ErrorTypeInvalidField {
		top = "invalid field"
	}
	return &LegacyError{
		Status:  statusBadRequest,
		Type:    ErrorTypeValidationViolation,
		Message: top + " " + field + ": " + message,
		Details: []LegacyErrorDetail{{Field: field, Type: typ, Message: message}},
	}
}

// DecodeLegacy decodes and validates a legacy event body, following Kyma's publisher
// proxy: event-type, event-type-version (letters and digits), event-time (RFC 3339) and
// data (not null, not "") are required; event-id, if given, is a UUID. Errors are
// *LegacyError, ready to be sent as the response body.
func DecodeLegacy(body []byte) (LegacyEvent, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return LegacyEvent{}, badPayload("body is not a JSON object: " + jsonErr(err))
	}
	if dec.More() {
		return LegacyEvent{}, badPayload("data after the JSON object")
	}
	if raw == nil {
		return LegacyEvent{}, badPayload("body is not a JSON object")
	}
	var le LegacyEvent
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{FieldEventType, &le.EventType}, {FieldEventTypeVersion, &le.EventTypeVersion},
		{FieldEventID, &le.EventID}, {FieldEventTime, &le.EventTime},
	} {
		v, ok := raw[f.name]
		if !ok || string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, f.dst); err != nil {
			return LegacyEvent{}, badPayload(f.name + " must be a string")
		}
	}
	le.Data = raw[FieldData]
	if err := le.Validate(); err != nil {
		return LegacyEvent{}, err
	}
	return le, nil
}

// Validate applies the publisher proxy's rules in its order and returns the first
// violation as a *LegacyError.
func (le LegacyEvent) Validate() error {
	switch {
	case le.EventType == "":
		return fieldError(FieldEventType, ErrorTypeMissingField, "event-type is required")
	case len(le.EventType) > maxLegacyEventType:
		return fieldError(FieldEventType, ErrorTypeInvalidField, fmt.Sprintf("event-type is longer than %d bytes", maxLegacyEventType))
	case !utf8.ValidString(le.EventType):
		return fieldError(FieldEventType, ErrorTypeInvalidField, "event-type is not valid UTF-8")
	case le.EventTypeVersion == "":
		return fieldError(FieldEventTypeVersion, ErrorTypeMissingField, "event-type-version is required")
	case !isAlphanumeric(le.EventTypeVersion) || len(le.EventTypeVersion) > 64:
		return fieldError(FieldEventTypeVersion, ErrorTypeInvalidField, "event-type-version must be letters and digits only, like v1")
	case le.EventTime == "":
		return fieldError(FieldEventTime, ErrorTypeMissingField, "event-time is required")
	}
	// The event type ends up in the CloudEvent type; refused here it names the field
	// the sender wrote.
	if i, r, ok := unprintable(le.EventType); ok {
		return fieldError(FieldEventType, ErrorTypeInvalidField, fmt.Sprintf("event-type contains a control character or noncharacter (U+%04X at byte %d); it must be printable", r, i))
	}
	if _, err := time.Parse(time.RFC3339Nano, le.EventTime); err != nil {
		return fieldError(FieldEventTime, ErrorTypeInvalidField, "event-time must be an RFC 3339 timestamp, like 2024-01-02T15:04:05Z")
	}
	if le.EventID != "" && !isUUID(le.EventID) {
		return fieldError(FieldEventID, ErrorTypeInvalidField, "event-id must be a UUID (8-4-4-4-12 hex digits)")
	}
	if d := bytes.TrimSpace(le.Data); len(d) == 0 || string(d) == "null" || string(d) == `""` {
		return fieldError(FieldData, ErrorTypeMissingField, "data is required and must not be empty")
	}
	return nil
}

func isAlphanumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// maxLegacyEventType leaves room for prefix, Application name and version within the
// CloudEvent attribute limit.
const maxLegacyEventType = 2048
