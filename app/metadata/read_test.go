package metadata

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

func storedApp() application.Application {
	return application.Application{Name: testApp, Spec: application.Spec{Services: []application.Service{
		{
			ID: "basic", Identifier: "ext", Name: "b-12345", DisplayName: "Basic One", Description: "short",
			LongDescription: "long", ProviderDisplayName: "prov", Labels: map[string]string{"connected-app": testApp},
			Entries: []application.Entry{
				{Type: application.EntryTypeAPI, TargetURL: "https://t.example.com", APIType: "odata",
					Credentials: &application.Credentials{Type: application.CredentialBasic, SecretName: "mp-sales-basic",
						CSRFInfo: &application.CSRFInfo{TokenEndpointURL: "https://t.example.com/csrf"}},
					RequestParametersSecretName: "params-mp-sales-basic"},
				{Type: application.EntryTypeEvents},
			},
		},
		{
			ID: "oauth", Name: "o-12345", DisplayName: "OAuth One", Description: "agent wrote only this",
			Entries: []application.Entry{{Type: application.EntryTypeAPI, TargetURL: "https://o.example.com",
				Credentials: &application.Credentials{Type: application.CredentialOAuth, SecretName: "mp-sales-oauth",
					AuthenticationURL: "https://auth.example.com/token"}}},
		},
		{
			ID: "cert", Name: "c-12345", DisplayName: "Cert One", Description: "d",
			Entries: []application.Entry{{Type: application.EntryTypeAPI, TargetURL: "https://c.example.com",
				Credentials: &application.Credentials{Type: application.CredentialCertificateGen, SecretName: "mp-sales-cert"}}},
		},
	}}}
}

func TestGetService(t *testing.T) {
	t.Parallel()
	keyPEM, certPEM := fixedCertificate(t)
	tests := map[string]struct {
		id      string
		secrets map[string]credential.Secret
		want    ServiceDefinition
	}{
		"basic is masked, parameter values masked": {
			id: "basic",
			secrets: map[string]credential.Secret{"params-mp-sales-basic": {Name: "params-mp-sales-basic", Data: map[string][]byte{
				"headers": []byte(`{"X-Api-Key":["topsecret","second"]}`),
			}}},
			want: ServiceDefinition{
				Provider: "prov", Name: "Basic One", Description: "long", ShortDescription: "short", Identifier: "ext",
				Labels: map[string]string{"connected-app": testApp},
				API: &API{TargetURL: "https://t.example.com", APIType: "odata",
					Credentials: &Credentials{Basic: &Basic{Username: Masked, Password: Masked,
						CSRFInfo: &CSRFInfo{TokenEndpointURL: "https://t.example.com/csrf"}}},
					RequestParameters: &RequestParameters{Headers: map[string][]string{"X-Api-Key": {Masked, Masked}}}},
				Events: &Events{Spec: json.RawMessage("{}")},
			},
		},
		"oauth is masked, token parameters masked": {
			id: "oauth",
			secrets: map[string]credential.Secret{"mp-sales-oauth": {Name: "mp-sales-oauth", Data: map[string][]byte{
				"clientId": []byte("cid"), "clientSecret": []byte("cs"), "queryParameters": []byte(`{"aud":["x"]}`),
			}}},
			want: ServiceDefinition{
				Name: "OAuth One", Description: "agent wrote only this",
				API: &API{TargetURL: "https://o.example.com", Credentials: &Credentials{OAuth: &OAuth{
					URL: "https://auth.example.com/token", ClientID: Masked, ClientSecret: Masked,
					RequestParameters: &RequestParameters{QueryParameters: map[string][]string{"aud": {Masked}}},
				}}},
			},
		},
		"certificateGen shows common name and certificate": {
			id: "cert",
			secrets: map[string]credential.Secret{"mp-sales-cert": {Name: "mp-sales-cert", Data: map[string][]byte{
				"commonName": []byte("cn1"), "crt": certPEM, "key": keyPEM,
			}}},
			want: ServiceDefinition{
				Name: "Cert One", Description: "d",
				API: &API{TargetURL: "https://c.example.com", Credentials: &Credentials{CertificateGen: &CertificateGen{
					CommonName: "cn1", Certificate: base64.StdEncoding.EncodeToString(certPEM),
				}}},
			},
		},
		"missing secrets leave fields empty": {
			id: "cert",
			want: ServiceDefinition{
				Name: "Cert One", Description: "d",
				API: &API{TargetURL: "https://c.example.com", Credentials: &Credentials{CertificateGen: &CertificateGen{}}},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.putApp(t, storedApp())
			f.putSecrets(t, tc.secrets)
			got, err := f.svc.GetService(context.Background(), testApp, tc.id)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestGetService_Errors(t *testing.T) {
	t.Parallel()
	t.Run("unknown service", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.putApp(t, storedApp())
		_, err := f.svc.GetService(context.Background(), testApp, "nope")
		requireMetadataError(t, err, application.ErrNotFound, "Service with ID nope not found")
	})
	t.Run("unknown application", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		_, err := f.svc.GetService(context.Background(), "ghost", "x")
		requireMetadataError(t, err, application.ErrNotFound, "Application ghost not found")
	})
	t.Run("secret store failure", func(t *testing.T) {
		t.Parallel()
		f := newMockFixture(t)
		f.apps.EXPECT().Get(gomock.Any(), testApp).Return(storedApp(), nil)
		f.secrets.EXPECT().Get(gomock.Any(), "mp-sales-cert").Return(credential.Secret{}, errors.New("io"))
		_, err := f.svc.GetService(context.Background(), testApp, "cert")
		require.ErrorContains(t, err, "read secret mp-sales-cert: io")
	})
}

func TestListServices(t *testing.T) {
	t.Parallel()
	t.Run("summaries", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.putApp(t, storedApp())
		got, err := f.svc.ListServices(context.Background(), testApp)
		require.NoError(t, err)
		require.Len(t, got, 3)
		assert.Equal(t, ServiceSummary{ID: "basic", Provider: "prov", Name: "Basic One", Description: "long",
			Identifier: "ext", Labels: map[string]string{"connected-app": testApp}}, got[0])
		assert.Equal(t, "agent wrote only this", got[1].Description)
	})
	t.Run("empty is not nil", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.putApp(t, emptyApp())
		got, err := f.svc.ListServices(context.Background(), testApp)
		require.NoError(t, err)
		assert.NotNil(t, got)
		assert.Empty(t, got)
	})
	t.Run("unknown application", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		_, err := f.svc.ListServices(context.Background(), testApp)
		requireMetadataError(t, err, application.ErrNotFound, "Application mp-sales not found")
	})
}
