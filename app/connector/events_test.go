package connector

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/mocks"
	"github.com/appconnector/appconnector/ports"
)

const legacyBody = `{"event-type":"order.created","event-type-version":"v1","event-time":"2024-01-02T15:04:05Z","data":{"id":1}}`

func TestAuthorize(t *testing.T) {
	app := application.Application{Name: "app"}
	tests := []struct {
		name    string
		app     *application.Application // nil: not stored
		ids     []certificate.Identity
		revoked []string // CNs whose certificates are on the revocation list
		want    error
	}{
		{"cn is app name", &app, []certificate.Identity{identity("app")}, nil, nil},
		{"other app", &app, []certificate.Identity{identity("b")}, nil, ErrForbidden},
		{"unknown app", nil, []certificate.Identity{identity("app")}, nil, application.ErrNotFound},
		{"client id", ptr(withClientIDs("app", "client-1")), []certificate.Identity{identity("client-1")}, nil, nil},
		{"name not accepted with client ids", ptr(withClientIDs("app", "client-1")), []certificate.Identity{identity("app")}, nil, ErrForbidden},
		{"revoked", &app, []certificate.Identity{identity("app")}, []string{"app"}, certificate.ErrRevoked},
		{"another certificate revoked", &app, []certificate.Identity{identity("app")}, []string{"b"}, nil},
		{"no fingerprint", &app, []certificate.Identity{{CommonName: "app"}}, nil, ErrForbidden},
		{"second identity matches", &app, []certificate.Identity{identity("gateway"), identity("app")}, nil, nil},
		{"revoked first, valid second", &app, []certificate.Identity{identity("app"), withFingerprintOf(identity("app"), "app-2")}, []string{"app"}, nil},
		{"no identity", &app, nil, nil, ErrNoCertificate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newStateFixture(t, Config{})
			if tt.app != nil {
				f.put(t, *tt.app)
			}
			for _, cn := range tt.revoked {
				require.NoError(t, f.revs.Revoke(t.Context(), identity(cn).Fingerprint, testNow.Add(time.Hour)))
			}
			from, err := f.svc.AuthorizeSender(t.Context(), "app", tt.ids)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
				assert.Equal(t, Sender{}, from, "a refusal gives no sender to publish with")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "app", from.Application())
			assert.NoError(t, f.svc.Authorize(t.Context(), "app", tt.ids))
		})
	}
}

func ptr[T any](v T) *T { return &v }

// withFingerprintOf is id with the fingerprint of another certificate: the same CN,
// renewed.
func withFingerprintOf(id certificate.Identity, raw string) certificate.Identity {
	id.Fingerprint = certificate.FingerprintOf([]byte("cert-" + raw))
	return id
}

func TestPublishLegacy(t *testing.T) {
	f := newStateFixture(t, Config{EventTypePrefix: "sap.kyma.custom"})
	f.put(t, application.Application{Name: "my-app", Labels: map[string]string{event.ApplicationTypeLabel: "crm-system"}})
	from, err := f.svc.AuthorizeSender(t.Context(), "my-app", []certificate.Identity{identity("my-app")})
	require.NoError(t, err)

	id, err := f.svc.PublishLegacy(t.Context(), from, []byte(legacyBody))
	require.NoError(t, err)
	recs, err := f.log.List(t.Context(), ports.EventQuery{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	sent := recs[0]
	assert.Equal(t, "my-app", sent.Application)
	assert.Equal(t, id, sent.Event.ID)
	assert.Equal(t, "sap.kyma.custom.crmsystem.order.created.v1", sent.Event.Type)
	assert.Equal(t, "my-app", sent.Event.Source)
	assert.JSONEq(t, `{"id":1}`, string(sent.Event.Data))

	_, err = f.svc.PublishLegacy(t.Context(), from, []byte(`{}`))
	var le *event.LegacyError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, event.FieldEventType, le.Details[0].Field)

	_, err = f.svc.PublishLegacy(t.Context(), Sender{}, []byte(legacyBody))
	assert.ErrorIs(t, err, ErrForbidden, "only an authorised sender publishes")
	recs, err = f.log.List(t.Context(), ports.EventQuery{})
	require.NoError(t, err)
	assert.Len(t, recs, 1, "refused events are not delivered")
}

// The event carries the Application as authorised: the repository is not read again
// after the body arrived.
func TestPublishUsesTheAuthorisedApplication(t *testing.T) {
	f := newStateFixture(t, Config{})
	f.put(t, application.Application{Name: "app", Labels: map[string]string{event.ApplicationTypeLabel: "erp"}})
	from, err := f.svc.AuthorizeSender(t.Context(), "app", []certificate.Identity{identity("app")})
	require.NoError(t, err)
	f.put(t, application.Application{Name: "app", Labels: map[string]string{event.ApplicationTypeLabel: "crm"}})

	_, err = f.svc.PublishLegacy(t.Context(), from, []byte(legacyBody))
	require.NoError(t, err)
	recs, err := f.log.List(t.Context(), ports.EventQuery{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, "erp.order.created.v1", recs[0].Event.Type)
}

func TestPublishDeliveryFailure(t *testing.T) {
	f := newStateFixture(t, Config{})
	f.put(t, application.Application{Name: "my-app"})
	sink := mocks.NewMockEventSink(gomock.NewController(t))
	svc := f.serviceWithSink(t, sink)
	from, err := svc.AuthorizeSender(t.Context(), "my-app", []certificate.Identity{identity("my-app")})
	require.NoError(t, err)

	sink.EXPECT().Send(gomock.Any(), "my-app", gomock.Any()).Return(&event.DeliveryError{StatusCode: 503})
	_, err = svc.PublishLegacy(t.Context(), from, []byte(legacyBody))
	var de *event.DeliveryError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 503, de.StatusCode)

	sink.EXPECT().Send(gomock.Any(), "my-app", gomock.Any()).Return(&event.DeliveryError{StatusCode: 504})
	err = svc.Publish(t.Context(), from, event.CloudEvent{SpecVersion: "1.0", ID: "1", Source: "s", Type: "t"})
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 504, de.StatusCode)
}

func TestPublish(t *testing.T) {
	f := newStateFixture(t, Config{})
	f.put(t, application.Application{Name: "app"})
	from, err := f.svc.AuthorizeSender(t.Context(), "app", []certificate.Identity{identity("app")})
	require.NoError(t, err)
	e := event.CloudEvent{SpecVersion: "1.0", ID: "1", Source: "s", Type: "t"}
	require.NoError(t, f.svc.Publish(t.Context(), from, e))
	assert.ErrorIs(t, f.svc.Publish(t.Context(), from, event.CloudEvent{}), event.ErrInvalid)
	assert.ErrorIs(t, f.svc.Publish(t.Context(), Sender{}, e), ErrForbidden, "only an authorised sender publishes")

	recs, err := f.svc.Events(t.Context(), ports.EventQuery{Application: "app"})
	require.NoError(t, err)
	require.Len(t, recs, 1, "only the valid event is delivered")
	assert.Equal(t, e, recs[0].Event)

	_, err = newFixture(t, Config{}).svc.Events(t.Context(), ports.EventQuery{})
	assert.ErrorIs(t, err, ErrEventLogDisabled, "no event log when events are forwarded")
}
