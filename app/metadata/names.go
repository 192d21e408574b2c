package metadata

import (
	"strings"

	"github.com/appconnector/appconnector/domain/application"
)

const (
	// maxResourceName is the Kubernetes limit the reference sizes its names to.
	maxResourceName = 63
	// uuidLength is the length of a service id in its canonical form.
	uuidLength = 36

	labelConnectedApp = "connected-app"
	labelApp          = "app"
	labelServiceID    = "serviceId"
)

// CredentialSecretName returns the name of the Secret holding a service's credentials:
// "<app>-<serviceId>", with the application part cut so that the prefix leaves room for a
// UUID within 63 characters, as Kyma's registry names it. Separators left at the end of a
// cut application name are removed so that the result stays a valid object name.
func CredentialSecretName(app, serviceID string) string {
	prefixMax := maxResourceName - uuidLength - 1
	if len(app) > prefixMax {
		app = strings.TrimRight(app[:prefixMax], "-.")
	}
	return app + "-" + serviceID
}

// RequestParametersSecretName returns the name of the Secret holding a service's request
// parameters: "params-" + CredentialSecretName, cut to 63 characters as Kyma does (which
// can shorten the service id; it stays unique in practice), without a trailing separator.
func RequestParametersSecretName(app, serviceID string) string {
	name := "params-" + CredentialSecretName(app, serviceID)
	if len(name) > maxResourceName {
		name = strings.TrimRight(name[:maxResourceName], "-.")
	}
	return name
}

func centralGatewayURL(base, app, displayName string) string {
	return base + "/" + app + "/" + application.NormalizeName(displayName)
}

// serviceLabels returns a copy of labels with connected-app forced to app.
func serviceLabels(app string, labels map[string]string) map[string]string {
	out := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		out[k] = v
	}
	out[labelConnectedApp] = app
	return out
}
