package application

// Entry types of spec.services[].entries[].type.
const (
	EntryTypeAPI    = "API"
	EntryTypeEvents = "Events"
)

// Credential types of spec.services[].entries[].credentials.type. They are
// case-sensitive, as in Kyma.
const (
	CredentialBasic          = "Basic"
	CredentialOAuth          = "OAuth"
	CredentialOAuthWithCert  = "OAuthWithCert"
	CredentialCertificateGen = "CertificateGen"
)

// Application is one connected external system. Name is the cluster-wide unique name
// (metadata.name); ResourceVersion is assigned by the repository on every write and is
// empty on an Application that was never stored. UID (metadata.uid) is assigned by the
// repository when the Application is created and never changes; a re-created
// Application gets a new one, which is how one-time tokens tell the two apart.
type Application struct {
	Name            string            `json:"name"`
	UID             string            `json:"uid,omitempty"`
	ResourceVersion string            `json:"resourceVersion,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
	Annotations     map[string]string `json:"annotations,omitempty"`
	Spec            Spec              `json:"spec"`
}

// Spec mirrors the CRD's spec (gateway reference section 1.1), field for field.
type Spec struct {
	Description         string            `json:"description,omitempty"`
	SkipInstallation    bool              `json:"skipInstallation,omitempty"`
	SkipVerify          bool              `json:"skipVerify,omitempty"`
	EncodeURL           *bool             `json:"encodeUrl,omitempty"`
	Labels              map[string]string `json:"labels,omitempty"`
	Services            []Service         `json:"services,omitempty"`
	AccessLabel         string            `json:"accessLabel,omitempty"`
	Tenant              string            `json:"tenant,omitempty"`
	Group               string            `json:"group,omitempty"`
	CompassMetadata     *CompassMetadata  `json:"compassMetadata,omitempty"`
	Tags                []string          `json:"tags,omitempty"`
	DisplayName         string            `json:"displayName,omitempty"`
	ProviderDisplayName string            `json:"providerDisplayName,omitempty"`
	LongDescription     string            `json:"longDescription,omitempty"`
}

// CompassMetadata is written by the Runtime Agent; the validator accepts client
// certificates whose CN is one of Authentication.ClientIDs.
type CompassMetadata struct {
	ApplicationID  string         `json:"applicationId,omitempty"`
	Authentication Authentication `json:"authentication"`
}

// Authentication lists the client ids (certificate CNs) allowed to act for the Application.
type Authentication struct {
	ClientIDs []string `json:"clientIds"`
}

// Service is one API or event catalogue of the Application (a Compass bundle).
type Service struct {
	ID                        string            `json:"id"`
	Identifier                string            `json:"identifier,omitempty"`
	Name                      string            `json:"name"`
	DisplayName               string            `json:"displayName"`
	Description               string            `json:"description"`
	Entries                   []Entry           `json:"entries"`
	AuthCreateParameterSchema *string           `json:"authCreateParameterSchema,omitempty"`
	Labels                    map[string]string `json:"labels,omitempty"`
	LongDescription           string            `json:"longDescription,omitempty"`
	ProviderDisplayName       string            `json:"providerDisplayName"`
	Tags                      []string          `json:"tags,omitempty"`
}

// Entry is one API (routable through the gateway) or one event catalogue of a Service.
type Entry struct {
	Type                        string       `json:"type"`
	GatewayURL                  string       `json:"gatewayUrl,omitempty"`
	CentralGatewayURL           string       `json:"centralGatewayUrl,omitempty"`
	AccessLabel                 string       `json:"accessLabel,omitempty"`
	TargetURL                   string       `json:"targetUrl,omitempty"`
	SpecificationURL            string       `json:"specificationUrl,omitempty"`
	APIType                     string       `json:"apiType,omitempty"`
	Credentials                 *Credentials `json:"credentials,omitempty"`
	RequestParametersSecretName string       `json:"requestParametersSecretName,omitempty"`
	Name                        string       `json:"name,omitempty"`
	ID                          string       `json:"id,omitempty"`
}

// Credentials says how the gateway authenticates to the entry's target and where the
// secret material is (the Secret named SecretName).
type Credentials struct {
	Type              string    `json:"type"`
	SecretName        string    `json:"secretName"`
	AuthenticationURL string    `json:"authenticationUrl,omitempty"`
	CSRFInfo          *CSRFInfo `json:"csrfInfo,omitempty"`
}

// CSRFInfo enables fetching a CSRF token before calling the target.
type CSRFInfo struct {
	TokenEndpointURL string `json:"tokenEndpointURL"`
}

// EncodesURL reports whether the gateway re-escapes the caller's sub-path. The CRD
// defaults encodeUrl to true, so an absent field means true.
func (s Spec) EncodesURL() bool { return s.EncodeURL == nil || *s.EncodeURL }

// ClientIDs returns the certificate CNs allowed for this Application besides its name:
// spec.compassMetadata.authentication.clientIds, or nil.
func (s Spec) ClientIDs() []string {
	if s.CompassMetadata == nil {
		return nil
	}
	return s.CompassMetadata.Authentication.ClientIDs
}

// SecretNames returns every Secret the Application refers to, without duplicates, in
// first-seen order: credential secrets and request-parameter secrets.
func (a Application) SecretNames() []string {
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, svc := range a.Spec.Services {
		for _, e := range svc.Entries {
			if e.Credentials != nil {
				add(e.Credentials.SecretName)
			}
			add(e.RequestParametersSecretName)
		}
	}
	return names
}

// DeepCopy returns a copy that shares no maps, slices or pointers with a, so stores and
// caches can hand out values without callers mutating what they hold.
func (a Application) DeepCopy() Application {
	out := a
	out.Labels = copyMap(a.Labels)
	out.Annotations = copyMap(a.Annotations)
	out.Spec.Labels = copyMap(a.Spec.Labels)
	out.Spec.Tags = copySlice(a.Spec.Tags)
	if a.Spec.EncodeURL != nil {
		v := *a.Spec.EncodeURL
		out.Spec.EncodeURL = &v
	}
	if a.Spec.CompassMetadata != nil {
		cm := *a.Spec.CompassMetadata
		cm.Authentication.ClientIDs = copySlice(cm.Authentication.ClientIDs)
		out.Spec.CompassMetadata = &cm
	}
	if a.Spec.Services != nil {
		out.Spec.Services = make([]Service, len(a.Spec.Services))
		for i, s := range a.Spec.Services {
			out.Spec.Services[i] = s.deepCopy()
		}
	}
	return out
}

func (s Service) deepCopy() Service {
	out := s
	out.Labels = copyMap(s.Labels)
	out.Tags = copySlice(s.Tags)
	if s.AuthCreateParameterSchema != nil {
		v := *s.AuthCreateParameterSchema
		out.AuthCreateParameterSchema = &v
	}
	if s.Entries != nil {
		out.Entries = make([]Entry, len(s.Entries))
		for i, e := range s.Entries {
			if e.Credentials != nil {
				c := *e.Credentials
				if c.CSRFInfo != nil {
					ci := *c.CSRFInfo
					c.CSRFInfo = &ci
				}
				e.Credentials = &c
			}
			out.Entries[i] = e
		}
	}
	return out
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func copySlice(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}
