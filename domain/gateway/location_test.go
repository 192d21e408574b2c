package gateway

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRewriteLocation(t *testing.T) {
	tg, err := ParseTarget("http://target.example:8080/api")
	require.NoError(t, err)
	upstream, err := url.Parse("http://target.example:8080/api/orders/1")
	require.NoError(t, err)
	const prefix = "/app/svc"
	tests := []struct {
		name string
		loc  string
		want string
		ok   bool
	}{
		{name: "absolute same host", loc: "http://target.example:8080/api/orders/2?x=1#f", want: "/app/svc/orders/2?x=1#f", ok: true},
		{name: "relative path", loc: "3", want: "/app/svc/orders/3", ok: true},
		{name: "absolute path", loc: "/api/x", want: "/app/svc/x", ok: true},
		{name: "base itself", loc: "/api", want: "/app/svc", ok: true},
		{name: "host case-insensitive", loc: "http://TARGET.example:8080/api/x", want: "/app/svc/x", ok: true},
		{name: "escapes kept", loc: "/api/a%2Fb", want: "/app/svc/a%2Fb", ok: true},
		{name: "other host", loc: "http://other.example:8080/api/x", want: "http://other.example:8080/api/x"},
		{name: "other port", loc: "http://target.example:9090/api/x", want: "http://target.example:9090/api/x"},
		{name: "other scheme is other port", loc: "https://target.example/api/x", want: "https://target.example/api/x"},
		{name: "sibling path", loc: "/apiary/x", want: "/apiary/x"},
		{name: "outside base", loc: "/other", want: "/other"},
		{name: "not http", loc: "mailto:a@b", want: "mailto:a@b"},
		{name: "empty", loc: "", want: ""},
		{name: "unparsable", loc: "http://[::1", want: "http://[::1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tg.RewriteLocation(tc.loc, upstream, prefix)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.ok, ok)
		})
	}
}

func TestRewriteLocationRootTargetDefaultPort(t *testing.T) {
	tg, err := ParseTarget("https://h.example")
	require.NoError(t, err)
	upstream, _ := url.Parse("https://h.example/x")
	got, ok := tg.RewriteLocation("https://h.example:443/y/z", upstream, "/a/s/e")
	assert.True(t, ok)
	assert.Equal(t, "/a/s/e/y/z", got)
}

func TestRewritesLocation(t *testing.T) {
	for status, want := range map[int]bool{200: false, 201: true, 204: false, 301: true, 302: true, 307: true, 399: true, 400: false} {
		assert.Equal(t, want, RewritesLocation(status), status)
	}
}
