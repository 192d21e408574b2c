package connectorapi

import (
	"errors"
	"fmt"
	"strings"
)

// XFCCHeader is the header a TLS-terminating proxy (Envoy, Istio) uses to pass the
// verified client certificate on.
const XFCCHeader = "X-Forwarded-Client-Cert"

// Limits that keep a hostile header cheap to reject.
const (
	maxXFCCLength   = 64 << 10
	maxXFCCElements = 32
)

// errXFCC is wrapped by every XFCC syntax error.
var errXFCC = errors.New("malformed X-Forwarded-Client-Cert")

// XFCCElement is one element of an XFCC header: what one proxy says about one client
// certificate. Values are as written, except that the quotes around quoted values are
// removed and \" in them is unescaped; Subject keeps all its backslash escapes, \"
// included, so that it parses as a DN.
type XFCCElement struct {
	By      string
	Hash    string
	Cert    string
	Chain   string
	Subject string
	URI     []string
	DNS     []string
}

// ParseXFCC parses an XFCC header value as Envoy writes it: elements separated by ',',
// key=value pairs separated by ';', values optionally double-quoted (then ',', ';' and
// '=' inside are literal and '\"' does not end the value), and backslash-escaped
// delimiters in unquoted values. Keys are case-insensitive; unknown keys are ignored.
// Unlike Kyma's regex-and-split parser it never panics and reports malformed input.
// Subject keeps its backslash escapes, \" included, for ParseDN.
func ParseXFCC(v string) ([]XFCCElement, error) {
	if len(v) > maxXFCCLength {
		return nil, fmt.Errorf("%w: longer than %d bytes", errXFCC, maxXFCCLength)
	}
	p := xfccParser{s: v}
	var out []XFCCElement
	for {
		p.skipSpaces()
		if p.eof() {
			if len(out) == 0 {
				return nil, fmt.Errorf("%w: empty", errXFCC)
			}
			return nil, fmt.Errorf("%w: trailing ','", errXFCC)
		}
		el, err := p.element()
		if err != nil {
			return nil, err
		}
		out = append(out, el)
		if len(out) > maxXFCCElements {
			return nil, fmt.Errorf("%w: more than %d elements", errXFCC, maxXFCCElements)
		}
		if p.eof() {
			return out, nil
		}
		p.i++ // ','
	}
}

type xfccParser struct {
	s string
	i int
}

func (p *xfccParser) eof() bool { return p.i >= len(p.s) }

func (p *xfccParser) skipSpaces() {
	for !p.eof() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *xfccParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: at offset %d: %s", errXFCC, p.i, fmt.Sprintf(format, args...))
}

// element parses pairs up to an unquoted ',' or the end. A key other than URI and DNS
// given twice is an error: which value would count is a guess.
func (p *xfccParser) element() (XFCCElement, error) {
	var (
		el   XFCCElement
		seen = map[string]bool{}
	)
	for {
		p.skipSpaces()
		start := p.i
		for !p.eof() && p.s[p.i] != '=' && p.s[p.i] != ';' && p.s[p.i] != ',' {
			p.i++
		}
		if p.eof() || p.s[p.i] != '=' {
			return el, p.errorf("pair without '='")
		}
		key := strings.TrimSpace(p.s[start:p.i])
		if key == "" {
			return el, p.errorf("empty key")
		}
		p.i++ // '='
		raw, err := p.value()
		if err != nil {
			return el, err
		}
		val := unescapeQuote(raw)
		lower := strings.ToLower(key)
		if lower != "uri" && lower != "dns" {
			if seen[lower] {
				return el, p.errorf("duplicate key %q", key)
			}
			seen[lower] = true
		}
		switch lower {
		case "by":
			el.By = val
		case "hash":
			el.Hash = val
		case "cert":
			el.Cert = val
		case "chain":
			el.Chain = val
		case "subject":
			// Kept escaped: Envoy prints the subject in RFC 2253 form, where a '"' in a
			// value is already written \", which the DN parser understands.
			el.Subject = raw
		case "uri":
			el.URI = append(el.URI, val)
		case "dns":
			el.DNS = append(el.DNS, val)
		}
		p.skipSpaces()
		if p.eof() || p.s[p.i] == ',' {
			return el, nil
		}
		if p.s[p.i] != ';' {
			return el, p.errorf("unexpected %q after value", p.s[p.i])
		}
		p.i++ // ';'
		p.skipSpaces()
		if p.eof() || p.s[p.i] == ',' {
			return el, nil // a trailing ';' is harmless
		}
	}
}

func (p *xfccParser) value() (string, error) {
	if !p.eof() && p.s[p.i] == '"' {
		p.i++
		start := p.i
		for !p.eof() {
			switch p.s[p.i] {
			case '\\':
				p.i += 2 // keep the escape for the DN parser, skip the escaped byte
				continue
			case '"':
				v := p.s[start:p.i]
				p.i++
				return v, nil
			}
			p.i++
		}
		return "", p.errorf("unterminated quoted value")
	}
	start := p.i
	for !p.eof() {
		c := p.s[p.i]
		if c == '\\' {
			p.i += 2
			continue
		}
		if c == ';' || c == ',' {
			break
		}
		if c == '"' {
			return "", p.errorf("quote inside an unquoted value")
		}
		p.i++
	}
	if p.i > len(p.s) {
		p.i = len(p.s)
		return "", p.errorf("escape at end of input")
	}
	return strings.TrimSpace(p.s[start:p.i]), nil
}

// unescapeQuote turns the proxy's \" back into ", the one escape the XFCC format itself
// defines; every other backslash sequence belongs to the DN and is kept.
func unescapeQuote(v string) string {
	if !strings.Contains(v, `\"`) {
		return v
	}
	return strings.ReplaceAll(v, `\"`, `"`)
}
