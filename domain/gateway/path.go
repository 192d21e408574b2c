package gateway

import "errors"

// Mode says which gateway listener a path was received on.
type Mode int

const (
	// Standalone is the /{app}/{service}/{path...} listener (Kyma port 8080).
	Standalone Mode = iota
	// Compass is the /{app}/{service}/{entry}/{path...} listener (Kyma port 8082).
	Compass
)

// String names the listener for logs and metrics.
func (m Mode) String() string {
	if m == Compass {
		return "compass"
	}
	return "standalone"
}

// ErrTooFewSegments is the error for a path that does not name an Application, a service
// and (on the Compass listener) an entry. The message is Kyma's, so clients matching on
// it keep working.
var ErrTooFewSegments = errors.New("failed to extract API Identifier from path")

// Path is a gateway request path split into its routing segments and the caller's
// sub-path.
type Path struct {
	App     string
	Service string
	// Entry is empty on the Standalone listener.
	Entry string
	// Rest is the caller's sub-path exactly as received (still percent-encoded): empty,
	// or starting with '/'. A trailing '/' and empty segments are kept, unlike Kyma,
	// which drops them.
	Rest string
}

// ParsePath splits the escaped request path (URL.EscapedPath, or the raw path the client
// sent) into routing segments and sub-path. Leading slashes are skipped; every routing
// segment must be non-empty, otherwise the error is ErrTooFewSegments. The sub-path is
// never interpreted as a URL, so a ':' in its first segment is just a character (Kyma
// parsed it as a relative URL and lost or rejected such paths). It does not allocate.
func ParsePath(escaped string, m Mode) (Path, error) {
	i := 0
	for i < len(escaped) && escaped[i] == '/' {
		i++
	}
	n := 2
	if m == Compass {
		n = 3
	}
	var seg [3]string
	for k := 0; k < n; k++ {
		j := i
		for j < len(escaped) && escaped[j] != '/' {
			j++
		}
		if j == i {
			return Path{}, ErrTooFewSegments
		}
		seg[k] = escaped[i:j]
		i = j
		if k < n-1 {
			if i == len(escaped) {
				return Path{}, ErrTooFewSegments
			}
			i++ // the single '/' between routing segments
		}
	}
	return Path{App: seg[0], Service: seg[1], Entry: seg[2], Rest: escaped[i:]}, nil
}

// Prefix returns the gateway path that addresses the route itself ("/app/service" or
// "/app/service/entry"): what a rewritten Location starts with.
func (p Path) Prefix() string {
	if p.Entry != "" {
		return "/" + p.App + "/" + p.Service + "/" + p.Entry
	}
	return "/" + p.App + "/" + p.Service
}
