package metadata

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/appconnector/appconnector/domain/application"
)

func TestSecretNames(t *testing.T) {
	t.Parallel()
	const id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
	tests := map[string]struct {
		app, wantCred, wantParams string
	}{
		"short application": {
			app:        "short-application",
			wantCred:   "short-application-" + id,
			wantParams: "params-short-application-" + id,
		},
		"long application is cut to leave room for the id (Kyma's example)": {
			app:        "toolong_application_aaaaaxxxx",
			wantCred:   "toolong_application_aaaaax-" + id,
			wantParams: ("params-toolong_application_aaaaax-" + id)[:63],
		},
		"cut never leaves a separator before the id": {
			app:        strings.Repeat("a", 25) + ".bbbb",
			wantCred:   strings.Repeat("a", 25) + "-" + id,
			wantParams: ("params-" + strings.Repeat("a", 25) + "-" + id)[:63],
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cred, params := CredentialSecretName(tc.app, id), RequestParametersSecretName(tc.app, id)
			assert.Equal(t, tc.wantCred, cred)
			assert.Equal(t, tc.wantParams, params)
			assert.LessOrEqual(t, len(cred), 63)
			assert.LessOrEqual(t, len(params), 63)
		})
	}
	t.Run("names of valid applications are valid object names", func(t *testing.T) {
		t.Parallel()
		for _, app := range []string{"a", "mp-sales", strings.Repeat("x", 26) + "-y", strings.Repeat("a.", 40) + "b"} {
			assert.Empty(t, application.CheckName(CredentialSecretName(app, id)), app)
			assert.Empty(t, application.CheckName(RequestParametersSecretName(app, id)), app)
		}
	})
}

func TestServiceLabels(t *testing.T) {
	t.Parallel()
	in := map[string]string{"connected-app": "other", "k": "v"}
	out := serviceLabels("app", in)
	assert.Equal(t, map[string]string{"connected-app": "app", "k": "v"}, out)
	assert.Equal(t, "other", in["connected-app"], "the caller's map is not modified")
	assert.Equal(t, map[string]string{"connected-app": "app"}, serviceLabels("app", nil))
}
