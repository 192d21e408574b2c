package registry_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/app/registry"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/mocks"
	"github.com/appconnector/appconnector/ports"
)

// fixture runs the service over the memory adapters: what matters is what ends up
// stored, not which calls got there.
type fixture struct {
	apps    *memory.ApplicationRepository
	secrets *memory.SecretStore
	logs    *bytes.Buffer
	svc     *registry.Service
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	f := fixture{apps: memory.NewApplicationRepository(), secrets: memory.NewSecretStore(), logs: &bytes.Buffer{}}
	f.svc = registry.NewService(f.apps, f.secrets, newLogger(f.logs))
	return f
}

func newLogger(b *bytes.Buffer) *slog.Logger { return slog.New(slog.NewJSONHandler(b, nil)) }

func validApp() application.Application {
	return application.Application{Name: "orders", Spec: application.Spec{Services: []application.Service{{
		ID: "1", Name: "orders-api", DisplayName: "Orders API",
		Entries: []application.Entry{{Type: application.EntryTypeAPI, TargetURL: "http://127.0.0.1:9000",
			Credentials: &application.Credentials{Type: application.CredentialBasic, SecretName: "orders-basic"}}},
	}}}}
}

var errStore = errors.New("disk on fire")

func requireField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *application.ValidationError
	require.ErrorAs(t, err, &ve)
	fields := make([]string, len(ve.Errors))
	for i, fe := range ve.Errors {
		fields[i] = fe.Field
	}
	assert.Contains(t, fields, field)
}

func TestApplyApplication(t *testing.T) {
	t.Parallel()

	t.Run("creates, then replaces", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		ctx := t.Context()
		first, created, err := f.svc.ApplyApplication(ctx, validApp())
		require.NoError(t, err)
		assert.True(t, created)
		assert.NotEmpty(t, first.ResourceVersion)
		assert.Contains(t, f.logs.String(), `"msg":"application applied"`)

		changed := validApp()
		changed.Spec.Description = "v2"
		second, created, err := f.svc.ApplyApplication(ctx, changed)
		require.NoError(t, err)
		assert.False(t, created)
		assert.NotEqual(t, first.ResourceVersion, second.ResourceVersion)

		stored, err := f.apps.Get(ctx, "orders")
		require.NoError(t, err)
		assert.Equal(t, second, stored)
		assert.Equal(t, "v2", stored.Spec.Description)
	})

	invalid := map[string]struct {
		mutate func(*application.Application)
		field  string
	}{
		"invalid name":       {func(a *application.Application) { a.Name = "Not_Valid" }, "metadata.name"},
		"invalid target url": {func(a *application.Application) { a.Spec.Services[0].Entries[0].TargetURL = "ftp://x" }, "spec.services[0].entries[0].targetUrl"},
		"invalid label key": {func(a *application.Application) { a.Labels = map[string]string{"bad key!!/x/y": "v"} },
			`metadata.labels["bad key!!/x/y"]`},
		"label value too long": {func(a *application.Application) { a.Labels = map[string]string{"k": strings.Repeat("v", 500_000)} },
			`metadata.labels["k"]`},
		"malformed resource version": {func(a *application.Application) { a.ResourceVersion = "abc" }, "metadata.resourceVersion"},
	}
	for name, tc := range invalid {
		t.Run(name+" never reaches the store", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			app := validApp()
			tc.mutate(&app)
			_, _, err := f.svc.ApplyApplication(t.Context(), app)
			require.ErrorIs(t, err, application.ErrInvalid)
			require.NotErrorIs(t, err, application.ErrConflict)
			requireField(t, err, tc.field)
			all, err := f.apps.List(t.Context())
			require.NoError(t, err)
			assert.Empty(t, all)
		})
	}

	t.Run("stale resource version conflicts and keeps the stored one", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		ctx := t.Context()
		first, _, err := f.svc.ApplyApplication(ctx, validApp())
		require.NoError(t, err)
		second, _, err := f.svc.ApplyApplication(ctx, validApp())
		require.NoError(t, err)

		stale := validApp()
		stale.ResourceVersion = first.ResourceVersion
		stale.Spec.Description = "lost update"
		_, _, err = f.svc.ApplyApplication(ctx, stale)
		require.ErrorIs(t, err, application.ErrConflict)

		stored, err := f.apps.Get(ctx, "orders")
		require.NoError(t, err)
		assert.Equal(t, second, stored)
	})

	t.Run("store failure is returned", func(t *testing.T) {
		t.Parallel()
		apps := mocks.NewMockApplicationRepository(gomock.NewController(t))
		apps.EXPECT().Put(gomock.Any(), gomock.Any()).Return(application.Application{}, false, errStore)
		logs := &bytes.Buffer{}
		svc := registry.NewService(apps, memory.NewSecretStore(), newLogger(logs))
		_, _, err := svc.ApplyApplication(t.Context(), validApp())
		require.ErrorIs(t, err, errStore)
		assert.NotContains(t, logs.String(), "application applied")
	})
}

func TestApplicationReads(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	_, err := f.svc.GetApplication(ctx, "orders")
	require.ErrorIs(t, err, application.ErrNotFound)
	require.ErrorIs(t, f.svc.DeleteApplication(ctx, "orders"), application.ErrNotFound)

	stored, _, err := f.svc.ApplyApplication(ctx, validApp())
	require.NoError(t, err)
	other := validApp()
	other.Name = "accounts"
	_, _, err = f.svc.ApplyApplication(ctx, other)
	require.NoError(t, err)

	got, err := f.svc.GetApplication(ctx, "orders")
	require.NoError(t, err)
	assert.Equal(t, stored, got)

	list, err := f.svc.ListApplications(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, []string{"accounts", "orders"}, []string{list[0].Name, list[1].Name}, "sorted by name")

	require.NoError(t, f.svc.DeleteApplication(ctx, "orders"))
	assert.Contains(t, f.logs.String(), `"msg":"application deleted"`)
	_, err = f.apps.Get(ctx, "orders")
	require.ErrorIs(t, err, application.ErrNotFound)
}

func TestApplicationListFailure(t *testing.T) {
	t.Parallel()
	apps := mocks.NewMockApplicationRepository(gomock.NewController(t))
	apps.EXPECT().List(gomock.Any()).Return(nil, errStore)
	svc := registry.NewService(apps, memory.NewSecretStore(), slog.New(slog.DiscardHandler))
	_, err := svc.ListApplications(t.Context())
	require.ErrorIs(t, err, errStore)
}

func TestApplySecret(t *testing.T) {
	t.Parallel()
	const value = "hunter2-do-not-log"
	sec := credential.Secret{Name: "orders-basic", Data: map[string][]byte{"username": []byte("u"), "password": []byte(value)}}

	t.Run("creates and never logs values", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		got, created, err := f.svc.ApplySecret(t.Context(), sec)
		require.NoError(t, err)
		assert.True(t, created)
		assert.NotEmpty(t, got.ResourceVersion)
		assert.Contains(t, f.logs.String(), `"keys":["password","username"]`)
		assert.NotContains(t, f.logs.String(), value)

		stored, err := f.secrets.Get(t.Context(), "orders-basic")
		require.NoError(t, err)
		assert.Equal(t, []byte(value), stored.Data["password"])
	})

	invalid := map[string]struct {
		sec   credential.Secret
		field string // a substring of the message that names the problem
	}{
		"invalid key name":           {credential.Secret{Name: "s", Data: map[string][]byte{"bad key": []byte(value)}}, `key "bad key"`},
		"invalid name":               {credential.Secret{Name: ""}, "metadata.name"},
		"invalid label key":          {credential.Secret{Name: "s", Labels: map[string]string{"bad key!!/x/y": "v"}}, `metadata.labels["bad key!!/x/y"]: `},
		"label value too long":       {credential.Secret{Name: "s", Labels: map[string]string{"k": strings.Repeat("v", 500_000)}}, `metadata.labels["k"]: value must be at most 63 characters`},
		"malformed resource version": {credential.Secret{Name: "s", ResourceVersion: "abc"}, `metadata.resourceVersion: "abc" is not a resource version`},
	}
	for name, tc := range invalid {
		t.Run(name+" never reaches the store", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			_, _, err := f.svc.ApplySecret(t.Context(), tc.sec)
			require.ErrorIs(t, err, credential.ErrInvalid)
			require.NotErrorIs(t, err, credential.ErrConflict)
			assert.Contains(t, err.Error(), tc.field)
			assert.NotContains(t, err.Error(), value)
			all, err := f.secrets.List(t.Context())
			require.NoError(t, err)
			assert.Empty(t, all)
		})
	}

	t.Run("stale resource version conflicts", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		first, _, err := f.svc.ApplySecret(t.Context(), sec)
		require.NoError(t, err)
		_, _, err = f.svc.ApplySecret(t.Context(), sec)
		require.NoError(t, err)
		stale := sec.DeepCopy()
		stale.ResourceVersion = first.ResourceVersion
		_, _, err = f.svc.ApplySecret(t.Context(), stale)
		require.ErrorIs(t, err, credential.ErrConflict)
		assert.Contains(t, err.Error(), "is not current")
	})
}

func TestSecretReads(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	sec := credential.Secret{Name: "s", Data: map[string][]byte{"k": []byte("v")}}

	_, err := f.svc.GetSecret(ctx, "s")
	require.ErrorIs(t, err, credential.ErrNotFound)
	require.ErrorIs(t, f.svc.DeleteSecret(ctx, "s"), credential.ErrNotFound)

	stored, _, err := f.svc.ApplySecret(ctx, sec)
	require.NoError(t, err)
	got, err := f.svc.GetSecret(ctx, "s")
	require.NoError(t, err)
	assert.Equal(t, stored, got)
	list, err := f.svc.ListSecrets(ctx)
	require.NoError(t, err)
	assert.Equal(t, []credential.Secret{stored}, list)

	require.NoError(t, f.svc.DeleteSecret(ctx, "s"))
	_, err = f.secrets.Get(ctx, "s")
	require.ErrorIs(t, err, credential.ErrNotFound)
}

func TestSecretListFailure(t *testing.T) {
	t.Parallel()
	secrets := mocks.NewMockSecretStore(gomock.NewController(t))
	secrets.EXPECT().List(gomock.Any()).Return(nil, errStore)
	svc := registry.NewService(memory.NewApplicationRepository(), secrets, slog.New(slog.DiscardHandler))
	_, err := svc.ListSecrets(t.Context())
	require.ErrorIs(t, err, errStore)
}

func TestNewServicePanicsOnNil(t *testing.T) {
	t.Parallel()
	var apps ports.ApplicationRepository
	assert.Panics(t, func() { registry.NewService(apps, nil, slog.Default()) })
}
