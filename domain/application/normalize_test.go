package application

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestNormalizeName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 70)
	tests := map[string]struct{ in, want string }{
		"lower-cases":                  {"DisplayName", "displayname"},
		"collapses special runs":       {"display_!@#$%^&*()name", "display-name"},
		"strips one leading dash":      {"-----displayname", "displayname"},
		"space":                        {"csrf basic", "csrf-basic"},
		"digits":                       {"code 451", "code-451"},
		"truncates to 57":              {long, long[:57]},
		"strips one trailing dash":     {"orders!!", "orders"},
		"empty":                        {"", ""},
		"only specials":                {"!!!", ""},
		"non-ASCII becomes a dash":     {"Bestellung Übersicht", "bestellung-bersicht"},
		"cut after trailing-dash trim": {strings.Repeat("a", 56) + "-b", strings.Repeat("a", 56) + "-"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, NormalizeName(tc.in))
		})
	}
}

func TestNormalizeServiceNameWithID(t *testing.T) {
	t.Parallel()
	got := NormalizeServiceNameWithID("My Service", "id-1")
	assert.Regexp(t, `^my-service-[0-9a-f]{5}$`, got)
	assert.Equal(t, got, NormalizeServiceNameWithID("My Service", "id-1"), "deterministic")
	assert.NotEqual(t, got, NormalizeServiceNameWithID("My Service", "id-2"))
	assert.Regexp(t, `^[0-9a-f]{5}$`, NormalizeServiceNameWithID("!!!", "x"), "no leading dash")
}

func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{"DisplayName", "display_!@#$%^&*()name", "-----displayname", "csrf basic", strings.Repeat("ab-", 40), "Ünïcödé", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := NormalizeName(s)
		if len(got) > maxNormalizedLength {
			t.Fatalf("length %d > %d", len(got), maxNormalizedLength)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 %q", got)
		}
		for i := 0; i < len(got); i++ {
			c := got[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				t.Fatalf("unexpected byte %q in %q", c, got)
			}
		}
		if strings.HasPrefix(got, "-") {
			// Runs collapse to one '-', and one leading '-' is always removed.
			t.Fatalf("leading dash in %q", got)
		}
		if strings.Contains(got, "--") {
			t.Fatalf("uncollapsed run in %q", got)
		}
		if NormalizeName(got) != strings.TrimSuffix(got, "-") {
			t.Fatalf("not idempotent: %q -> %q", got, NormalizeName(got))
		}
	})
}
