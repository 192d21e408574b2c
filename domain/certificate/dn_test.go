package certificate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDN(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want DN
	}{
		{"envoy", "CN=test-application,OU=OrgUnit,O=Organization,L=Waldorf,ST=Waldorf,C=DE", DN{
			{"CN", "test-application"}, {"OU", "OrgUnit"}, {"O", "Organization"},
			{"L", "Waldorf"}, {"ST", "Waldorf"}, {"C", "DE"},
		}},
		{"empty", "", nil},
		{"spaces", " CN = app , O = Org ", DN{{"CN", "app"}, {"O", "Org"}}},
		{"escaped comma", `CN=app,O=Acme\, Inc.`, DN{{"CN", "app"}, {"O", "Acme, Inc."}}},
		{"hex escape", `O=Acme\2C Inc.`, DN{{"O", "Acme, Inc."}}},
		{"utf8 hex escape", `L=M\C3\BCnchen`, DN{{"L", "München"}}},
		{"quoted", `O="Acme, Inc.",CN=a`, DN{{"O", "Acme, Inc."}, {"CN", "a"}}},
		{"quoted escape", `O="say \"hi\""`, DN{{"O", `say "hi"`}}},
		{"multi-valued", "CN=a+OU=b,C=DE", DN{{"CN", "a"}, {"OU", "b"}, {"C", "DE"}}},
		{"semicolon", "CN=a;C=DE", DN{{"CN", "a"}, {"C", "DE"}}},
		{"oid", "2.5.4.3=app,1.2.3.4=#0403616263", DN{{"CN", "app"}, {"1.2.3.4", "#0403616263"}}},
		{"lowercase type", "cn=app", DN{{"CN", "app"}}},
		{"escaped trailing space", `CN=a\ `, DN{{"CN", "a "}}},
		{"empty value", "CN=,O=x", DN{{"CN", ""}, {"O", "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDN(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseDNErrors(t *testing.T) {
	tests := map[string]string{
		"no equals":          "CN",
		"element no equals":  "CN=a,garbage",
		"bad escape":         `CN=a\x`,
		"escape at end":      `CN=a\`,
		"unterminated quote": `CN="abc`,
		"odd hex":            "CN=#abc",
		"trailing separator": "CN=a,",
		"junk after quote":   `CN="a"b`,
		"type with space":    "C N=a",
		"invalid utf8":       `CN=\ff`,
		"bare quote":         `CN=a"b`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseDN(in)
			assert.ErrorIs(t, err, ErrInvalidSubject)
		})
	}
}

func TestDNGetCount(t *testing.T) {
	dn, err := ParseDN("CN=a,OU=x,OU=y,2.5.4.10=org")
	require.NoError(t, err)
	assert.Equal(t, "a", dn.Get("cn"))
	assert.Equal(t, "org", dn.Get("O"))
	assert.Equal(t, 2, dn.Count("OU"))
	assert.Equal(t, "", dn.Get("L"))
}

func FuzzParseDN(f *testing.F) {
	for _, s := range []string{
		"CN=test-application,OU=OrgUnit,O=Organization,L=Waldorf,ST=Waldorf,C=DE",
		`O="Acme, Inc.",CN=a\2C+OU=b;C=DE`, "CN=#0403616263", "CN", `CN=\`, "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dn, err := ParseDN(s)
		if err != nil {
			return
		}
		for _, a := range dn {
			if a.Type == "" {
				t.Fatalf("empty type from %q", s)
			}
		}
	})
}
