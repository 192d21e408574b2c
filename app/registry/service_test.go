package registry_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/app/registry"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/mocks"
)

type fixture struct {
	apps    *mocks.MockApplicationRepository
	secrets *mocks.MockSecretStore
	logs    *bytes.Buffer
	svc     *registry.Service
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	f := fixture{
		apps:    mocks.NewMockApplicationRepository(ctrl),
		secrets: mocks.NewMockSecretStore(ctrl),
		logs:    &bytes.Buffer{},
	}
	f.svc = registry.NewService(f.apps, f.secrets, slog.New(slog.NewJSONHandler(f.logs, nil)))
	return f
}

func validApp() application.Application {
	return application.Application{Name: "orders", Spec: application.Spec{Services: []application.Service{{
		ID: "1", Name: "orders-api", DisplayName: "Orders API",
		Entries: []application.Entry{{Type: application.EntryTypeAPI, TargetURL: "http://127.0.0.1:9000",
			Credentials: &application.Credentials{Type: application.CredentialBasic, SecretName: "orders-basic"}}},
	}}}}
}

var errStore = errors.New("disk on fire")

func TestApplyApplication(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := map[string]struct {
		app         application.Application
		put         func(*mocks.MockApplicationRepository, application.Application)
		wantCreated bool
		wantErr     error
		wantField   string
	}{
		"creates": {
			app: validApp(),
			put: func(m *mocks.MockApplicationRepository, app application.Application) {
				stored := app.DeepCopy()
				stored.ResourceVersion = "1"
				m.EXPECT().Put(ctx, app).Return(stored, true, nil)
			},
			wantCreated: true,
		},
		"replaces": {
			app: validApp(),
			put: func(m *mocks.MockApplicationRepository, app application.Application) {
				stored := app.DeepCopy()
				stored.ResourceVersion = "2"
				m.EXPECT().Put(ctx, app).Return(stored, false, nil)
			},
		},
		"invalid name never reaches the store": {
			app:       application.Application{Name: "Not_Valid"},
			wantErr:   application.ErrInvalid,
			wantField: "metadata.name",
		},
		"invalid target url never reaches the store": {
			app: func() application.Application {
				a := validApp()
				a.Spec.Services[0].Entries[0].TargetURL = "ftp://x"
				return a
			}(),
			wantErr:   application.ErrInvalid,
			wantField: "spec.services[0].entries[0].targetUrl",
		},
		"stale resource version": {
			app: func() application.Application { a := validApp(); a.ResourceVersion = "1"; return a }(),
			put: func(m *mocks.MockApplicationRepository, app application.Application) {
				m.EXPECT().Put(ctx, app).Return(application.Application{}, false, application.ErrConflict)
			},
			wantErr: application.ErrConflict,
		},
		"store failure": {
			app: validApp(),
			put: func(m *mocks.MockApplicationRepository, app application.Application) {
				m.EXPECT().Put(ctx, app).Return(application.Application{}, false, errStore)
			},
			wantErr: errStore,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if tc.put != nil {
				tc.put(f.apps, tc.app)
			}
			got, created, err := f.svc.ApplyApplication(ctx, tc.app)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				if tc.wantField != "" {
					var ve *application.ValidationError
					require.ErrorAs(t, err, &ve)
					assert.Equal(t, tc.wantField, ve.Errors[0].Field)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantCreated, created)
			assert.Equal(t, tc.app.Name, got.Name)
			assert.NotEmpty(t, got.ResourceVersion)
			assert.Contains(t, f.logs.String(), `"msg":"application applied"`)
		})
	}
}

func TestApplicationReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("get", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.apps.EXPECT().Get(ctx, "orders").Return(validApp(), nil)
		got, err := f.svc.GetApplication(ctx, "orders")
		require.NoError(t, err)
		assert.Equal(t, validApp(), got)
	})
	t.Run("get missing", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.apps.EXPECT().Get(ctx, "nope").Return(application.Application{}, application.ErrNotFound)
		_, err := f.svc.GetApplication(ctx, "nope")
		require.ErrorIs(t, err, application.ErrNotFound)
		assert.EqualError(t, err, "application not found")
	})
	t.Run("list", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.apps.EXPECT().List(ctx).Return([]application.Application{validApp()}, nil)
		got, err := f.svc.ListApplications(ctx)
		require.NoError(t, err)
		assert.Len(t, got, 1)
	})
	t.Run("list failure", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.apps.EXPECT().List(ctx).Return(nil, errStore)
		_, err := f.svc.ListApplications(ctx)
		require.ErrorIs(t, err, errStore)
	})
	t.Run("delete", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.apps.EXPECT().Delete(ctx, "orders").Return(nil)
		require.NoError(t, f.svc.DeleteApplication(ctx, "orders"))
		assert.Contains(t, f.logs.String(), `"msg":"application deleted"`)
	})
	t.Run("delete missing", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.apps.EXPECT().Delete(ctx, "nope").Return(application.ErrNotFound)
		require.ErrorIs(t, f.svc.DeleteApplication(ctx, "nope"), application.ErrNotFound)
	})
}

func TestApplySecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const value = "hunter2-do-not-log"
	sec := credential.Secret{Name: "orders-basic", Data: map[string][]byte{"username": []byte("u"), "password": []byte(value)}}

	t.Run("creates and never logs values", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		stored := sec.DeepCopy()
		stored.ResourceVersion = "1"
		f.secrets.EXPECT().Put(ctx, sec).Return(stored, true, nil)
		got, created, err := f.svc.ApplySecret(ctx, sec)
		require.NoError(t, err)
		assert.True(t, created)
		assert.Equal(t, "1", got.ResourceVersion)
		assert.Contains(t, f.logs.String(), `"keys":["password","username"]`)
		assert.NotContains(t, f.logs.String(), value)
	})
	t.Run("invalid key name never reaches the store", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		bad := credential.Secret{Name: "s", Data: map[string][]byte{"bad key": []byte(value)}}
		_, _, err := f.svc.ApplySecret(ctx, bad)
		require.ErrorIs(t, err, credential.ErrInvalid)
		assert.NotContains(t, err.Error(), value)
	})
	t.Run("invalid name", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		_, _, err := f.svc.ApplySecret(ctx, credential.Secret{Name: ""})
		require.ErrorIs(t, err, credential.ErrInvalid)
	})
	t.Run("conflict", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.secrets.EXPECT().Put(ctx, sec).Return(credential.Secret{}, false, credential.ErrConflict)
		_, _, err := f.svc.ApplySecret(ctx, sec)
		require.ErrorIs(t, err, credential.ErrConflict)
		assert.EqualError(t, err, "conflict")
	})
}

func TestSecretReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sec := credential.Secret{Name: "s", Data: map[string][]byte{"k": []byte("v")}}

	t.Run("get", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.secrets.EXPECT().Get(ctx, "s").Return(sec, nil)
		got, err := f.svc.GetSecret(ctx, "s")
		require.NoError(t, err)
		assert.Equal(t, sec, got)
	})
	t.Run("get missing", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.secrets.EXPECT().Get(ctx, "x").Return(credential.Secret{}, credential.ErrNotFound)
		_, err := f.svc.GetSecret(ctx, "x")
		require.ErrorIs(t, err, credential.ErrNotFound)
	})
	t.Run("list", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.secrets.EXPECT().List(ctx).Return([]credential.Secret{sec}, nil)
		got, err := f.svc.ListSecrets(ctx)
		require.NoError(t, err)
		assert.Equal(t, []credential.Secret{sec}, got)
	})
	t.Run("list failure", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.secrets.EXPECT().List(ctx).Return(nil, errStore)
		_, err := f.svc.ListSecrets(ctx)
		require.ErrorIs(t, err, errStore)
	})
	t.Run("delete", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.secrets.EXPECT().Delete(ctx, "s").Return(nil)
		require.NoError(t, f.svc.DeleteSecret(ctx, "s"))
	})
	t.Run("delete missing", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.secrets.EXPECT().Delete(ctx, "x").Return(credential.ErrNotFound)
		require.ErrorIs(t, f.svc.DeleteSecret(ctx, "x"), credential.ErrNotFound)
	})
}

func TestNewServicePanicsOnNil(t *testing.T) {
	t.Parallel()
	assert.Panics(t, func() { registry.NewService(nil, nil, slog.Default()) })
}
