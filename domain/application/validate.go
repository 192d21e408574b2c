package application

import (
	"fmt"
	"net/url"
	"regexp"
)

const maxNameLength = 253

var (
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	accessLabel  = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
)

// CheckName returns why s is not a valid object name (a Kubernetes DNS subdomain: at
// most 253 characters of lower-case letters, digits, '-' and '.', starting and ending
// with a letter or digit), or "" when it is. Applications and Secrets share the rule, so
// every name stored here is also valid on a cluster.
func CheckName(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case len(s) > maxNameLength:
		return fmt.Sprintf("must be at most %d characters, got %d", maxNameLength, len(s))
	case !dnsSubdomain.MatchString(s):
		return fmt.Sprintf("%q must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", s)
	}
	return ""
}

// Validate checks a against the CRD schema and the rules the gateway relies on. The
// returned error is a *ValidationError naming every bad field, or nil.
func (a *Application) Validate() error {
	v := &ValidationError{}
	if reason := CheckName(a.Name); reason != "" {
		v.add("metadata.name", "%s", reason)
	}
	a.Spec.validate(v)
	return v.orNil()
}

func (s *Spec) validate(v *ValidationError) {
	checkAccessLabel(v, "spec.accessLabel", s.AccessLabel)
	if s.CompassMetadata != nil {
		for i, id := range s.CompassMetadata.Authentication.ClientIDs {
			if id == "" {
				v.add(fmt.Sprintf("spec.compassMetadata.authentication.clientIds[%d]", i), "must not be empty")
			}
		}
	}
	ids := map[string]int{}
	names := map[string]int{}
	for i := range s.Services {
		svc := &s.Services[i]
		path := fmt.Sprintf("spec.services[%d]", i)
		if svc.ID == "" {
			v.add(path+".id", "must not be empty")
		} else if j, dup := ids[svc.ID]; dup {
			v.add(path+".id", "%q is already used by spec.services[%d]", svc.ID, j)
		} else {
			ids[svc.ID] = i
		}
		if svc.Name == "" {
			v.add(path+".name", "must not be empty")
		} else if j, dup := names[svc.Name]; dup {
			v.add(path+".name", "%q is already used by spec.services[%d]", svc.Name, j)
		} else {
			names[svc.Name] = i
		}
		for k := range svc.Entries {
			svc.Entries[k].validate(v, fmt.Sprintf("%s.entries[%d]", path, k))
		}
	}
}

func (e *Entry) validate(v *ValidationError, path string) {
	switch e.Type {
	case EntryTypeAPI:
		checkURL(v, path+".targetUrl", e.TargetURL, true)
	case EntryTypeEvents:
		checkURL(v, path+".targetUrl", e.TargetURL, false)
	case "":
		v.add(path+".type", "must be set to %q or %q", EntryTypeAPI, EntryTypeEvents)
	default:
		v.add(path+".type", "%q is not one of %q, %q", e.Type, EntryTypeAPI, EntryTypeEvents)
	}
	checkAccessLabel(v, path+".accessLabel", e.AccessLabel)
	if e.RequestParametersSecretName != "" {
		if reason := CheckName(e.RequestParametersSecretName); reason != "" {
			v.add(path+".requestParametersSecretName", "%s", reason)
		}
	}
	if e.Credentials != nil {
		e.Credentials.validate(v, path+".credentials")
	}
}

func (c *Credentials) validate(v *ValidationError, path string) {
	switch c.Type {
	case CredentialBasic, CredentialCertificateGen:
	case CredentialOAuth, CredentialOAuthWithCert:
		if c.AuthenticationURL == "" {
			v.add(path+".authenticationUrl", "is required for credentials of type %s", c.Type)
		}
	case "":
		v.add(path+".type", "must be set")
	default:
		v.add(path+".type", "%q is not one of %s, %s, %s, %s", c.Type,
			CredentialBasic, CredentialOAuth, CredentialOAuthWithCert, CredentialCertificateGen)
	}
	checkURL(v, path+".authenticationUrl", c.AuthenticationURL, false)
	if reason := CheckName(c.SecretName); reason != "" {
		v.add(path+".secretName", "%s", reason)
	}
	if c.CSRFInfo != nil {
		checkURL(v, path+".csrfInfo.tokenEndpointURL", c.CSRFInfo.TokenEndpointURL, true)
	}
}

// checkURL requires an absolute http or https URL with a host, because the gateway
// joins the caller's path onto it and dials its host.
func checkURL(v *ValidationError, field, raw string, required bool) {
	if raw == "" {
		if required {
			v.add(field, "must not be empty")
		}
		return
	}
	if reason := CheckURL(raw); reason != "" {
		v.add(field, "%s", reason)
	}
}

// CheckURL returns why raw is not an absolute http(s) URL with a host, or "".
func CheckURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a valid URL"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "must be an absolute http or https URL"
	}
	if u.Host == "" {
		return "must name a host"
	}
	if u.User != nil {
		return "must not carry user information; put credentials in a Secret"
	}
	return ""
}

func checkAccessLabel(v *ValidationError, field, s string) {
	if s == "" {
		return
	}
	if len(s) > 63 {
		v.add(field, "must be at most 63 characters, got %d", len(s))
	} else if !accessLabel.MatchString(s) {
		v.add(field, "%q does not match %s", s, accessLabel.String())
	}
}
