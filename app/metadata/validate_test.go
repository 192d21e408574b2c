package metadata

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		mutate func(d *ServiceDefinition)
		want   string // exact message; empty means valid
	}{
		"valid":               {mutate: func(*ServiceDefinition) {}},
		"events only":         {mutate: func(d *ServiceDefinition) { d.API = nil }},
		"api only":            {mutate: func(d *ServiceDefinition) { d.Events = nil }},
		"null spec is absent": {mutate: func(d *ServiceDefinition) { d.API.Spec = []byte("null") }},
		"required fields": {
			mutate: func(d *ServiceDefinition) { d.Provider, d.Name, d.Description = "", "", "" },
			want:   "Incorrect structure of service definition, Provider field cannot be empty.; Name field cannot be empty.; Description field cannot be empty.",
		},
		"name without letters": {
			mutate: func(d *ServiceDefinition) { d.Name = "!!!" },
			want:   "Incorrect structure of service definition, Name field must contain at least one letter or digit.",
		},
		"neither api nor events": {
			mutate: func(d *ServiceDefinition) { d.API, d.Events = nil, nil },
			want:   "At least one of service definition attributes: 'api', 'events' have to be provided",
		},
		"empty target url": {
			mutate: func(d *ServiceDefinition) { d.API.TargetURL = "" },
			want:   "Incorrect structure of service definition, targetUrl field cannot be empty.",
		},
		"relative target url": {
			mutate: func(d *ServiceDefinition) { d.API.TargetURL = "orders.example.com/api" },
			want:   "Incorrect structure of service definition, targetUrl: must be an absolute http or https URL",
		},
		"target url with user info is refused without echoing it": {
			mutate: func(d *ServiceDefinition) { d.API.TargetURL = "https://bob:hunter2@orders.example.com" },
			want:   "Incorrect structure of service definition, targetUrl: must not carry user information; put credentials in a Secret",
		},
		"bad specification url": {
			mutate: func(d *ServiceDefinition) { d.API.SpecificationURL = "ftp://x" },
			want:   "Incorrect structure of service definition, specificationUrl: must be an absolute http or https URL",
		},
		"api spec not an object": {
			mutate: func(d *ServiceDefinition) { d.API.Spec = []byte(`["a"]`) },
			want:   "api.Spec is not a proper json object",
		},
		"api spec not json": {
			mutate: func(d *ServiceDefinition) { d.API.Spec = []byte(`{"a"`) },
			want:   "api.Spec is not a proper json object",
		},
		"events spec missing": {
			mutate: func(d *ServiceDefinition) { d.Events.Spec = nil },
			want:   "Incorrect structure of service definition, spec cannot be empty",
		},
		"events spec a string": {
			mutate: func(d *ServiceDefinition) { d.Events.Spec = []byte(`"x"`) },
			want:   "events.Spec is not a proper json object",
		},
		"two credential types": {
			mutate: func(d *ServiceDefinition) {
				d.API.Credentials.OAuth = &OAuth{URL: "https://auth.example.com/token", ClientID: "c", ClientSecret: "s"}
			},
			want: "api.CredentialsWithCSRF is invalid: too many authentication methods provided",
		},
		"basic without password": {
			mutate: func(d *ServiceDefinition) { d.API.Credentials.Basic.Password = "" },
			want:   "Incorrect structure of service definition, basic auth password field cannot be empty",
		},
		"basic without username": {
			mutate: func(d *ServiceDefinition) { d.API.Credentials.Basic.Username = "" },
			want:   "Incorrect structure of service definition, basic auth username field cannot be empty",
		},
		"empty csrf url": {
			mutate: func(d *ServiceDefinition) { d.API.Credentials.Basic.CSRFInfo.TokenEndpointURL = "" },
			want:   "Incorrect structure of service definition, tokenEndpointURL field cannot be empty",
		},
		"bad csrf url": {
			mutate: func(d *ServiceDefinition) { d.API.Credentials.Basic.CSRFInfo.TokenEndpointURL = "/csrf" },
			want:   "Incorrect structure of service definition, api.credentials.basic.csrfInfo.tokenEndpointURL: must be an absolute http or https URL",
		},
		"oauth missing everything": {
			mutate: func(d *ServiceDefinition) { d.API.Credentials = &Credentials{OAuth: &OAuth{}} },
			want:   "Incorrect structure of service definition, oauth url field cannot be empty; oauth clientId field cannot be empty; oauth clientSecret cannot be empty",
		},
		"oauth bad url": {
			mutate: func(d *ServiceDefinition) {
				d.API.Credentials = &Credentials{OAuth: &OAuth{URL: "token", ClientID: "c", ClientSecret: "s"}}
			},
			want: "Incorrect structure of service definition, api.credentials.oauth.url: must be an absolute http or https URL",
		},
		"certificateGen without common name": {
			mutate: func(d *ServiceDefinition) { d.API.Credentials = &Credentials{CertificateGen: &CertificateGen{}} },
			want:   "Incorrect structure of service definition, certificateGen commonName field cannot be empty",
		},
		"certificateGen common name too long": {
			mutate: func(d *ServiceDefinition) {
				d.API.Credentials = &Credentials{CertificateGen: &CertificateGen{CommonName: strings.Repeat("c", 65)}}
			},
			want: "Incorrect structure of service definition, certificateGen commonName must be at most 64 characters, got 65",
		},
		"bad header name": {
			mutate: func(d *ServiceDefinition) {
				d.API.RequestParameters = &RequestParameters{Headers: map[string][]string{"Bad Header": {"v"}}}
			},
			want: `Incorrect structure of service definition, api.requestParameters.headers: "Bad Header" is not a valid HTTP header name`,
		},
		"header value with newline, value not echoed": {
			mutate: func(d *ServiceDefinition) {
				d.API.Headers = map[string][]string{"X-Key": {"abc\r\nEvil: 1"}}
			},
			want: `Incorrect structure of service definition, api.headers: the value of "X-Key" must not contain CR, LF or NUL`,
		},
		"empty query parameter name": {
			mutate: func(d *ServiceDefinition) {
				d.API.RequestParameters = &RequestParameters{QueryParameters: map[string][]string{"": {"v"}}}
			},
			want: "Incorrect structure of service definition, api.requestParameters.queryParameters: parameter names must not be empty",
		},
		"two specification credentials": {
			mutate: func(d *ServiceDefinition) {
				d.API.SpecificationCredentials = &SpecificationCredentials{
					OAuth: &OAuth{URL: "https://a.example.com", ClientID: "c", ClientSecret: "s"},
					Basic: &Basic{Username: "u", Password: "p"},
				}
			},
			want: "api.SpecificationCredentials is invalid: too many authentication methods provided",
		},
		"documentation fields": {
			mutate: func(d *ServiceDefinition) { d.Documentation = &Documentation{} },
			want:   "Incorrect structure of service definition, displayName field cannot be empty in documentation; description field cannot be empty in documentation; type field cannot be empty in documentation",
		},
		"structure and rules together": {
			mutate: func(d *ServiceDefinition) { d.Provider = ""; d.API.Spec = []byte(`1`) },
			want:   "Incorrect structure of service definition, Provider field cannot be empty.; api.Spec is not a proper json object",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := basicDefinition()
			tc.mutate(&d)
			err := d.Validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
			assert.ErrorIs(t, err, application.ErrInvalid)
			var ve *ValidationError
			assert.ErrorAs(t, err, &ve)
			assert.NotContains(t, err.Error(), "s3cret")
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}
