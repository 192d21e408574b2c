package metadata

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

// KeyCommonName is the credential Secret key holding the common name a CertificateGen
// certificate was generated for; a new certificate is generated only when it changes.
const KeyCommonName = "commonName"

// apiSecrets is what an API needs stored: the entry's credentials reference and the
// desired content of its two Secrets (nil when the Secret is not needed).
type apiSecrets struct {
	entryCredentials *application.Credentials
	credential       *credential.Secret
	params           *credential.Secret
}

// planAPISecrets computes the Secrets for api. previous holds what is stored now (nil on
// registration): masked values sent back by a client are taken from it, and a generated
// certificate is kept while its common name is unchanged.
func (s *Service) planAPISecrets(app, id string, api *API, prevCred, prevParams *credential.Secret) (apiSecrets, error) {
	var out apiSecrets
	labels := map[string]string{labelApp: app, labelServiceID: id}
	credName := CredentialSecretName(app, id)
	if c := api.Credentials; c != nil {
		data := map[string][]byte{}
		creds := &application.Credentials{SecretName: credName}
		switch {
		case c.OAuth != nil:
			creds.Type = application.CredentialOAuth
			creds.AuthenticationURL = c.OAuth.URL
			creds.CSRFInfo = csrf(c.OAuth.CSRFInfo)
			data[credential.KeyClientID] = []byte(unmask(c.OAuth.ClientID, prevCred, credential.KeyClientID))
			data[credential.KeyClientSecret] = []byte(unmask(c.OAuth.ClientSecret, prevCred, credential.KeyClientSecret))
			if err := putParameters(data, c.OAuth.RequestParameters, prevCred); err != nil {
				return apiSecrets{}, err
			}
		case c.Basic != nil:
			creds.Type = application.CredentialBasic
			creds.CSRFInfo = csrf(c.Basic.CSRFInfo)
			data[credential.KeyUsername] = []byte(unmask(c.Basic.Username, prevCred, credential.KeyUsername))
			data[credential.KeyPassword] = []byte(unmask(c.Basic.Password, prevCred, credential.KeyPassword))
		case c.CertificateGen != nil:
			creds.Type = application.CredentialCertificateGen
			creds.CSRFInfo = csrf(c.CertificateGen.CSRFInfo)
			cn := c.CertificateGen.CommonName
			if prevCred != nil && string(prevCred.Data[KeyCommonName]) == cn &&
				len(prevCred.Data[credential.KeyPrivateKey]) > 0 && len(prevCred.Data[credential.KeyCertificate]) > 0 {
				data[credential.KeyPrivateKey] = prevCred.Data[credential.KeyPrivateKey]
				data[credential.KeyCertificate] = prevCred.Data[credential.KeyCertificate]
			} else {
				keyPEM, certPEM, err := s.generateCert(cn, s.now())
				if err != nil {
					return apiSecrets{}, fmt.Errorf("generate client certificate for service %s: %w", id, err)
				}
				data[credential.KeyPrivateKey] = keyPEM
				data[credential.KeyCertificate] = certPEM
			}
			data[KeyCommonName] = []byte(cn)
		}
		if creds.Type != "" {
			out.entryCredentials = creds
			out.credential = &credential.Secret{Name: credName, Labels: labels, Data: data}
		}
	}

	params := api.RequestParameters
	if params == nil {
		params = &RequestParameters{Headers: api.Headers, QueryParameters: api.QueryParameters}
	}
	if !params.isEmpty() {
		data := map[string][]byte{}
		if err := putParameters(data, params, prevParams); err != nil {
			return apiSecrets{}, err
		}
		out.params = &credential.Secret{Name: RequestParametersSecretName(app, id), Labels: maps.Clone(labels), Data: data}
	}
	return out, nil
}

func csrf(c *CSRFInfo) *application.CSRFInfo {
	if c == nil {
		return nil
	}
	return &application.CSRFInfo{TokenEndpointURL: c.TokenEndpointURL}
}

// unmask returns v, or the stored value of key when v is Masked and one is stored, so a
// client that sends back what it read does not overwrite the credential with stars.
func unmask(v string, prev *credential.Secret, key string) string {
	if v == Masked && prev != nil {
		if old, ok := prev.Data[key]; ok {
			return string(old)
		}
	}
	return v
}

// putParameters writes p into data under the Kyma keys "headers" and "queryParameters"
// (JSON objects of name to values), leaving out empty ones. A parameter whose values are
// all Masked keeps its stored values.
func putParameters(data map[string][]byte, p *RequestParameters, prev *credential.Secret) error {
	if p.isEmpty() {
		return nil
	}
	var old credential.RequestParameters
	if prev != nil {
		// A stored value that does not parse cannot be restored; masked values then stay.
		old, _ = credential.ParseRequestParameters(*prev)
	}
	for key, m := range map[string]map[string][]string{
		credential.KeyHeaders:         unmaskValues(p.Headers, old.Headers),
		credential.KeyQueryParameters: unmaskValues(p.QueryParameters, old.QueryParameters),
	} {
		if len(m) == 0 {
			continue
		}
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("encode %s: %w", key, err)
		}
		data[key] = b
	}
	return nil
}

func unmaskValues(m, old map[string][]string) map[string][]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string][]string, len(m))
	for k, vs := range m {
		if prev, ok := old[k]; ok && allMasked(vs) {
			vs = prev
		}
		if vs == nil {
			vs = []string{}
		}
		out[k] = vs
	}
	return out
}

func allMasked(vs []string) bool {
	if len(vs) == 0 {
		return false
	}
	for _, v := range vs {
		if v != Masked {
			return false
		}
	}
	return true
}

func maskValues(m map[string][]string) map[string][]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string][]string, len(m))
	for k, vs := range m {
		masked := make([]string, len(vs))
		for i := range masked {
			masked[i] = Masked
		}
		out[k] = masked
	}
	return out
}
