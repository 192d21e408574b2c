package compass

import (
	"crypto/x509/pkix"
	"fmt"
	"strings"

	"github.com/appconnector/appconnector/domain/certificate"
)

// maxQuotedSubject bounds how much of a rejected subject an error quotes.
const maxQuotedSubject = 200

// ParseSubject parses certificateSigningRequestInfo.subject, "O=..,OU=..,L=..,ST=..,C=..,CN=..",
// into the subject of the runtime's CSR. Kyma split on ',' and '=' (a segment without
// '=' panicked, a ',' inside a value broke it); this reads RFC 4514: spaces around
// separators, escaped or quoted ',' ("O=Acme\, Inc." and `O="Acme, Inc."`). Accepted
// attributes are CN (exactly one, not empty), O, OU, L, ST, C, STREET, POSTALCODE and
// SERIALNUMBER; repeated ones are kept in order. Anything else, an empty value, or a
// malformed segment is an error wrapping ErrInvalid that says which.
func ParseSubject(s string) (pkix.Name, error) {
	bad := func(format string, args ...any) (pkix.Name, error) {
		return pkix.Name{}, fmt.Errorf("%w: subject %s: %s", ErrInvalid, quoteSubject(s), fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(s) == "" {
		return bad("is empty")
	}
	dn, err := certificate.ParseDN(s)
	if err != nil {
		return bad("%v (want comma-separated TYPE=value pairs, e.g. O=Org,OU=Unit,CN=name)", err)
	}
	var n pkix.Name
	cns := 0
	for _, a := range dn {
		if a.Value == "" {
			return bad("attribute %s has an empty value", a.Type)
		}
		switch a.Type {
		case "CN":
			cns++
			n.CommonName = a.Value
		case "O":
			n.Organization = append(n.Organization, a.Value)
		case "OU":
			n.OrganizationalUnit = append(n.OrganizationalUnit, a.Value)
		case "L":
			n.Locality = append(n.Locality, a.Value)
		case "ST":
			n.Province = append(n.Province, a.Value)
		case "C":
			n.Country = append(n.Country, a.Value)
		case "STREET":
			n.StreetAddress = append(n.StreetAddress, a.Value)
		case "POSTALCODE":
			n.PostalCode = append(n.PostalCode, a.Value)
		case "SERIALNUMBER":
			n.SerialNumber = a.Value
		default:
			return bad("attribute %s is not supported; use O, OU, L, ST, C and CN", a.Type)
		}
	}
	switch cns {
	case 0:
		return bad("has no CN; the CN is the runtime's client id")
	case 1:
		return n, nil
	default:
		return bad("has %d CN attributes, want one", cns)
	}
}

func quoteSubject(s string) string {
	if len(s) > maxQuotedSubject {
		return fmt.Sprintf("%q...", s[:maxQuotedSubject])
	}
	return fmt.Sprintf("%q", s)
}
