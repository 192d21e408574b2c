package compass_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	compassclient "github.com/appconnector/appconnector/adapters/compass"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
)

func newDirector(t *testing.T, o compassclient.Options) *compassclient.DirectorClient {
	t.Helper()
	d, err := compassclient.NewDirectorClient(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.CloseIdleConnections)
	return d
}

func pageOf(items []any, end string, next bool) map[string]any {
	return map[string]any{"data": items, "pageInfo": map[string]any{"startCursor": "", "endCursor": end, "hasNextPage": next}, "totalCount": len(items)}
}

func emptyPage() map[string]any { return pageOf([]any{}, "", false) }

func api(id string) map[string]any {
	return map[string]any{"id": id, "name": "API " + id, "description": "about " + id, "targetURL": "https://target/" + id}
}

func event(id string) map[string]any {
	return map[string]any{"id": id, "name": "Events " + id, "description": nil}
}

// vars is a request's variable as a string ("" when null or absent).
func vars(r gqlRequest, name string) string {
	s, _ := r.Variables[name].(string)
	return s
}

// A small Director whose every level has a second page: applications, the bundles of
// a1, the API definitions of bundle b1 and the event definitions of b2 (which itself
// comes on a1's second bundle page).
func scriptedDirector(r gqlRequest) (int, any) {
	b1 := map[string]any{
		"id": "b1", "name": "Bundle One", "description": "first", "instanceAuthRequestInputSchema": `{"type":"string"}`,
		"defaultInstanceAuth": map[string]any{
			"credential":            map[string]any{"__typename": "BasicCredentialData", "username": "user", "password": "pw"},
			"additionalHeaders":     map[string]any{"X-Custom": []any{"a", "b"}},
			"additionalQueryParams": map[string]any{"q": []any{"1"}},
			"requestAuth":           map[string]any{"csrf": map[string]any{"tokenEndpointURL": "https://csrf/token"}},
		},
		"apiDefinitions":   pageOf([]any{api("api1")}, "api-c1", true),
		"eventDefinitions": emptyPage(),
	}
	b2 := map[string]any{
		"id": "b2", "name": "Bundle Two", "description": nil, "instanceAuthRequestInputSchema": nil,
		"defaultInstanceAuth": map[string]any{
			"credential":            map[string]any{"__typename": "OAuthCredentialData", "clientId": "cid", "clientSecret": "cs", "url": "https://oauth/token"},
			"additionalHeaders":     nil,
			"additionalQueryParams": nil,
			"requestAuth":           nil,
		},
		"apiDefinitions":   emptyPage(),
		"eventDefinitions": pageOf([]any{event("e1")}, "ev-c1", true),
	}
	app := func(id string, bundles map[string]any) map[string]any {
		return map[string]any{
			"id": id, "name": "app-" + id, "providerName": "SAP", "description": "desc " + id,
			"labels": map[string]any{"scenarios": []any{"DEFAULT"}}, "auths": []any{map[string]any{"id": "auth-" + id}},
			"bundles": bundles,
		}
	}
	switch r.OperationName {
	case "ApplicationsForRuntime":
		if vars(r, "after") == "" {
			return data(map[string]any{"applicationsForRuntime": pageOf([]any{
				app("a1", pageOf([]any{b1}, "bundle-c1", true)),
				app("a2", nil),
			}, "app-c1", true)})
		}
		if vars(r, "after") == "app-c1" {
			return data(map[string]any{"applicationsForRuntime": pageOf([]any{app("a3", emptyPage())}, "app-c2", false)})
		}
	case "ApplicationBundles":
		if vars(r, "applicationID") == "a1" && vars(r, "after") == "bundle-c1" {
			return data(map[string]any{"application": map[string]any{"bundles": pageOf([]any{b2}, "bundle-c2", false)}})
		}
	case "BundleAPIDefinitions":
		if vars(r, "applicationID") == "a1" && vars(r, "bundleID") == "b1" && vars(r, "after") == "api-c1" {
			return data(map[string]any{"application": map[string]any{"bundle": map[string]any{"apiDefinitions": pageOf([]any{api("api2")}, "api-c2", false)}}})
		}
	case "BundleEventDefinitions":
		if vars(r, "applicationID") == "a1" && vars(r, "bundleID") == "b2" && vars(r, "after") == "ev-c1" {
			return data(map[string]any{"application": map[string]any{"bundle": map[string]any{"eventDefinitions": pageOf([]any{event("e2")}, "ev-c2", false)}}})
		}
	}
	return http.StatusOK, map[string]any{"errors": []any{map[string]any{"message": "unexpected request " + r.OperationName}}}
}

func TestDirectorReadsEveryPageOfEveryLevel(t *testing.T) {
	ca := newTestCA(t)
	srv := newFakeGraphQL(t, ca, scriptedDirector)
	d := newDirector(t, compassclient.Options{RootCAs: srv.caPEM(), PageSize: 7})
	ep := ports.DirectorEndpoint{URL: srv.URL, Tenant: "tenant-1", Credentials: ca.client(t, "rt-1"), RequestID: "rt-1_round"}
	got, err := d.ApplicationsForRuntime(context.Background(), ep, "rt-1")
	if err != nil {
		t.Fatal(err)
	}
	schema := `{"type":"string"}`
	labels := map[string]any{"scenarios": []any{"DEFAULT"}}
	want := []compass.DirectorApplication{
		{
			ID: "a1", Name: "app-a1", ProviderName: "SAP", Description: "desc a1", Labels: labels, AuthIDs: []string{"auth-a1"},
			Bundles: []compass.Bundle{
				{
					ID: "b1", Name: "Bundle One", Description: "first", InstanceAuthRequestInputSchema: &schema,
					APIDefinitions: []compass.APIDefinition{
						{ID: "api1", Name: "API api1", Description: "about api1", TargetURL: "https://target/api1"},
						{ID: "api2", Name: "API api2", Description: "about api2", TargetURL: "https://target/api2"},
					},
					DefaultInstanceAuth: &compass.Auth{
						Basic:                 &compass.BasicCredential{Username: "user", Password: "pw"},
						AdditionalHeaders:     map[string][]string{"X-Custom": {"a", "b"}},
						AdditionalQueryParams: map[string][]string{"q": {"1"}},
						CSRFTokenEndpointURL:  "https://csrf/token",
					},
				},
				{
					ID: "b2", Name: "Bundle Two",
					EventDefinitions:    []compass.EventDefinition{{ID: "e1", Name: "Events e1"}, {ID: "e2", Name: "Events e2"}},
					DefaultInstanceAuth: &compass.Auth{OAuth: &compass.OAuthCredential{ClientID: "cid", ClientSecret: "cs", URL: "https://oauth/token"}},
				},
			},
		},
		{ID: "a2", Name: "app-a2", ProviderName: "SAP", Description: "desc a2", Labels: labels, AuthIDs: []string{"auth-a2"}},
		{ID: "a3", Name: "app-a3", ProviderName: "SAP", Description: "desc a3", Labels: labels, AuthIDs: []string{"auth-a3"}},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("applications:\n%s\nwant:\n%s", g, w)
	}
	reqs := srv.all()
	if len(reqs) != 5 {
		t.Errorf("%d requests, want 5 (two application pages and one follow-up per other level)", len(reqs))
	}
	for _, r := range reqs {
		if r.Header.Get("Tenant") != "tenant-1" || r.Header.Get("X-Request-Id") != "rt-1_round" || r.ClientCN != "rt-1" {
			t.Errorf("%s: Tenant %q, x-request-id %q, client %q", r.OperationName, r.Header.Get("Tenant"), r.Header.Get("X-Request-Id"), r.ClientCN)
		}
		if first, _ := r.Variables["first"].(float64); first != 7 {
			t.Errorf("%s: first = %v, want the page size 7", r.OperationName, r.Variables["first"])
		}
		if strings.Contains(r.Query, "rt-1") || strings.Contains(r.Query, "app-c1") || strings.Contains(r.Query, "a1") {
			t.Errorf("%s: a value was interpolated into the query: %s", r.OperationName, r.Query)
		}
	}
}

// A server that keeps answering hasNextPage with the same cursor (or none) must not
// keep the client in an endless loop, at any level.
func TestDirectorStopsOnALoopingCursor(t *testing.T) {
	loopApps := func(end string) func(gqlRequest) (int, any) {
		return func(gqlRequest) (int, any) {
			return data(map[string]any{"applicationsForRuntime": pageOf([]any{}, end, true)})
		}
	}
	app := func(bundles any) map[string]any {
		return map[string]any{"id": "a1", "name": "a", "auths": nil, "labels": nil, "bundles": bundles}
	}
	bundle := map[string]any{"id": "b1", "name": "b", "apiDefinitions": pageOf([]any{api("x")}, "same", true), "eventDefinitions": emptyPage()}
	for name, tc := range map[string]struct {
		answer func(gqlRequest) (int, any)
		want   string
	}{
		"applications, same cursor": {loopApps("same"), `applicationsForRuntime(rt-1): the Director returned the cursor "same" again`},
		"applications, no cursor":   {loopApps(""), "next page without an end cursor"},
		"bundles": {func(r gqlRequest) (int, any) {
			if r.OperationName == "ApplicationBundles" {
				return data(map[string]any{"application": map[string]any{"bundles": pageOf([]any{}, "same", true)}})
			}
			return data(map[string]any{"applicationsForRuntime": pageOf([]any{app(pageOf([]any{}, "same", true))}, "", false)})
		}, `application(a1).bundles: the Director returned the cursor "same" again`},
		"API definitions": {func(r gqlRequest) (int, any) {
			if r.OperationName == "BundleAPIDefinitions" {
				return data(map[string]any{"application": map[string]any{"bundle": map[string]any{"apiDefinitions": pageOf([]any{api("y")}, "other", true)}}})
			}
			return data(map[string]any{"applicationsForRuntime": pageOf([]any{app(pageOf([]any{bundle}, "", false))}, "", false)})
		}, `application(a1).bundle(b1).apiDefinitions: the Director returned the cursor "other" again`},
	} {
		t.Run(name, func(t *testing.T) {
			ca := newTestCA(t)
			srv := newFakeGraphQL(t, ca, tc.answer)
			d := newDirector(t, compassclient.Options{RootCAs: srv.caPEM()})
			ep := ports.DirectorEndpoint{URL: srv.URL, Tenant: "t", Credentials: ca.client(t, "rt-1")}
			_, err := d.ApplicationsForRuntime(context.Background(), ep, "rt-1")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if n := len(srv.all()); n > 4 {
				t.Errorf("%d requests before giving up", n)
			}
		})
	}
}

func TestDirectorApplicationVanishingDuringPagingIsAnError(t *testing.T) {
	ca := newTestCA(t)
	srv := newFakeGraphQL(t, ca, func(r gqlRequest) (int, any) {
		if r.OperationName == "ApplicationBundles" {
			return data(map[string]any{"application": nil})
		}
		return data(map[string]any{"applicationsForRuntime": pageOf([]any{map[string]any{
			"id": "a1", "name": "a", "bundles": pageOf([]any{}, "c", true),
		}}, "", false)})
	})
	d := newDirector(t, compassclient.Options{RootCAs: srv.caPEM()})
	_, err := d.ApplicationsForRuntime(context.Background(), ports.DirectorEndpoint{URL: srv.URL, Credentials: ca.client(t, "rt")}, "rt")
	if err == nil || !strings.Contains(err.Error(), "vanished") {
		t.Fatalf("err = %v", err)
	}
}

func TestDirectorRuntimeLabels(t *testing.T) {
	ca := newTestCA(t)
	answer := map[string]any{"runtime": map[string]any{"labels": map[string]any{"isNormalized": "true", "scenarios": []any{"DEFAULT"}}}}
	srv := newFakeGraphQL(t, ca, func(r gqlRequest) (int, any) {
		if vars(r, "runtimeID") == "unknown" {
			return data(map[string]any{"runtime": nil})
		}
		if vars(r, "runtimeID") == "unlabelled" {
			return data(map[string]any{"runtime": map[string]any{"labels": nil}})
		}
		return data(answer)
	})
	d := newDirector(t, compassclient.Options{RootCAs: srv.caPEM()})
	ep := ports.DirectorEndpoint{URL: srv.URL, Tenant: "t", Credentials: ca.client(t, "rt-1")}
	got, err := d.RuntimeLabels(context.Background(), ep, "rt-1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, answer["runtime"].(map[string]any)["labels"]) {
		t.Fatalf("labels = %v", got)
	}
	if got, err := d.RuntimeLabels(context.Background(), ep, "unlabelled"); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("null labels: %v, %v; want an empty map", got, err)
	}
	if _, err := d.RuntimeLabels(context.Background(), ep, "unknown"); err == nil || !strings.Contains(err.Error(), `runtime: the Director knows no runtime "unknown"`) {
		t.Fatalf("null runtime: err = %v", err)
	}
	if _, err := d.RuntimeLabels(context.Background(), ports.DirectorEndpoint{URL: srv.URL}, "rt-1"); err == nil || !strings.Contains(err.Error(), "no certificate") {
		t.Fatalf("no credentials: err = %v", err)
	}
}

func TestDirectorSetRuntimeLabelSendsVariables(t *testing.T) {
	ca := newTestCA(t)
	value := `https://events"}) { hack } #` + "\n"
	srv := newFakeGraphQL(t, ca, func(r gqlRequest) (int, any) {
		return data(map[string]any{"setRuntimeLabel": map[string]any{"key": r.Variables["key"], "value": r.Variables["value"]}})
	})
	d := newDirector(t, compassclient.Options{RootCAs: srv.caPEM()})
	ep := ports.DirectorEndpoint{URL: srv.URL, Tenant: "t", Credentials: ca.client(t, "rt-1")}
	if err := d.SetRuntimeLabel(context.Background(), ep, "rt-1", "runtime_eventServiceUrl", value); err != nil {
		t.Fatal(err)
	}
	r := srv.all()[0]
	if vars(r, "runtimeID") != "rt-1" || vars(r, "key") != "runtime_eventServiceUrl" || vars(r, "value") != value {
		t.Fatalf("variables = %v", r.Variables)
	}
	if strings.Contains(r.Query, "hack") || strings.Contains(r.Query, "runtime_eventServiceUrl") {
		t.Fatalf("a value was interpolated: %s", r.Query)
	}
}

func TestDirectorErrorNamesOperation(t *testing.T) {
	ca := newTestCA(t)
	srv := newFakeGraphQL(t, ca, func(gqlRequest) (int, any) {
		return http.StatusOK, map[string]any{"data": map[string]any{"setRuntimeLabel": nil}, "errors": []any{map[string]any{"message": "insufficient scopes"}}}
	})
	d := newDirector(t, compassclient.Options{RootCAs: srv.caPEM()})
	err := d.SetRuntimeLabel(context.Background(), ports.DirectorEndpoint{URL: srv.URL, Credentials: ca.client(t, "rt-1")}, "rt-1", "k", "v")
	if err == nil || err.Error() != "compass director setRuntimeLabel: insufficient scopes" {
		t.Fatalf("err = %v", err)
	}
}
