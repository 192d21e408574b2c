package gateway

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sent returns the request-target path Go writes for (path, rawPath).
func sent(path, rawPath string) string {
	return (&url.URL{Path: path, RawPath: rawPath}).EscapedPath()
}

func TestTargetPath(t *testing.T) {
	tests := []struct {
		name   string
		target string
		rest   string
		encode bool
		want   string
	}{
		{name: "no base, no rest", target: "http://h", want: "/"},
		{name: "root base, no rest", target: "http://h/", want: "/"},
		{name: "base, no rest", target: "http://h/api", want: "/api"},
		{name: "base with slash, no rest", target: "http://h/api/", want: "/api/"},
		{name: "join one slash", target: "http://h/api/", rest: "/orders", want: "/api/orders"},
		{name: "join without base", target: "http://h", rest: "/orders", want: "/orders"},
		{name: "trailing slash kept", target: "http://h/api", rest: "/orders/", want: "/api/orders/"},
		{name: "bare trailing slash", target: "http://h/api", rest: "/", want: "/api/"},
		{name: "colon segment", target: "http://h/api", rest: "/orders:1", want: "/api/orders:1"},
		{name: "odata encode true", target: "http://h/odata", rest: "/Orders('%7Cx%7C')", encode: true, want: "/odata/Orders%28%27%7Cx%7C%27%29"},
		{name: "odata encode false", target: "http://h/odata", rest: "/Orders('%7Cx%7C')", want: "/odata/Orders('%7Cx%7C')"},
		{name: "slash escape encode true", target: "http://h/api", rest: "/a%2Fb", encode: true, want: "/api/a/b"},
		{name: "slash escape encode false", target: "http://h/api", rest: "/a%2Fb", want: "/api/a%2Fb"},
		{name: "illegal byte escaped, escapes kept", target: "http://h/api", rest: "/a%2Fb|c", want: "/api/a%2Fb%7Cc"},
		{name: "lone percent escaped", target: "http://h/api", rest: "/100%", want: "/api/100%25"},
		{name: "escaped base encode false", target: "http://h/a%20b", rest: "/c%20d", want: "/a%20b/c%20d"},
		{name: "escaped base encode true", target: "http://h/a%20b", rest: "/c%20d", encode: true, want: "/a%20b/c%20d"},
		{name: "space encode true", target: "http://h", rest: "/x%20y", encode: true, want: "/x%20y"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := ParseTarget(tc.target)
			require.NoError(t, err)
			p, raw, err := tg.Path(tc.rest, tc.encode)
			require.NoError(t, err)
			assert.Equal(t, tc.want, sent(p, raw))
		})
	}
}

func TestTargetPathInvalidEscape(t *testing.T) {
	tg, err := ParseTarget("http://h/api")
	require.NoError(t, err)
	_, _, err = tg.Path("/%zz", true)
	require.ErrorIs(t, err, ErrInvalidPath)
}

func TestParseTarget(t *testing.T) {
	tg, err := ParseTarget("https://Example.com/api/?a=1")
	require.NoError(t, err)
	assert.Equal(t, "https", tg.Scheme)
	assert.Equal(t, "Example.com", tg.Host)
	assert.Equal(t, "a=1", tg.Query)
	assert.Equal(t, "https://Example.com/api/", tg.String())

	for _, bad := range []string{"ftp://h/x", "/relative", "http://", "http://h/%zz"} {
		_, err := ParseTarget(bad)
		assert.Error(t, err, bad)
	}
}

func TestEscapeIllegal(t *testing.T) {
	s := "/plain/path:x@y;z=1"
	assert.Equal(t, s, EscapeIllegal(s))
	assert.Equal(t, "/a%7Cb%22%7B%7D%5E", EscapeIllegal("/a|b\"{}^"))
	assert.Equal(t, "/%25zz%2541", EscapeIllegal("/%zz%2541"))
	assert.Equal(t, "/%2", EscapeIllegal("/%2")[:3])
}

func TestTargetPathDotSegments(t *testing.T) {
	tg, err := ParseTarget("http://h/api")
	require.NoError(t, err)
	rejected := []string{
		"/..", "/../secret", "/a/../../secret", "/.", "/./a", "/a/.", "/a/..",
		"/%2e%2e/secret", "/%2E%2e", "/.%2E/x", "/%2e",
		"/a%2F..%2F..%2Fsecret", "/a%2f..", "/..%5Csecret", `/..\secret`, `/a\..`,
		"/..;jsessionid=1/secret", "/.;x",
	}
	for _, rest := range rejected {
		for _, encode := range []bool{true, false} {
			_, _, err := tg.Path(rest, encode)
			assert.ErrorIs(t, err, ErrDotSegment, "%q encode=%v", rest, encode)
		}
	}
	allowed := []string{
		"/...", "/a..b", "/.hidden", "/..hidden", "/file.txt", "/v1.2/x", "/%2e%2e%2e", "/a;..",
		"/Orders('..')", "/x%2Fy", "/%252e%252e", "/a/b/",
	}
	for _, rest := range allowed {
		for _, encode := range []bool{true, false} {
			_, _, err := tg.Path(rest, encode)
			assert.NoError(t, err, "%q encode=%v", rest, encode)
		}
	}
}
