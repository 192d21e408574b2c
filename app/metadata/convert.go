package metadata

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

// emptySpec stands for a spec that is not stored.
const emptySpec = "{}"

// buildService maps def onto an Application service entry the way Kyma's registry did;
// credentials are set by setAPISecrets.
func (s *Service) buildService(appName, id string, def *ServiceDefinition) application.Service {
	svc := application.Service{
		ID:                  id,
		Identifier:          def.Identifier,
		Name:                application.NormalizeServiceNameWithID(def.Name, id),
		DisplayName:         def.Name,
		Description:         def.ShortDescription,
		LongDescription:     def.Description,
		ProviderDisplayName: def.Provider,
		Labels:              serviceLabels(appName, def.Labels),
		Entries:             make([]application.Entry, 0, 2),
	}
	if svc.Description == "" {
		svc.Description = def.Description
	}
	if api := def.API; api != nil {
		svc.Entries = append(svc.Entries, application.Entry{
			Type:              application.EntryTypeAPI,
			TargetURL:         api.TargetURL,
			SpecificationURL:  api.SpecificationURL,
			APIType:           api.APIType,
			CentralGatewayURL: centralGatewayURL(s.gatewayURL, appName, def.Name),
		})
	}
	if def.Events != nil {
		svc.Entries = append(svc.Entries, application.Entry{Type: application.EntryTypeEvents})
	}
	return svc
}

func setAPISecrets(svc *application.Service, plan apiSecrets) {
	e := apiEntry(svc)
	if e == nil {
		return
	}
	e.Credentials = plan.entryCredentials
	if plan.params != nil {
		e.RequestParametersSecretName = plan.params.Name
	}
}

// apiEntry returns the service's first API entry; the registry model has one API.
func apiEntry(svc *application.Service) *application.Entry {
	for i := range svc.Entries {
		if svc.Entries[i].Type == application.EntryTypeAPI {
			return &svc.Entries[i]
		}
	}
	return nil
}

// describe reads the Secrets a stored service refers to and returns its definition,
// secret values masked. A missing Secret leaves the fields it would fill empty.
func (s *Service) describe(ctx context.Context, svc *application.Service) (ServiceDefinition, error) {
	var cred, params *credential.Secret
	if e := apiEntry(svc); e != nil {
		var err error
		if c := e.Credentials; c != nil && c.Type != application.CredentialBasic {
			if cred, err = s.readSecret(ctx, c.SecretName); err != nil {
				return ServiceDefinition{}, err
			}
		}
		if params, err = s.readSecret(ctx, e.RequestParametersSecretName); err != nil {
			return ServiceDefinition{}, err
		}
	}
	return s.describeWith(svc, cred, params), nil
}

// describeWith builds the masked definition of svc from the content of its Secrets.
func (s *Service) describeWith(svc *application.Service, cred, params *credential.Secret) ServiceDefinition {
	def := ServiceDefinition{
		Provider:    svc.ProviderDisplayName,
		Name:        svc.DisplayName,
		Description: svc.LongDescription,
		Identifier:  svc.Identifier,
		Labels:      maps.Clone(svc.Labels),
	}
	switch {
	case def.Description == "":
		// Services written by the Runtime Agent have only a description.
		def.Description = svc.Description
	case svc.Description != svc.LongDescription:
		def.ShortDescription = svc.Description
	}
	for i := range svc.Entries {
		e := &svc.Entries[i]
		switch {
		case e.Type == application.EntryTypeAPI && def.API == nil:
			def.API = describeAPI(e, cred, params)
		case e.Type == application.EntryTypeEvents:
			// Specs are not stored; an empty object keeps the document valid, so what GET
			// returns can be sent back with PUT.
			def.Events = &Events{Spec: json.RawMessage(emptySpec)}
		}
	}
	return def
}

func describeAPI(e *application.Entry, cred, params *credential.Secret) *API {
	api := &API{TargetURL: e.TargetURL, SpecificationURL: e.SpecificationURL, APIType: e.APIType}
	if c := e.Credentials; c != nil {
		var csrfInfo *CSRFInfo
		if c.CSRFInfo != nil {
			csrfInfo = &CSRFInfo{TokenEndpointURL: c.CSRFInfo.TokenEndpointURL}
		}
		switch c.Type {
		case application.CredentialOAuth, application.CredentialOAuthWithCert:
			o := &OAuth{URL: c.AuthenticationURL, ClientID: Masked, ClientSecret: Masked, CSRFInfo: csrfInfo}
			o.RequestParameters = maskedParameters(cred)
			api.Credentials = &Credentials{OAuth: o}
		case application.CredentialBasic:
			api.Credentials = &Credentials{Basic: &Basic{Username: Masked, Password: Masked, CSRFInfo: csrfInfo}}
		case application.CredentialCertificateGen:
			g := &CertificateGen{CSRFInfo: csrfInfo}
			if cred != nil {
				g.CommonName = string(cred.Data[KeyCommonName])
				if crt := cred.Data[credential.KeyCertificate]; len(crt) > 0 {
					g.Certificate = base64.StdEncoding.EncodeToString(crt)
					if leaf, err := credential.ParseCertificateChain(crt); err == nil && g.CommonName == "" {
						g.CommonName = leaf.Subject.CommonName
					}
				}
			}
			api.Credentials = &Credentials{CertificateGen: g}
		}
	}
	api.RequestParameters = maskedParameters(params)
	return api
}

// maskedParameters returns the request parameters stored in sec with every value
// masked: names are shown, values never are.
func maskedParameters(sec *credential.Secret) *RequestParameters {
	if sec == nil {
		return nil
	}
	p, err := credential.ParseRequestParameters(*sec)
	if err != nil || p.IsEmpty() {
		return nil
	}
	return &RequestParameters{Headers: maskValues(p.Headers), QueryParameters: maskValues(p.QueryParameters)}
}

func summarize(svc *application.Service) ServiceSummary {
	desc := svc.LongDescription
	if desc == "" {
		desc = svc.Description
	}
	return ServiceSummary{
		ID:          svc.ID,
		Provider:    svc.ProviderDisplayName,
		Name:        svc.DisplayName,
		Description: desc,
		Identifier:  svc.Identifier,
		Labels:      maps.Clone(svc.Labels),
	}
}
