package connectorapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/event"
)

func TestDecodeCloudEventBinary(t *testing.T) {
	h := http.Header{
		"Ce-Specversion": {"1.0"}, "Ce-Id": {"1"}, "Ce-Source": {"/crm%20system"}, "Ce-Type": {"t.v1"},
		"Ce-Time": {"2024-01-02T03:04:05Z"}, "Ce-Subject": {"s"}, "Ce-Traceparent": {"00-x"},
		"Content-Type": {"application/json"},
	}
	e, err := decodeCloudEvent(h, []byte(`{"a":1}`))
	require.NoError(t, err)
	assert.Equal(t, "/crm system", e.Source, "header values are percent-decoded")
	assert.Equal(t, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), e.Time)
	assert.Equal(t, map[string]string{"traceparent": "00-x"}, e.Extensions)
	assert.Equal(t, "application/json", e.DataContentType)
	assert.Equal(t, `{"a":1}`, string(e.Data))

	for name, tc := range map[string]struct {
		h    http.Header
		want string
	}{
		"no specversion": {http.Header{"Ce-Id": {"1"}}, "specversion: missing"},
		"bad time":       {http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {"1"}, "Ce-Source": {"s"}, "Ce-Type": {"t"}, "Ce-Time": {"x"}}, "time"},
		"bad escape":     {http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {"%zz"}}, "percent-encoding"},
		"batch":          {http.Header{"Content-Type": {"application/cloudevents-batch+json"}}, "batched mode"},
		"bad extension":  {http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {"1"}, "Ce-Source": {"s"}, "Ce-Type": {"t"}, "Ce-Bad_name": {"x"}}, "extension attribute names"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeCloudEvent(tc.h, nil)
			require.ErrorIs(t, err, event.ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func FuzzDecodeCloudEvent(f *testing.F) {
	f.Add("application/json", "1.0", "id", "/src", "type", "2024-01-02T03:04:05Z", "ext", "v", []byte(`{"a":1}`))
	f.Add("application/cloudevents+json", "", "", "", "", "", "", "", []byte(`{"specversion":"1.0","id":"1","source":"s","type":"t","data":1}`))
	f.Add("text/plain; charset=utf-8", "1.0", "%41", "s", "t", "", "traceparent", "%zz", []byte("hi"))
	f.Fuzz(func(t *testing.T, ct, spec, id, source, typ, tm, extName, extVal string, body []byte) {
		h := http.Header{}
		set := func(k, v string) {
			if v != "" {
				h.Set(k, v)
			}
		}
		set("Content-Type", ct)
		set("Ce-Specversion", spec)
		set("Ce-Id", id)
		set("Ce-Source", source)
		set("Ce-Type", typ)
		set("Ce-Time", tm)
		if extName != "" {
			set("Ce-"+extName, extVal)
		}
		e, err := decodeCloudEvent(h, body)
		if err != nil {
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("decoded an invalid event: %v", err)
		}
	})
}
