package compassdouble

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/appconnector/appconnector/domain/compass"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const directorQuery = `
query Fetch($rt: ID!, $first: Int, $after: PageCursor) {
  runtime(id: $rt) { id name labels }
  apps: applicationsForRuntime(runtimeID: $rt, first: $first, after: $after) {
    data {
      __typename id name providerName description labels
      auths { id }
      bundles(first: 1) {
        data {
          id name description instanceAuthRequestInputSchema
          apiDefinitions { data { id name description targetURL } pageInfo { ...page } totalCount }
          eventDefinitions { data { id name } pageInfo { ...page } totalCount }
          defaultInstanceAuth {
            credential {
              __typename
              ... on BasicCredentialData { username password }
              ... on OAuthCredentialData { clientId clientSecret url }
            }
            additionalHeaders additionalQueryParams
            requestAuth { csrf { tokenEndpointURL } }
          }
        }
        pageInfo { ...page } totalCount
      }
    }
    pageInfo { ...page }
    totalCount
  }
}
fragment page on PageInfo { startCursor endCursor hasNextPage }`

func sampleApp(id string) compass.DirectorApplication {
	schema := `{"type":"object"}`
	return compass.DirectorApplication{
		ID: id, Name: "app-" + id, ProviderName: "SAP", Description: "the app " + id,
		Labels:  map[string]any{"scenarios": []any{"DEFAULT"}},
		AuthIDs: []string{"client-" + id},
		Bundles: []compass.Bundle{
			{
				ID: id + "-b1", Name: "orders", Description: "Orders API", InstanceAuthRequestInputSchema: &schema,
				APIDefinitions:   []compass.APIDefinition{{ID: id + "-api1", Name: "orders", TargetURL: "http://orders.local/api"}},
				EventDefinitions: []compass.EventDefinition{{ID: id + "-ev1", Name: "order events"}},
				DefaultInstanceAuth: &compass.Auth{
					Basic:                 &compass.BasicCredential{Username: "user", Password: "pass"},
					AdditionalHeaders:     map[string][]string{"X-Custom": {"a", "b"}},
					AdditionalQueryParams: map[string][]string{"q": {"1"}},
					CSRFTokenEndpointURL:  "http://orders.local/csrf",
				},
			},
			{
				ID: id + "-b2", Name: "stock",
				DefaultInstanceAuth: &compass.Auth{OAuth: &compass.OAuthCredential{ClientID: "cid", ClientSecret: "sec", URL: "http://auth.local/token"}},
			},
		},
	}
}

// TestFullFlow pairs a runtime through the token-secured Connector, renews over mTLS,
// and reads and writes the Director, all with hand-written GraphQL.
func TestFullFlow(t *testing.T) {
	d := newDouble(t, Config{CertificateValidity: 3 * time.Hour})
	d.AddRuntime("rt-1", "runtime one", "tenant-a")
	d.PutApplication("rt-1", sampleApp("a1"))
	d.PutApplication("other", sampleApp("zz"))

	c := client(t, d, nil)
	tok := d.NewRuntimeToken("rt-1")
	r := post(t, c, d.ConnectorURL(), map[string]string{"Connector-Token": tok, "X-Request-Id": "req-1"}, configurationQuery, nil)
	require.Empty(t, r.Errors)
	assert.Equal(t, "O=Org,OU=OrgUnit,L=Locality,ST=State,C=PL,CN=rt-1", get(t, r.Data, "result", "certificateSigningRequestInfo", "subject"))
	assert.Equal(t, "rsa2048", get(t, r.Data, "result", "certificateSigningRequestInfo", "keyAlgorithm"))
	assert.Equal(t, d.DirectorURL(), get(t, r.Data, "result", "managementPlaneInfo", "directorURL"))
	assert.Equal(t, d.CertSecuredConnectorURL(), get(t, r.Data, "result", "managementPlaneInfo", "certificateSecuredConnectorURL"))
	next := get(t, r.Data, "result", "token", "token").(string)
	assert.NotEmpty(t, next)
	assert.NotEqual(t, tok, next)

	// Sign with the token configuration returned.
	csr, _ := csrFor(t, kymaSubject("rt-1"))
	r = post(t, c, d.ConnectorURL(), map[string]string{"Connector-Token": next}, signMutation, map[string]any{"csr": csr})
	require.Empty(t, r.Errors)
	p := pair(t, d, "rt-1")
	block, _ := pem.Decode(p.clientPEM)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.Equal(t, "rt-1", cert.Subject.CommonName)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, cert.ExtKeyUsage)
	assert.Equal(t, 3*time.Hour, cert.NotAfter.Sub(cert.NotBefore))
	assert.Equal(t, d.CACertPEM(), p.caPEM)
	assert.Equal(t, append(append([]byte{}, p.clientPEM...), d.CACertPEM()...), p.chainPEM)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.caPEM)
	_, err = cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err)
	other := pair(t, d, "rt-1")
	assert.NotEqual(t, p.clientPEM, other.clientPEM, "every certificate has its own serial")

	// The certificate-secured Connector: a new token and the same management info.
	mtls := client(t, d, &p.tlsCert)
	r = post(t, mtls, d.CertSecuredConnectorURL(), nil, configurationQuery, nil)
	require.Empty(t, r.Errors)
	assert.NotEmpty(t, get(t, r.Data, "result", "token", "token"))
	assert.Equal(t, d.DirectorURL(), get(t, r.Data, "result", "managementPlaneInfo", "directorURL"))

	// Director: the runtime's labels and its applications only.
	d.SetRuntimeLabelValue("rt-1", "isNormalized", "false")
	tenant := map[string]string{"Tenant": "tenant-a"}
	r = post(t, mtls, d.DirectorURL(), tenant, directorQuery, map[string]any{"rt": "rt-1"})
	require.Empty(t, r.Errors, r.messages())
	assert.Equal(t, map[string]any{"id": "rt-1", "name": "runtime one", "labels": map[string]any{"isNormalized": "false"}}, r.Data["runtime"])
	apps := r.Data["apps"]
	assert.EqualValues(t, 1, get(t, apps, "totalCount"))
	assert.Equal(t, false, get(t, apps, "pageInfo", "hasNextPage"))
	app := get(t, apps, "data", 0)
	assert.Equal(t, "Application", get(t, app, "__typename"))
	assert.Equal(t, "app-a1", get(t, app, "name"))
	assert.Equal(t, "SAP", get(t, app, "providerName"))
	assert.Equal(t, map[string]any{"scenarios": []any{"DEFAULT"}}, get(t, app, "labels"))
	assert.Equal(t, []any{map[string]any{"id": "client-a1"}}, get(t, app, "auths"))
	bundles := get(t, app, "bundles")
	assert.EqualValues(t, 2, get(t, bundles, "totalCount"))
	assert.Equal(t, true, get(t, bundles, "pageInfo", "hasNextPage"))
	b := get(t, bundles, "data", 0)
	assert.Equal(t, `{"type":"object"}`, get(t, b, "instanceAuthRequestInputSchema"))
	assert.Equal(t, "http://orders.local/api", get(t, b, "apiDefinitions", "data", 0, "targetURL"))
	assert.Nil(t, get(t, b, "apiDefinitions", "data", 0, "description"))
	assert.Equal(t, "order events", get(t, b, "eventDefinitions", "data", 0, "name"))
	assert.Equal(t, map[string]any{
		"credential":            map[string]any{"__typename": "BasicCredentialData", "username": "user", "password": "pass"},
		"additionalHeaders":     map[string]any{"X-Custom": []any{"a", "b"}},
		"additionalQueryParams": map[string]any{"q": []any{"1"}},
		"requestAuth":           map[string]any{"csrf": map[string]any{"tokenEndpointURL": "http://orders.local/csrf"}},
	}, get(t, b, "defaultInstanceAuth"))

	// The second bundle through application(id) and the bundles cursor: OAuth.
	r = post(t, mtls, d.DirectorURL(), tenant, `query($id: ID!, $after: PageCursor) {
	  application(id: $id) { bundles(first: 1, after: $after) { data { id defaultInstanceAuth { credential { ... on OAuthCredentialData { clientId clientSecret url } } requestAuth { csrf { tokenEndpointURL } } } } pageInfo { hasNextPage } } }
	}`, map[string]any{"id": "a1", "after": get(t, bundles, "pageInfo", "endCursor")})
	require.Empty(t, r.Errors, r.messages())
	assert.Equal(t, "a1-b2", get(t, r.Data, "application", "bundles", "data", 0, "id"))
	assert.Equal(t, map[string]any{"clientId": "cid", "clientSecret": "sec", "url": "http://auth.local/token"},
		get(t, r.Data, "application", "bundles", "data", 0, "defaultInstanceAuth", "credential"))
	assert.Nil(t, get(t, r.Data, "application", "bundles", "data", 0, "defaultInstanceAuth", "requestAuth"))
	assert.Equal(t, false, get(t, r.Data, "application", "bundles", "pageInfo", "hasNextPage"))

	// Another runtime's application is not visible.
	r = post(t, mtls, d.DirectorURL(), tenant, `query { application(id: "zz") { id } }`, nil)
	require.Empty(t, r.Errors)
	assert.Nil(t, r.Data["application"])

	// setRuntimeLabel, with an alias and variables.
	r = post(t, mtls, d.DirectorURL(), tenant, `mutation L($rt: ID!, $k: String!, $v: Any!) { set: setRuntimeLabel(runtimeID: $rt, key: $k, value: $v) { key value } }`,
		map[string]any{"rt": "rt-1", "k": "runtime_consoleUrl", "v": "https://console.local"})
	require.Empty(t, r.Errors, r.messages())
	assert.Equal(t, map[string]any{"key": "runtime_consoleUrl", "value": "https://console.local"}, r.Data["set"])
	assert.Equal(t, "https://console.local", d.RuntimeLabels("rt-1")["runtime_consoleUrl"])

	// A runtime cannot read another one.
	r = post(t, mtls, d.DirectorURL(), tenant, `query { runtime(id: "other") { id } }`, nil)
	assert.Contains(t, r.messages(), "may not access")

	assert.Equal(t, 4, d.Calls("configuration"))
	assert.Equal(t, 3, d.Calls("signCertificateSigningRequest"))
	assert.Equal(t, 1, d.Calls("setRuntimeLabel"))
	reqs := d.Requests()
	require.NotEmpty(t, reqs)
	assert.Equal(t, Request{Path: ConnectorPath, Operations: []string{"configuration"}, Header: reqs[0].Header}, reqs[0])
	assert.Equal(t, "req-1", reqs[0].Header.Get("X-Request-Id"))
	assert.Equal(t, []string{"runtime", "applicationsForRuntime"}, reqs[len(reqs)-5].Operations)
}

func TestTokenIsOneTimeAndExpires(t *testing.T) {
	d := newDouble(t, Config{})
	d.AddRuntime("rt-1", "one", "t")
	c := client(t, d, nil)
	tok := d.NewRuntimeToken("rt-1")
	r := post(t, c, d.ConnectorURL(), map[string]string{"Connector-Token": tok}, configurationQuery, nil)
	require.Empty(t, r.Errors)
	next := get(t, r.Data, "result", "token", "token").(string)

	r = post(t, c, d.ConnectorURL(), map[string]string{"Connector-Token": tok}, configurationQuery, nil)
	assert.Contains(t, r.messages(), "invalid, expired or already used")
	assert.Nil(t, r.Data)

	r = post(t, c, d.ConnectorURL(), nil, configurationQuery, nil)
	assert.Contains(t, r.messages(), "no Connector-Token header")

	// The CSR token lives 5 minutes.
	later := time.Now().Add(CSRTokenTTL + time.Second)
	d.setClock(func() time.Time { return later })
	r = post(t, c, d.ConnectorURL(), map[string]string{"Connector-Token": next}, configurationQuery, nil)
	assert.Contains(t, r.messages(), "expired")

	// A runtime token lives 60 minutes.
	tok = d.NewRuntimeToken("rt-1")
	d.setClock(func() time.Time { return later.Add(RuntimeTokenTTL - time.Second) })
	r = post(t, c, d.ConnectorURL(), map[string]string{"Connector-Token": tok}, configurationQuery, nil)
	assert.Empty(t, r.Errors)
}

func TestSchemaValidation(t *testing.T) {
	d := newDouble(t, Config{})
	d.AddRuntime("rt-1", "one", "t")
	p := pair(t, d, "rt-1")
	mtls := client(t, d, &p.tlsCert)
	tenant := map[string]string{"Tenant": "t"}
	before := d.Calls("applicationsForRuntime")

	r := post(t, mtls, d.DirectorURL(), tenant, `query { applicationsForRuntime(runtimeID: "rt-1") { data { id noSuchField } } }`, nil)
	assert.Equal(t, http.StatusOK, r.Status)
	assert.Contains(t, r.messages(), `Cannot query field "noSuchField" on type "Application"`)

	r = post(t, mtls, d.DirectorURL(), tenant, `query { applicationsForRuntime(runtimeID: "rt-1", first: "ten") { totalCount } }`, nil)
	assert.Contains(t, r.messages(), "Int")

	r = post(t, mtls, d.DirectorURL(), tenant, `query($f: Int) { applicationsForRuntime(runtimeID: "rt-1", first: $f) { totalCount } }`, map[string]any{"f": "ten"})
	assert.NotEmpty(t, r.Errors)

	// A Director field on the Connector.
	r = post(t, mtls, d.CertSecuredConnectorURL(), nil, `query { runtime(id: "rt-1") { id } }`, nil)
	assert.Contains(t, r.messages(), `Cannot query field "runtime" on type "Query"`)

	// The union needs a fragment.
	r = post(t, mtls, d.DirectorURL(), tenant, `query { applicationsForRuntime(runtimeID: "rt-1") { data { bundles { data { defaultInstanceAuth { credential { username } } } } } } }`, nil)
	assert.NotEmpty(t, r.Errors)

	assert.Equal(t, before, d.Calls("applicationsForRuntime"), "no invalid operation is executed")

	// Several operations need operationName.
	r = post(t, mtls, d.DirectorURL(), tenant, `query A { runtime(id: "rt-1") { id } } query B { runtime(id: "rt-1") { name } }`, nil)
	assert.Contains(t, r.messages(), "operationName")
	body := []byte(`{"query":"query A { runtime(id: \"rt-1\") { id } } query B { runtime(id: \"rt-1\") { name } }","operationName":"B"}`)
	r = postRaw(t, mtls, d.DirectorURL(), tenant, body)
	require.Empty(t, r.Errors)
	assert.Equal(t, map[string]any{"name": "one"}, r.Data["runtime"])

	// Not a GraphQL request at all.
	r = postRaw(t, mtls, d.DirectorURL(), tenant, []byte(`{"nope": 1}`))
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.messages(), "not a GraphQL request")
	r = postRaw(t, mtls, d.DirectorURL(), tenant, []byte(`not json`))
	assert.Equal(t, http.StatusBadRequest, r.Status)
}

func TestDirectorAuthentication(t *testing.T) {
	d := newDouble(t, Config{})
	d.AddRuntime("rt-1", "one", "tenant-a")
	p := pair(t, d, "rt-1")
	q := `query { runtime(id: "rt-1") { id } }`

	r := post(t, client(t, d, nil), d.DirectorURL(), map[string]string{"Tenant": "tenant-a"}, q, nil)
	assert.Contains(t, r.messages(), "no client certificate")
	assert.Nil(t, r.Data)

	mtls := client(t, d, &p.tlsCert)
	r = post(t, mtls, d.DirectorURL(), nil, q, nil)
	assert.Contains(t, r.messages(), "no Tenant header")
	r = post(t, mtls, d.DirectorURL(), map[string]string{"Tenant": "tenant-b"}, q, nil)
	assert.Contains(t, r.messages(), `"tenant-b" is not the tenant of runtime rt-1`)
	r = post(t, mtls, d.DirectorURL(), map[string]string{"Tenant": "tenant-a"}, q, nil)
	assert.Empty(t, r.Errors)
	assert.Equal(t, 1, d.Calls("runtime"), "refused requests are not calls")

	// The cert-secured Connector without a certificate.
	r = post(t, client(t, d, nil), d.CertSecuredConnectorURL(), nil, configurationQuery, nil)
	assert.Contains(t, r.messages(), "no client certificate")
}

func TestPagination(t *testing.T) {
	d := newDouble(t, Config{})
	d.AddRuntime("rt-1", "one", "t")
	const total = 450
	for i := range total {
		app := compass.DirectorApplication{ID: fmt.Sprintf("app-%03d", i), Name: fmt.Sprintf("name-%d", i)}
		if i == 7 {
			for j := range 5 {
				b := compass.Bundle{ID: fmt.Sprintf("b%d", j), Name: "bundle"}
				for k := range 3 {
					b.APIDefinitions = append(b.APIDefinitions, compass.APIDefinition{ID: fmt.Sprintf("b%d-api%d", j, k), Name: "api"})
					b.EventDefinitions = append(b.EventDefinitions, compass.EventDefinition{ID: fmt.Sprintf("b%d-ev%d", j, k), Name: "ev"})
				}
				app.Bundles = append(app.Bundles, b)
			}
		}
		d.PutApplication("rt-1", app)
	}
	p := pair(t, d, "rt-1")
	mtls := client(t, d, &p.tlsCert)
	tenant := map[string]string{"Tenant": "t"}
	q := `query($first: Int, $after: PageCursor) { applicationsForRuntime(runtimeID: "rt-1", first: $first, after: $after) { data { id } pageInfo { endCursor hasNextPage } totalCount } }`

	seen := map[string]bool{}
	var after any
	pages := 0
	for {
		r := post(t, mtls, d.DirectorURL(), tenant, q, map[string]any{"first": 100, "after": after})
		require.Empty(t, r.Errors, r.messages())
		page := r.Data["applicationsForRuntime"]
		assert.EqualValues(t, total, get(t, page, "totalCount"))
		data := get(t, page, "data").([]any)
		assert.LessOrEqual(t, len(data), 100)
		for _, a := range data {
			id := get(t, a, "id").(string)
			assert.False(t, seen[id], "duplicate %s", id)
			seen[id] = true
		}
		pages++
		if get(t, page, "pageInfo", "hasNextPage") == false {
			break
		}
		after = get(t, page, "pageInfo", "endCursor")
		require.Less(t, pages, 10)
	}
	assert.Len(t, seen, total)
	assert.Equal(t, 5, pages)

	// Without first a page holds 100; more than 100 is refused.
	r := post(t, mtls, d.DirectorURL(), tenant, `query { applicationsForRuntime(runtimeID: "rt-1") { data { id } pageInfo { hasNextPage } } }`, nil)
	require.Empty(t, r.Errors)
	assert.Len(t, get(t, r.Data, "applicationsForRuntime", "data"), 100)
	r = post(t, mtls, d.DirectorURL(), tenant, q, map[string]any{"first": 101})
	assert.Contains(t, r.messages(), "first must be between 1 and 100")
	r = post(t, mtls, d.DirectorURL(), tenant, q, map[string]any{"after": "garbage!"})
	assert.Contains(t, r.messages(), "invalid cursor")

	// Nested pages: bundles two at a time, and every API of each.
	var bundles, apis, events []string
	var bAfter any
	for range 10 {
		r := post(t, mtls, d.DirectorURL(), tenant, `query($id: ID!, $after: PageCursor) {
		  application(id: $id) { bundles(first: 2, after: $after) { data { id
		    apiDefinitions(first: 2) { data { id } pageInfo { endCursor hasNextPage } totalCount }
		    eventDefinitions(first: 5) { data { id } pageInfo { hasNextPage } }
		  } pageInfo { endCursor hasNextPage } totalCount } }
		}`, map[string]any{"id": "app-007", "after": bAfter})
		require.Empty(t, r.Errors, r.messages())
		page := get(t, r.Data, "application", "bundles")
		assert.EqualValues(t, 5, get(t, page, "totalCount"))
		for _, b := range get(t, page, "data").([]any) {
			id := get(t, b, "id").(string)
			bundles = append(bundles, id)
			for _, e := range get(t, b, "eventDefinitions", "data").([]any) {
				events = append(events, get(t, e, "id").(string))
			}
			assert.Equal(t, false, get(t, b, "eventDefinitions", "pageInfo", "hasNextPage"))
			apiPage := get(t, b, "apiDefinitions")
			for {
				for _, a := range get(t, apiPage, "data").([]any) {
					apis = append(apis, get(t, a, "id").(string))
				}
				if get(t, apiPage, "pageInfo", "hasNextPage") == false {
					break
				}
				r := post(t, mtls, d.DirectorURL(), tenant, `query($id: ID!, $b: ID!, $after: PageCursor) {
				  application(id: $id) { bundle(id: $b) { apiDefinitions(first: 2, after: $after) { data { id } pageInfo { endCursor hasNextPage } } } }
				}`, map[string]any{"id": "app-007", "b": id, "after": get(t, apiPage, "pageInfo", "endCursor")})
				require.Empty(t, r.Errors, r.messages())
				apiPage = get(t, r.Data, "application", "bundle", "apiDefinitions")
			}
		}
		if get(t, page, "pageInfo", "hasNextPage") == false {
			break
		}
		bAfter = get(t, page, "pageInfo", "endCursor")
	}
	assert.Equal(t, []string{"b0", "b1", "b2", "b3", "b4"}, bundles)
	assert.Len(t, apis, 15)
	assert.Len(t, events, 15)
	assert.Equal(t, "b4-api2", apis[14])
}

func TestFailAndHeal(t *testing.T) {
	d := newDouble(t, Config{})
	d.AddRuntime("rt-1", "one", "t")
	p := pair(t, d, "rt-1")
	mtls := client(t, d, &p.tlsCert)
	tenant := map[string]string{"Tenant": "t"}
	q := `query { runtime(id: "rt-1") { id } applicationsForRuntime(runtimeID: "rt-1") { totalCount } }`

	d.Fail("applicationsForRuntime", "director is down")
	r := post(t, mtls, d.DirectorURL(), tenant, q, nil)
	assert.Equal(t, "director is down", r.messages())
	assert.Equal(t, []any{"applicationsForRuntime"}, r.Errors[0].Path)
	assert.Nil(t, r.Data, "a non-null root field failing makes data null")
	assert.Equal(t, 1, d.Calls("applicationsForRuntime"))

	d.Fail("configuration", "connector is down")
	r = post(t, mtls, d.CertSecuredConnectorURL(), nil, configurationQuery, nil)
	assert.Equal(t, "connector is down", r.messages())

	d.Heal("applicationsForRuntime")
	r = post(t, mtls, d.DirectorURL(), tenant, q, nil)
	assert.Empty(t, r.Errors)
	assert.Equal(t, 2, d.Calls("applicationsForRuntime"))
	r = post(t, mtls, d.CertSecuredConnectorURL(), nil, configurationQuery, nil)
	assert.Equal(t, "connector is down", r.messages())

	d.HealAll()
	r = post(t, mtls, d.CertSecuredConnectorURL(), nil, configurationQuery, nil)
	assert.Empty(t, r.Errors)
}

func TestRevoke(t *testing.T) {
	d := newDouble(t, Config{})
	d.AddRuntime("rt-1", "one", "t")
	p := pair(t, d, "rt-1")
	q := pair(t, d, "rt-1")
	mtls := client(t, d, &p.tlsCert)

	// revokeCertificate needs the certificate, not a token.
	r := post(t, client(t, d, nil), d.ConnectorURL(), map[string]string{"Connector-Token": d.NewRuntimeToken("rt-1")}, `mutation { revokeCertificate }`, nil)
	assert.Contains(t, r.messages(), "needs the client certificate")

	r = post(t, mtls, d.CertSecuredConnectorURL(), nil, `mutation { revokeCertificate }`, nil)
	require.Empty(t, r.Errors)
	assert.Equal(t, true, r.Data["revokeCertificate"])

	// Compass's answer for a revoked certificate: an object with null fields.
	r = post(t, mtls, d.CertSecuredConnectorURL(), nil, configurationQuery, nil)
	require.Empty(t, r.Errors)
	assert.Equal(t, map[string]any{"token": nil, "certificateSigningRequestInfo": nil, "managementPlaneInfo": nil}, r.Data["result"])
	csr, _ := csrFor(t, kymaSubject("rt-1"))
	r = post(t, mtls, d.CertSecuredConnectorURL(), nil, signMutation, map[string]any{"csr": csr})
	assert.Contains(t, r.messages(), "revoked")
	r = post(t, mtls, d.DirectorURL(), map[string]string{"Tenant": "t"}, `query { runtime(id: "rt-1") { id } }`, nil)
	assert.Contains(t, r.messages(), "revoked")

	// Revoke through the Go API.
	other := client(t, d, &q.tlsCert)
	r = post(t, other, d.DirectorURL(), map[string]string{"Tenant": "t"}, `query { runtime(id: "rt-1") { id } }`, nil)
	require.Empty(t, r.Errors)
	d.Revoke(q.chainPEM)
	r = post(t, other, d.DirectorURL(), map[string]string{"Tenant": "t"}, `query { runtime(id: "rt-1") { id } }`, nil)
	assert.Contains(t, r.messages(), "revoked")
}

func TestSignRefusesBadCSR(t *testing.T) {
	d := newDouble(t, Config{})
	d.AddRuntime("rt-1", "one", "t")
	c := client(t, d, nil)
	sign := func(csr string) string {
		r := post(t, c, d.ConnectorURL(), map[string]string{"Connector-Token": d.NewRuntimeToken("rt-1")}, signMutation, map[string]any{"csr": csr})
		return r.messages()
	}
	wrongCN, _ := csrFor(t, kymaSubject("rt-2"))
	assert.Equal(t, "CSR: Invalid common name provided.", sign(wrongCN))
	s := kymaSubject("rt-1")
	s.Country = nil
	noCountry, _ := csrFor(t, s)
	assert.Equal(t, "CSR: No country provided.", sign(noCountry))
	s = kymaSubject("rt-1")
	s.Organization = []string{"Evil"}
	wrongOrg, _ := csrFor(t, s)
	assert.Equal(t, "CSR: Invalid organization provided.", sign(wrongOrg))
	assert.Equal(t, "Error while parsing base64 content. Incorrect value provided.", sign("%%%"))
	assert.Equal(t, "Error while decoding pem block.", sign("aGVsbG8="))
}

func TestNewRefusesBadSubject(t *testing.T) {
	for _, s := range []string{"C=PL,O=Org", "C=PL,O=Org,OU=U,L=L,ST=S,X=1", "C=PL,,O=Org"} {
		_, err := New(Config{Subject: s})
		assert.Error(t, err, s)
	}
	d := newDouble(t, Config{Subject: "ST=Bavaria, L=Munich, OU=Unit, O=Company, C=DE"})
	assert.Equal(t, "O=Company,OU=Unit,L=Munich,ST=Bavaria,C=DE,CN=x", d.sub.forClient("x"))
}

// TestRenewWithTheDomainCSR renews over mTLS the way the agent does: the subject from
// configuration, an RSA key and CSR from compass.NewCSR, then the new certificate
// reaches the Director.
func TestRenewWithTheDomainCSR(t *testing.T) {
	d := newDouble(t, Config{})
	d.AddRuntime("rt-1", "one", "t")
	p := pair(t, d, "rt-1")
	mtls := client(t, d, &p.tlsCert)
	r := post(t, mtls, d.CertSecuredConnectorURL(), nil, configurationQuery, nil)
	require.Empty(t, r.Errors)
	subject := get(t, r.Data, "result", "certificateSigningRequestInfo", "subject").(string)
	csrPEM, keyPEM, err := compass.NewCSR(rand.Reader, subject, "rsa2048")
	require.NoError(t, err)
	r = post(t, mtls, d.CertSecuredConnectorURL(), nil, signMutation, map[string]any{"csr": base64.StdEncoding.EncodeToString(csrPEM)})
	require.Empty(t, r.Errors, r.messages())
	chain, err := base64.StdEncoding.DecodeString(get(t, r.Data, "result", "certificateChain").(string))
	require.NoError(t, err)
	renewed, err := tls.X509KeyPair(chain, keyPEM)
	require.NoError(t, err)
	r = post(t, client(t, d, &renewed), d.DirectorURL(), map[string]string{"Tenant": "t"}, `query { runtime(id: "rt-1") { id } }`, nil)
	require.Empty(t, r.Errors, r.messages())
	assert.Equal(t, "rt-1", get(t, r.Data, "runtime", "id"))
	assert.Equal(t, 2, d.Calls("signCertificateSigningRequest"), "one sign at pairing, one renewal")

	// Introspection is refused clearly rather than answered wrongly.
	r = post(t, mtls, d.DirectorURL(), map[string]string{"Tenant": "t"}, `query { __schema { queryType { name } } }`, nil)
	assert.Contains(t, r.messages(), "introspection")
	// An explicit null first is the default page.
	r = post(t, mtls, d.DirectorURL(), map[string]string{"Tenant": "t"}, `query($f: Int) { applicationsForRuntime(runtimeID: "rt-1", first: $f) { totalCount } }`, map[string]any{"f": nil})
	assert.Empty(t, r.Errors, r.messages())
}

// TestConcurrentUse runs Director reads while the test hooks change the double, for -race.
func TestConcurrentUse(t *testing.T) {
	d := newDouble(t, Config{})
	d.AddRuntime("rt-1", "one", "t")
	p := pair(t, d, "rt-1")
	mtls := client(t, d, &p.tlsCert)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				r := post(t, mtls, d.DirectorURL(), map[string]string{"Tenant": "t"}, directorQuery, map[string]any{"rt": "rt-1"})
				if len(r.Errors) > 0 {
					assert.Equal(t, "flaky", r.messages())
				}
				d.PutApplication("rt-1", sampleApp(fmt.Sprintf("w%d-%d", w, i)))
			}
		})
	}
	wg.Go(func() {
		for i := range 40 {
			d.Fail("runtime", "flaky")
			d.SetRuntimeLabelValue("rt-1", "k", i)
			d.HealAll()
			d.DeleteApplication(fmt.Sprintf("w0-%d", i/2))
			_ = d.Requests()
			_ = d.Calls("runtime")
			_ = d.RuntimeLabels("rt-1")
		}
	})
	wg.Wait()
	assert.Equal(t, 80, d.Calls("applicationsForRuntime"))
}
