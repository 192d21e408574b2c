package metadata

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/appconnector/appconnector/domain/application"
)

// maxCommonNameLength is the X.509 upper bound for a subject common name (RFC 5280).
const maxCommonNameLength = 64

// Validate checks d as the registry does on POST and PUT and returns a *ValidationError
// naming every problem, or nil. Messages never quote a secret value or a URL.
func (d *ServiceDefinition) Validate() error {
	v := &ValidationError{}
	if d.Provider == "" {
		v.field("Provider field cannot be empty.")
	}
	switch {
	case d.Name == "":
		v.field("Name field cannot be empty.")
	case application.NormalizeName(d.Name) == "":
		// The gateway routes by the normalised name; an empty one cannot be called.
		v.field("Name field must contain at least one letter or digit.")
	}
	if d.Description == "" {
		v.field("Description field cannot be empty.")
	}
	if d.API != nil {
		d.API.validate(v)
	}
	if d.Events != nil && isAbsent(d.Events.Spec) {
		v.field("spec cannot be empty")
	}
	if doc := d.Documentation; doc != nil {
		if doc.DisplayName == "" {
			v.field("displayName field cannot be empty in documentation")
		}
		if doc.Description == "" {
			v.field("description field cannot be empty in documentation")
		}
		if doc.Type == "" {
			v.field("type field cannot be empty in documentation")
		}
	}

	if d.API == nil && d.Events == nil {
		v.rule("At least one of service definition attributes: 'api', 'events' have to be provided")
	}
	if d.API != nil {
		if !isAbsent(d.API.Spec) && !isJSONObject(d.API.Spec) {
			v.rule("api.Spec is not a proper json object")
		}
		if c := d.API.Credentials; c != nil && count(c.OAuth != nil, c.Basic != nil, c.CertificateGen != nil) > 1 {
			v.rule("api.CredentialsWithCSRF is invalid: too many authentication methods provided")
		}
		if c := d.API.SpecificationCredentials; c != nil && count(c.OAuth != nil, c.Basic != nil) > 1 {
			v.rule("api.SpecificationCredentials is invalid: too many authentication methods provided")
		}
	}
	if d.Events != nil && !isAbsent(d.Events.Spec) && !isJSONObject(d.Events.Spec) {
		v.rule("events.Spec is not a proper json object")
	}
	return v.orNil()
}

func (a *API) validate(v *ValidationError) {
	checkURL(v, "targetUrl", "targetUrl field cannot be empty.", a.TargetURL)
	if a.SpecificationURL != "" {
		checkURL(v, "specificationUrl", "", a.SpecificationURL)
	}
	if c := a.Credentials; c != nil {
		if c.OAuth != nil {
			c.OAuth.validate(v, "api.credentials.oauth")
		}
		if c.Basic != nil {
			c.Basic.validate(v, "api.credentials.basic")
		}
		if g := c.CertificateGen; g != nil {
			switch {
			case g.CommonName == "":
				v.field("certificateGen commonName field cannot be empty")
			case len(g.CommonName) > maxCommonNameLength:
				v.field("certificateGen commonName must be at most %d characters, got %d", maxCommonNameLength, len(g.CommonName))
			}
			checkCSRF(v, "api.credentials.certificateGen", g.CSRFInfo)
		}
	}
	if c := a.SpecificationCredentials; c != nil {
		if c.OAuth != nil {
			c.OAuth.validate(v, "api.specificationCredentials.oauth")
		}
		if c.Basic != nil {
			c.Basic.validate(v, "api.specificationCredentials.basic")
		}
	}
	if a.RequestParameters != nil {
		a.RequestParameters.validate(v, "api.requestParameters")
	} else {
		(&RequestParameters{Headers: a.Headers, QueryParameters: a.QueryParameters}).validate(v, "api")
	}
	if a.SpecificationRequestParameters != nil {
		a.SpecificationRequestParameters.validate(v, "api.specificationRequestParameters")
	}
}

func (o *OAuth) validate(v *ValidationError, path string) {
	checkURL(v, path+".url", "oauth url field cannot be empty", o.URL)
	if o.ClientID == "" {
		v.field("oauth clientId field cannot be empty")
	}
	if o.ClientSecret == "" {
		v.field("oauth clientSecret cannot be empty")
	}
	if o.RequestParameters != nil {
		o.RequestParameters.validate(v, path+".requestParameters")
	}
	checkCSRF(v, path, o.CSRFInfo)
}

func (b *Basic) validate(v *ValidationError, path string) {
	if b.Username == "" {
		v.field("basic auth username field cannot be empty")
	}
	if b.Password == "" {
		v.field("basic auth password field cannot be empty")
	}
	checkCSRF(v, path, b.CSRFInfo)
}

func checkCSRF(v *ValidationError, path string, c *CSRFInfo) {
	if c != nil {
		checkURL(v, path+".csrfInfo.tokenEndpointURL", "tokenEndpointURL field cannot be empty", c.TokenEndpointURL)
	}
}

// checkURL requires an absolute http(s) URL with a host and no user information, the
// same rule the Application's validation applies, so a registered service always makes a
// valid Application. The value is never quoted: it may carry credentials.
func checkURL(v *ValidationError, field, emptyMessage, raw string) {
	if raw == "" {
		if emptyMessage != "" {
			v.field("%s", emptyMessage)
		}
		return
	}
	if reason := application.CheckURL(raw); reason != "" {
		v.field("%s: %s", field, reason)
	}
}

func (p *RequestParameters) validate(v *ValidationError, path string) {
	for _, name := range sortedKeys(p.Headers) {
		if !validHeaderName(name) {
			v.field("%s.headers: %q is not a valid HTTP header name", path, name)
			continue
		}
		for _, val := range p.Headers[name] {
			if strings.ContainsAny(val, "\r\n\x00") {
				v.field("%s.headers: the value of %q must not contain CR, LF or NUL", path, name)
				break
			}
		}
	}
	if _, empty := p.QueryParameters[""]; empty {
		v.field("%s.queryParameters: parameter names must not be empty", path)
	}
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// isAbsent treats a missing spec and a JSON null alike, as Kyma did.
func isAbsent(raw []byte) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

func isJSONObject(raw []byte) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '{' && json.Valid(t)
}

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
