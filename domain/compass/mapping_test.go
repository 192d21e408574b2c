package compass

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

const (
	gatewayBase = "http://central-application-gateway.kyma-system.svc.cluster.local:8082"
	appID       = "7f0c1e2d-3b4a-4c5d-8e6f-0a1b2c3d4e5f"
	bundleA     = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
	bundleB     = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
)

func strp(s string) *string { return &s }

var opts = MappingOptions{GatewayBaseURL: gatewayBase}

// fullDirectorApp has one bundle with Basic credentials, CSRF and request parameters,
// one with OAuth, and an event catalogue.
func fullDirectorApp() DirectorApplication {
	return DirectorApplication{
		ID:           appID,
		Name:         "orders-app",
		ProviderName: "ACME",
		Description:  "Orders of ACME",
		Labels:       map[string]any{"scenarios": []any{"DEFAULT"}},
		AuthIDs:      []string{"client-1", "client-2"},
		Bundles: []Bundle{
			{
				ID:                             bundleA,
				Name:                           "Orders API",
				Description:                    "The orders",
				InstanceAuthRequestInputSchema: strp(`{"type":"object"}`),
				APIDefinitions: []APIDefinition{
					{ID: "api-1", Name: "Orders v1", TargetURL: "https://orders.example.com/v1"},
					{ID: "api-2", Name: "Orders v2", TargetURL: "https://orders.example.com/v2"},
				},
				EventDefinitions: []EventDefinition{{ID: "ev-1", Name: "order.created"}},
				DefaultInstanceAuth: &Auth{
					Basic:                 &BasicCredential{Username: "user", Password: "s3cret"},
					AdditionalHeaders:     map[string][]string{"X-Tenant": {"t1"}},
					AdditionalQueryParams: map[string][]string{"client": {"a", "b"}},
					CSRFTokenEndpointURL:  "https://orders.example.com/csrf",
				},
			},
			{
				ID:   bundleB,
				Name: "Billing",
				APIDefinitions: []APIDefinition{
					{ID: "api-3", Name: "Invoices", TargetURL: "http://billing.example.com"},
				},
				DefaultInstanceAuth: &Auth{OAuth: &OAuthCredential{ClientID: "cid", ClientSecret: "csecret", URL: "https://auth.example.com/token"}},
			},
		},
	}
}

func TestToApplicationFull(t *testing.T) {
	got, err := ToApplication(fullDirectorApp(), "orders-app", MappingOptions{GatewayBaseURL: gatewayBase + "/", SkipVerify: true})
	require.NoError(t, err)

	basicSecret := "orders-app-" + bundleA
	paramsSecret := "params-orders-app-" + bundleA
	oauthSecret := "orders-app-" + bundleB
	basicCreds := &application.Credentials{
		Type: "Basic", SecretName: basicSecret,
		CSRFInfo: &application.CSRFInfo{TokenEndpointURL: "https://orders.example.com/csrf"},
	}
	want := application.Application{
		Name:   "orders-app",
		Labels: map[string]string{"applicationconnector.kyma-project.io/managed-by": "compass-runtime-agent"},
		Spec: application.Spec{
			Description: "Orders of ACME",
			SkipVerify:  true,
			Labels:      map[string]string{"connected-app": "orders-app"},
			CompassMetadata: &application.CompassMetadata{
				ApplicationID:  appID,
				Authentication: application.Authentication{ClientIDs: []string{"client-1", "client-2"}},
			},
			Services: []application.Service{
				{
					ID:                        bundleA,
					Identifier:                "",
					Name:                      application.NormalizeServiceNameWithID("Orders API", bundleA),
					DisplayName:               "Orders API",
					Description:               "The orders",
					AuthCreateParameterSchema: strp(`{"type":"object"}`),
					Entries: []application.Entry{
						{
							Type: "API", ID: "api-1", Name: "Orders v1", TargetURL: "https://orders.example.com/v1",
							CentralGatewayURL:           gatewayBase + "/orders-app/orders-api/orders-v1",
							Credentials:                 basicCreds,
							RequestParametersSecretName: paramsSecret,
						},
						{
							Type: "API", ID: "api-2", Name: "Orders v2", TargetURL: "https://orders.example.com/v2",
							CentralGatewayURL:           gatewayBase + "/orders-app/orders-api/orders-v2",
							Credentials:                 basicCreds,
							RequestParametersSecretName: paramsSecret,
						},
						{Type: "Events", ID: "ev-1", Name: "order.created"},
					},
				},
				{
					ID:          bundleB,
					Name:        application.NormalizeServiceNameWithID("Billing", bundleB),
					DisplayName: "Billing",
					Description: "Description not provided",
					Entries: []application.Entry{
						{
							Type: "API", ID: "api-3", Name: "Invoices", TargetURL: "http://billing.example.com",
							CentralGatewayURL: gatewayBase + "/orders-app/billing/invoices",
							Credentials:       &application.Credentials{Type: "OAuth", SecretName: oauthSecret, AuthenticationURL: "https://auth.example.com/token"},
						},
					},
				},
			},
		},
	}
	assert.Equal(t, want, got.Application)
	assert.Nil(t, got.Existing)
	assert.False(t, got.Application.Spec.SkipInstallation)
	assert.Empty(t, got.Application.Spec.ProviderDisplayName, "providerName is not copied")

	labelsA := map[string]string{"app": "orders-app", "bundleId": bundleA}
	labelsB := map[string]string{"app": "orders-app", "bundleId": bundleB}
	wantSecrets := []credential.Secret{
		{Name: basicSecret, Labels: labelsA, Data: map[string][]byte{"username": []byte("user"), "password": []byte("s3cret")}},
		{Name: paramsSecret, Labels: labelsA, Data: map[string][]byte{
			"headers":         []byte(`{"X-Tenant":["t1"]}`),
			"queryParameters": []byte(`{"client":["a","b"]}`),
		}},
		{Name: oauthSecret, Labels: labelsB, Data: map[string][]byte{"clientId": []byte("cid"), "clientSecret": []byte("csecret")}},
	}
	assert.Equal(t, wantSecrets, got.Secrets)
	assert.ElementsMatch(t, got.Application.SecretNames(), []string{basicSecret, paramsSecret, oauthSecret})

	// The entries are not aliased: changing one's credentials leaves the other's.
	got.Application.Spec.Services[0].Entries[0].Credentials.CSRFInfo.TokenEndpointURL = "x"
	assert.Equal(t, "https://orders.example.com/csrf", got.Application.Spec.Services[0].Entries[1].Credentials.CSRFInfo.TokenEndpointURL)
}

// checkGatewayUse asserts what the gateway relies on: the Application validates, every
// API entry resolves through the Compass URL form taken from its centralGatewayUrl, and
// every entry's Secrets parse as the gateway parses them.
func checkGatewayUse(t *testing.T, d Desired) {
	t.Helper()
	app := d.Application
	require.NoError(t, app.Validate())
	secrets := map[string]credential.Secret{}
	for _, s := range d.Secrets {
		require.NoError(t, s.Validate())
		secrets[s.Name] = s
	}
	for si, svc := range app.Spec.Services {
		for ei, e := range svc.Entries {
			if e.Type != application.EntryTypeAPI {
				continue
			}
			path := strings.TrimPrefix(e.CentralGatewayURL, gatewayBase+"/")
			parts := strings.Split(path, "/")
			require.Len(t, parts, 3, e.CentralGatewayURL)
			r, err := app.Resolve(application.Route{App: parts[0], Service: parts[1], Entry: parts[2]})
			require.NoError(t, err, e.CentralGatewayURL)
			assert.Equal(t, si, r.ServiceIndex)
			assert.Equal(t, ei, r.EntryIndex)
			assert.Equal(t, app.Name, parts[0])
			if e.Credentials != nil {
				s, ok := secrets[e.Credentials.SecretName]
				require.True(t, ok, "secret %s of entry %s is among Secrets", e.Credentials.SecretName, e.Name)
				_, err := credential.Parse(*e.Credentials, s)
				require.NoError(t, err)
			}
			if e.RequestParametersSecretName != "" {
				s, ok := secrets[e.RequestParametersSecretName]
				require.True(t, ok)
				p, err := credential.ParseRequestParameters(s)
				require.NoError(t, err)
				assert.False(t, p.IsEmpty())
			}
		}
	}
	for _, s := range d.Secrets {
		assert.Contains(t, app.SecretNames(), s.Name, "every Secret is referred to")
		assert.Equal(t, app.Name, s.Labels["app"])
	}
}

func TestToApplicationCases(t *testing.T) {
	tests := []struct {
		name  string
		app   func(*DirectorApplication)
		check func(t *testing.T, d Desired)
	}{
		{"full", func(*DirectorApplication) {}, func(t *testing.T, d Desired) {
			assert.Len(t, d.Secrets, 3)
		}},
		{"no bundles", func(a *DirectorApplication) { a.Bundles = nil }, func(t *testing.T, d Desired) {
			assert.NotNil(t, d.Application.Spec.Services)
			assert.Empty(t, d.Application.Spec.Services)
			assert.Empty(t, d.Secrets)
		}},
		{"no auths", func(a *DirectorApplication) { a.AuthIDs = nil }, func(t *testing.T, d Desired) {
			ids := d.Application.Spec.CompassMetadata.Authentication.ClientIDs
			assert.NotNil(t, ids, "clientIds is an empty array, not null")
			assert.Empty(t, ids)
			raw, err := json.Marshal(d.Application.Spec.CompassMetadata)
			require.NoError(t, err)
			assert.JSONEq(t, `{"applicationId":"`+appID+`","authentication":{"clientIds":[]}}`, string(raw))
		}},
		{"empty description", func(a *DirectorApplication) { a.Description = "" }, func(t *testing.T, d Desired) {
			assert.Equal(t, "Description not provided", d.Application.Spec.Description)
		}},
		{"bundle without auth", func(a *DirectorApplication) { a.Bundles[0].DefaultInstanceAuth = nil }, func(t *testing.T, d Desired) {
			for _, e := range d.Application.Spec.Services[0].Entries {
				assert.Nil(t, e.Credentials)
				assert.Empty(t, e.RequestParametersSecretName)
			}
			assert.Len(t, d.Secrets, 1)
		}},
		{"only request parameters", func(a *DirectorApplication) {
			a.Bundles[0].DefaultInstanceAuth = &Auth{AdditionalHeaders: map[string][]string{"X-A": {"1"}}}
		}, func(t *testing.T, d Desired) {
			e := d.Application.Spec.Services[0].Entries[0]
			assert.Nil(t, e.Credentials)
			assert.Equal(t, "params-orders-app-"+bundleA, e.RequestParametersSecretName)
			assert.Equal(t, map[string][]byte{"headers": []byte(`{"X-A":["1"]}`)}, d.Secrets[0].Data)
		}},
		{"only query parameters", func(a *DirectorApplication) {
			a.Bundles[0].DefaultInstanceAuth = &Auth{AdditionalQueryParams: map[string][]string{"q": {"1"}}}
		}, func(t *testing.T, d Desired) {
			assert.Equal(t, map[string][]byte{"queryParameters": []byte(`{"q":["1"]}`)}, d.Secrets[0].Data)
		}},
		{"empty request parameter maps", func(a *DirectorApplication) {
			a.Bundles[0].DefaultInstanceAuth.AdditionalHeaders = map[string][]string{}
			a.Bundles[0].DefaultInstanceAuth.AdditionalQueryParams = nil
		}, func(t *testing.T, d Desired) {
			assert.Empty(t, d.Application.Spec.Services[0].Entries[0].RequestParametersSecretName)
			assert.Len(t, d.Secrets, 2)
		}},
		{"CSRF without a credential is dropped", func(a *DirectorApplication) {
			a.Bundles[0].DefaultInstanceAuth = &Auth{CSRFTokenEndpointURL: "https://orders.example.com/csrf"}
		}, func(t *testing.T, d Desired) {
			assert.Nil(t, d.Application.Spec.Services[0].Entries[0].Credentials)
		}},
		{"OAuth without CSRF", func(a *DirectorApplication) {}, func(t *testing.T, d Desired) {
			assert.Nil(t, d.Application.Spec.Services[1].Entries[0].Credentials.CSRFInfo)
		}},
		{"bundle with auth but no API: no Secrets nobody refers to", func(a *DirectorApplication) {
			a.Bundles[0].APIDefinitions = nil
		}, func(t *testing.T, d Desired) {
			assert.Len(t, d.Secrets, 1)
			assert.Equal(t, "orders-app-"+bundleB, d.Secrets[0].Name)
			assert.Equal(t, []application.Entry{{Type: "Events", ID: "ev-1", Name: "order.created"}}, d.Application.Spec.Services[0].Entries)
		}},
		{"bundle without APIs and events", func(a *DirectorApplication) {
			a.Bundles[1].APIDefinitions = nil
		}, func(t *testing.T, d Desired) {
			assert.NotNil(t, d.Application.Spec.Services[1].Entries)
			assert.Empty(t, d.Application.Spec.Services[1].Entries)
		}},
		{"names normalised in the gateway URL", func(a *DirectorApplication) {
			a.Bundles[0].Name = "--Orders & Returns API--"
			a.Bundles[0].APIDefinitions[0].Name = "Orders (v1)!"
		}, func(t *testing.T, d Desired) {
			assert.Equal(t, gatewayBase+"/orders-app/orders-returns-api/orders-v1", d.Application.Spec.Services[0].Entries[0].CentralGatewayURL)
			assert.Equal(t, "orders-returns-api-"+application.NormalizeServiceNameWithID("", bundleA), d.Application.Spec.Services[0].Name)
		}},
		{"no schema", func(a *DirectorApplication) { a.Bundles[0].InstanceAuthRequestInputSchema = nil }, func(t *testing.T, d Desired) {
			assert.Nil(t, d.Application.Spec.Services[0].AuthCreateParameterSchema)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := fullDirectorApp()
			tt.app(&app)
			d, err := ToApplication(app, "orders-app", opts)
			require.NoError(t, err)
			checkGatewayUse(t, d)
			tt.check(t, d)
		})
	}
}

func TestToApplicationLongName(t *testing.T) {
	name := "mp-a-very-long-application-name-from-compass-1234"
	d, err := ToApplication(fullDirectorApp(), name, opts)
	require.NoError(t, err)
	checkGatewayUse(t, d)
	assert.Equal(t, "mp-a-very-long-application-"+bundleA, d.Secrets[0].Name)
	assert.Equal(t, "params-mp-a-very-long-appl-"+bundleA, d.Secrets[1].Name)
}

func TestToApplicationErrors(t *testing.T) {
	tests := []struct {
		name    string
		appName string
		app     func(*DirectorApplication)
		want    []string // substrings of the error
	}{
		{"both Basic and OAuth", "orders-app", func(a *DirectorApplication) {
			a.Bundles[1].DefaultInstanceAuth.Basic = &BasicCredential{Username: "u", Password: "p"}
		}, []string{bundleB, "both Basic and OAuth", "only one credential type"}},
		{"both Basic and OAuth on a bundle without APIs", "orders-app", func(a *DirectorApplication) {
			a.Bundles[1].DefaultInstanceAuth.Basic = &BasicCredential{Username: "u", Password: "p"}
			a.Bundles[1].APIDefinitions = nil
		}, []string{"both Basic and OAuth"}},
		{"OAuth without secret and URL", "orders-app", func(a *DirectorApplication) {
			a.Bundles[1].DefaultInstanceAuth.OAuth = &OAuthCredential{ClientID: "cid"}
		}, []string{"OAuth credential has no clientSecret, url"}},
		{"header without name", "orders-app", func(a *DirectorApplication) {
			a.Bundles[0].DefaultInstanceAuth.AdditionalHeaders = map[string][]string{"": {"x"}}
		}, []string{"additional header has no name"}},
		{"API without target URL", "orders-app", func(a *DirectorApplication) {
			a.Bundles[0].APIDefinitions[1].TargetURL = ""
		}, []string{"spec.services[0].entries[1].targetUrl", "must not be empty"}},
		{"API with a relative target URL", "orders-app", func(a *DirectorApplication) {
			a.Bundles[0].APIDefinitions[0].TargetURL = "/relative"
		}, []string{"targetUrl", "absolute"}},
		{"invalid CSRF URL", "orders-app", func(a *DirectorApplication) {
			a.Bundles[0].DefaultInstanceAuth.CSRFTokenEndpointURL = "not a url"
		}, []string{"csrfInfo.tokenEndpointURL"}},
		{"invalid Application name", "Orders_App", func(*DirectorApplication) {}, []string{"metadata.name"}},
		{"empty auth id", "orders-app", func(a *DirectorApplication) { a.AuthIDs = []string{""} }, []string{"clientIds[0]"}},
		{"duplicate bundle ids", "orders-app", func(a *DirectorApplication) { a.Bundles[1].ID = bundleA }, []string{"spec.services[1].id"}},
		{"empty bundle id", "orders-app", func(a *DirectorApplication) { a.Bundles[1].ID = "" }, []string{"spec.services[1].id"}},
		{"name too long for the Secrets' app label", strings.Repeat("a", 64), func(*DirectorApplication) {}, []string{`["app"]`, "at most 63"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := fullDirectorApp()
			tt.app(&app)
			_, err := ToApplication(app, tt.appName, opts)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), appID, "names the Director Application")
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, secret := range []string{"s3cret", "csecret"} {
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}
}

func TestToApplicationLongNameWithoutSecrets(t *testing.T) {
	// Without Secrets the name only has to be a valid object name.
	app := fullDirectorApp()
	for i := range app.Bundles {
		app.Bundles[i].DefaultInstanceAuth = nil
	}
	d, err := ToApplication(app, strings.Repeat("a", 100), opts)
	require.NoError(t, err)
	checkGatewayUse(t, d)
}
