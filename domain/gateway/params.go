package gateway

import (
	"net/textproto"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/appconnector/appconnector/domain/credential"
)

// Params are request parameters (gateway reference section 2.6) compiled for injection:
// header names canonicalised and query pairs pre-encoded, so that a request only checks
// presence and appends.
type Params struct {
	headers []headerParam
	query   []queryParam
}

type headerParam struct {
	key string
	// values has len == cap, so an append by anyone holding the request header copies
	// instead of writing into this shared array.
	values []string
}

type queryParam struct {
	key string
	// encoded is "k=v1&k=v2", ready to append.
	encoded string
}

// CompileParams prepares p for injection. It returns nil when p adds nothing.
func CompileParams(p credential.RequestParameters) *Params {
	if p.IsEmpty() {
		return nil
	}
	out := &Params{}
	hdr := map[string][]string{}
	for k, vs := range p.Headers {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		hdr[ck] = append(hdr[ck], vs...)
	}
	for k, vs := range hdr {
		out.headers = append(out.headers, headerParam{key: k, values: slices.Clip(slices.Clone(vs))})
	}
	sort.Slice(out.headers, func(i, j int) bool { return out.headers[i].key < out.headers[j].key })
	for k, vs := range p.QueryParameters {
		var b strings.Builder
		ek := url.QueryEscape(k)
		for i, v := range vs {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(ek)
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
		if len(vs) == 0 {
			continue
		}
		out.query = append(out.query, queryParam{key: k, encoded: b.String()})
	}
	sort.Slice(out.query, func(i, j int) bool { return out.query[i].key < out.query[j].key })
	if len(out.headers) == 0 && len(out.query) == 0 {
		return nil
	}
	return out
}

// HasQuery reports whether the parameters add query parameters.
func (p *Params) HasQuery() bool { return p != nil && len(p.query) > 0 }

// ApplyHeaders adds every configured header whose canonical name h does not already
// hold: the caller wins. Kyma compared the Secret's spelling of the name with the
// canonicalised request header, so a lower-case name in the Secret duplicated the
// caller's header; here names are canonicalised first.
func (p *Params) ApplyHeaders(h map[string][]string) {
	if p == nil {
		return
	}
	for i := range p.headers {
		hp := &p.headers[i]
		if _, ok := h[hp.key]; !ok {
			h[hp.key] = hp.values
		}
	}
}

// MergeQuery returns the query to send: targetUrl's query, then the caller's, then each
// configured query parameter whose key neither already holds (the caller wins). Unlike
// Kyma, existing parameters keep their order and encoding; Kyma re-encoded and sorted the
// whole query whenever parameters were configured. It allocates only when it has to join.
func MergeQuery(targetQuery, callerQuery string, p *Params) string {
	q := targetQuery
	switch {
	case q == "":
		q = callerQuery
	case callerQuery != "":
		q = q + "&" + callerQuery
	}
	if !p.HasQuery() {
		return q
	}
	var b []byte
	for i := range p.query {
		qp := &p.query[i]
		if hasQueryKey(q, qp.key) {
			continue
		}
		if b == nil {
			b = make([]byte, 0, len(q)+64)
			b = append(b, q...)
		}
		if len(b) > 0 {
			b = append(b, '&')
		}
		b = append(b, qp.encoded...)
	}
	if b == nil {
		return q
	}
	return string(b)
}

// hasQueryKey reports whether the raw query q has a parameter named key (after
// unescaping). Parameters are separated by '&' only, as in Go since 1.17.
func hasQueryKey(q, key string) bool {
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		k, _, _ := strings.Cut(pair, "=")
		if k == key {
			return true
		}
		if strings.ContainsAny(k, "%+") {
			if uk, err := url.QueryUnescape(k); err == nil && uk == key {
				return true
			}
		}
	}
	return false
}
