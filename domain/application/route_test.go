package application

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func routeApp() Application {
	return Application{Name: "shop", Spec: Spec{Services: []Service{
		{ID: "1", Name: "orders-1", DisplayName: "Orders API", Entries: []Entry{
			{Type: EntryTypeAPI, Name: "Read Orders", TargetURL: "http://a"},
			{Type: EntryTypeEvents, Name: "Order Events"},
		}},
		{ID: "2", Name: "bundle", DisplayName: "Bundle", Entries: []Entry{
			{Type: EntryTypeAPI, Name: "one", TargetURL: "http://b"},
			{Type: EntryTypeAPI, Name: "two", TargetURL: "http://c"},
		}},
		{ID: "3", Name: "dup-a", DisplayName: "Dup!", Entries: []Entry{{Type: EntryTypeAPI, TargetURL: "http://d"}}},
		{ID: "4", Name: "dup-b", DisplayName: "dup", Entries: []Entry{{Type: EntryTypeAPI, TargetURL: "http://e"}}},
		{ID: "5", Name: "events-only", DisplayName: "Events Only", Entries: []Entry{{Type: EntryTypeEvents}}},
	}}}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		route      Route
		wantTarget string
		wantErr    error
		ambiguous  bool
	}{
		"single API entry by display name": {route: Route{App: "shop", Service: "orders-api"}, wantTarget: "http://a"},
		"entry on compass form":            {route: Route{App: "shop", Service: "bundle", Entry: "two"}, wantTarget: "http://c"},
		"events entries are not routable":  {route: Route{App: "shop", Service: "events-only"}, wantErr: ErrNotFound},
		"unknown service":                  {route: Route{App: "shop", Service: "nope"}, wantErr: ErrNotFound},
		"unknown entry":                    {route: Route{App: "shop", Service: "bundle", Entry: "three"}, wantErr: ErrNotFound},
		"two API entries are ambiguous":    {route: Route{App: "shop", Service: "bundle"}, ambiguous: true},
		"equal normalised display names":   {route: Route{App: "shop", Service: "dup"}, ambiguous: true},
		"name is not a routing key":        {route: Route{App: "shop", Service: "orders-1"}, wantErr: ErrNotFound},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			app := routeApp()
			got, err := app.Resolve(tc.route)
			switch {
			case tc.ambiguous:
				var amb *AmbiguousRouteError
				require.True(t, errors.As(err, &amb), "got %v", err)
				assert.Contains(t, err.Error(), "multiple services found")
				assert.Len(t, amb.Candidates, 2)
			case tc.wantErr != nil:
				require.ErrorIs(t, err, tc.wantErr)
			default:
				require.NoError(t, err)
				assert.Equal(t, tc.wantTarget, got.Entry.TargetURL)
				assert.Same(t, &app.Spec.Services[got.ServiceIndex].Entries[got.EntryIndex], got.Entry)
			}
		})
	}
}

func TestRouteNotFoundMessages(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "service with name s not found", (&RouteNotFoundError{Route: Route{Service: "s"}}).Error())
	assert.Equal(t, "service with name s and entry name e not found", (&RouteNotFoundError{Route: Route{Service: "s", Entry: "e"}}).Error())
}
