package application

import (
	"fmt"
	"strings"
)

// Route identifies an API entry from a gateway URL: the Application name (matched
// verbatim), the service segment (matched against NormalizeName(service.displayName))
// and, on the Compass listener, the entry segment (matched against
// NormalizeName(entry.name)). Entry is empty on the standalone listener.
type Route struct {
	App     string
	Service string
	Entry   string
}

// Resolved is the result of resolving a Route: the matched service and API entry, with
// their positions so callers can build cache keys that cannot collide.
type Resolved struct {
	ServiceIndex int
	EntryIndex   int
	Service      *Service
	Entry        *Entry
}

// RouteNotFoundError says no API entry matches the route; the gateway answers 404.
type RouteNotFoundError struct{ Route Route }

func (e *RouteNotFoundError) Error() string {
	if e.Route.Entry != "" {
		return fmt.Sprintf("service with name %s and entry name %s not found", e.Route.Service, e.Route.Entry)
	}
	return fmt.Sprintf("service with name %s not found", e.Route.Service)
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *RouteNotFoundError) Is(target error) bool { return target == ErrNotFound }

// AmbiguousRouteError says more than one API entry matches; the gateway answers 400,
// because the caller must use the longer (Compass) form of the URL to pick one.
type AmbiguousRouteError struct {
	Route      Route
	Candidates []Resolved
}

func (e *AmbiguousRouteError) Error() string {
	parts := make([]string, len(e.Candidates))
	for i, c := range e.Candidates {
		parts[i] = fmt.Sprintf("service.ID: '%s', service.DisplayName: '%s', entry.Name: '%s'",
			c.Service.ID, c.Service.DisplayName, c.Entry.Name)
	}
	return fmt.Sprintf("failed to get service with name '%s': multiple services found: %s",
		e.Route.Service, strings.Join(parts, " | "))
}

// Resolve finds the single API entry of a that the route names, following gateway
// reference section 3.2: only entries of type API are candidates; zero candidates is a
// *RouteNotFoundError, more than one an *AmbiguousRouteError.
func (a *Application) Resolve(r Route) (Resolved, error) {
	var found []Resolved
	for si := range a.Spec.Services {
		svc := &a.Spec.Services[si]
		if NormalizeName(svc.DisplayName) != r.Service {
			continue
		}
		for ei := range svc.Entries {
			e := &svc.Entries[ei]
			if e.Type != EntryTypeAPI {
				continue
			}
			if r.Entry != "" && NormalizeName(e.Name) != r.Entry {
				continue
			}
			found = append(found, Resolved{ServiceIndex: si, EntryIndex: ei, Service: svc, Entry: e})
		}
	}
	switch len(found) {
	case 0:
		return Resolved{}, &RouteNotFoundError{Route: r}
	case 1:
		return found[0], nil
	default:
		return Resolved{}, &AmbiguousRouteError{Route: r, Candidates: found}
	}
}
