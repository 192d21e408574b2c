package event

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeStructured(t *testing.T) {
	body := `{"specversion":"1.0","id":"1","source":"/app","type":"order.created.v1","time":"2024-05-06T07:08:09Z",
		"datacontenttype":"application/json","data":{"orderId":"42"},"traceparent":"00-abc","count":3,"flag":true,"gone":null}`
	e, err := DecodeStructured([]byte(body))
	require.NoError(t, err)
	assert.Equal(t, "1", e.ID)
	assert.Equal(t, "/app", e.Source)
	assert.Equal(t, "order.created.v1", e.Type)
	assert.Equal(t, time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), e.Time)
	assert.JSONEq(t, `{"orderId":"42"}`, string(e.Data))
	assert.Equal(t, map[string]string{"traceparent": "00-abc", "count": "3", "flag": "true"}, e.Extensions)

	text, err := DecodeStructured([]byte(`{"specversion":"1.0","id":"1","source":"s","type":"t","datacontenttype":"text/plain","data":"hello"}`))
	require.NoError(t, err)
	assert.Equal(t, "hello", string(text.Data))

	bin, err := DecodeStructured([]byte(`{"specversion":"1.0","id":"1","source":"s","type":"t","datacontenttype":"application/octet-stream","data_base64":"AAEC"}`))
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 1, 2}, bin.Data)
}

func TestDecodeStructuredErrors(t *testing.T) {
	base := `"specversion":"1.0","id":"1","source":"s","type":"t"`
	tests := []struct {
		name, body, want string
	}{
		{"not json", `{`, "not a JSON object"},
		{"array", `[]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"trailing", `{` + base + `} {}`, "data after"},
		{"no specversion", `{"id":"1","source":"s","type":"t"}`, "specversion: missing"},
		{"old specversion", `{"specversion":"0.3","id":"1","source":"s","type":"t"}`, `"0.3" is not supported`},
		{"no id", `{"specversion":"1.0","source":"s","type":"t"}`, "id: missing"},
		{"no type", `{"specversion":"1.0","id":"1","source":"s"}`, "type: missing"},
		{"id not string", `{"specversion":"1.0","id":1,"source":"s","type":"t"}`, "id: must be a string"},
		{"bad time", `{` + base + `,"time":"yesterday"}`, "time:"},
		{"both data", `{` + base + `,"data":1,"data_base64":"AA=="}`, "mutually exclusive"},
		{"bad base64", `{` + base + `,"data_base64":"%%%"}`, "not valid base64"},
		{"object extension", `{` + base + `,"ext":{"a":1}}`, "ext: extension attributes must be"},
		{"bad extension name", `{` + base + `,"Bad-Name":"x"}`, "extension attribute names"},
		{"long extension name", `{` + base + `,"abcdefghijklmnopqrstu":"x"}`, "extension attribute names"},
		{"bad content type", `{` + base + `,"datacontenttype":"///"}`, "not a media type"},
		{"long id", `{"specversion":"1.0","id":"` + strings.Repeat("x", 5000) + `","source":"s","type":"t"}`, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeStructured([]byte(tt.body))
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestCloudEventJSONRoundTrip(t *testing.T) {
	for _, e := range []CloudEvent{
		{SpecVersion: "1.0", ID: "1", Source: "s", Type: "t", Data: []byte(`{"a":1}`), DataContentType: "application/json",
			Time: time.Date(2024, 1, 1, 0, 0, 0, 5, time.UTC), Extensions: map[string]string{"eventtypeversion": "v1"}},
		{SpecVersion: "1.0", ID: "2", Source: "s", Type: "t", Data: []byte("plain"), DataContentType: "text/plain", Subject: "sub"},
		{SpecVersion: "1.0", ID: "3", Source: "s", Type: "t", Data: []byte{0xff, 0}, DataContentType: "application/octet-stream"},
		{SpecVersion: "1.0", ID: "4", Source: "s", Type: "t", Data: []byte("not json"), DataContentType: "application/json"},
		{SpecVersion: "1.0", ID: "5", Source: "s", Type: "t"},
	} {
		b, err := json.Marshal(e)
		require.NoError(t, err)
		var got CloudEvent
		require.NoError(t, json.Unmarshal(b, &got), string(b))
		assert.Equal(t, e, got, string(b))
	}
}

func TestIsJSONContentType(t *testing.T) {
	for ct, want := range map[string]bool{
		"": true, "application/json": true, "application/json; charset=utf-8": true, "text/json": true,
		"application/cloudevents+json": true, "text/plain": false, "application/xml": false, ";;": false,
	} {
		assert.Equal(t, want, IsJSONContentType(ct), ct)
	}
}

func FuzzDecodeStructured(f *testing.F) {
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"a":1},"ext":"x"}`))
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"s","type":"t","datacontenttype":"text/plain","data":"hi"}`))
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"s","type":"t","data_base64":"AAEC"}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeStructured(b)
		if err != nil {
			return
		}
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal decoded event: %v", err)
		}
		if _, err := DecodeStructured(out); err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
	})
}

// The CloudEvents SDK that forwards events refuses what the spec refuses; anything the
// validator lets through must be deliverable, or a client's mistake turns into a 502.
func TestValidateLikeTheSDK(t *testing.T) {
	ok := func() CloudEvent { return CloudEvent{SpecVersion: SpecVersion, ID: "1", Source: "/crm", Type: "t"} }
	tests := []struct {
		name   string
		mutate func(*CloudEvent)
		want   string
	}{
		{"blank id", func(e *CloudEvent) { e.ID = "  " }, "id: missing"},
		{"blank source", func(e *CloudEvent) { e.Source = "\t" }, "source: missing"},
		{"blank type", func(e *CloudEvent) { e.Type = " " }, "type: missing"},
		{"source not a URI reference", func(e *CloudEvent) { e.Source = "%zz" }, "source: \"%zz\" is not a URI reference"},
		{"source with a control character", func(e *CloudEvent) { e.Source = "a\x01b" }, "source:"},
		{"relative dataschema", func(e *CloudEvent) { e.DataSchema = "/schema.json" }, "dataschema: \"/schema.json\" is not an absolute URI"},
		{"unparseable dataschema", func(e *CloudEvent) { e.DataSchema = "http://a b/%zz" }, "dataschema:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok()
			tt.mutate(&e)
			err := e.Validate()
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	for _, src := range []string{"/crm", "crm", "urn:sap:crm", "https://crm.example.com/x?y=1#z", "orders-app"} {
		e := ok()
		e.Source = src
		e.DataSchema = "https://example.com/schema.json"
		assert.NoError(t, e.Validate(), src)
	}
}

// CloudEvents 1.0 forbids control characters (U+0000-U+001F, U+007F-U+009F),
// surrogates and noncharacters in string attributes; a forwarded event carries them in
// ce-* headers, where net/http refuses them, so they are a 400 naming the attribute.
func TestValidateRefusesUnprintableAttributes(t *testing.T) {
	valid := func() CloudEvent {
		return CloudEvent{SpecVersion: SpecVersion, ID: "1", Source: "/app", Type: "t",
			Extensions: map[string]string{"traceparent": "00-abc"}}
	}
	for _, bad := range []string{"1\n2", "a\x00b", "tab\there", "del\x7f", "c1\u0085", "\u009f", "non\ufffe", "nc\ufdd0", "cr\r"} {
		for _, tt := range []struct {
			field string
			set   func(*CloudEvent)
		}{
			{"id", func(e *CloudEvent) { e.ID = bad }},
			{"source", func(e *CloudEvent) { e.Source = bad }},
			{"type", func(e *CloudEvent) { e.Type = bad }},
			{"subject", func(e *CloudEvent) { e.Subject = bad }},
			{"traceparent", func(e *CloudEvent) { e.Extensions["traceparent"] = bad }},
		} {
			e := valid()
			tt.set(&e)
			err := e.Validate()
			var ie *InvalidError
			require.ErrorAs(t, err, &ie, "%s = %q", tt.field, bad)
			assert.Equal(t, tt.field, ie.Field, "%q", bad)
			assert.Contains(t, ie.Reason, "control character", "%q", bad)
		}
	}
	e := valid()
	e.ID, e.Subject = "ünïcödé ✓ 1", "tab-free text with spaces"
	assert.NoError(t, e.Validate(), "printable Unicode and spaces are fine")

	_, err := DecodeStructured([]byte(`{"specversion":"1.0","id":"1\n2","source":"s","type":"t"}`))
	assert.ErrorContains(t, err, "id:")
}
