package gateway

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/appconnector/appconnector/domain/credential"
)

func TestMergeQuery(t *testing.T) {
	p := CompileParams(credential.RequestParameters{QueryParameters: map[string][]string{
		"b":     {"2"},
		"a":     {"x y", "z"},
		"sap-c": {"100"},
	}})
	tests := []struct {
		name           string
		target, caller string
		params         *Params
		want           string
	}{
		{name: "none", want: ""},
		{name: "target only", target: "t=1", want: "t=1"},
		{name: "caller only", caller: "c=1", want: "c=1"},
		{name: "both", target: "t=1", caller: "c=1", want: "t=1&c=1"},
		{name: "params appended sorted", caller: "z=9", params: p, want: "z=9&a=x+y&a=z&b=2&sap-c=100"},
		{name: "caller wins", caller: "b=caller", params: p, want: "b=caller&a=x+y&a=z&sap-c=100"},
		{name: "caller wins with escaped key", caller: "sap%2Dc=1&a", params: p, want: "sap%2Dc=1&a&b=2"},
		{name: "target counts as present", target: "a=t", params: p, want: "a=t&b=2&sap-c=100"},
		{name: "caller order and encoding kept", caller: "y=%41&x=1", params: p, want: "y=%41&x=1&a=x+y&a=z&b=2&sap-c=100"},
		{name: "all present", caller: "a=1&b=1&sap-c=1", params: p, want: "a=1&b=1&sap-c=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, MergeQuery(tc.target, tc.caller, tc.params))
		})
	}
}

func TestApplyHeaders(t *testing.T) {
	p := CompileParams(credential.RequestParameters{Headers: map[string][]string{
		"x-tenant": {"t1"},
		"X-Extra":  {"a", "b"},
	}})
	h := map[string][]string{"X-Tenant": {"caller"}}
	p.ApplyHeaders(h)
	assert.Equal(t, []string{"caller"}, h["X-Tenant"])
	assert.Equal(t, []string{"a", "b"}, h["X-Extra"])
	assert.NotContains(t, h, "x-tenant")

	// Appending to the injected slice must not write into the shared one.
	h["X-Extra"] = append(h["X-Extra"], "c")
	h2 := map[string][]string{}
	p.ApplyHeaders(h2)
	assert.Equal(t, []string{"a", "b"}, h2["X-Extra"])

	var nilParams *Params
	nilParams.ApplyHeaders(h2)
	assert.Nil(t, CompileParams(credential.RequestParameters{}))
	assert.False(t, nilParams.HasQuery())
}
