package application

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validApp() Application {
	return Application{Name: "my-app", Spec: Spec{
		Description: "d",
		Services: []Service{{
			ID: "a1", Name: "orders", DisplayName: "Orders", Description: "d", ProviderDisplayName: "p",
			Entries: []Entry{{
				Type: EntryTypeAPI, TargetURL: "https://orders.example.com/api",
				Credentials: &Credentials{Type: CredentialOAuth, SecretName: "orders-secret",
					AuthenticationURL: "https://auth.example.com/token",
					CSRFInfo:          &CSRFInfo{TokenEndpointURL: "https://orders.example.com/csrf"}},
				RequestParametersSecretName: "params-orders",
			}, {Type: EntryTypeEvents}},
		}},
	}}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		mutate    func(a *Application)
		wantField string
		wantText  string
	}{
		"valid":                   {mutate: func(*Application) {}},
		"empty name":              {mutate: func(a *Application) { a.Name = "" }, wantField: "metadata.name"},
		"upper-case name":         {mutate: func(a *Application) { a.Name = "MyApp" }, wantField: "metadata.name"},
		"name too long":           {mutate: func(a *Application) { a.Name = strings.Repeat("a", 254) }, wantField: "metadata.name", wantText: "253"},
		"relative target":         {mutate: func(a *Application) { a.Spec.Services[0].Entries[0].TargetURL = "/orders" }, wantField: "spec.services[0].entries[0].targetUrl"},
		"ftp target":              {mutate: func(a *Application) { a.Spec.Services[0].Entries[0].TargetURL = "ftp://x/y" }, wantField: "spec.services[0].entries[0].targetUrl"},
		"missing API target":      {mutate: func(a *Application) { a.Spec.Services[0].Entries[0].TargetURL = "" }, wantField: "spec.services[0].entries[0].targetUrl"},
		"user info in target":     {mutate: func(a *Application) { a.Spec.Services[0].Entries[0].TargetURL = "https://u:p@x" }, wantField: "spec.services[0].entries[0].targetUrl"},
		"unknown entry type":      {mutate: func(a *Application) { a.Spec.Services[0].Entries[0].Type = "Api" }, wantField: "spec.services[0].entries[0].type"},
		"unknown credential type": {mutate: func(a *Application) { a.Spec.Services[0].Entries[0].Credentials.Type = "basic" }, wantField: "spec.services[0].entries[0].credentials.type"},
		"missing secret name":     {mutate: func(a *Application) { a.Spec.Services[0].Entries[0].Credentials.SecretName = "" }, wantField: "spec.services[0].entries[0].credentials.secretName"},
		"OAuth needs token URL":   {mutate: func(a *Application) { a.Spec.Services[0].Entries[0].Credentials.AuthenticationURL = "" }, wantField: "spec.services[0].entries[0].credentials.authenticationUrl"},
		"bad CSRF URL":            {mutate: func(a *Application) { a.Spec.Services[0].Entries[0].Credentials.CSRFInfo.TokenEndpointURL = "nope" }, wantField: "spec.services[0].entries[0].credentials.csrfInfo.tokenEndpointURL"},
		"bad params secret name":  {mutate: func(a *Application) { a.Spec.Services[0].Entries[0].RequestParametersSecretName = "Bad_Name" }, wantField: "spec.services[0].entries[0].requestParametersSecretName"},
		"duplicate service id": {mutate: func(a *Application) {
			s := a.Spec.Services[0]
			s.Name = "other"
			a.Spec.Services = append(a.Spec.Services, s)
		}, wantField: "spec.services[1].id"},
		"missing service id": {mutate: func(a *Application) { a.Spec.Services[0].ID = "" }, wantField: "spec.services[0].id"},
		"bad access label":   {mutate: func(a *Application) { a.Spec.AccessLabel = "-x" }, wantField: "spec.accessLabel"},
		"empty client id": {mutate: func(a *Application) {
			a.Spec.CompassMetadata = &CompassMetadata{Authentication: Authentication{ClientIDs: []string{""}}}
		}, wantField: "spec.compassMetadata.authentication.clientIds[0]"},
		"no credentials is ok": {mutate: func(a *Application) { a.Spec.Services[0].Entries[0].Credentials = nil }},
		"kubernetes labels are ok": {mutate: func(a *Application) {
			a.Labels = map[string]string{"app": "", "example.com/My_Name.1": "v-1.x_Y", strings.Repeat("p", 253) + "/" + strings.Repeat("n", 63): strings.Repeat("v", 63)}
		}},
		"label key with spaces and two slashes": {mutate: func(a *Application) { a.Labels = map[string]string{"bad key!!/x/y": "v"} },
			wantField: `metadata.labels["bad key!!/x/y"]`, wantText: "qualified name"},
		"label key name part too long": {mutate: func(a *Application) { a.Labels = map[string]string{strings.Repeat("n", 64): "v"} },
			wantField: `metadata.labels["` + strings.Repeat("n", 64) + `"]`, wantText: "63"},
		"label key prefix not a DNS subdomain": {mutate: func(a *Application) { a.Labels = map[string]string{"Example.com/x": "v"} },
			wantField: `metadata.labels["Example.com/x"]`, wantText: "prefix"},
		"label key empty prefix": {mutate: func(a *Application) { a.Labels = map[string]string{"/x": "v"} },
			wantField: `metadata.labels["/x"]`, wantText: "prefix"},
		"label key empty name": {mutate: func(a *Application) { a.Labels = map[string]string{"example.com/": "v"} },
			wantField: `metadata.labels["example.com/"]`, wantText: "name part"},
		"empty label key": {mutate: func(a *Application) { a.Labels = map[string]string{"": "v"} },
			wantField: `metadata.labels[""]`},
		"label value of 500 KB": {mutate: func(a *Application) { a.Labels = map[string]string{"big": strings.Repeat("x", 500_000)} },
			wantField: `metadata.labels["big"]`, wantText: "at most 63 characters"},
		"label value with spaces": {mutate: func(a *Application) { a.Labels = map[string]string{"k": "two words"} },
			wantField: `metadata.labels["k"]`, wantText: "value"},
		"resource version not issued by any store": {mutate: func(a *Application) { a.ResourceVersion = "abc" },
			wantField: "metadata.resourceVersion", wantText: `"abc"`},
		"resource version negative": {mutate: func(a *Application) { a.ResourceVersion = "-1" },
			wantField: "metadata.resourceVersion"},
		"resource version is a number": {mutate: func(a *Application) { a.ResourceVersion = "42" }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			app := validApp()
			tc.mutate(&app)
			err := app.Validate()
			if tc.wantField == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
			var ve *ValidationError
			require.True(t, errors.As(err, &ve))
			fields := make([]string, len(ve.Errors))
			for i, fe := range ve.Errors {
				fields[i] = fe.Field
			}
			assert.Contains(t, fields, tc.wantField)
			assert.Contains(t, err.Error(), tc.wantText)
		})
	}
}

func TestValidateKeepsHugeLabelsOutOfTheMessage(t *testing.T) {
	t.Parallel()
	app := validApp()
	huge := strings.Repeat("k", 100_000)
	app.Labels = map[string]string{huge: strings.Repeat("v", 500_000)}
	err := app.Validate()
	require.ErrorIs(t, err, ErrInvalid)
	assert.Less(t, len(err.Error()), 1000, "a 600 KB label is named, not echoed")
}

func TestValidateNeverEchoesUserInfo(t *testing.T) {
	t.Parallel()
	app := validApp()
	app.Spec.Services[0].Entries[0].TargetURL = "https://user:s3cr3t@x"
	err := app.Validate()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cr3t")
}

func TestEncodesURLDefaultsToTrue(t *testing.T) {
	t.Parallel()
	f := false
	assert.True(t, Spec{}.EncodesURL())
	assert.False(t, Spec{EncodeURL: &f}.EncodesURL())
}

func TestDeepCopyIsIndependent(t *testing.T) {
	t.Parallel()
	a := validApp()
	a.Labels = map[string]string{"k": "v"}
	b := a.DeepCopy()
	b.Labels["k"] = "changed"
	b.Spec.Services[0].Entries[0].Credentials.SecretName = "changed"
	b.Spec.Services[0].Entries[0].Credentials.CSRFInfo.TokenEndpointURL = "changed"
	assert.Equal(t, "v", a.Labels["k"])
	assert.Equal(t, "orders-secret", a.Spec.Services[0].Entries[0].Credentials.SecretName)
	assert.Equal(t, "https://orders.example.com/csrf", a.Spec.Services[0].Entries[0].Credentials.CSRFInfo.TokenEndpointURL)
	assert.Equal(t, a.Spec, validApp().Spec)
}

func TestSecretNames(t *testing.T) {
	t.Parallel()
	a := validApp()
	a.Spec.Services = append(a.Spec.Services, a.Spec.Services[0])
	assert.Equal(t, []string{"orders-secret", "params-orders"}, a.SecretNames())
}
