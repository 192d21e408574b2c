package credential

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/appconnector/appconnector/domain/application"
)

// Secret keys of the Kyma formats (gateway reference section 2).
const (
	KeyUsername        = "username"
	KeyPassword        = "password"
	KeyClientID        = "clientId"
	KeyClientSecret    = "clientSecret"
	KeyCertificate     = "crt"
	KeyPrivateKey      = "key"
	KeyHeaders         = "headers"
	KeyQueryParameters = "queryParameters"
)

// RequestParameters are extra headers and query parameters added to an outgoing call
// unless the caller already set the same key.
type RequestParameters struct {
	Headers         map[string][]string `json:"headers,omitempty"`
	QueryParameters map[string][]string `json:"queryParameters,omitempty"`
}

// IsEmpty reports whether there is nothing to add.
func (p RequestParameters) IsEmpty() bool {
	return len(p.Headers) == 0 && len(p.QueryParameters) == 0
}

// Basic is HTTP Basic authentication.
type Basic struct {
	Username string
	Password string
}

// OAuth is an OAuth 2.0 client-credentials grant. TokenRequest holds the extra headers and
// query parameters sent on the token call only.
type OAuth struct {
	ClientID     string
	ClientSecret string
	TokenURL     string
	TokenRequest RequestParameters
}

// ClientCertificate is a PEM certificate chain and its private key, checked to parse and
// to belong together.
type ClientCertificate struct {
	CertPEM []byte
	KeyPEM  []byte
	// Leaf is the first certificate of the chain, for expiry checks and logging its
	// subject (never the key).
	Leaf *x509.Certificate
}

// Credentials are the parsed, typed credentials of one API entry. Exactly the fields
// of Type are set: Basic for Basic; OAuth for OAuth; OAuth and Certificate for
// OAuthWithCert (the certificate authenticates the token call, RFC 8705);
// Certificate for CertificateGen.
type Credentials struct {
	Type        string
	Basic       *Basic
	OAuth       *OAuth
	Certificate *ClientCertificate
	// CSRFTokenURL is set when a CSRF token must be fetched before calling the target.
	CSRFTokenURL string
}

// Parse reads the credentials an entry declares from its Secret. The Secret must be the
// one named by c.SecretName. Errors are *KeyError values naming the bad key.
func Parse(c application.Credentials, s Secret) (Credentials, error) {
	out := Credentials{Type: c.Type}
	if c.CSRFInfo != nil {
		out.CSRFTokenURL = c.CSRFInfo.TokenEndpointURL
	}
	var err error
	switch c.Type {
	case application.CredentialBasic:
		out.Basic, err = parseBasic(s)
	case application.CredentialOAuth:
		out.OAuth, err = parseOAuth(s, c.AuthenticationURL, true)
	case application.CredentialOAuthWithCert:
		if out.OAuth, err = parseOAuth(s, c.AuthenticationURL, false); err == nil {
			out.Certificate, err = parseClientCertificate(s)
		}
	case application.CredentialCertificateGen:
		out.Certificate, err = parseClientCertificate(s)
	default:
		return Credentials{}, &KeyError{Secret: s.Name, Key: "credentials.type", Reason: fmt.Sprintf("unknown credential type %q", c.Type)}
	}
	if err != nil {
		return Credentials{}, err
	}
	return out, nil
}

func parseBasic(s Secret) (*Basic, error) {
	// Kyma treats missing keys as empty strings; here a missing key is an error, because
	// sending "Basic Og==" to a target hides a misconfiguration behind a 401.
	user, err := s.require(KeyUsername)
	if err != nil {
		return nil, err
	}
	pass, err := s.require(KeyPassword)
	if err != nil {
		return nil, err
	}
	return &Basic{Username: string(user), Password: string(pass)}, nil
}

func parseOAuth(s Secret, tokenURL string, needSecret bool) (*OAuth, error) {
	id, err := s.requireNonEmpty(KeyClientID)
	if err != nil {
		return nil, err
	}
	o := &OAuth{ClientID: id, TokenURL: tokenURL}
	if needSecret {
		if o.ClientSecret, err = s.requireNonEmpty(KeyClientSecret); err != nil {
			return nil, err
		}
	} else {
		o.ClientSecret = string(s.Data[KeyClientSecret])
	}
	if o.TokenRequest, err = parseParameters(s); err != nil {
		return nil, err
	}
	return o, nil
}

// ParseRequestParameters reads a request-parameters Secret (gateway reference section
// 2.6): optional keys "headers" and "queryParameters", each a JSON object of string to
// array of strings.
func ParseRequestParameters(s Secret) (RequestParameters, error) {
	return parseParameters(s)
}

func parseParameters(s Secret) (RequestParameters, error) {
	var p RequestParameters
	var err error
	if p.Headers, err = parseValuesMap(s, KeyHeaders); err != nil {
		return RequestParameters{}, err
	}
	if p.QueryParameters, err = parseValuesMap(s, KeyQueryParameters); err != nil {
		return RequestParameters{}, err
	}
	return p, nil
}

func parseValuesMap(s Secret, key string) (map[string][]string, error) {
	raw, ok := s.Data[key]
	if !ok || len(raw) == 0 {
		return nil, nil
	}
	var m map[string][]string
	if err := json.Unmarshal(raw, &m); err != nil {
		// The JSON error may quote part of the value, so it is not wrapped.
		return nil, &KeyError{Secret: s.Name, Key: key, Reason: `must be a JSON object of string to array of strings, e.g. {"X-Tenant":["a"]}`}
	}
	for k := range m {
		if k == "" {
			return nil, &KeyError{Secret: s.Name, Key: key, Reason: "names must not be empty"}
		}
	}
	return m, nil
}

func parseClientCertificate(s Secret) (*ClientCertificate, error) {
	certPEM, err := s.require(KeyCertificate)
	if err != nil {
		return nil, err
	}
	keyPEM, err := s.require(KeyPrivateKey)
	if err != nil {
		return nil, err
	}
	leaf, err := ParseCertificateChain(certPEM)
	if err != nil {
		return nil, &KeyError{Secret: s.Name, Key: KeyCertificate, Reason: err.Error()}
	}
	if err := checkKeyMatches(keyPEM, leaf); err != nil {
		return nil, &KeyError{Secret: s.Name, Key: KeyPrivateKey, Reason: err.Error()}
	}
	return &ClientCertificate{CertPEM: certPEM, KeyPEM: keyPEM, Leaf: leaf}, nil
}

// ParseCertificateChain returns the first certificate of a PEM chain.
func ParseCertificateChain(certPEM []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("is not a PEM CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("is not a valid X.509 certificate")
	}
	return cert, nil
}

// Expired reports whether the leaf certificate is outside its validity period at now.
func (c *ClientCertificate) Expired(now time.Time) bool {
	return now.Before(c.Leaf.NotBefore) || now.After(c.Leaf.NotAfter)
}
