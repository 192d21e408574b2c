package gateway

import (
	"net/url"
	"strings"
)

// RewritesLocation reports whether a response with this status has its Location header
// rewritten: redirects (3xx) and 201 Created.
func RewritesLocation(status int) bool {
	return status == 201 || status >= 300 && status < 400
}

// RewriteLocation maps a Location header from the target back onto the gateway, so the
// client keeps going through it (and its authentication). loc is resolved against the
// upstream request URL (relative references become absolute on the target). It is
// rewritten only when it is http(s), names the target's host and effective port, and its
// path is the target's base path or below it (whole segments: "/api" does not cover
// "/apiary"). The result is the route prefix ("/app/service[/entry]") followed by the
// remainder of the path, query and fragment, a path-only reference as in Kyma.
// Otherwise loc is returned unchanged and ok is false.
//
// Kyma compared only the host name (ignoring port and scheme) and used a plain string
// prefix for the path, so it rewrote redirects to other servers on the same host and to
// sibling paths.
func (t *Target) RewriteLocation(loc string, upstream *url.URL, prefix string) (string, bool) {
	if loc == "" {
		return loc, false
	}
	u, err := upstream.Parse(loc)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !t.sameHost(u) {
		return loc, false
	}
	p := u.EscapedPath()
	var rem string
	switch {
	case t.rawPath == "":
		rem = p
	case p == t.rawPath:
		rem = ""
	case strings.HasPrefix(p, t.rawPath) && p[len(t.rawPath)] == '/':
		rem = p[len(t.rawPath):]
	default:
		return loc, false
	}
	var b strings.Builder
	b.Grow(len(prefix) + len(rem) + len(u.RawQuery) + len(u.Fragment) + 2)
	b.WriteString(prefix)
	b.WriteString(rem)
	if u.ForceQuery || u.RawQuery != "" {
		b.WriteByte('?')
		b.WriteString(u.RawQuery)
	}
	if u.Fragment != "" {
		b.WriteByte('#')
		b.WriteString(u.EscapedFragment())
	}
	return b.String(), true
}
