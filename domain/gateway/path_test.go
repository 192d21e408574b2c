package gateway

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		name string
		in   string
		mode Mode
		want Path
		err  error
	}{
		{name: "app and service only", in: "/app/svc", want: Path{App: "app", Service: "svc"}},
		{name: "sub-path", in: "/app/svc/orders/1", want: Path{App: "app", Service: "svc", Rest: "/orders/1"}},
		{name: "trailing slash kept", in: "/app/svc/orders/", want: Path{App: "app", Service: "svc", Rest: "/orders/"}},
		{name: "bare trailing slash kept", in: "/app/svc/", want: Path{App: "app", Service: "svc", Rest: "/"}},
		{name: "colon in first sub-path segment", in: "/app/svc/orders:1/x", want: Path{App: "app", Service: "svc", Rest: "/orders:1/x"}},
		{name: "scheme-like first segment", in: "/app/svc/http:x", want: Path{App: "app", Service: "svc", Rest: "/http:x"}},
		{name: "escapes kept", in: "/app/svc/a%2Fb/Orders('%7Cx%7C')", want: Path{App: "app", Service: "svc", Rest: "/a%2Fb/Orders('%7Cx%7C')"}},
		{name: "empty sub-path segments kept", in: "/app/svc//x", want: Path{App: "app", Service: "svc", Rest: "//x"}},
		{name: "leading slashes skipped", in: "///app/svc", want: Path{App: "app", Service: "svc"}},
		{name: "compass", in: "/app/svc/entry/x", mode: Compass, want: Path{App: "app", Service: "svc", Entry: "entry", Rest: "/x"}},
		{name: "compass no sub-path", in: "/app/svc/entry", mode: Compass, want: Path{App: "app", Service: "svc", Entry: "entry"}},
		{name: "empty", in: "", err: ErrTooFewSegments},
		{name: "root", in: "/", err: ErrTooFewSegments},
		{name: "app only", in: "/app", err: ErrTooFewSegments},
		{name: "app and slash", in: "/app/", err: ErrTooFewSegments},
		{name: "empty service", in: "/app//svc", err: ErrTooFewSegments},
		{name: "compass too short", in: "/app/svc", mode: Compass, err: ErrTooFewSegments},
		{name: "compass empty entry", in: "/app/svc/", mode: Compass, err: ErrTooFewSegments},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePath(tc.in, tc.mode)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.Equal(t, "failed to extract API Identifier from path", err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestPathPrefix(t *testing.T) {
	assert.Equal(t, "/a/s", Path{App: "a", Service: "s", Rest: "/x"}.Prefix())
	assert.Equal(t, "/a/s/e", Path{App: "a", Service: "s", Entry: "e"}.Prefix())
}

func TestModeString(t *testing.T) {
	assert.Equal(t, "standalone", Standalone.String())
	assert.Equal(t, "compass", Compass.String())
}
