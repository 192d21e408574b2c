package porttest

import (
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

// fullApplication sets every field, pointer, map and slice of an Application, so that a
// store that drops a field on its way to disk or shares memory with its caller fails.
func fullApplication(name string) application.Application {
	encode := false
	schema := `{"type":"object"}`
	return application.Application{
		Name:        name,
		Labels:      map[string]string{"app": name, "tier": "backend"},
		Annotations: map[string]string{"note": "set by porttest"},
		Spec: application.Spec{
			Description:      "full application",
			SkipInstallation: true,
			SkipVerify:       true,
			EncodeURL:        &encode,
			Labels:           map[string]string{"connected-app": name},
			AccessLabel:      name + "-access",
			Tenant:           "tenant",
			Group:            "group",
			CompassMetadata: &application.CompassMetadata{
				ApplicationID:  "5b4f6e2a-1b2c-4d5e-8f90-123456789abc",
				Authentication: application.Authentication{ClientIDs: []string{"client-a", "client-b"}},
			},
			Tags:                []string{"t1", "t2"},
			DisplayName:         "Full",
			ProviderDisplayName: "Provider",
			LongDescription:     "long description",
			Services: []application.Service{{
				ID:                        "svc-1",
				Identifier:                "identifier",
				Name:                      "orders",
				DisplayName:               "Orders",
				Description:               "orders api",
				AuthCreateParameterSchema: &schema,
				Labels:                    map[string]string{"svc": "orders"},
				LongDescription:           "orders long",
				ProviderDisplayName:       "Provider",
				Tags:                      []string{"s1"},
				Entries: []application.Entry{
					{
						Type:              application.EntryTypeAPI,
						GatewayURL:        "http://gateway/" + name + "/orders",
						CentralGatewayURL: "http://central-gateway/" + name + "/orders/rest",
						AccessLabel:       "orders-access",
						TargetURL:         "https://orders.example.com/api",
						SpecificationURL:  "https://orders.example.com/spec",
						APIType:           "OpenAPI",
						Credentials: &application.Credentials{
							Type:              application.CredentialOAuth,
							SecretName:        name + "-oauth",
							AuthenticationURL: "https://auth.example.com/token",
							CSRFInfo:          &application.CSRFInfo{TokenEndpointURL: "https://orders.example.com/csrf"},
						},
						RequestParametersSecretName: name + "-params",
						Name:                        "rest",
						ID:                          "entry-1",
					},
					{Type: application.EntryTypeEvents, Name: "events", ID: "entry-2"},
				},
			}},
		},
	}
}

// mutateApplication changes every value reachable through a reference in a, in place.
func mutateApplication(a *application.Application) {
	if a == nil {
		return
	}
	a.Labels["app"] = "mutated"
	a.Annotations["note"] = "mutated"
	a.Spec.Labels["connected-app"] = "mutated"
	a.Spec.Tags[0] = "mutated"
	*a.Spec.EncodeURL = true
	a.Spec.CompassMetadata.ApplicationID = "mutated"
	a.Spec.CompassMetadata.Authentication.ClientIDs[0] = "mutated"
	svc := &a.Spec.Services[0]
	svc.Name = "mutated"
	svc.Labels["svc"] = "mutated"
	svc.Tags[0] = "mutated"
	*svc.AuthCreateParameterSchema = "mutated"
	e := &svc.Entries[0]
	e.TargetURL = "https://mutated.example.com"
	e.Credentials.SecretName = "mutated"
	e.Credentials.CSRFInfo.TokenEndpointURL = "https://mutated.example.com"
}

// fullSecret holds binary values, an empty value and labels.
func fullSecret(name string) credential.Secret {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	return credential.Secret{
		Name:   name,
		Labels: map[string]string{"app": "orders"},
		Data: map[string][]byte{
			"clientId":     []byte("orders-client"),
			"clientSecret": []byte("s3cr3t-value"),
			"binary":       all,
			"empty":        {},
		},
	}
}

// mutateSecret changes every value reachable through a reference in s, in place.
func mutateSecret(s *credential.Secret) {
	s.Labels["app"] = "mutated"
	for _, v := range s.Data {
		for i := range v {
			v[i] ^= 0xff
		}
	}
	s.Data["added"] = []byte("mutated")
}
