package certificate

import (
	"crypto/x509/pkix"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxAttributeLength is the upper bound RFC 5280 sets for O, OU, L, ST and CN
// (ub-organization-name and friends are 64 or 128; 64 is the tightest).
const maxAttributeLength = 64

// Subject is the distinguished name of an Application's client certificate. O, OU, L,
// ST and C come from configuration and are the same for every Application; CN is the
// Application name.
type Subject struct {
	Organization       string
	OrganizationalUnit string
	Locality           string
	Province           string
	Country            string
	CommonName         string
}

// DefaultSubject is the base subject Kyma's examples use; it keeps existing clients'
// CSR templates working when no subject is configured.
var DefaultSubject = Subject{
	Organization:       "Organization",
	OrganizationalUnit: "OrgUnit",
	Locality:           "Waldorf",
	Province:           "Waldorf",
	Country:            "DE",
}

// ForApplication returns s with CN set to the Application name.
func (s Subject) ForApplication(name string) Subject {
	s.CommonName = name
	return s
}

// String renders the subject the way Kyma's connector announces it,
// "O=..,OU=..,L=..,ST=..,C=..,CN=..", escaping RFC 4514 special characters so the string
// stays parseable whatever the configured values contain.
func (s Subject) String() string {
	var b strings.Builder
	for i, a := range s.attributes() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(a.key)
		b.WriteByte('=')
		b.WriteString(escapeDNValue(a.value))
	}
	return b.String()
}

// Name converts s to the pkix.Name written into certificates.
func (s Subject) Name() pkix.Name {
	n := pkix.Name{CommonName: s.CommonName}
	if s.Organization != "" {
		n.Organization = []string{s.Organization}
	}
	if s.OrganizationalUnit != "" {
		n.OrganizationalUnit = []string{s.OrganizationalUnit}
	}
	if s.Locality != "" {
		n.Locality = []string{s.Locality}
	}
	if s.Province != "" {
		n.Province = []string{s.Province}
	}
	if s.Country != "" {
		n.Country = []string{s.Country}
	}
	return n
}

// ValidateBase checks a configured base subject: O, OU, L, ST and C set, printable, at
// most 64 characters, and C two letters. CN is ignored (it is set per Application).
func (s Subject) ValidateBase() error {
	for _, a := range s.attributes()[:5] {
		if err := checkAttribute(a.key, a.value); err != nil {
			return err
		}
	}
	if len(s.Country) != 2 || !isLetter(s.Country[0]) || !isLetter(s.Country[1]) {
		return fmt.Errorf("%w: C must be a two-letter country code, got %q", ErrInvalidSubject, s.Country)
	}
	return nil
}

func checkAttribute(key, value string) error {
	switch {
	case value == "":
		return fmt.Errorf("%w: %s must not be empty", ErrInvalidSubject, key)
	case !utf8.ValidString(value):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidSubject, key)
	case utf8.RuneCountInString(value) > maxAttributeLength:
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalidSubject, key, maxAttributeLength)
	case strings.IndexFunc(value, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return fmt.Errorf("%w: %s contains a non-printable character", ErrInvalidSubject, key)
	}
	return nil
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

type attribute struct{ key, value string }

// attributes lists the subject in the order of Kyma's subject string.
func (s Subject) attributes() []attribute {
	return []attribute{
		{"O", s.Organization},
		{"OU", s.OrganizationalUnit},
		{"L", s.Locality},
		{"ST", s.Province},
		{"C", s.Country},
		{"CN", s.CommonName},
	}
}

// escapeDNValue escapes a value per RFC 4514 section 2.4.
func escapeDNValue(v string) string {
	if v == "" {
		return v
	}
	needs := v[0] == ' ' || v[0] == '#' || v[len(v)-1] == ' ' || strings.ContainsAny(v, ",+\"\\<>;=\x00")
	if !needs {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == 0:
			b.WriteString(`\00`)
			continue
		case strings.IndexByte(",+\"\\<>;=", c) >= 0,
			i == 0 && (c == ' ' || c == '#'),
			i == len(v)-1 && c == ' ':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}
