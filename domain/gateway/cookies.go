package gateway

import "strings"

// Cookie is a name and value from a CSRF token response's Set-Cookie headers.
type Cookie struct {
	Name  string
	Value string
}

// MergeCookies returns the Cookie header to send with a CSRF token: the caller's cookies
// (from every Cookie header line) except those a CSRF cookie replaces by name, followed
// by the CSRF cookies, joined with "; ". Malformed caller cookie pairs are kept as sent;
// it is the target's business to judge them.
func MergeCookies(caller []string, csrf []Cookie) string {
	var b strings.Builder
	for _, line := range caller {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			name, _, _ := strings.Cut(part, "=")
			if replaced(strings.TrimSpace(name), csrf) {
				continue
			}
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(part)
		}
	}
	for _, c := range csrf {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.Name)
		b.WriteByte('=')
		b.WriteString(c.Value)
	}
	return b.String()
}

func replaced(name string, csrf []Cookie) bool {
	for _, c := range csrf {
		if c.Name == name {
			return true
		}
	}
	return false
}
