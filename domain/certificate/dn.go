package certificate

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxDNLength bounds what ParseDN accepts; real subjects are a few hundred bytes.
const maxDNLength = 8 << 10

// Attribute is one type=value pair of a distinguished name. Type is the upper-case
// keyword (CN, O, OU, L, ST, C, ...) or, for unknown attributes, the dotted OID.
type Attribute struct {
	Type  string
	Value string
}

// DN is a parsed distinguished name, attributes in the order they were written.
// Multi-valued RDNs (joined by '+') are flattened.
type DN []Attribute

// Get returns the first value of the attribute type (case-insensitive), or "".
func (d DN) Get(typ string) string {
	typ = canonicalType(typ)
	for _, a := range d {
		if a.Type == typ {
			return a.Value
		}
	}
	return ""
}

// Count returns how many times the attribute type occurs.
func (d DN) Count(typ string) int {
	typ = canonicalType(typ)
	n := 0
	for _, a := range d {
		if a.Type == typ {
			n++
		}
	}
	return n
}

// oidNames maps the OIDs proxies print for common attributes to their keywords.
var oidNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.5":                    "SERIALNUMBER",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "STREET",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"0.9.2342.19200300.100.1.25": "DC",
	"1.2.840.113549.1.9.1":       "EMAILADDRESS",
}

func canonicalType(t string) string {
	t = strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(t, "OID."), "oid."))
	if n, ok := oidNames[t]; ok {
		return n
	}
	if t == "S" {
		return "ST"
	}
	return t
}

// ParseDN parses a distinguished name in RFC 4514 (and the older RFC 2253/1779) string
// form, as Envoy writes it into X-Forwarded-Client-Cert: escaped special characters
// (`\,` and `\2C`), quoted values, '#'-hex values, ';' as well as ',' between RDNs, and
// '+' inside an RDN. Unlike Kyma's validator, which split on ',' and '=' and panicked on
// an element without '=', it returns an error wrapping ErrInvalidSubject for anything
// malformed and never panics.
func ParseDN(s string) (DN, error) {
	if len(s) > maxDNLength {
		return nil, fmt.Errorf("%w: distinguished name longer than %d bytes", ErrInvalidSubject, maxDNLength)
	}
	p := dnParser{s: s}
	var dn DN
	p.skipSpaces()
	if p.eof() {
		return dn, nil
	}
	for {
		a, err := p.attribute()
		if err != nil {
			return nil, err
		}
		dn = append(dn, a)
		p.skipSpaces()
		if p.eof() {
			return dn, nil
		}
		switch p.s[p.i] {
		case ',', ';', '+':
			p.i++
			p.skipSpaces()
			if p.eof() {
				return nil, p.errorf("separator at end of input")
			}
		default:
			return nil, p.errorf("unexpected %q after value", p.s[p.i])
		}
	}
}

type dnParser struct {
	s string
	i int
}

func (p *dnParser) eof() bool { return p.i >= len(p.s) }

func (p *dnParser) skipSpaces() {
	for !p.eof() && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *dnParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: at offset %d: %s", ErrInvalidSubject, p.i, fmt.Sprintf(format, args...))
}

func (p *dnParser) attribute() (Attribute, error) {
	start := p.i
	for !p.eof() && p.s[p.i] != '=' {
		c := p.s[p.i]
		if !(isLetter(c) || c >= '0' && c <= '9' || c == '-' || c == '.' || c == ' ') {
			return Attribute{}, p.errorf("invalid character %q in attribute type", c)
		}
		p.i++
	}
	if p.eof() {
		return Attribute{}, p.errorf("attribute without '='")
	}
	typ := strings.TrimSpace(p.s[start:p.i])
	if typ == "" || strings.Contains(typ, " ") {
		return Attribute{}, p.errorf("invalid attribute type %q", typ)
	}
	p.i++ // '='
	p.skipSpaces()
	var (
		val string
		err error
	)
	switch {
	case p.eof():
		val = ""
	case p.s[p.i] == '"':
		val, err = p.quoted()
	case p.s[p.i] == '#':
		val, err = p.hexString()
	default:
		val, err = p.plain()
	}
	if err != nil {
		return Attribute{}, err
	}
	if !utf8.ValidString(val) {
		return Attribute{}, p.errorf("value of %s is not valid UTF-8", typ)
	}
	return Attribute{Type: canonicalType(typ), Value: val}, nil
}

func (p *dnParser) quoted() (string, error) {
	p.i++ // opening quote
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.i]
		switch c {
		case '"':
			p.i++
			return b.String(), nil
		case '\\':
			r, err := p.escape()
			if err != nil {
				return "", err
			}
			b.WriteByte(r)
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", p.errorf("unterminated quoted value")
}

func (p *dnParser) hexString() (string, error) {
	start := p.i
	p.i++ // '#'
	for !p.eof() && isHex(p.s[p.i]) {
		p.i++
	}
	if n := p.i - start - 1; n == 0 || n%2 != 0 {
		return "", p.errorf("hex value must have an even, non-zero number of digits")
	}
	return p.s[start:p.i], nil
}

func (p *dnParser) plain() (string, error) {
	var b strings.Builder
	keep := 0 // length of b up to the last character that must not be trimmed
	for !p.eof() {
		c := p.s[p.i]
		switch c {
		case ',', ';', '+':
			return b.String()[:keep], nil
		case '\\':
			r, err := p.escape()
			if err != nil {
				return "", err
			}
			b.WriteByte(r)
			keep = b.Len()
		case '"':
			return "", p.errorf("unescaped '\"' in value")
		default:
			b.WriteByte(c)
			p.i++
			if c != ' ' {
				keep = b.Len()
			}
		}
	}
	return b.String()[:keep], nil
}

// escape decodes `\c` (a special character) or `\hh` (one byte in hex) at p.i.
func (p *dnParser) escape() (byte, error) {
	p.i++ // backslash
	if p.eof() {
		return 0, p.errorf("escape at end of input")
	}
	c := p.s[p.i]
	if isHex(c) && p.i+1 < len(p.s) && isHex(p.s[p.i+1]) {
		v := unhex(c)<<4 | unhex(p.s[p.i+1])
		p.i += 2
		return v, nil
	}
	if strings.IndexByte(" \"#+,;<=>\\", c) < 0 {
		return 0, p.errorf("invalid escape %q", c)
	}
	p.i++
	return c, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
