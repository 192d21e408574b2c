package compass

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/appconnector/appconnector/domain/application"
)

const bundleUUID = "b3a9f7c0-1d2e-4f5a-8b6c-7d8e9f0a1b2c"

// Kyma's examples (compass.md 1.8), with '_' turned into '-' so that the names are valid
// Kubernetes names (see CredentialSecretName).
func TestSecretNames(t *testing.T) {
	tests := []struct {
		name       string
		app, id    string
		credential string
		params     string
	}{
		{"short (Kyma example)", "short_application", bundleUUID,
			"short-application-" + bundleUUID, "params-short-application-" + bundleUUID},
		{"too long (Kyma example)", "toolong_application_aaaaaxxxx", bundleUUID,
			"toolong-application-aaaaax-" + bundleUUID, "params-toolong-application-" + bundleUUID},
		{"valid name kept", "orders-app", bundleUUID,
			"orders-app-" + bundleUUID, "params-orders-app-" + bundleUUID},
		{"exactly 26 characters kept", "abcdefghijklmnopqrstuvwxyz", bundleUUID,
			"abcdefghijklmnopqrstuvwxyz-" + bundleUUID, "params-abcdefghijklmnopqrs-" + bundleUUID},
		{"dots and upper case", "My.Shop", bundleUUID,
			"my-shop-" + bundleUUID, "params-my-shop-" + bundleUUID},
		{"leading separator dropped", "_x", bundleUUID,
			"x-" + bundleUUID, "params--x-" + bundleUUID},
		{"empty application", "", bundleUUID,
			bundleUUID, "params--" + bundleUUID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cred := CredentialSecretName(tt.app, tt.id)
			params := RequestParametersSecretName(tt.app, tt.id)
			assert.Equal(t, tt.credential, cred)
			assert.Equal(t, tt.params, params)
			for _, n := range []string{cred, params} {
				assert.Empty(t, application.CheckName(n), n)
				assert.LessOrEqual(t, len(n), 63, n)
			}
		})
	}
}

func TestSecretNamesWithUnusualBundleIDs(t *testing.T) {
	long := strings.Repeat("a", 300)
	for _, id := range []string{"", "UPPER-CASE-ID", "id_with_underscore", "-leading", "trailing-", long, "ü"} {
		t.Run(id, func(t *testing.T) {
			n := CredentialSecretName("orders-app", id)
			assert.Empty(t, application.CheckName(n), n)
			assert.Len(t, n, len("orders-app-")+36)
			assert.Equal(t, n, CredentialSecretName("orders-app", id), "stable")
		})
	}
	assert.NotEqual(t, CredentialSecretName("app", "A"), CredentialSecretName("app", "B"))
	assert.NotEqual(t, CredentialSecretName("app", long), CredentialSecretName("app", long+"b"))
}

func FuzzSecretNames(f *testing.F) {
	f.Add("toolong_application_aaaaaxxxx", bundleUUID)
	f.Add("", "")
	f.Add("ÄÖÜ", "x")
	f.Fuzz(func(t *testing.T, app, id string) {
		for _, n := range []string{CredentialSecretName(app, id), RequestParametersSecretName(app, id)} {
			if reason := application.CheckName(n); reason != "" || len(n) > 63 {
				t.Fatalf("(%q, %q) -> %q: %s", app, id, n, reason)
			}
		}
	})
}
