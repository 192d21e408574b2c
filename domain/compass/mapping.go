package compass

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

// Labels the agent writes (compass.md 1.8).
const (
	// LabelManagedBy marks an Application the Runtime Agent created.
	LabelManagedBy = "applicationconnector.kyma-project.io/managed-by"
	// ManagedByRuntimeAgent is LabelManagedBy's value.
	ManagedByRuntimeAgent = "compass-runtime-agent"
	// LabelConnectedApp is the spec.labels key naming the Application.
	LabelConnectedApp = "connected-app"
	// SecretLabelApp and SecretLabelBundleID label the credential and request-parameter
	// Secrets with the Application and bundle they belong to.
	SecretLabelApp      = "app"
	SecretLabelBundleID = "bundleId"
)

// DefaultDescription replaces an empty Application or bundle description, as in Kyma.
const DefaultDescription = "Description not provided"

// MappingOptions are the settings of the Director Application to Application mapping.
type MappingOptions struct {
	// GatewayBaseURL is the Application Gateway's Compass listener
	// (APP_CENTRAL_GATEWAY_SERVICE_URL), the base of every centralGatewayUrl.
	GatewayBaseURL string
	// SkipVerify is copied into every Application's spec.skipVerify.
	SkipVerify bool
}

// Desired is one Application as the Director wants it, with the Secrets its entries
// refer to.
type Desired struct {
	// Application is the object to create, or, when Existing is set, the stored one
	// with what the agent owns overwritten (metadata.labels, spec.description,
	// spec.labels, spec.services, spec.compassMetadata, spec.skipVerify); its UID,
	// ResourceVersion, annotations and other spec fields are the stored ones, so it can
	// be written back as it is.
	Application application.Application
	// Secrets are its credential and request-parameter Secrets, labelled app=<name>
	// and bundleId=<bundle id>, in bundle order.
	Secrets []credential.Secret
	// Existing is the stored Application when there is one (nil: create). Only write
	// Application when NeedsUpdate(*Existing, Application); upsert Secrets in any case,
	// and delete those of Existing.SecretNames() that are no longer among Secrets.
	Existing *application.Application
}

// ToApplication maps a Director Application to the Application named name (the
// Director's name, normalised or not, see PlanSync) and its Secrets, following
// compass.md 1.8: one service per bundle, one API entry per API definition routed
// through opts.GatewayBaseURL, one Events entry per event definition. The Director's
// labels and provider name are not copied. Every error wraps ErrInvalid and says which
// bundle or API is at fault, never a credential value: a bundle whose default instance
// auth has both Basic and OAuth credentials, an OAuth credential without client id,
// secret or URL, an additional header or query parameter without a name, and anything
// that makes the Application or a Secret invalid (application.Validate,
// credential.Secret.Validate, Kubernetes label rules), such as an API without an
// absolute http(s) target URL.
func ToApplication(app DirectorApplication, name string, opts MappingOptions) (Desired, error) {
	fail := func(err error) (Desired, error) {
		return Desired{}, fmt.Errorf("%w: Director Application %s (%q): %w", ErrInvalid, app.ID, name, err)
	}
	out := application.Application{
		Name:   name,
		Labels: map[string]string{LabelManagedBy: ManagedByRuntimeAgent},
		Spec: application.Spec{
			Description: orDefault(app.Description),
			SkipVerify:  opts.SkipVerify,
			Labels:      map[string]string{LabelConnectedApp: name},
			CompassMetadata: &application.CompassMetadata{
				ApplicationID: app.ID,
				// Never nil: the CRD's clientIds is an array, and null would not do.
				Authentication: application.Authentication{ClientIDs: append([]string{}, app.AuthIDs...)},
			},
			Services: make([]application.Service, 0, len(app.Bundles)),
		},
	}
	var secrets []credential.Secret
	base := strings.TrimSuffix(opts.GatewayBaseURL, "/")
	for _, b := range app.Bundles {
		svc, bundleSecrets, err := toService(b, name, base)
		if err != nil {
			return fail(fmt.Errorf("bundle %s (%q): %w", b.ID, b.Name, err))
		}
		out.Spec.Services = append(out.Spec.Services, svc)
		secrets = append(secrets, bundleSecrets...)
	}
	if err := out.Validate(); err != nil {
		return fail(err)
	}
	for _, s := range secrets {
		if err := s.Validate(); err != nil {
			return fail(fmt.Errorf("secret %s: %w", s.Name, err))
		}
		if errs := application.CheckLabels("secret "+s.Name+" labels", s.Labels); len(errs) > 0 {
			return fail(errs[0])
		}
	}
	return Desired{Application: out, Secrets: secrets}, nil
}

func toService(b Bundle, appName, gatewayBase string) (application.Service, []credential.Secret, error) {
	svc := application.Service{
		ID:          b.ID,
		Identifier:  "",
		Name:        application.NormalizeServiceNameWithID(b.Name, b.ID),
		DisplayName: b.Name,
		Description: orDefault(b.Description),
		Entries:     make([]application.Entry, 0, len(b.APIDefinitions)+len(b.EventDefinitions)),
	}
	if b.InstanceAuthRequestInputSchema != nil {
		s := *b.InstanceAuthRequestInputSchema
		svc.AuthCreateParameterSchema = &s
	}
	creds, secrets, paramsSecret, err := bundleCredentials(b, appName)
	if err != nil {
		return application.Service{}, nil, err
	}
	for _, api := range b.APIDefinitions {
		e := application.Entry{
			Type:                        application.EntryTypeAPI,
			ID:                          api.ID,
			Name:                        api.Name,
			TargetURL:                   api.TargetURL,
			CentralGatewayURL:           gatewayBase + "/" + appName + "/" + application.NormalizeName(b.Name) + "/" + application.NormalizeName(api.Name),
			RequestParametersSecretName: paramsSecret,
		}
		if creds != nil {
			c := *creds
			if creds.CSRFInfo != nil {
				csrf := *creds.CSRFInfo
				c.CSRFInfo = &csrf
			}
			e.Credentials = &c
		}
		svc.Entries = append(svc.Entries, e)
	}
	for _, ev := range b.EventDefinitions {
		svc.Entries = append(svc.Entries, application.Entry{
			Type: application.EntryTypeEvents,
			ID:   ev.ID,
			Name: ev.Name,
		})
	}
	return svc, secrets, nil
}

// bundleCredentials returns what the bundle's default instance auth gives every API
// entry of the bundle: the credentials (nil without a credential), the Secrets, and the
// name of the request-parameters Secret ("" without additional headers or query
// parameters). A CSRF token endpoint without a credential is dropped, as in Kyma: the
// gateway fetches CSRF tokens only as part of a credential.
func bundleCredentials(b Bundle, appName string) (*application.Credentials, []credential.Secret, string, error) {
	auth := b.DefaultInstanceAuth
	if auth != nil && auth.Basic != nil && auth.OAuth != nil {
		return nil, nil, "", errors.New("the default instance auth has both Basic and OAuth credentials; only one credential type is allowed")
	}
	if auth == nil || len(b.APIDefinitions) == 0 {
		// Without an API entry nothing would refer to the Secrets, and Secrets no
		// Application refers to are never cleaned up.
		return nil, nil, "", nil
	}
	labels := func() map[string]string {
		return map[string]string{SecretLabelApp: appName, SecretLabelBundleID: b.ID}
	}
	var (
		creds   *application.Credentials
		secrets []credential.Secret
	)
	switch {
	case auth.Basic != nil:
		creds = &application.Credentials{Type: application.CredentialBasic, SecretName: CredentialSecretName(appName, b.ID)}
		secrets = append(secrets, credential.Secret{Name: creds.SecretName, Labels: labels(), Data: map[string][]byte{
			credential.KeyUsername: []byte(auth.Basic.Username),
			credential.KeyPassword: []byte(auth.Basic.Password),
		}})
	case auth.OAuth != nil:
		o := auth.OAuth
		var missing []string
		for _, f := range []struct{ name, v string }{{"clientId", o.ClientID}, {"clientSecret", o.ClientSecret}, {"url", o.URL}} {
			if f.v == "" {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			return nil, nil, "", fmt.Errorf("the OAuth credential has no %s", strings.Join(missing, ", "))
		}
		creds = &application.Credentials{Type: application.CredentialOAuth, SecretName: CredentialSecretName(appName, b.ID), AuthenticationURL: o.URL}
		secrets = append(secrets, credential.Secret{Name: creds.SecretName, Labels: labels(), Data: map[string][]byte{
			credential.KeyClientID:     []byte(o.ClientID),
			credential.KeyClientSecret: []byte(o.ClientSecret),
		}})
	}
	if creds != nil && auth.CSRFTokenEndpointURL != "" {
		creds.CSRFInfo = &application.CSRFInfo{TokenEndpointURL: auth.CSRFTokenEndpointURL}
	}
	params := credential.RequestParameters{Headers: auth.AdditionalHeaders, QueryParameters: auth.AdditionalQueryParams}
	if params.IsEmpty() {
		return creds, secrets, "", nil
	}
	data := map[string][]byte{}
	for _, p := range []struct {
		key, what string
		m         map[string][]string
	}{
		{credential.KeyHeaders, "additional header", params.Headers},
		{credential.KeyQueryParameters, "additional query parameter", params.QueryParameters},
	} {
		if len(p.m) == 0 {
			continue
		}
		if _, empty := p.m[""]; empty {
			return nil, nil, "", fmt.Errorf("an %s has no name", p.what)
		}
		// A map of strings to string slices always marshals.
		raw, _ := json.Marshal(p.m)
		data[p.key] = raw
	}
	paramsName := RequestParametersSecretName(appName, b.ID)
	secrets = append(secrets, credential.Secret{Name: paramsName, Labels: labels(), Data: data})
	return creds, secrets, paramsName, nil
}

func orDefault(description string) string {
	if description == "" {
		return DefaultDescription
	}
	return description
}
