package event

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const validLegacy = `{"event-type":"order.created","event-type-version":"v1","event-id":"8954ad1c-78ed-4c58-a639-68bd44031de0","event-time":"2024-01-02T15:04:05Z","data":{"orderId":"42"}}`

func TestDecodeLegacy(t *testing.T) {
	le, err := DecodeLegacy([]byte(validLegacy))
	require.NoError(t, err)
	assert.Equal(t, "order.created", le.EventType)
	assert.Equal(t, "v1", le.EventTypeVersion)
	assert.JSONEq(t, `{"orderId":"42"}`, string(le.Data))

	_, err = DecodeLegacy([]byte(`{"event-type":"a","event-type-version":"v1","event-time":"2024-01-02T15:04:05+01:00","data":"x"}`))
	assert.NoError(t, err)
}

func TestDecodeLegacyErrors(t *testing.T) {
	tests := []struct {
		name, body, field, typ string
	}{
		{"not json", `{"event-type":`, "", ErrorTypeBadPayload},
		{"array", `[1]`, "", ErrorTypeBadPayload},
		{"number type", `{"event-type":1}`, "", ErrorTypeBadPayload},
		{"missing type", `{"event-type-version":"v1","event-time":"2024-01-02T15:04:05Z","data":1}`, FieldEventType, ErrorTypeMissingField},
		{"missing version", `{"event-type":"a","event-time":"2024-01-02T15:04:05Z","data":1}`, FieldEventTypeVersion, ErrorTypeMissingField},
		{"bad version", `{"event-type":"a","event-type-version":"v1.0","event-time":"2024-01-02T15:04:05Z","data":1}`, FieldEventTypeVersion, ErrorTypeInvalidField},
		{"missing time", `{"event-type":"a","event-type-version":"v1","data":1}`, FieldEventTime, ErrorTypeMissingField},
		{"bad time", `{"event-type":"a","event-type-version":"v1","event-time":"2024-01-02","data":1}`, FieldEventTime, ErrorTypeInvalidField},
		{"bad id", `{"event-type":"a","event-type-version":"v1","event-id":"42","event-time":"2024-01-02T15:04:05Z","data":1}`, FieldEventID, ErrorTypeInvalidField},
		{"missing data", `{"event-type":"a","event-type-version":"v1","event-time":"2024-01-02T15:04:05Z"}`, FieldData, ErrorTypeMissingField},
		{"null data", `{"event-type":"a","event-type-version":"v1","event-time":"2024-01-02T15:04:05Z","data":null}`, FieldData, ErrorTypeMissingField},
		{"empty data", `{"event-type":"a","event-type-version":"v1","event-time":"2024-01-02T15:04:05Z","data":""}`, FieldData, ErrorTypeMissingField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeLegacy([]byte(tt.body))
			require.ErrorIs(t, err, ErrInvalid)
			var le *LegacyError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, http.StatusBadRequest, le.Status)
			if tt.field == "" {
				assert.Equal(t, tt.typ, le.Type)
				assert.Empty(t, le.Details)
				return
			}
			assert.Equal(t, ErrorTypeValidationViolation, le.Type)
			require.Len(t, le.Details, 1)
			assert.Equal(t, tt.field, le.Details[0].Field)
			assert.Equal(t, tt.typ, le.Details[0].Type)
			assert.Contains(t, le.Message, tt.field)
			b, err := json.Marshal(le)
			require.NoError(t, err)
			assert.Contains(t, string(b), `"details":[{"field":"`+tt.field+`"`)
		})
	}
}

func TestLegacyToCloudEvent(t *testing.T) {
	le, err := DecodeLegacy([]byte(validLegacy))
	require.NoError(t, err)
	newID := func() string { return "generated" }

	e := le.ToCloudEvent(LegacyOptions{Prefix: "sap.kyma.custom", Application: "system-prod"}, newID)
	assert.Equal(t, "sap.kyma.custom.systemprod.order.created.v1", e.Type)
	assert.Equal(t, "system-prod", e.Source)
	assert.Equal(t, "8954ad1c-78ed-4c58-a639-68bd44031de0", e.ID)
	assert.Equal(t, time.Date(2024, 1, 2, 15, 4, 5, 0, time.UTC), e.Time)
	assert.Equal(t, "application/json", e.DataContentType)
	assert.Equal(t, map[string]string{"eventtypeversion": "v1"}, e.Extensions)
	assert.JSONEq(t, `{"orderId":"42"}`, string(e.Data))
	require.NoError(t, e.Validate())

	le.EventID = ""
	le.EventType = "Account.Order.Created"
	e = le.ToCloudEvent(LegacyOptions{Source: "kyma", Application: "app", ApplicationType: "my-type"}, newID)
	assert.Equal(t, "generated", e.ID)
	assert.Equal(t, "kyma", e.Source)
	assert.Equal(t, "mytype.AccountOrder.Created.v1", e.Type)
}

func TestEventTypeRules(t *testing.T) {
	assert.Equal(t, "systemprod", CleanName("system-prod"))
	assert.Equal(t, "abc123", CleanName("a.b_c-1 2\u00e93"))
	assert.Equal(t, "a", FoldEventType("a"))
	assert.Equal(t, "a.b", FoldEventType("a.b"))
	assert.Equal(t, "AccountOrder.Created", FoldEventType("Account.Order.Created"))
	assert.Equal(t, "abc.d", FoldEventType("a.b.c.d"))
	assert.Equal(t, "app.a.b.v1", LegacyType("", "app", "a.b", "v1"))
}

func TestLegacyErrorHelpers(t *testing.T) {
	e := LegacyBodyTooLarge(1024)
	assert.Equal(t, http.StatusRequestEntityTooLarge, e.Status)
	assert.ErrorIs(t, e, ErrInvalid)
	assert.NotErrorIs(t, NewLegacyError(502, "x", "y"), ErrInvalid)
	assert.Equal(t, "deliver event: timed out", (&DeliveryError{Timeout: true}).Error())
	assert.Equal(t, "deliver event: eventing answered 500", (&DeliveryError{StatusCode: 500}).Error())
}

func FuzzDecodeLegacy(f *testing.F) {
	f.Add([]byte(validLegacy))
	f.Add([]byte(`{"event-type":"a","event-type-version":"v1","event-time":"2024-01-02T15:04:05Z","data":""}`))
	f.Add([]byte(`{"data":null}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		le, err := DecodeLegacy(b)
		if err != nil {
			var lerr *LegacyError
			if !asLegacy(err, &lerr) || lerr.Status != http.StatusBadRequest {
				t.Fatalf("error is not a 400 legacy error: %v", err)
			}
			return
		}
		e := le.ToCloudEvent(LegacyOptions{Prefix: "p", Application: "app"}, func() string { return "id" })
		if err := e.Validate(); err != nil {
			t.Fatalf("converted event invalid: %v", err)
		}
	})
}

// An event-type with a control character would become a CloudEvent type that cannot be
// forwarded; it is a 400 naming event-type, not a 502 later.
func TestDecodeLegacyRefusesControlCharacters(t *testing.T) {
	for _, bad := range []string{`a\u0000b`, `a\nb`, `a\u007fb`, `\u0085`} {
		_, err := DecodeLegacy([]byte(`{"event-type":"` + bad + `","event-type-version":"v1","event-time":"2024-01-02T15:04:05Z","data":1}`))
		var le *LegacyError
		require.True(t, asLegacy(err, &le), "%s: %v", bad, err)
		assert.Equal(t, 400, le.Status)
		require.Len(t, le.Details, 1)
		assert.Equal(t, FieldEventType, le.Details[0].Field, bad)
		assert.Equal(t, ErrorTypeInvalidField, le.Details[0].Type, bad)
	}
}
