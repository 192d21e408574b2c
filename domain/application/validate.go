package application

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

const (
	maxNameLength = 253
	// maxLabelLength bounds a label value and the name part of a label key, as in
	// Kubernetes.
	maxLabelLength = 63
	// maxQuoted is how much of a rejected key or value a message quotes: enough to
	// recognise it, while a 500 KB label does not come back in the error.
	maxQuoted = 80
)

var (
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// accessLabel is also Kubernetes' pattern of label values and of the name part of
	// qualified names (label keys).
	accessLabel = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
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
	if reason := CheckResourceVersion(a.ResourceVersion); reason != "" {
		v.add("metadata.resourceVersion", "%s", reason)
	}
	v.Errors = append(v.Errors, CheckLabels("metadata.labels", a.Labels)...)
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

// CheckResourceVersion returns why rv cannot be a resource version a store issued, or
// "" when it can (or is empty: an unconditional write). Every store, like Kubernetes,
// counts versions with an unsigned integer, so anything else is a malformed request
// rather than a stale version.
func CheckResourceVersion(rv string) string {
	if rv == "" {
		return ""
	}
	if _, err := strconv.ParseUint(rv, 10, 64); err != nil {
		return fmt.Sprintf("%s is not a resource version: send back the value a read returned, or leave it out", quote(rv))
	}
	return ""
}

// CheckLabels checks labels as Kubernetes checks metadata.labels, so that whatever is
// accepted here can also be written as a custom resource. Each error names the label by
// its field path, field["key"]; the list is sorted by key.
func CheckLabels(field string, labels map[string]string) []FieldError {
	var out []FieldError
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		path := fmt.Sprintf("%s[%s]", field, quote(k))
		if reason := checkQualifiedName(k); reason != "" {
			out = append(out, FieldError{Field: path, Reason: reason})
		}
		if reason := checkLabelValue(labels[k]); reason != "" {
			out = append(out, FieldError{Field: path, Reason: reason})
		}
	}
	return out
}

// checkQualifiedName is Kubernetes' IsQualifiedName: an optional DNS subdomain prefix
// and '/', then a name of at most 63 characters.
func checkQualifiedName(k string) string {
	const shape = "a qualified name must be an optional DNS subdomain prefix and '/' " +
		"(e.g. 'example.com/MyName') followed by a name of alphanumeric characters, '-', '_' or '.' " +
		"that starts and ends with an alphanumeric character"
	prefix, name, hasPrefix := strings.Cut(k, "/")
	if !hasPrefix {
		name, prefix = prefix, ""
	}
	switch {
	case strings.Contains(name, "/"):
		return shape
	case hasPrefix && prefix == "":
		return "prefix part must not be empty; " + shape
	case hasPrefix && CheckName(prefix) != "":
		return "prefix part " + CheckName(prefix)
	case name == "":
		return "name part must not be empty; " + shape
	case len(name) > maxLabelLength:
		return fmt.Sprintf("name part must be at most %d characters, got %d", maxLabelLength, len(name))
	case !accessLabel.MatchString(name):
		return shape
	}
	return ""
}

func checkLabelValue(v string) string {
	switch {
	case v == "":
		return ""
	case len(v) > maxLabelLength:
		return fmt.Sprintf("value must be at most %d characters, got %d", maxLabelLength, len(v))
	case !accessLabel.MatchString(v):
		return fmt.Sprintf("value %q must be empty or consist of alphanumeric characters, '-', '_' or '.', and start and end with an alphanumeric character", v)
	}
	return ""
}

// quote quotes s for a message, shortened when it is too long to be worth echoing.
func quote(s string) string {
	if len(s) > maxQuoted {
		return strconv.Quote(s[:maxQuoted]) + "..."
	}
	return strconv.Quote(s)
}
