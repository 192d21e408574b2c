package compass

import (
	"crypto/x509/pkix"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSubject(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want pkix.Name
	}{
		{"Kyma's format", "O=Org,OU=OrgUnit,L=Locality,ST=State,C=PL,CN=runtime-1", pkix.Name{
			Organization: []string{"Org"}, OrganizationalUnit: []string{"OrgUnit"}, Locality: []string{"Locality"},
			Province: []string{"State"}, Country: []string{"PL"}, CommonName: "runtime-1",
		}},
		{"only CN", "CN=a", pkix.Name{CommonName: "a"}},
		{"spaces around separators", " O = Org , CN = runtime-1 ", pkix.Name{Organization: []string{"Org"}, CommonName: "runtime-1"}},
		{"value with inner spaces", "O=Big Org,CN=x", pkix.Name{Organization: []string{"Big Org"}, CommonName: "x"}},
		{"escaped comma", `O=Acme\, Inc.,CN=x`, pkix.Name{Organization: []string{"Acme, Inc."}, CommonName: "x"}},
		{"quoted comma", `O="Acme, Inc.",CN=x`, pkix.Name{Organization: []string{"Acme, Inc."}, CommonName: "x"}},
		{"repeated OU", "OU=a,OU=b,CN=x", pkix.Name{OrganizationalUnit: []string{"a", "b"}, CommonName: "x"}},
		{"lower-case types", "o=Org,cn=x", pkix.Name{Organization: []string{"Org"}, CommonName: "x"}},
		{"S for ST", "S=State,CN=x", pkix.Name{Province: []string{"State"}, CommonName: "x"}},
		{"UUID CN", "CN=3e64ebae-38b5-46a0-b1ed-9ccee153a0ae", pkix.Name{CommonName: "3e64ebae-38b5-46a0-b1ed-9ccee153a0ae"}},
		{"street, postal code, serial", "STREET=Main 1,POSTALCODE=00-001,SERIALNUMBER=42,CN=x", pkix.Name{
			StreetAddress: []string{"Main 1"}, PostalCode: []string{"00-001"}, SerialNumber: "42", CommonName: "x",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSubject(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseSubjectErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "is empty"},
		{"blank", "   ", "is empty"},
		{"segment without '='", "O=Org,garbage,CN=x", "invalid character ',' in attribute type (want comma-separated TYPE=value pairs"},
		{"only a word", "garbage", "attribute without '='"},
		{"no CN", "O=Org,OU=Unit", "has no CN"},
		{"empty CN", "O=Org,CN=", "attribute CN has an empty value"},
		{"empty CN with spaces", "O=Org,CN=  ", "attribute CN has an empty value"},
		{"empty O", "O=,CN=x", "attribute O has an empty value"},
		{"two CNs", "CN=a,CN=b", "has 2 CN attributes"},
		{"unsupported attribute", "DC=example,CN=x", "attribute DC is not supported"},
		{"trailing comma", "O=Org,CN=x,", "separator at end of input"},
		{"bad escape", `O=a\q,CN=x`, "invalid escape"},
		{"unterminated quote", `O="abc,CN=x`, "unterminated quoted value"},
		{"empty type", "=x,CN=y", "invalid attribute type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSubject(tt.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseSubjectErrorQuotesLongSubjectShortly(t *testing.T) {
	_, err := ParseSubject(strings.Repeat("O=x,", 1000) + "garbage")
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 500)
}

func FuzzParseSubject(f *testing.F) {
	for _, s := range []string{
		"O=Org,OU=OrgUnit,L=Locality,ST=State,C=PL,CN=runtime-1",
		`O="Acme, Inc.",CN=x`, `O=Acme\, Inc.,CN=x`, "garbage", "CN=", ",,,", "CN=a+O=b", "=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSubject(s)
		if err != nil {
			return
		}
		if n.CommonName == "" {
			t.Fatalf("%q parsed without a CN", s)
		}
	})
}
