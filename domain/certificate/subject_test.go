package certificate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubjectString(t *testing.T) {
	s := DefaultSubject.ForApplication("test-app")
	assert.Equal(t, "O=Organization,OU=OrgUnit,L=Waldorf,ST=Waldorf,C=DE,CN=test-app", s.String())

	odd := Subject{Organization: "Acme, Inc.", OrganizationalUnit: "#1", Locality: "a+b", Province: "x ", Country: "US", CommonName: "c=d"}
	got := odd.String()
	assert.Equal(t, `O=Acme\, Inc.,OU=\#1,L=a\+b,ST=x\ ,C=US,CN=c\=d`, got)

	dn, err := ParseDN(got)
	require.NoError(t, err)
	assert.Equal(t, "Acme, Inc.", dn.Get("O"))
	assert.Equal(t, "x ", dn.Get("ST"))
	assert.Equal(t, "c=d", dn.Get("CN"))
}

func TestSubjectName(t *testing.T) {
	n := DefaultSubject.ForApplication("app").Name()
	assert.Equal(t, "app", n.CommonName)
	assert.Equal(t, []string{"Organization"}, n.Organization)
	assert.Equal(t, []string{"DE"}, n.Country)
	assert.Nil(t, Subject{CommonName: "x"}.Name().Organization)
}

func TestSubjectValidateBase(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Subject)
		wantErr string
	}{
		{"default", func(*Subject) {}, ""},
		{"missing O", func(s *Subject) { s.Organization = "" }, "O must not be empty"},
		{"missing ST", func(s *Subject) { s.Province = "" }, "ST must not be empty"},
		{"long OU", func(s *Subject) { s.OrganizationalUnit = string(make([]byte, 65)) }, "OU"},
		{"control char", func(s *Subject) { s.Locality = "a\nb" }, "L contains a non-printable"},
		{"country three letters", func(s *Subject) { s.Country = "DEU" }, "two-letter"},
		{"country digits", func(s *Subject) { s.Country = "D1" }, "two-letter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSubject
			tt.mutate(&s)
			err := s.ValidateBase()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidSubject)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}
