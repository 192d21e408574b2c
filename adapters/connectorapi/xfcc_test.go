package connectorapi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseXFCC(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []XFCCElement
	}{
		{"istio ingress chain",
			`Hash=abc;Subject="CN=test-application,OU=OrgUnit,O=Organization,L=Waldorf,ST=Waldorf,C=DE";URI=,By=spiffe://cluster.local/ns/kyma-system/sa/validator;Hash=def;Subject="";URI=spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account`,
			[]XFCCElement{
				{Hash: "abc", Subject: "CN=test-application,OU=OrgUnit,O=Organization,L=Waldorf,ST=Waldorf,C=DE", URI: []string{""}},
				{By: "spiffe://cluster.local/ns/kyma-system/sa/validator", Hash: "def", URI: []string{"spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"}},
			}},
		{"escaped comma in subject", `Hash=1;Subject="CN=app,O=Acme\, Inc."`,
			[]XFCCElement{{Hash: "1", Subject: `CN=app,O=Acme\, Inc.`}}},
		{"escaped quote in subject", `Subject="CN=a \"b\"";By="x\"y"`, []XFCCElement{{Subject: `CN=a \"b\"`, By: `x"y`}}},
		{"semicolon inside quotes", `Subject="CN=a;b";Hash=2`, []XFCCElement{{Subject: "CN=a;b", Hash: "2"}}},
		{"lowercase keys and spaces", ` hash = 3 ; subject="CN=x" , hash=4`, []XFCCElement{{Hash: "3", Subject: "CN=x"}, {Hash: "4"}}},
		{"multiple uri and dns", `URI=a;URI=b;DNS=x;DNS=y`, []XFCCElement{{URI: []string{"a", "b"}, DNS: []string{"x", "y"}}}},
		{"url encoded cert", `Cert="-----BEGIN%20CERTIFICATE-----%0AMII%0A-----END%20CERTIFICATE-----%0A"`,
			[]XFCCElement{{Cert: "-----BEGIN%20CERTIFICATE-----%0AMII%0A-----END%20CERTIFICATE-----%0A"}}},
		{"unknown key ignored, trailing semicolon", `Foo=bar;Hash=5;`, []XFCCElement{{Hash: "5"}}},
		{"escaped comma unquoted", `By=a\,b;Hash=6`, []XFCCElement{{By: `a\,b`, Hash: "6"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseXFCC(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseXFCCErrors(t *testing.T) {
	for name, in := range map[string]string{
		"empty":                "",
		"no equals":            "Hash",
		"element no equals":    "Hash=1,garbage",
		"unterminated quote":   `Subject="CN=a`,
		"escape at end":        `Hash=a\`,
		"escape at end quoted": `Subject="a\`,
		"junk after quote":     `Subject="a"b`,
		"trailing comma":       "Hash=1,",
		"quote in value":       `Hash=a"b`,
		"empty key":            "=1",
		"duplicate hash":       "Hash=1;hash=2",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseXFCC(in)
			assert.ErrorIs(t, err, errXFCC)
		})
	}
}

func FuzzParseXFCC(f *testing.F) {
	for _, s := range []string{
		`Hash=abc;Subject="CN=test-application,OU=OrgUnit,O=Organization,L=Waldorf,ST=Waldorf,C=DE";URI=,By=spiffe://x;Hash=def;Subject="";URI=spiffe://y`,
		`Subject="CN=a\"b\,c";Cert="%2D%2D"`, `By=a\,b`, `Subject="a\`, `,,;;==""`, "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		els, err := ParseXFCC(s)
		if err != nil {
			return
		}
		if len(els) == 0 || len(els) > maxXFCCElements {
			t.Fatalf("%d elements without error", len(els))
		}
		for _, el := range els {
			_, _ = identityFromXFCC(el, nil)
		}
	})
}

func TestIdentitiesFromXFCC(t *testing.T) {
	const fp = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	t.Run("escaped quote in a subject value", func(t *testing.T) {
		// Envoy prints the subject in RFC 2253 form, where '"' is already escaped as \".
		ids, err := identitiesFromXFCC(`Hash=`+fp+`;Subject="CN=app,O=Acme \"Best\""`, nil)
		require.NoError(t, err)
		require.Len(t, ids, 1)
		assert.Equal(t, "app", ids[0].CommonName)
	})
	for name, in := range map[string]string{
		// Which CN would count is a guess (Go takes the last, the DN string lists it first).
		"two CNs":        `Hash=` + fp + `;Subject="CN=app-a,CN=app-b"`,
		"two hashes":     `Hash=` + fp + `;Subject="CN=app-a";Hash=` + fp,
		"two subjects":   `Hash=` + fp + `;Subject="CN=app-a";Subject="CN=app-b"`,
		"two certs":      `Cert=a;Cert=b`,
		"hash not a hex": `Hash=xyz;Subject="CN=app-a"`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := identitiesFromXFCC(in, nil)
			assert.ErrorIs(t, err, errXFCC)
		})
	}
}
