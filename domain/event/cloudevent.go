package event

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// SpecVersion is the only CloudEvents version accepted and produced.
const SpecVersion = "1.0"

// maxAttributeLength bounds context attribute values; eventing backends reject far less.
const maxAttributeLength = 4096

// CloudEvent is a CloudEvents 1.0 event. Time is zero when absent. Data holds the
// payload bytes exactly as they will be sent: for JSON content types a JSON document.
type CloudEvent struct {
	SpecVersion     string
	ID              string
	Source          string
	Type            string
	Subject         string
	Time            time.Time
	DataContentType string
	DataSchema      string
	Extensions      map[string]string
	Data            []byte
}

// Validate checks the required attributes (specversion 1.0, id, source, type; not
// blank), source as a URI reference and dataschema as an absolute URI, attribute lengths
// and extension names ([a-z0-9]{1,20}), returning an *InvalidError naming the first
// problem.
func (e *CloudEvent) Validate() error {
	if e.SpecVersion != SpecVersion {
		if e.SpecVersion == "" {
			return invalid("specversion", "missing")
		}
		return invalid("specversion", "%q is not supported, use %q", truncate(e.SpecVersion), SpecVersion)
	}
	// Blank counts as missing, as for the CloudEvents SDK that forwards the event.
	for _, a := range []struct{ name, value string }{{"id", e.ID}, {"source", e.Source}, {"type", e.Type}} {
		if strings.TrimSpace(a.value) == "" {
			return invalid(a.name, "missing")
		}
	}
	for _, a := range []struct{ name, value string }{
		{"id", e.ID}, {"source", e.Source}, {"type", e.Type}, {"subject", e.Subject},
		{"datacontenttype", e.DataContentType}, {"dataschema", e.DataSchema},
	} {
		if err := checkValue(a.name, a.value); err != nil {
			return err
		}
	}
	if e.DataContentType != "" {
		if _, _, err := mime.ParseMediaType(e.DataContentType); err != nil {
			return invalid("datacontenttype", "%q is not a media type", truncate(e.DataContentType))
		}
	}
	// source is a URI reference and dataschema an absolute URI (CloudEvents 1.0); the
	// SDK refuses to send anything else, which would otherwise surface as a 502.
	if _, err := url.Parse(e.Source); err != nil {
		return invalid("source", "%q is not a URI reference", truncate(e.Source))
	}
	if e.DataSchema != "" {
		if u, err := url.Parse(strings.TrimSpace(e.DataSchema)); err != nil || !u.IsAbs() {
			return invalid("dataschema", "%q is not an absolute URI", truncate(e.DataSchema))
		}
	}
	for k, v := range e.Extensions {
		if !validExtensionName(k) {
			return invalid(truncate(k), "extension attribute names must be 1 to 20 lower-case letters or digits")
		}
		if err := checkValue(k, v); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(name, v string) error {
	if len(v) > maxAttributeLength {
		return invalid(name, "longer than %d bytes", maxAttributeLength)
	}
	if !utf8.ValidString(v) {
		return invalid(name, "not valid UTF-8")
	}
	if i, r, ok := unprintable(v); ok {
		return invalid(name, "contains a control character or noncharacter (U+%04X at byte %d); CloudEvents attributes must be printable", r, i)
	}
	return nil
}

// unprintable finds the first character CloudEvents 1.0 forbids in string attributes:
// controls (U+0000-U+001F, U+007F-U+009F) and noncharacters (U+FDD0-U+FDEF, U+xFFFE,
// U+xFFFF). Surrogates cannot occur in valid UTF-8. Forwarded in ce-* headers, such
// a value would make the forward fail inside net/http, long after the sender was
// told nothing.
func unprintable(s string) (int, rune, bool) {
	for i, r := range s {
		if r < 0x20 || r >= 0x7f && r <= 0x9f || r >= 0xfdd0 && r <= 0xfdef || r&0xfffe == 0xfffe {
			return i, r, true
		}
	}
	return 0, 0, false
}

// reservedAttributes are context attributes with a field of their own; they can never
// be extensions.
var reservedAttributes = map[string]bool{
	"specversion": true, "id": true, "source": true, "type": true, "subject": true, "time": true,
	"datacontenttype": true, "dataschema": true, "data": true, "data_base64": true,
}

func validExtensionName(k string) bool {
	if k == "" || len(k) > 20 || reservedAttributes[k] {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// IsJSONContentType reports whether data of this content type is a JSON document:
// empty (the CloudEvents default for JSON format), application/json, text/json or any
// +json suffix.
func IsJSONContentType(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

// MarshalJSON writes the event in the CloudEvents JSON format (structured mode): data
// inline when it is JSON (or text), data_base64 otherwise.
func (e CloudEvent) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, 10+len(e.Extensions))
	for k, v := range e.Extensions {
		m[k] = v
	}
	m["specversion"] = e.SpecVersion
	m["id"] = e.ID
	m["source"] = e.Source
	m["type"] = e.Type
	setIf := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	setIf("subject", e.Subject)
	setIf("datacontenttype", e.DataContentType)
	setIf("dataschema", e.DataSchema)
	if !e.Time.IsZero() {
		m["time"] = e.Time.Format(time.RFC3339Nano)
	}
	if e.Data != nil {
		switch {
		case IsJSONContentType(e.DataContentType) && json.Valid(e.Data):
			m["data"] = json.RawMessage(e.Data)
		case strings.HasPrefix(e.DataContentType, "text/") && utf8.Valid(e.Data):
			m["data"] = string(e.Data)
		default:
			m["data_base64"] = base64.StdEncoding.EncodeToString(e.Data)
		}
	}
	return json.Marshal(m)
}

// DecodeStructured decodes a structured-mode CloudEvent (application/cloudevents+json)
// and validates it. Extension values that are JSON numbers or booleans are kept in
// their JSON text form; objects and arrays are refused. Errors are *InvalidError.
func DecodeStructured(body []byte) (CloudEvent, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return CloudEvent{}, invalid("", "body is not a JSON object: %s", jsonErr(err))
	}
	if dec.More() {
		return CloudEvent{}, invalid("", "body has data after the JSON object")
	}
	if raw == nil {
		return CloudEvent{}, invalid("", "body is not a JSON object")
	}
	var e CloudEvent
	strField := func(name string, dst *string) error {
		v, ok := raw[name]
		if !ok || string(v) == "null" {
			return nil
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return invalid(name, "must be a string")
		}
		return nil
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"specversion", &e.SpecVersion}, {"id", &e.ID}, {"source", &e.Source}, {"type", &e.Type},
		{"subject", &e.Subject}, {"datacontenttype", &e.DataContentType}, {"dataschema", &e.DataSchema},
	} {
		if err := strField(f.name, f.dst); err != nil {
			return CloudEvent{}, err
		}
	}
	var ts string
	if err := strField("time", &ts); err != nil {
		return CloudEvent{}, err
	}
	if ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return CloudEvent{}, invalid("time", "%q is not an RFC 3339 timestamp", truncate(ts))
		}
		e.Time = t
	}
	data, hasData := raw["data"]
	b64, hasB64 := raw["data_base64"]
	if hasData && string(data) == "null" {
		hasData = false
	}
	if hasB64 && string(b64) == "null" {
		hasB64 = false
	}
	switch {
	case hasData && hasB64:
		return CloudEvent{}, invalid("data", "data and data_base64 are mutually exclusive")
	case hasB64:
		var s string
		if err := json.Unmarshal(b64, &s); err != nil {
			return CloudEvent{}, invalid("data_base64", "must be a string")
		}
		d, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return CloudEvent{}, invalid("data_base64", "not valid base64")
		}
		e.Data = d
	case hasData:
		e.Data = []byte(data)
		if !IsJSONContentType(e.DataContentType) {
			// Non-JSON data in the JSON format is a JSON string holding the text.
			var s string
			if err := json.Unmarshal(data, &s); err == nil {
				e.Data = []byte(s)
			}
		}
	}
	for k, v := range raw {
		if reservedAttributes[k] {
			continue
		}
		if string(v) == "null" {
			continue
		}
		s, err := extensionValue(v)
		if err != nil {
			return CloudEvent{}, invalid(truncate(k), "%s", err.Error())
		}
		if e.Extensions == nil {
			e.Extensions = make(map[string]string)
		}
		e.Extensions[k] = s
	}
	if err := e.Validate(); err != nil {
		return CloudEvent{}, err
	}
	return e, nil
}

type extError string

func (e extError) Error() string { return string(e) }

func extensionValue(v json.RawMessage) (string, error) {
	switch {
	case len(v) == 0:
		return "", extError("empty value")
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", extError("invalid string")
		}
		return s, nil
	case v[0] == '{' || v[0] == '[':
		return "", extError("extension attributes must be strings, numbers or booleans")
	}
	return string(v), nil
}

func jsonErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "syntax error at offset " + strconv.FormatInt(se.Offset, 10)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "expected an object"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return "malformed JSON"
}

func truncate(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "..."
}

// UnmarshalJSON reads the CloudEvents JSON format written by MarshalJSON (and by any
// structured-mode producer), validating the event.
func (e *CloudEvent) UnmarshalJSON(b []byte) error {
	ev, err := DecodeStructured(b)
	if err != nil {
		return err
	}
	*e = ev
	return nil
}
