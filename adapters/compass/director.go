package compass

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/appconnector/appconnector/adapters/compass/internal/directorgql"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
)

// maxPages bounds one paged listing: at the default page size, ten million items.
// A server handing out fresh cursors forever is stopped by it; one repeating a cursor
// is stopped at once.
const maxPages = 100_000

// DirectorClient calls the Compass Director over mTLS with the runtime certificate.
type DirectorClient struct {
	opts    Options
	clients *httpClients
}

var _ ports.Director = (*DirectorClient)(nil)

// NewDirectorClient returns a Director client; an unusable RootCAs is an error.
func NewDirectorClient(opts Options) (*DirectorClient, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &DirectorClient{opts: o, clients: newHTTPClients(o)}, nil
}

// CloseIdleConnections closes the idle keep-alive connections of every transport.
func (d *DirectorClient) CloseIdleConnections() { d.clients.closeIdle() }

func (d *DirectorClient) call(ep ports.DirectorEndpoint, operation string) (*call, error) {
	fail := func(err error) (*call, error) {
		return nil, fmt.Errorf("compass director %s: %w", operation, err)
	}
	if err := checkURL(ep.URL); err != nil {
		return fail(err)
	}
	hc, err := d.clients.forCredentials(ep.Credentials)
	if err != nil {
		return fail(err)
	}
	header := http.Header{}
	if d.opts.UserAgent != "" {
		header.Set("User-Agent", d.opts.UserAgent)
	}
	if ep.Tenant != "" {
		header.Set("Tenant", ep.Tenant)
	}
	if ep.RequestID != "" {
		header.Set("X-Request-Id", ep.RequestID)
	}
	return &call{
		service:   "director",
		operation: operation,
		url:       ep.URL,
		client:    hc,
		header:    header,
		timeout:   d.opts.Timeout,
		maxBytes:  d.opts.MaxResponseBytes,
	}, nil
}

// pager follows one paged listing and refuses a server that would keep it going
// forever: a next page without a cursor, a cursor seen before, too many pages.
type pager struct {
	what  string
	seen  map[string]struct{}
	pages int
}

func newPager(format string, args ...any) *pager {
	return &pager{what: fmt.Sprintf(format, args...), seen: map[string]struct{}{}}
}

// next returns the cursor of the next page, or more=false after the last one.
func (p *pager) next(pi directorgql.PageInfoFields) (after string, more bool, err error) {
	p.pages++
	if !pi.HasNextPage {
		return "", false, nil
	}
	if pi.EndCursor == "" {
		return "", false, fmt.Errorf("%s: the Director reports a next page without an end cursor", p.what)
	}
	if _, dup := p.seen[pi.EndCursor]; dup {
		return "", false, fmt.Errorf("%s: the Director returned the cursor %q again after %d pages; stopping instead of looping", p.what, pi.EndCursor, p.pages)
	}
	if p.pages >= maxPages {
		return "", false, fmt.Errorf("%s: more than %d pages; stopping", p.what, maxPages)
	}
	p.seen[pi.EndCursor] = struct{}{}
	return pi.EndCursor, true, nil
}

// ApplicationsForRuntime reads every page of the runtime's applications, and of each
// application's bundles and each bundle's API and event definitions: the first pages
// come with the applications, further ones with application(id) queries.
func (d *DirectorClient) ApplicationsForRuntime(ctx context.Context, ep ports.DirectorEndpoint, runtimeID string) ([]compass.DirectorApplication, error) {
	const op = "applicationsForRuntime"
	if runtimeID == "" {
		return nil, fmt.Errorf("compass director %s: no runtime ID", op)
	}
	cl, err := d.call(ep, op)
	if err != nil {
		return nil, err
	}
	first := d.opts.PageSize
	var out []compass.DirectorApplication
	pages := newPager("compass director %s(%s)", op, runtimeID)
	var after *string
	for {
		resp, err := directorgql.ApplicationsForRuntime(ctx, cl, runtimeID, first, after)
		if err != nil {
			return nil, err
		}
		page := resp.ApplicationsForRuntime
		for _, a := range page.Data {
			app, err := d.application(ctx, ep, a.ApplicationFields)
			if err != nil {
				return nil, err
			}
			out = append(out, app)
		}
		next, more, err := pages.next(page.PageInfo.PageInfoFields)
		if err != nil {
			return nil, err
		}
		if !more {
			return out, nil
		}
		after = &next
	}
}

// application maps one application and reads the pages of its bundles that did not
// come with it.
func (d *DirectorClient) application(ctx context.Context, ep ports.DirectorEndpoint, a directorgql.ApplicationFields) (compass.DirectorApplication, error) {
	app := compass.DirectorApplication{
		ID:           a.Id,
		Name:         a.Name,
		ProviderName: deref(a.ProviderName),
		Description:  deref(a.Description),
		Labels:       deref(a.Labels),
	}
	for _, au := range a.Auths {
		app.AuthIDs = append(app.AuthIDs, au.Id)
	}
	if a.Bundles == nil {
		return app, nil
	}
	var bundles []directorgql.BundleFields
	for _, b := range a.Bundles.Data {
		bundles = append(bundles, b.BundleFields)
	}
	if a.Bundles.PageInfo.HasNextPage {
		more, err := d.moreBundles(ctx, ep, a.Id, a.Bundles.PageInfo.PageInfoFields)
		if err != nil {
			return app, err
		}
		bundles = append(bundles, more...)
	}
	for _, b := range bundles {
		bundle, err := d.bundle(ctx, ep, a.Id, b)
		if err != nil {
			return app, err
		}
		app.Bundles = append(app.Bundles, bundle)
	}
	return app, nil
}

func (d *DirectorClient) moreBundles(ctx context.Context, ep ports.DirectorEndpoint, appID string, pi directorgql.PageInfoFields) ([]directorgql.BundleFields, error) {
	const op = "application"
	cl, err := d.call(ep, op)
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("compass director %s(%s).bundles", op, appID)
	return follow(newPager("%s", what), pi, func(after string) ([]directorgql.BundleFields, directorgql.PageInfoFields, error) {
		resp, err := directorgql.ApplicationBundles(ctx, cl, appID, d.opts.PageSize, &after)
		if err != nil {
			return nil, directorgql.PageInfoFields{}, err
		}
		if resp.Application == nil || resp.Application.Bundles == nil {
			return nil, directorgql.PageInfoFields{}, fmt.Errorf("%s: the application or its bundles vanished while being read", what)
		}
		page := resp.Application.Bundles
		out := make([]directorgql.BundleFields, 0, len(page.Data))
		for _, b := range page.Data {
			out = append(out, b.BundleFields)
		}
		return out, page.PageInfo.PageInfoFields, nil
	})
}

// follow reads the pages after the one pi describes; fetch reads the page after a
// cursor.
func follow[T any](p *pager, pi directorgql.PageInfoFields, fetch func(after string) ([]T, directorgql.PageInfoFields, error)) ([]T, error) {
	var out []T
	for {
		after, more, err := p.next(pi)
		if err != nil || !more {
			return out, err
		}
		items, next, err := fetch(after)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		pi = next
	}
}

func (d *DirectorClient) bundle(ctx context.Context, ep ports.DirectorEndpoint, appID string, b directorgql.BundleFields) (compass.Bundle, error) {
	out := compass.Bundle{
		ID:                             b.Id,
		Name:                           b.Name,
		Description:                    deref(b.Description),
		InstanceAuthRequestInputSchema: jsonText(b.InstanceAuthRequestInputSchema),
		DefaultInstanceAuth:            auth(b.DefaultInstanceAuth),
	}
	if p := b.ApiDefinitions; p != nil {
		for _, a := range p.Data {
			out.APIDefinitions = append(out.APIDefinitions, apiDefinition(a.APIDefinitionFields))
		}
		if p.PageInfo.HasNextPage {
			more, err := d.moreAPIDefinitions(ctx, ep, appID, b.Id, p.PageInfo.PageInfoFields)
			if err != nil {
				return out, err
			}
			out.APIDefinitions = append(out.APIDefinitions, more...)
		}
	}
	if p := b.EventDefinitions; p != nil {
		for _, e := range p.Data {
			out.EventDefinitions = append(out.EventDefinitions, eventDefinition(e.EventDefinitionFields))
		}
		if p.PageInfo.HasNextPage {
			more, err := d.moreEventDefinitions(ctx, ep, appID, b.Id, p.PageInfo.PageInfoFields)
			if err != nil {
				return out, err
			}
			out.EventDefinitions = append(out.EventDefinitions, more...)
		}
	}
	return out, nil
}

func (d *DirectorClient) moreAPIDefinitions(ctx context.Context, ep ports.DirectorEndpoint, appID, bundleID string, pi directorgql.PageInfoFields) ([]compass.APIDefinition, error) {
	const op = "application"
	cl, err := d.call(ep, op)
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("compass director %s(%s).bundle(%s).apiDefinitions", op, appID, bundleID)
	return follow(newPager("%s", what), pi, func(after string) ([]compass.APIDefinition, directorgql.PageInfoFields, error) {
		resp, err := directorgql.BundleAPIDefinitions(ctx, cl, appID, bundleID, d.opts.PageSize, &after)
		if err != nil {
			return nil, directorgql.PageInfoFields{}, err
		}
		if resp.Application == nil || resp.Application.Bundle == nil || resp.Application.Bundle.ApiDefinitions == nil {
			return nil, directorgql.PageInfoFields{}, fmt.Errorf("%s: the application, bundle or page vanished while being read", what)
		}
		page := resp.Application.Bundle.ApiDefinitions
		out := make([]compass.APIDefinition, 0, len(page.Data))
		for _, a := range page.Data {
			out = append(out, apiDefinition(a.APIDefinitionFields))
		}
		return out, page.PageInfo.PageInfoFields, nil
	})
}

func (d *DirectorClient) moreEventDefinitions(ctx context.Context, ep ports.DirectorEndpoint, appID, bundleID string, pi directorgql.PageInfoFields) ([]compass.EventDefinition, error) {
	const op = "application"
	cl, err := d.call(ep, op)
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("compass director %s(%s).bundle(%s).eventDefinitions", op, appID, bundleID)
	return follow(newPager("%s", what), pi, func(after string) ([]compass.EventDefinition, directorgql.PageInfoFields, error) {
		resp, err := directorgql.BundleEventDefinitions(ctx, cl, appID, bundleID, d.opts.PageSize, &after)
		if err != nil {
			return nil, directorgql.PageInfoFields{}, err
		}
		if resp.Application == nil || resp.Application.Bundle == nil || resp.Application.Bundle.EventDefinitions == nil {
			return nil, directorgql.PageInfoFields{}, fmt.Errorf("%s: the application, bundle or page vanished while being read", what)
		}
		page := resp.Application.Bundle.EventDefinitions
		out := make([]compass.EventDefinition, 0, len(page.Data))
		for _, e := range page.Data {
			out = append(out, eventDefinition(e.EventDefinitionFields))
		}
		return out, page.PageInfo.PageInfoFields, nil
	})
}

func apiDefinition(a directorgql.APIDefinitionFields) compass.APIDefinition {
	return compass.APIDefinition{ID: a.Id, Name: a.Name, Description: deref(a.Description), TargetURL: a.TargetURL}
}

func eventDefinition(e directorgql.EventDefinitionFields) compass.EventDefinition {
	return compass.EventDefinition{ID: e.Id, Name: e.Name, Description: deref(e.Description)}
}

// auth maps a bundle's defaultInstanceAuth. A CertificateOAuthCredentialData leaves
// both Basic and OAuth unset: the runtime has no use for it.
func auth(a *directorgql.BundleFieldsDefaultInstanceAuth) *compass.Auth {
	if a == nil {
		return nil
	}
	out := &compass.Auth{
		AdditionalHeaders:     deref(a.AdditionalHeaders),
		AdditionalQueryParams: deref(a.AdditionalQueryParams),
	}
	if a.Credential != nil {
		switch c := (*a.Credential).(type) {
		case *directorgql.AuthFieldsCredentialBasicCredentialData:
			out.Basic = &compass.BasicCredential{Username: c.Username, Password: c.Password}
		case *directorgql.AuthFieldsCredentialOAuthCredentialData:
			out.OAuth = &compass.OAuthCredential{ClientID: c.ClientId, ClientSecret: c.ClientSecret, URL: c.Url}
		}
	}
	if a.RequestAuth != nil && a.RequestAuth.Csrf != nil {
		out.CSRFTokenEndpointURL = a.RequestAuth.Csrf.TokenEndpointURL
	}
	return out
}

// jsonText turns a "stringified JSON" scalar into its text: Compass sends it as a
// JSON string, but an inline JSON value is accepted too and kept as written.
func jsonText(raw *json.RawMessage) *string {
	if raw == nil || len(*raw) == 0 || string(*raw) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(*raw, &s) == nil {
		return &s
	}
	s = string(*raw)
	return &s
}

// RuntimeLabels returns the runtime's labels; an unknown runtime (null) is an error.
func (d *DirectorClient) RuntimeLabels(ctx context.Context, ep ports.DirectorEndpoint, runtimeID string) (map[string]any, error) {
	const op = "runtime"
	if runtimeID == "" {
		return nil, fmt.Errorf("compass director %s: no runtime ID", op)
	}
	cl, err := d.call(ep, op)
	if err != nil {
		return nil, err
	}
	resp, err := directorgql.RuntimeLabels(ctx, cl, runtimeID)
	if err != nil {
		return nil, err
	}
	if resp.Runtime == nil {
		return nil, fmt.Errorf("compass director %s: the Director knows no runtime %q (for this tenant and certificate)", op, runtimeID)
	}
	labels := deref(resp.Runtime.Labels)
	if labels == nil {
		labels = map[string]any{}
	}
	return labels, nil
}

// SetRuntimeLabel sets one label of the runtime to a string value.
func (d *DirectorClient) SetRuntimeLabel(ctx context.Context, ep ports.DirectorEndpoint, runtimeID, key, value string) error {
	const op = "setRuntimeLabel"
	if runtimeID == "" || key == "" {
		return fmt.Errorf("compass director %s: a runtime ID and a label key are needed", op)
	}
	cl, err := d.call(ep, op)
	if err != nil {
		return err
	}
	resp, err := directorgql.SetRuntimeLabel(ctx, cl, runtimeID, key, value)
	if err != nil {
		return err
	}
	if resp.SetRuntimeLabel.Key != key {
		return errors.New("compass director " + op + ": the Director answered with another label (" + resp.SetRuntimeLabel.Key + ")")
	}
	return nil
}
