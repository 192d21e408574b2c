package compass

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/appconnector/appconnector/domain/application"
)

// The cases of Compass's normalizer test (compass.md 1.9) and a few more.
func TestNormalizeApplicationName(t *testing.T) {
	const want = "mp-test-application"
	same := []string{
		"tEsT-ApPlIcAtIoN",
		"test.application",
		"test$application",
		"test&application",
		"test@application",
		"test%.-&application",
		"!test-application",
		"!@#$%test-application",
		"test-application%",
		"test-application&*^%",
		"[test@application]",
		"test---application",
		"---test-application",
		"test-application---",
		"---test---application---",
		"test-application-",
		"test-application&--*^-%",
		"---tEsT@ApPlIcAtIoN.!$",
		"test-application",
		"mp-test-application",
	}
	for _, in := range same {
		t.Run(in, func(t *testing.T) {
			assert.Equal(t, want, NormalizeApplicationName(in))
		})
	}
	other := map[string]string{
		"MP-app":      "mp-mp-app", // the prefix check is case-sensitive, as in Compass
		"mp-Shop_1":   "mp-shop-1",
		"Zürich shop": "mp-z-rich-shop",
		"":            "mp",
		"orders-app":  "mp-orders-app",
	}
	for in, want := range other {
		t.Run(in, func(t *testing.T) {
			assert.Equal(t, want, NormalizeApplicationName(in))
		})
	}
}

func TestShouldNormalize(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]any
		want   bool
	}{
		{"no labels", nil, true},
		{"label absent", map[string]any{"other": "true"}, true},
		{"isNormalized true", map[string]any{"isNormalized": "true"}, false},
		{"isNormalized false", map[string]any{"isNormalized": "false"}, true},
		{"isNormalized boolean true is not the string", map[string]any{"isNormalized": true}, true},
		{"isNormalized TRUE", map[string]any{"isNormalized": "TRUE"}, true},
		{"isNormalized nil", map[string]any{"isNormalized": nil}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ShouldNormalize(tt.labels))
		})
	}
}

func FuzzNormalizeApplicationName(f *testing.F) {
	for _, s := range []string{"---tEsT@ApPlIcAtIoN.!$", "mp-x", "", "ÄÖÜ", "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeApplicationName(s)
		// Compass's algorithm is idempotent except for a name with nothing left
		// but the prefix: "" -> "mp" -> "mp-mp".
		if n != "mp" && NormalizeApplicationName(n) != n {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, n, NormalizeApplicationName(n))
		}
		if !strings.HasPrefix(n, "mp") || strings.HasSuffix(n, "-") || strings.Contains(n, "--") {
			t.Fatalf("%q -> %q", s, n)
		}
		if len(n) <= 253 && application.CheckName(n) != "" {
			t.Fatalf("%q -> %q is not a valid name: %s", s, n, application.CheckName(n))
		}
	})
}
