package compassdouble

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/appconnector/appconnector/domain/compass"
)

// maxApplicationsPage is the Director's documented maximum of applicationsForRuntime's
// first. The schema's default (200) is above it: the double serves 100 when first is
// absent and refuses an explicit first above 100, so a client that does not follow
// hasNextPage is caught with only 101 applications.
const maxApplicationsPage = 100

// directorRoot is the Director's Query and Mutation for the runtime c.
func (d *Double) directorRoot(c caller) *obj {
	return &obj{fields: map[string]any{
		"runtime":                d.rootField("runtime", func(a map[string]any) (any, error) { return d.runtime(c, a) }),
		"applicationsForRuntime": d.rootField("applicationsForRuntime", func(a map[string]any) (any, error) { return d.applicationsForRuntime(c, a) }),
		"application":            d.rootField("application", func(a map[string]any) (any, error) { return d.application(c, a) }),
		"setRuntimeLabel":        d.rootField("setRuntimeLabel", func(a map[string]any) (any, error) { return d.setRuntimeLabel(c, a) }),
	}}
}

// ownRuntime checks that a runtime asks about itself, as Compass's tenant and
// scenario checks make sure.
func ownRuntime(c caller, id string) error {
	if id != c.clientID {
		return fmt.Errorf("runtime %s may not access runtime %q", c.clientID, id)
	}
	return nil
}

func (d *Double) runtime(c caller, args map[string]any) (any, error) {
	id := str(args["id"])
	if err := ownRuntime(c, id); err != nil {
		return nil, err
	}
	d.mu.Lock()
	rt, ok := d.runtimes[id]
	var name string
	var labels map[string]any
	if ok {
		name, labels = rt.name, maps.Clone(rt.labels)
	}
	d.mu.Unlock()
	if !ok {
		return nil, nil
	}
	return &obj{typ: "Runtime", fields: map[string]any{
		"id":     id,
		"name":   name,
		"labels": labelsResolver(labels),
	}}, nil
}

func (d *Double) setRuntimeLabel(c caller, args map[string]any) (any, error) {
	id, key := str(args["runtimeID"]), str(args["key"])
	if err := ownRuntime(c, id); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, errors.New("key must not be empty")
	}
	value := args["value"]
	d.mu.Lock()
	rt, ok := d.runtimes[id]
	if ok {
		rt.labels[key] = value
	}
	d.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("runtime %q not found", id)
	}
	return &obj{typ: "Label", fields: map[string]any{"key": key, "value": value}}, nil
}

func (d *Double) applicationsForRuntime(c caller, args map[string]any) (any, error) {
	id := str(args["runtimeID"])
	if err := ownRuntime(c, id); err != nil {
		return nil, err
	}
	first := maxApplicationsPage
	if v := args["first"]; v != nil && !isDefault(v) {
		n, ok := toInt(v)
		if !ok || n < 1 || n > maxApplicationsPage {
			return nil, fmt.Errorf("first must be between 1 and %d, got %v", maxApplicationsPage, v)
		}
		first = n
	}
	d.mu.Lock()
	var apps []compass.DirectorApplication
	for _, e := range d.apps {
		if e.runtimeID == id {
			apps = append(apps, e.app)
		}
	}
	d.mu.Unlock()
	slices.SortFunc(apps, func(a, b compass.DirectorApplication) int { return strings.Compare(a.ID, b.ID) })
	// The cursor is the id of the last application of the page, so a page boundary
	// stays put when applications are added or removed between two calls.
	start := 0
	if after := str(args["after"]); after != "" {
		last, err := decodeCursor(after, "app")
		if err != nil {
			return nil, err
		}
		start, _ = slices.BinarySearchFunc(apps, last, func(a compass.DirectorApplication, id string) int { return strings.Compare(a.ID, id) })
		if start < len(apps) && apps[start].ID == last {
			start++
		}
	}
	end := min(start+first, len(apps))
	data := make([]any, 0, end-start)
	for _, a := range apps[start:end] {
		data = append(data, d.applicationObj(a))
	}
	startCursor, endCursor := str(args["after"]), str(args["after"])
	if end > start {
		startCursor = encodeCursor("app", apps[start].ID)
		endCursor = encodeCursor("app", apps[end-1].ID)
	}
	return page("ApplicationPage", data, startCursor, endCursor, end < len(apps), len(apps)), nil
}

func (d *Double) application(c caller, args map[string]any) (any, error) {
	id := str(args["id"])
	d.mu.Lock()
	e, ok := d.apps[id]
	d.mu.Unlock()
	if !ok || e.runtimeID != c.clientID {
		return nil, nil
	}
	return d.applicationObj(e.app), nil
}

// isDefault tells whether v is the schema's default for first (200), which the double
// treats as absent: gqlparser fills defaults in, so "not given" cannot be told apart.
func isDefault(v any) bool {
	n, ok := toInt(v)
	return ok && n == 200
}

func (d *Double) applicationObj(a compass.DirectorApplication) *obj {
	auths := make([]any, 0, len(a.AuthIDs))
	for _, id := range a.AuthIDs {
		auths = append(auths, &obj{typ: "AppSystemAuth", fields: map[string]any{"id": id}})
	}
	bundle := func(b compass.Bundle) any { return bundleObj(b) }
	return &obj{typ: "Application", fields: map[string]any{
		"id":           a.ID,
		"name":         a.Name,
		"providerName": optional(a.ProviderName),
		"description":  optional(a.Description),
		"labels":       labelsResolver(a.Labels),
		"auths":        auths,
		"status": &obj{typ: "ApplicationStatus", fields: map[string]any{
			"condition": "CONNECTED",
			"timestamp": d.now().UTC().Format(time.RFC3339),
		}},
		"bundles": resolver(func(args map[string]any) (any, error) {
			return paginate("BundlePage", "bundle", a.Bundles, bundle, args)
		}),
		"bundle": resolver(func(args map[string]any) (any, error) {
			id := str(args["id"])
			for _, b := range a.Bundles {
				if b.ID == id {
					return bundleObj(b), nil
				}
			}
			return nil, nil
		}),
	}}
}

func bundleObj(b compass.Bundle) *obj {
	api := func(x compass.APIDefinition) any {
		return &obj{typ: "APIDefinition", fields: map[string]any{
			"id": x.ID, "name": x.Name, "description": optional(x.Description), "targetURL": x.TargetURL,
		}}
	}
	event := func(x compass.EventDefinition) any {
		return &obj{typ: "EventDefinition", fields: map[string]any{
			"id": x.ID, "name": x.Name, "description": optional(x.Description),
		}}
	}
	fields := map[string]any{
		"id":          b.ID,
		"name":        b.Name,
		"description": optional(b.Description),
		"apiDefinitions": resolver(func(args map[string]any) (any, error) {
			return paginate("APIDefinitionPage", "api", b.APIDefinitions, api, args)
		}),
		"eventDefinitions": resolver(func(args map[string]any) (any, error) {
			return paginate("EventDefinitionPage", "event", b.EventDefinitions, event, args)
		}),
		"documents": resolver(func(args map[string]any) (any, error) {
			return paginate("DocumentPage", "document", []any(nil), func(x any) any { return x }, args)
		}),
		"apiDefinition": resolver(func(args map[string]any) (any, error) {
			for _, x := range b.APIDefinitions {
				if x.ID == str(args["id"]) {
					return api(x), nil
				}
			}
			return nil, nil
		}),
		"eventDefinition": resolver(func(args map[string]any) (any, error) {
			for _, x := range b.EventDefinitions {
				if x.ID == str(args["id"]) {
					return event(x), nil
				}
			}
			return nil, nil
		}),
	}
	if b.InstanceAuthRequestInputSchema != nil {
		fields["instanceAuthRequestInputSchema"] = *b.InstanceAuthRequestInputSchema
	}
	if b.DefaultInstanceAuth != nil {
		fields["defaultInstanceAuth"] = authObj(*b.DefaultInstanceAuth)
	}
	return &obj{typ: "Bundle", fields: fields}
}

func authObj(a compass.Auth) *obj {
	fields := map[string]any{}
	switch {
	case a.Basic != nil:
		fields["credential"] = &obj{typ: "BasicCredentialData", fields: map[string]any{
			"username": a.Basic.Username, "password": a.Basic.Password,
		}}
	case a.OAuth != nil:
		fields["credential"] = &obj{typ: "OAuthCredentialData", fields: map[string]any{
			"clientId": a.OAuth.ClientID, "clientSecret": a.OAuth.ClientSecret, "url": a.OAuth.URL,
		}}
	}
	if a.AdditionalHeaders != nil {
		fields["additionalHeaders"] = a.AdditionalHeaders
	}
	if a.AdditionalQueryParams != nil {
		fields["additionalQueryParams"] = a.AdditionalQueryParams
	}
	if a.CSRFTokenEndpointURL != "" {
		fields["requestAuth"] = &obj{typ: "CredentialRequestAuth", fields: map[string]any{
			"csrf": &obj{typ: "CSRFTokenCredentialRequestAuth", fields: map[string]any{
				"tokenEndpointURL": a.CSRFTokenEndpointURL,
			}},
		}}
	}
	return &obj{typ: "Auth", fields: fields}
}

// labelsResolver serves labels(key: String): all labels as a JSON object, or only key.
func labelsResolver(labels map[string]any) resolver {
	return func(args map[string]any) (any, error) {
		out := map[string]any{}
		if key := str(args["key"]); key != "" {
			if v, ok := labels[key]; ok {
				out[key] = v
			}
			return out, nil
		}
		maps.Copy(out, labels)
		return out, nil
	}
}

// paginate serves a nested page (bundles, API and event definitions) with offset
// cursors; first defaults to the schema's 200 and has no maximum.
func paginate[T any](typ, kind string, items []T, conv func(T) any, args map[string]any) (any, error) {
	first := 200
	if v, ok := args["first"]; ok && v != nil {
		n, ok := toInt(v)
		if !ok || n < 1 {
			return nil, fmt.Errorf("first must be at least 1, got %v", v)
		}
		first = n
	}
	start := 0
	if after := str(args["after"]); after != "" {
		s, err := decodeCursor(after, kind)
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("invalid cursor %q", after)
		}
		start = min(n, len(items))
	}
	end := min(start+first, len(items))
	data := make([]any, 0, end-start)
	for _, x := range items[start:end] {
		data = append(data, conv(x))
	}
	return page(typ, data, encodeCursor(kind, strconv.Itoa(start)), encodeCursor(kind, strconv.Itoa(end)), end < len(items), len(items)), nil
}

func page(typ string, data []any, startCursor, endCursor string, hasNext bool, total int) *obj {
	return &obj{typ: typ, fields: map[string]any{
		"data": data,
		"pageInfo": &obj{typ: "PageInfo", fields: map[string]any{
			"startCursor": startCursor, "endCursor": endCursor, "hasNextPage": hasNext,
		}},
		"totalCount": total,
	}}
}

// Cursors are opaque to clients; the kind prefix catches a cursor of one list passed
// to another.
func encodeCursor(kind, v string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + v))
}

func decodeCursor(c, kind string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", fmt.Errorf("invalid cursor %q", c)
	}
	v, ok := strings.CutPrefix(string(raw), kind+":")
	if !ok {
		return "", fmt.Errorf("invalid cursor %q: not a cursor of this list", c)
	}
	return v, nil
}

func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

func toInt(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case int32:
		return int(v), true
	case int64:
		return int(v), true
	case float64:
		if v != math.Trunc(v) {
			return 0, false
		}
		return int(v), true
	}
	return 0, false
}

// cloneApp copies what the double stores, so a caller that changes its value later
// does not change the double (and no data race).
func cloneApp(a compass.DirectorApplication) compass.DirectorApplication {
	a.Labels = maps.Clone(a.Labels)
	a.AuthIDs = slices.Clone(a.AuthIDs)
	bundles := make([]compass.Bundle, len(a.Bundles))
	for i, b := range a.Bundles {
		b.APIDefinitions = slices.Clone(b.APIDefinitions)
		b.EventDefinitions = slices.Clone(b.EventDefinitions)
		if b.InstanceAuthRequestInputSchema != nil {
			s := *b.InstanceAuthRequestInputSchema
			b.InstanceAuthRequestInputSchema = &s
		}
		if b.DefaultInstanceAuth != nil {
			auth := *b.DefaultInstanceAuth
			if auth.Basic != nil {
				c := *auth.Basic
				auth.Basic = &c
			}
			if auth.OAuth != nil {
				c := *auth.OAuth
				auth.OAuth = &c
			}
			auth.AdditionalHeaders = cloneValues(auth.AdditionalHeaders)
			auth.AdditionalQueryParams = cloneValues(auth.AdditionalQueryParams)
			b.DefaultInstanceAuth = &auth
		}
		bundles[i] = b
	}
	if a.Bundles == nil {
		bundles = nil
	}
	a.Bundles = bundles
	return a
}

func cloneValues(m map[string][]string) map[string][]string {
	if m == nil {
		return nil
	}
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}
