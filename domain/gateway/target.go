package gateway

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrInvalidPath is returned when the caller's sub-path holds a malformed percent-escape
// and so cannot be decoded for encodeUrl true. The gateway answers 400.
var ErrInvalidPath = errors.New("invalid percent-encoding in path")

// ErrDotSegment is returned when the caller's sub-path holds a "." or ".." segment, also
// percent-encoded ("%2e%2e"), behind an encoded slash ("a%2F..") or a backslash, or
// followed by path parameters ("..;x"). Forwarded, such a path lets the target resolve
// it above the entry's base path, so the injected credentials would reach resources
// outside the registered API. The gateway answers 400.
var ErrDotSegment = errors.New("path must not contain '.' or '..' segments")

// Target is an entry's targetUrl, parsed once when the route table is compiled, so a
// request only joins strings.
type Target struct {
	// Scheme is "http" or "https".
	Scheme string
	// Host is host[:port] as written in targetUrl; it is also the Host header sent.
	Host string
	// hostname and port are the lower-cased host name and the effective port (the
	// scheme's default when none is written), for comparing Location headers.
	hostname string
	port     string
	// path is the decoded base path and rawPath its escaped form, both without a
	// trailing '/', so that joining a sub-path adds exactly one.
	path    string
	rawPath string
	// slash remembers a trailing '/' of the base path, used when the caller adds nothing.
	slash bool
	// Query is targetUrl's raw query, merged in front of the caller's.
	Query string
}

// ParseTarget parses an absolute http(s) targetUrl.
func ParseTarget(raw string) (*Target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse target url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("target url must be http or https, got scheme %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("target url must name a host")
	}
	t := &Target{Scheme: u.Scheme, Host: u.Host, Query: u.RawQuery}
	t.hostname, t.port = hostPort(u)
	raw = u.EscapedPath()
	t.slash = strings.HasSuffix(raw, "/")
	t.rawPath = strings.TrimSuffix(raw, "/")
	t.path = strings.TrimSuffix(u.Path, "/")
	return t, nil
}

// hostPort returns the lower-cased host name and the effective port of u.
func hostPort(u *url.URL) (string, string) {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return strings.ToLower(u.Hostname()), port
}

// String returns the target base as a URL, for logs and error messages.
func (t *Target) String() string {
	return t.Scheme + "://" + t.Host + t.basePath(t.rawPath)
}

func (t *Target) basePath(p string) string {
	if t.slash {
		return p + "/"
	}
	if p == "" {
		return "/"
	}
	return p
}

// Path returns the request path for the caller's escaped sub-path rest (as from
// ParsePath), as a pair of (decoded path, raw path) to store in url.URL.Path and
// url.URL.RawPath:
//
//   - encode true (Kyma's default): the sub-path is decoded and Go's standard escaping is
//     applied when the request is written, so "('%7Cx%7C')" reaches the target as
//     "%28%27%7Cx%7C%27%29" and "%2F" becomes "/", exactly as in Kyma. rawPath is "".
//   - encode false: the caller's escaping is kept byte for byte ("%2F" stays "%2F",
//     "('%7Cx%7C')" stays as is); only bytes that may not appear in a URI path at all
//     (for example '|', '"', '{') are percent-encoded.
//
// The base path of targetUrl and the sub-path are joined with exactly one '/'. An empty
// sub-path leaves the base path as written in targetUrl ("/" when it has none).
func (t *Target) Path(rest string, encode bool) (path, rawPath string, err error) {
	if rest == "" {
		if encode {
			return t.basePath(t.path), "", nil
		}
		return t.basePath(t.path), t.basePath(t.rawPath), nil
	}
	if hasDotSegment(rest) {
		return "", "", ErrDotSegment
	}
	if encode {
		dec, err := url.PathUnescape(rest)
		if err != nil {
			return "", "", ErrInvalidPath
		}
		return t.path + dec, "", nil
	}
	rawPath = t.rawPath + EscapeIllegal(rest)
	path, err = url.PathUnescape(rawPath)
	if err != nil {
		return "", "", ErrInvalidPath
	}
	return path, rawPath, nil
}

// sameHost reports whether u names the target's host name and effective port.
func (t *Target) sameHost(u *url.URL) bool {
	h, p := hostPort(u)
	return h == t.hostname && p == t.port
}

// isPathByte reports whether c may appear unescaped in a URI path (RFC 3986 pchar and
// '/'); '%' is handled by the caller.
func isPathByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', // unreserved
		'!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', // sub-delims
		':', '@', '/':
		return true
	}
	return false
}

// hasDotSegment reports whether the escaped sub-path s has a segment that a server may
// resolve as "." or "..". Segments end at '/', a backslash and their escapes (servers on Windows
// treat a backslash as a separator, and encodeUrl true decodes "%2F"); a segment counts by
// what comes before a ';' (path parameters, which servlet containers strip). It does not
// allocate.
func hasDotSegment(s string) bool {
	if strings.IndexByte(s, '.') < 0 && !strings.Contains(s, "%2") {
		return false
	}
	dots, other, params := 0, false, false
	for i := 0; i <= len(s); {
		c, n := byte('/'), 1
		if i < len(s) {
			c = s[i]
			if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				c, n = unhex(s[i+1])<<4|unhex(s[i+2]), 3
			}
		}
		i += n
		switch {
		case c == '/' || c == '\\':
			if !other && (dots == 1 || dots == 2) {
				return true
			}
			dots, other, params = 0, false, false
		case params:
		case c == ';':
			params = true
		case c == '.':
			dots++
		default:
			other = true
		}
	}
	return false
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// EscapeIllegal percent-encodes the bytes of an escaped path that may not appear in a
// URI path, and a '%' that does not start a valid escape; everything else, including
// existing escapes, is kept. It returns s itself when nothing needs escaping.
func EscapeIllegal(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !legalAt(s, i) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if legalAt(s, i) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return string(b)
}

func legalAt(s string, i int) bool {
	c := s[i]
	if c == '%' {
		return i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2])
	}
	return isPathByte(c)
}
