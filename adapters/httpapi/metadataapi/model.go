package metadataapi

import (
	"encoding/json"

	"github.com/appconnector/appconnector/app/metadata"
)

// ServiceDetails is the registry's service document: the body of POST and PUT and the
// answer of GET by id. Field names are Kyma's.
type ServiceDetails struct {
	Provider         string            `json:"provider"`
	Name             string            `json:"name"`
	Description      string            `json:"description"`
	ShortDescription string            `json:"shortDescription,omitempty"`
	Identifier       string            `json:"identifier,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
	API              *API              `json:"api,omitempty"`
	Events           *Events           `json:"events,omitempty"`
	Documentation    *Documentation    `json:"documentation,omitempty"`
}

// API is the "api" object of ServiceDetails.
type API struct {
	TargetURL                      string               `json:"targetUrl"`
	Credentials                    *CredentialsWithCSRF `json:"credentials,omitempty"`
	Spec                           json.RawMessage      `json:"spec,omitempty"`
	SpecificationURL               string               `json:"specificationUrl,omitempty"`
	APIType                        string               `json:"apiType,omitempty"`
	RequestParameters              *RequestParameters   `json:"requestParameters,omitempty"`
	SpecificationCredentials       *Credentials         `json:"specificationCredentials,omitempty"`
	SpecificationRequestParameters *RequestParameters   `json:"specificationRequestParameters,omitempty"`
	// Headers and QueryParameters are deprecated; used when RequestParameters is absent.
	Headers         map[string][]string `json:"headers,omitempty"`
	QueryParameters map[string][]string `json:"queryParameters,omitempty"`
}

// RequestParameters are extra headers and query parameters.
type RequestParameters struct {
	Headers         map[string][]string `json:"headers,omitempty"`
	QueryParameters map[string][]string `json:"queryParameters,omitempty"`
}

// CredentialsWithCSRF is "api.credentials": at most one of the three.
type CredentialsWithCSRF struct {
	OAuth          *OAuth          `json:"oauth,omitempty"`
	Basic          *Basic          `json:"basic,omitempty"`
	CertificateGen *CertificateGen `json:"certificateGen,omitempty"`
}

// Credentials is "api.specificationCredentials": at most one of the two.
type Credentials struct {
	OAuth *OAuth `json:"oauth,omitempty"`
	Basic *Basic `json:"basic,omitempty"`
}

// OAuth is a client-credentials grant; on GET clientId and clientSecret are masked.
type OAuth struct {
	URL               string             `json:"url"`
	ClientID          string             `json:"clientId"`
	ClientSecret      string             `json:"clientSecret"`
	RequestParameters *RequestParameters `json:"requestParameters,omitempty"`
	CSRFInfo          *CSRFInfo          `json:"csrfInfo,omitempty"`
}

// Basic is HTTP Basic authentication; on GET username and password are masked.
type Basic struct {
	Username string    `json:"username"`
	Password string    `json:"password"`
	CSRFInfo *CSRFInfo `json:"csrfInfo,omitempty"`
}

// CertificateGen requests a generated client certificate; on GET Certificate is the
// base64 of the PEM certificate.
type CertificateGen struct {
	CommonName  string    `json:"commonName"`
	Certificate string    `json:"certificate"`
	CSRFInfo    *CSRFInfo `json:"csrfInfo,omitempty"`
}

// CSRFInfo names the CSRF token endpoint.
type CSRFInfo struct {
	TokenEndpointURL string `json:"tokenEndpointURL"`
}

// Events is the "events" object of ServiceDetails.
type Events struct {
	Spec json.RawMessage `json:"spec,omitempty"`
}

// Documentation is the "documentation" object of ServiceDetails.
type Documentation struct {
	DisplayName string       `json:"displayName"`
	Description string       `json:"description"`
	Type        string       `json:"type"`
	Tags        []string     `json:"tags,omitempty"`
	Docs        []DocsObject `json:"docs,omitempty"`
}

// DocsObject is one documentation source.
type DocsObject struct {
	Title  string `json:"title"`
	Type   string `json:"type"`
	Source string `json:"source"`
}

// Service is one item of the service list.
type Service struct {
	ID          string            `json:"id"`
	Provider    string            `json:"provider"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Identifier  string            `json:"identifier,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// CreateServiceResponse is the answer of POST.
type CreateServiceResponse struct {
	ID string `json:"id"`
}

func (d *ServiceDetails) toDefinition() metadata.ServiceDefinition {
	def := metadata.ServiceDefinition{
		Provider:         d.Provider,
		Name:             d.Name,
		Description:      d.Description,
		ShortDescription: d.ShortDescription,
		Identifier:       d.Identifier,
		Labels:           d.Labels,
	}
	if a := d.API; a != nil {
		def.API = &metadata.API{
			TargetURL:                      a.TargetURL,
			Spec:                           a.Spec,
			SpecificationURL:               a.SpecificationURL,
			APIType:                        a.APIType,
			RequestParameters:              a.RequestParameters.toModel(),
			Headers:                        a.Headers,
			QueryParameters:                a.QueryParameters,
			SpecificationRequestParameters: a.SpecificationRequestParameters.toModel(),
		}
		if c := a.Credentials; c != nil {
			def.API.Credentials = &metadata.Credentials{OAuth: c.OAuth.toModel(), Basic: c.Basic.toModel()}
			if g := c.CertificateGen; g != nil {
				def.API.Credentials.CertificateGen = &metadata.CertificateGen{CommonName: g.CommonName, CSRFInfo: g.CSRFInfo.toModel()}
			}
		}
		if c := a.SpecificationCredentials; c != nil {
			def.API.SpecificationCredentials = &metadata.SpecificationCredentials{OAuth: c.OAuth.toModel(), Basic: c.Basic.toModel()}
		}
	}
	if d.Events != nil {
		def.Events = &metadata.Events{Spec: d.Events.Spec}
	}
	if doc := d.Documentation; doc != nil {
		def.Documentation = &metadata.Documentation{DisplayName: doc.DisplayName, Description: doc.Description, Type: doc.Type, Tags: doc.Tags}
		for _, o := range doc.Docs {
			def.Documentation.Docs = append(def.Documentation.Docs, metadata.Document{Title: o.Title, Type: o.Type, Source: o.Source})
		}
	}
	return def
}

func (p *RequestParameters) toModel() *metadata.RequestParameters {
	if p == nil {
		return nil
	}
	return &metadata.RequestParameters{Headers: p.Headers, QueryParameters: p.QueryParameters}
}

func (o *OAuth) toModel() *metadata.OAuth {
	if o == nil {
		return nil
	}
	return &metadata.OAuth{URL: o.URL, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		RequestParameters: o.RequestParameters.toModel(), CSRFInfo: o.CSRFInfo.toModel()}
}

func (b *Basic) toModel() *metadata.Basic {
	if b == nil {
		return nil
	}
	return &metadata.Basic{Username: b.Username, Password: b.Password, CSRFInfo: b.CSRFInfo.toModel()}
}

func (c *CSRFInfo) toModel() *metadata.CSRFInfo {
	if c == nil {
		return nil
	}
	return &metadata.CSRFInfo{TokenEndpointURL: c.TokenEndpointURL}
}

func fromDefinition(def metadata.ServiceDefinition) ServiceDetails {
	d := ServiceDetails{
		Provider:         def.Provider,
		Name:             def.Name,
		Description:      def.Description,
		ShortDescription: def.ShortDescription,
		Identifier:       def.Identifier,
		Labels:           def.Labels,
	}
	if a := def.API; a != nil {
		d.API = &API{
			TargetURL:         a.TargetURL,
			Spec:              a.Spec,
			SpecificationURL:  a.SpecificationURL,
			APIType:           a.APIType,
			RequestParameters: fromParameters(a.RequestParameters),
		}
		if c := a.Credentials; c != nil {
			d.API.Credentials = &CredentialsWithCSRF{}
			if o := c.OAuth; o != nil {
				d.API.Credentials.OAuth = &OAuth{URL: o.URL, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
					RequestParameters: fromParameters(o.RequestParameters), CSRFInfo: fromCSRF(o.CSRFInfo)}
			}
			if b := c.Basic; b != nil {
				d.API.Credentials.Basic = &Basic{Username: b.Username, Password: b.Password, CSRFInfo: fromCSRF(b.CSRFInfo)}
			}
			if g := c.CertificateGen; g != nil {
				d.API.Credentials.CertificateGen = &CertificateGen{CommonName: g.CommonName, Certificate: g.Certificate, CSRFInfo: fromCSRF(g.CSRFInfo)}
			}
		}
	}
	if def.Events != nil {
		d.Events = &Events{Spec: def.Events.Spec}
	}
	return d
}

func fromParameters(p *metadata.RequestParameters) *RequestParameters {
	if p == nil {
		return nil
	}
	return &RequestParameters{Headers: p.Headers, QueryParameters: p.QueryParameters}
}

func fromCSRF(c *metadata.CSRFInfo) *CSRFInfo {
	if c == nil {
		return nil
	}
	return &CSRFInfo{TokenEndpointURL: c.TokenEndpointURL}
}

func fromSummary(s metadata.ServiceSummary) Service {
	return Service{ID: s.ID, Provider: s.Provider, Name: s.Name, Description: s.Description, Identifier: s.Identifier, Labels: s.Labels}
}
