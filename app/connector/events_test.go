package connector

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/ports"
)

const legacyBody = `{"event-type":"order.created","event-type-version":"v1","event-time":"2024-01-02T15:04:05Z","data":{"id":1}}`

func TestAuthorize(t *testing.T) {
	withIDs := application.Application{Name: "app", Spec: application.Spec{CompassMetadata: &application.CompassMetadata{
		Authentication: application.Authentication{ClientIDs: []string{"client-1"}},
	}}}
	tests := []struct {
		name    string
		app     application.Application
		appErr  error
		ids     []certificate.Identity
		revoked map[string]bool
		want    error
	}{
		{"cn is app name", application.Application{Name: "app"}, nil, []certificate.Identity{identity("app")}, nil, nil},
		{"other app", application.Application{Name: "app"}, nil, []certificate.Identity{identity("b")}, nil, ErrForbidden},
		{"unknown app", application.Application{}, application.ErrNotFound, []certificate.Identity{identity("app")}, nil, application.ErrNotFound},
		{"client id", withIDs, nil, []certificate.Identity{identity("client-1")}, nil, nil},
		{"name not accepted with client ids", withIDs, nil, []certificate.Identity{identity("app")}, nil, ErrForbidden},
		{"revoked", application.Application{Name: "app"}, nil, []certificate.Identity{identity("app")}, map[string]bool{"app": true}, certificate.ErrRevoked},
		{"no fingerprint", application.Application{Name: "app"}, nil, []certificate.Identity{{CommonName: "app"}}, nil, ErrForbidden},
		{"second identity matches", application.Application{Name: "app"}, nil, []certificate.Identity{identity("gateway"), identity("app")}, nil, nil},
		{"no identity", application.Application{Name: "app"}, nil, nil, nil, ErrNoCertificate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			f.apps.EXPECT().Get(gomock.Any(), "app").Return(tt.app, tt.appErr).AnyTimes()
			f.revs.EXPECT().IsRevoked(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, fp certificate.Fingerprint) (bool, error) {
				for cn, r := range tt.revoked {
					if identity(cn).Fingerprint == fp {
						return r, nil
					}
				}
				return false, nil
			}).AnyTimes()
			err := f.svc.Authorize(t.Context(), "app", tt.ids)
			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
}

func TestPublishLegacy(t *testing.T) {
	f := newFixture(t, Config{EventTypePrefix: "sap.kyma.custom"})
	app := application.Application{Name: "my-app", Labels: map[string]string{"application-type": "crm-system"}}
	f.apps.EXPECT().Get(gomock.Any(), "my-app").Return(app, nil).AnyTimes()
	f.revs.EXPECT().IsRevoked(gomock.Any(), gomock.Any()).Return(false, nil).AnyTimes()
	ids := []certificate.Identity{identity("my-app")}

	var sent event.CloudEvent
	f.sink.EXPECT().Send(gomock.Any(), "my-app", gomock.Any()).DoAndReturn(func(_ context.Context, _ string, e event.CloudEvent) error {
		sent = e
		return nil
	})
	id, err := f.svc.PublishLegacy(t.Context(), "my-app", ids, []byte(legacyBody))
	require.NoError(t, err)
	assert.Equal(t, sent.ID, id)
	assert.Equal(t, "sap.kyma.custom.crmsystem.order.created.v1", sent.Type)
	assert.Equal(t, "my-app", sent.Source)
	assert.JSONEq(t, `{"id":1}`, string(sent.Data))

	_, err = f.svc.PublishLegacy(t.Context(), "my-app", ids, []byte(`{}`))
	var le *event.LegacyError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, event.FieldEventType, le.Details[0].Field)

	_, err = f.svc.PublishLegacy(t.Context(), "my-app", []certificate.Identity{identity("x")}, []byte("garbage"))
	assert.ErrorIs(t, err, ErrForbidden, "authorisation comes before decoding")

	f.sink.EXPECT().Send(gomock.Any(), "my-app", gomock.Any()).Return(&event.DeliveryError{StatusCode: 503})
	_, err = f.svc.PublishLegacy(t.Context(), "my-app", ids, []byte(legacyBody))
	var de *event.DeliveryError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 503, de.StatusCode)
}

func TestPublish(t *testing.T) {
	f := newFixture(t, Config{})
	f.apps.EXPECT().Get(gomock.Any(), "app").Return(application.Application{Name: "app"}, nil).AnyTimes()
	f.revs.EXPECT().IsRevoked(gomock.Any(), gomock.Any()).Return(false, nil).AnyTimes()
	e := event.CloudEvent{SpecVersion: "1.0", ID: "1", Source: "s", Type: "t"}
	f.sink.EXPECT().Send(gomock.Any(), "app", e).Return(nil)
	require.NoError(t, f.svc.Publish(t.Context(), "app", []certificate.Identity{identity("app")}, e))
	assert.ErrorIs(t, f.svc.Publish(t.Context(), "app", []certificate.Identity{identity("app")}, event.CloudEvent{}), event.ErrInvalid)

	_, err := f.svc.Events(t.Context(), ports.EventQuery{})
	assert.ErrorIs(t, err, ErrEventLogDisabled)
}
