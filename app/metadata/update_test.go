package metadata

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

var (
	credName   = CredentialSecretName(testApp, testID)
	paramsName = RequestParametersSecretName(testApp, testID)
)

// registered returns a fixture whose stores hold basicDefinition registered with
// request parameters, as RegisterService stores it.
func registered(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	f.putApp(t, emptyApp())
	def := basicDefinition()
	def.API.RequestParameters = &RequestParameters{Headers: map[string][]string{"X-A": {"1"}}}
	_, err := f.svc.RegisterService(context.Background(), testApp, def)
	require.NoError(t, err)
	return f
}

// expectGet makes the mock repository return app.
func (f *mockFixture) expectGet(app application.Application) {
	f.apps.EXPECT().Get(gomock.Any(), app.Name).Return(app.DeepCopy(), nil)
}

// serveSecrets makes the mock store answer reads from m.
func (f *mockFixture) serveSecrets(m map[string]credential.Secret) {
	f.secrets.EXPECT().Get(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, n string) (credential.Secret, error) {
		if s, ok := m[n]; ok {
			return s.DeepCopy(), nil
		}
		return credential.Secret{}, credential.ErrNotFound
	}).AnyTimes()
}

func TestUpdateService_MaskedRoundTripKeepsValues(t *testing.T) {
	t.Parallel()
	f := registered(t)

	def := basicDefinition()
	def.Identifier = "ignored"
	def.Description = "new description"
	def.API.Credentials.Basic.Username = Masked
	def.API.Credentials.Basic.Password = Masked
	def.API.RequestParameters = &RequestParameters{Headers: map[string][]string{"X-A": {Masked}, "X-B": {"2"}}}
	got, err := f.svc.UpdateService(context.Background(), testApp, testID, def)
	require.NoError(t, err)
	app, written := f.app(t), f.storedSecrets(t)

	svc := app.Spec.Services[0]
	assert.Equal(t, "ext-1", svc.Identifier, "identifier is kept")
	assert.Equal(t, "new description", svc.LongDescription)
	assert.Equal(t, "ext-1", got.Identifier)
	assert.Equal(t, &Basic{Username: Masked, Password: Masked, CSRFInfo: &CSRFInfo{TokenEndpointURL: "https://orders.example.com/csrf"}},
		got.API.Credentials.Basic)
	assert.Equal(t, map[string][]string{"X-A": {Masked}, "X-B": {Masked}}, got.API.RequestParameters.Headers)

	creds, err := credential.Parse(*svc.Entries[0].Credentials, written[credName])
	require.NoError(t, err)
	assert.Equal(t, &credential.Basic{Username: "alice", Password: "s3cret"}, creds.Basic)
	params, err := credential.ParseRequestParameters(written[paramsName])
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"X-A": {"1"}, "X-B": {"2"}}, params.Headers)
}

func TestUpdateService_WithoutAPIDeletesSecretsAfterTheApplication(t *testing.T) {
	t.Parallel()
	reg := registered(t)
	app, stored := reg.app(t), reg.storedSecrets(t)
	f := newMockFixture(t)
	f.expectGet(app)
	f.serveSecrets(stored)
	def := basicDefinition()
	def.API = nil
	gomock.InOrder(
		f.apps.EXPECT().Update(gomock.Any(), testApp, gomock.Any()).DoAndReturn(
			func(_ context.Context, _ string, fn func(*application.Application) error) (application.Application, error) {
				cp := app.DeepCopy()
				require.NoError(t, fn(&cp))
				app = cp
				return cp, nil
			}),
		f.secrets.EXPECT().Delete(gomock.Any(), credName).Return(nil),
		f.secrets.EXPECT().Delete(gomock.Any(), paramsName).Return(errors.New("ignored, only logged")),
	)
	got, err := f.svc.UpdateService(context.Background(), testApp, testID, def)
	require.NoError(t, err)
	assert.Nil(t, got.API)
	assert.Equal(t, []application.Entry{{Type: application.EntryTypeEvents}}, app.Spec.Services[0].Entries)
}

func TestUpdateService_CertificateRegeneratedOnlyWhenCommonNameChanges(t *testing.T) {
	t.Parallel()
	keyPEM, certPEM := fixedCertificate(t)
	app := registered(t).app(t)
	app.Spec.Services[0].Entries[0].Credentials = &application.Credentials{Type: application.CredentialCertificateGen, SecretName: credName}
	app.Spec.Services[0].Entries[0].RequestParametersSecretName = ""
	stored := map[string]credential.Secret{credName: {Name: credName, Data: map[string][]byte{
		KeyCommonName: []byte("cn-1"), "key": keyPEM, "crt": certPEM,
	}}}
	for name, tc := range map[string]struct {
		cn        string
		wantCalls []string
	}{
		"same common name": {cn: "cn-1"},
		"new common name":  {cn: "cn-2", wantCalls: []string{"cn-2"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.putApp(t, app)
			f.putSecrets(t, stored)
			def := basicDefinition()
			def.API.Credentials = &Credentials{CertificateGen: &CertificateGen{CommonName: tc.cn}}
			got, err := f.svc.UpdateService(context.Background(), testApp, testID, def)
			require.NoError(t, err)
			assert.Equal(t, tc.wantCalls, f.certCalls)
			assert.Equal(t, tc.cn, got.API.Credentials.CertificateGen.CommonName)
			assert.NotEmpty(t, got.API.Credentials.CertificateGen.Certificate)
			assert.Equal(t, tc.cn, string(f.storedSecrets(t)[credName].Data[KeyCommonName]))
		})
	}
}

func TestUpdateService_RestoresSecretsWhenTheApplicationWriteFails(t *testing.T) {
	t.Parallel()
	reg := registered(t)
	app, stored := reg.app(t), reg.storedSecrets(t)
	app.Spec.Services[0].Entries[0].RequestParametersSecretName = ""
	delete(stored, paramsName)
	f := newMockFixture(t)
	f.expectGet(app)
	f.serveSecrets(stored)
	def := basicDefinition()
	def.API.Credentials = &Credentials{OAuth: &OAuth{URL: "https://auth.example.com", ClientID: "c", ClientSecret: "s"}}
	def.API.QueryParameters = map[string][]string{"q": {"1"}}

	var restored credential.Secret
	gomock.InOrder(
		f.secrets.EXPECT().Put(gomock.Any(), gomock.Any()).Return(credential.Secret{}, false, nil),
		f.secrets.EXPECT().Put(gomock.Any(), gomock.Any()).Return(credential.Secret{}, true, nil),
		f.apps.EXPECT().Update(gomock.Any(), testApp, gomock.Any()).Return(application.Application{}, errors.New("conflict storm")),
		f.secrets.EXPECT().Delete(gomock.Any(), paramsName).Return(nil),
		f.secrets.EXPECT().Put(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, s credential.Secret) (credential.Secret, bool, error) {
			restored = s
			return s, false, nil
		}),
	)
	_, err := f.svc.UpdateService(context.Background(), testApp, testID, def)
	require.ErrorContains(t, err, "conflict storm")
	assert.Equal(t, credName, restored.Name)
	assert.Equal(t, "alice", string(restored.Data["username"]), "the previous Basic credentials are back")
	assert.Empty(t, restored.ResourceVersion)
}

func TestUpdateService_Refusals(t *testing.T) {
	t.Parallel()
	t.Run("name change", func(t *testing.T) {
		t.Parallel()
		f := registered(t)
		def := basicDefinition()
		def.Name = "Renamed"
		_, err := f.svc.UpdateService(context.Background(), testApp, testID, def)
		requireMetadataError(t, err, application.ErrInvalid, "Cannot change service name to Renamed for service with ID "+testID)
	})
	t.Run("unknown service", func(t *testing.T) {
		t.Parallel()
		f := registered(t)
		_, err := f.svc.UpdateService(context.Background(), testApp, "nope", basicDefinition())
		requireMetadataError(t, err, application.ErrNotFound, "Service with ID nope not found")
	})
	t.Run("unknown application", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		_, err := f.svc.UpdateService(context.Background(), testApp, testID, basicDefinition())
		requireMetadataError(t, err, application.ErrNotFound, "Application mp-sales not found")
	})
	t.Run("invalid definition", func(t *testing.T) {
		t.Parallel()
		f := registered(t)
		before := f.storedSecrets(t)
		def := basicDefinition()
		def.API.TargetURL = ""
		_, err := f.svc.UpdateService(context.Background(), testApp, testID, def)
		var ve *ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, before, f.storedSecrets(t))
	})
	t.Run("service deleted concurrently", func(t *testing.T) {
		t.Parallel()
		reg := registered(t)
		// The update reads the registered service, then finds it gone.
		f := newFixture(t, func(a ports.ApplicationRepository, s ports.SecretStore) (ports.ApplicationRepository, ports.SecretStore) {
			return staleGet{a, reg.app(t)}, s
		})
		f.putApp(t, emptyApp())
		f.putSecrets(t, reg.storedSecrets(t))
		before := f.storedSecrets(t)
		_, err := f.svc.UpdateService(context.Background(), testApp, testID, basicDefinition())
		requireMetadataError(t, err, application.ErrNotFound, "Service with ID "+testID+" not found")
		after := f.storedSecrets(t)
		require.Len(t, after, len(before))
		for name, s := range before {
			assert.Equal(t, s.Data, after[name].Data, "the rollback restores %s", name)
		}
	})
}

func TestDeleteService(t *testing.T) {
	t.Parallel()
	t.Run("removes the entry and the secrets", func(t *testing.T) {
		t.Parallel()
		f := registered(t)
		require.Len(t, f.storedSecrets(t), 2)
		require.NoError(t, f.svc.DeleteService(context.Background(), testApp, testID))
		assert.Empty(t, f.app(t).Spec.Services)
		assert.Empty(t, f.storedSecrets(t))
	})
	t.Run("unknown service succeeds and cleans leftovers", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.putApp(t, emptyApp())
		f.putSecrets(t, map[string]credential.Secret{credName: {
			Name: credName, Labels: map[string]string{labelApp: testApp, labelServiceID: testID},
		}})
		require.NoError(t, f.svc.DeleteService(context.Background(), testApp, testID))
		assert.Empty(t, f.storedSecrets(t))
	})
	t.Run("a secret of that name the registry did not write is kept", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.putApp(t, emptyApp())
		keep := map[string]credential.Secret{}
		for name, labels := range map[string]map[string]string{
			CredentialSecretName(testApp, "basic"):        nil,
			RequestParametersSecretName(testApp, "basic"): {labelApp: testApp, labelServiceID: "other"},
		} {
			keep[name] = credential.Secret{Name: name, Labels: labels}
		}
		f.putSecrets(t, keep)
		require.NoError(t, f.svc.DeleteService(context.Background(), testApp, "basic"))
		assert.Len(t, f.storedSecrets(t), 2)
	})
	t.Run("an id that cannot name a secret", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.putApp(t, emptyApp())
		require.NoError(t, f.svc.DeleteService(context.Background(), testApp, "Not_A_Name"))
	})
	t.Run("unknown application", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		err := f.svc.DeleteService(context.Background(), testApp, testID)
		requireMetadataError(t, err, application.ErrNotFound, "Application mp-sales not found")
	})
	t.Run("secret deletion failure is returned", func(t *testing.T) {
		t.Parallel()
		f := newMockFixture(t)
		f.apps.EXPECT().Update(gomock.Any(), testApp, gomock.Any()).Return(application.Application{}, errUnchanged)
		f.secrets.EXPECT().Get(gomock.Any(), credName).Return(credential.Secret{
			Name: credName, Labels: map[string]string{labelApp: testApp, labelServiceID: testID},
		}, nil)
		f.secrets.EXPECT().Delete(gomock.Any(), credName).Return(errors.New("io"))
		err := f.svc.DeleteService(context.Background(), testApp, testID)
		require.ErrorContains(t, err, "delete secret "+credName)
	})
}
