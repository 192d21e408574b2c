package gateway

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMergeCookies(t *testing.T) {
	csrf := []Cookie{{Name: "sap-session", Value: "new"}, {Name: "route", Value: "r1"}}
	tests := []struct {
		name   string
		caller []string
		want   string
	}{
		{name: "no caller cookies", want: "sap-session=new; route=r1"},
		{name: "others kept", caller: []string{"a=1; b=2"}, want: "a=1; b=2; sap-session=new; route=r1"},
		{name: "same name replaced", caller: []string{"a=1; sap-session=old"}, want: "a=1; sap-session=new; route=r1"},
		{name: "several lines", caller: []string{"a=1", "route=old;c=3"}, want: "a=1; c=3; sap-session=new; route=r1"},
		{name: "empty parts skipped", caller: []string{";; a=1 ;"}, want: "a=1; sap-session=new; route=r1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, MergeCookies(tc.caller, csrf))
		})
	}
	assert.Equal(t, "a=1", MergeCookies([]string{"a=1"}, nil))
}
