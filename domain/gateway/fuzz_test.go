package gateway

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzParsePath checks that any path either fails with ErrTooFewSegments or splits into
// non-empty routing segments without '/' whose reassembly gives back the input.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"/app/svc/x", "/app/svc/", "//a//b", "/a/b/c:d/e", "/a/b/Orders('%7Cx%7C')", "", "/"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, compass bool) {
		m := Standalone
		if compass {
			m = Compass
		}
		p, err := ParsePath(s, m)
		if err != nil {
			if err != ErrTooFewSegments {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		segs := []string{p.App, p.Service}
		if compass {
			segs = append(segs, p.Entry)
		} else if p.Entry != "" {
			t.Fatalf("entry %q on standalone listener", p.Entry)
		}
		for _, seg := range segs {
			if seg == "" || strings.Contains(seg, "/") {
				t.Fatalf("bad routing segment %q", seg)
			}
		}
		if p.Rest != "" && p.Rest[0] != '/' {
			t.Fatalf("rest %q does not start with '/'", p.Rest)
		}
		if got := strings.TrimLeft(s, "/"); got != strings.Join(segs, "/")+p.Rest {
			t.Fatalf("reassembled %q, want %q", strings.Join(segs, "/")+p.Rest, got)
		}
	})
}

// FuzzTargetPath checks that the built path is what Go sends on the wire: with encode
// false the raw path survives byte for byte (after escaping illegal bytes) and always
// decodes to the decoded path; with encode true the decoded sub-path is kept.
func FuzzTargetPath(f *testing.F) {
	for _, s := range []string{"", "/", "/x", "/Orders('%7Cx%7C')", "/a%2Fb", "/x|y", "/%zz", "//x/", "/%", "/a b", "/a/../b", "/%2e%2e", "/a%2F.."} {
		f.Add("http://h/api", s, false)
		f.Add("https://h:8443/odata/", s, true)
	}
	f.Fuzz(func(t *testing.T, target, rest string, encode bool) {
		tg, err := ParseTarget(target)
		if err != nil {
			return
		}
		if rest != "" && rest[0] != '/' {
			rest = "/" + rest
		}
		if strings.ContainsAny(rest, "?#") {
			return // never part of a parsed path
		}
		p, raw, err := tg.Path(rest, encode)
		if err == ErrDotSegment {
			return
		}
		if err != nil {
			if err != ErrInvalidPath || !encode {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		for _, seg := range strings.FieldsFunc(strings.TrimPrefix(p, tg.path), func(r rune) bool { return r == '/' || r == '\\' }) {
			if seg, _, _ = strings.Cut(seg, ";"); seg == "." || seg == ".." {
				t.Fatalf("sub-path of %q with a dot segment accepted", rest)
			}
		}
		u := &url.URL{Path: p, RawPath: raw}
		wire := u.EscapedPath()
		if !strings.HasPrefix(wire, "/") {
			t.Fatalf("path %q does not start with '/'", wire)
		}
		back, err := url.PathUnescape(wire)
		if err != nil || back != p {
			t.Fatalf("wire path %q decodes to %q (%v), want %q", wire, back, err, p)
		}
		if !encode {
			if wire != raw {
				t.Fatalf("raw path %q not kept, Go sends %q", raw, wire)
			}
			if rest != "" && !strings.HasSuffix(wire, EscapeIllegal(rest)) {
				t.Fatalf("wire %q does not end with the caller's sub-path %q", wire, rest)
			}
		}
	})
}
