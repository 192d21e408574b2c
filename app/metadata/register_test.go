package metadata

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

func TestRegisterService_Basic(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.putApp(t, emptyApp())

	id, err := f.svc.RegisterService(context.Background(), testApp, basicDefinition())
	require.NoError(t, err)
	assert.Equal(t, testID, id)
	app, written := f.app(t), f.storedSecrets(t)

	require.Len(t, app.Spec.Services, 1)
	svc := app.Spec.Services[0]
	assert.Equal(t, testID, svc.ID)
	assert.Equal(t, "ext-1", svc.Identifier)
	assert.Equal(t, application.NormalizeServiceNameWithID("Sales Orders", testID), svc.Name)
	assert.Equal(t, "Sales Orders", svc.DisplayName)
	assert.Equal(t, "Orders API", svc.Description)
	assert.Equal(t, "Orders API", svc.LongDescription)
	assert.Equal(t, "SAP", svc.ProviderDisplayName)
	assert.Equal(t, map[string]string{"team": "a", "connected-app": testApp}, svc.Labels, "connected-app is forced")
	require.Len(t, svc.Entries, 2)
	api := svc.Entries[0]
	assert.Equal(t, application.Entry{
		Type:              application.EntryTypeAPI,
		TargetURL:         "https://orders.example.com/api",
		SpecificationURL:  "https://orders.example.com/spec",
		APIType:           "odata",
		CentralGatewayURL: "http://gw.local:8080/mp-sales/sales-orders",
		Credentials: &application.Credentials{
			Type:       application.CredentialBasic,
			SecretName: "mp-sales-" + testID,
			CSRFInfo:   &application.CSRFInfo{TokenEndpointURL: "https://orders.example.com/csrf"},
		},
	}, api)
	assert.Equal(t, application.Entry{Type: application.EntryTypeEvents}, svc.Entries[1])
	require.NoError(t, app.Validate())

	require.Len(t, written, 1, "no request parameters, no params secret")
	sec := written["mp-sales-"+testID]
	assert.Equal(t, map[string]string{"app": testApp, "serviceId": testID}, sec.Labels)
	creds, err := credential.Parse(*api.Credentials, sec)
	require.NoError(t, err)
	assert.Equal(t, &credential.Basic{Username: "alice", Password: "s3cret"}, creds.Basic)
	assert.Equal(t, "https://orders.example.com/csrf", creds.CSRFTokenURL)
}

func TestRegisterService_OAuthWithParameters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.putApp(t, emptyApp())

	def := ServiceDefinition{
		Provider: "p", Name: "Orders", Description: "d", ShortDescription: "short",
		API: &API{
			TargetURL: "https://orders.example.com",
			Credentials: &Credentials{OAuth: &OAuth{
				URL: "https://auth.example.com/token", ClientID: "cid", ClientSecret: "csecret",
				RequestParameters: &RequestParameters{Headers: map[string][]string{"X-Tenant": {"t1"}}},
			}},
			RequestParameters: &RequestParameters{
				Headers:         map[string][]string{"X-Api-Key": {"k1"}},
				QueryParameters: map[string][]string{"client": {"100"}},
			},
			// Deprecated fields are ignored when requestParameters is given.
			Headers: map[string][]string{"X-Ignored": {"x"}},
		},
	}
	_, err := f.svc.RegisterService(context.Background(), testApp, def)
	require.NoError(t, err)
	app, written := f.app(t), f.storedSecrets(t)

	svc := app.Spec.Services[0]
	assert.Equal(t, "short", svc.Description)
	assert.Equal(t, "d", svc.LongDescription)
	require.Len(t, svc.Entries, 1)
	entry := svc.Entries[0]
	assert.Equal(t, application.CredentialOAuth, entry.Credentials.Type)
	assert.Equal(t, "https://auth.example.com/token", entry.Credentials.AuthenticationURL)
	assert.Equal(t, "params-mp-sales-"+testID, entry.RequestParametersSecretName)
	require.NoError(t, app.Validate())

	creds, err := credential.Parse(*entry.Credentials, written[entry.Credentials.SecretName])
	require.NoError(t, err)
	assert.Equal(t, "cid", creds.OAuth.ClientID)
	assert.Equal(t, "csecret", creds.OAuth.ClientSecret)
	assert.Equal(t, "https://auth.example.com/token", creds.OAuth.TokenURL)
	assert.Equal(t, map[string][]string{"X-Tenant": {"t1"}}, creds.OAuth.TokenRequest.Headers)

	params, err := credential.ParseRequestParameters(written[entry.RequestParametersSecretName])
	require.NoError(t, err)
	assert.Equal(t, credential.RequestParameters{
		Headers:         map[string][]string{"X-Api-Key": {"k1"}},
		QueryParameters: map[string][]string{"client": {"100"}},
	}, params)
}

func TestRegisterService_DeprecatedParametersAndCertificate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.putApp(t, emptyApp())

	def := ServiceDefinition{
		Provider: "p", Name: "Certs", Description: "d",
		API: &API{
			TargetURL:       "https://mtls.example.com",
			Credentials:     &Credentials{CertificateGen: &CertificateGen{CommonName: "orders-client"}},
			QueryParameters: map[string][]string{"sap-client": {"100"}},
		},
	}
	_, err := f.svc.RegisterService(context.Background(), testApp, def)
	require.NoError(t, err)
	assert.Equal(t, []string{"orders-client"}, f.certCalls)
	app, written := f.app(t), f.storedSecrets(t)

	entry := app.Spec.Services[0].Entries[0]
	assert.Equal(t, application.CredentialCertificateGen, entry.Credentials.Type)
	sec := written[entry.Credentials.SecretName]
	assert.Equal(t, "orders-client", string(sec.Data[KeyCommonName]))
	creds, err := credential.Parse(*entry.Credentials, sec)
	require.NoError(t, err, "generated key and certificate must belong together")
	assert.NotNil(t, creds.Certificate)

	raw := written[entry.RequestParametersSecretName].Data[credential.KeyQueryParameters]
	var q map[string][]string
	require.NoError(t, json.Unmarshal(raw, &q))
	assert.Equal(t, map[string][]string{"sap-client": {"100"}}, q)
}

func TestRegisterService_Refusals(t *testing.T) {
	t.Parallel()
	existing := application.Application{Name: testApp, Spec: application.Spec{Services: []application.Service{{
		ID: "other", Name: "sales-orders-abcde", DisplayName: "Sales-Orders", Identifier: "ext-1",
		ProviderDisplayName: "p", Description: "d",
	}}}}

	t.Run("invalid definition touches nothing", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.putApp(t, emptyApp())
		before := f.app(t)
		_, err := f.svc.RegisterService(context.Background(), testApp, ServiceDefinition{})
		var ve *ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, before, f.app(t))
		assert.Empty(t, f.storedSecrets(t))
	})
	t.Run("application not found", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		_, err := f.svc.RegisterService(context.Background(), testApp, basicDefinition())
		requireMetadataError(t, err, application.ErrNotFound, "Application mp-sales not found")
	})
	t.Run("identifier taken", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.putApp(t, existing)
		_, err := f.svc.RegisterService(context.Background(), testApp, basicDefinition())
		requireMetadataError(t, err, application.ErrConflict, "Service with Identifier ext-1 already exists")
		assert.Empty(t, f.storedSecrets(t))
	})
	t.Run("normalised name taken", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.putApp(t, existing)
		def := basicDefinition()
		def.Identifier = ""
		_, err := f.svc.RegisterService(context.Background(), testApp, def)
		requireMetadataError(t, err, application.ErrInvalid, "Service with name Sales Orders already exists")
		assert.Empty(t, f.storedSecrets(t))
	})
	t.Run("storage failure reading the application", func(t *testing.T) {
		t.Parallel()
		f := newMockFixture(t)
		boom := errors.New("disk on fire")
		f.apps.EXPECT().Get(gomock.Any(), testApp).Return(application.Application{}, boom)
		_, err := f.svc.RegisterService(context.Background(), testApp, basicDefinition())
		require.ErrorIs(t, err, boom)
		var e *Error
		assert.False(t, errors.As(err, &e), "a storage failure is not a client error")
	})
}

func TestRegisterService_RollsBackSecrets(t *testing.T) {
	t.Parallel()
	withParams := func() ServiceDefinition {
		d := basicDefinition()
		d.API.RequestParameters = &RequestParameters{Headers: map[string][]string{"X-A": {"1"}}}
		return d
	}

	t.Run("application update fails", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, func(a ports.ApplicationRepository, s ports.SecretStore) (ports.ApplicationRepository, ports.SecretStore) {
			return failingUpdate{a, errors.New("write failed")}, s
		})
		f.putApp(t, emptyApp())
		_, err := f.svc.RegisterService(context.Background(), testApp, withParams())
		require.ErrorContains(t, err, "write failed")
		assert.Empty(t, f.storedSecrets(t), "both Secrets are rolled back")
	})
	t.Run("a concurrent registration took the name", func(t *testing.T) {
		t.Parallel()
		// Between the read and the update another client registers the same name.
		f := newFixture(t, func(a ports.ApplicationRepository, s ports.SecretStore) (ports.ApplicationRepository, ports.SecretStore) {
			return staleGet{a, emptyApp()}, s
		})
		concurrent := emptyApp()
		concurrent.Spec.Services = []application.Service{{ID: "x", Name: "n", DisplayName: "sales orders"}}
		f.putApp(t, concurrent)
		before := f.app(t)
		def := withParams()
		def.Identifier = ""
		_, err := f.svc.RegisterService(context.Background(), testApp, def)
		requireMetadataError(t, err, application.ErrInvalid, "Service with name Sales Orders already exists")
		assert.Equal(t, before, f.app(t))
		assert.Empty(t, f.storedSecrets(t), "both Secrets are rolled back")
	})
	t.Run("second secret write fails", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, func(a ports.ApplicationRepository, s ports.SecretStore) (ports.ApplicationRepository, ports.SecretStore) {
			return a, failingPut{s, paramsName, errors.New("full")}
		})
		f.putApp(t, emptyApp())
		before := f.app(t)
		_, err := f.svc.RegisterService(context.Background(), testApp, withParams())
		require.ErrorContains(t, err, "write secret "+paramsName)
		assert.Empty(t, f.storedSecrets(t), "the first Secret is rolled back")
		assert.Equal(t, before, f.app(t))
	})
	t.Run("resulting application invalid", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		// A stored Application whose name is not a valid object name (written before
		// validation existed) cannot take a new service.
		_, _, err := f.apps.Put(t.Context(), application.Application{Name: "Bad_Name"})
		require.NoError(t, err)
		_, err = f.svc.RegisterService(context.Background(), "Bad_Name", basicDefinition())
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.ErrorIs(t, err, application.ErrInvalid)
		assert.Contains(t, e.Message, "metadata.name")
		assert.Empty(t, f.storedSecrets(t), "the Secret is rolled back")
	})
}
