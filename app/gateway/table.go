package gateway

import (
	"fmt"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	dgw "github.com/appconnector/appconnector/domain/gateway"
)

// AppNotFoundError says the path names no Application; the gateway answers 404.
type AppNotFoundError struct{ App string }

func (e *AppNotFoundError) Error() string { return fmt.Sprintf("application %s not found", e.App) }

// Is makes errors.Is(err, application.ErrNotFound) true.
func (e *AppNotFoundError) Is(target error) bool { return target == application.ErrNotFound }

// compassKey is the Compass listener's routing key: normalised service display name and
// normalised entry name.
type compassKey struct {
	service string
	entry   string
}

// route is the outcome of a lookup, computed when the table is built so that a request
// allocates nothing: an endpoint, or the ambiguity error.
type route struct {
	ep  *Endpoint
	err error
}

// appRoutes are the compiled routes of one Application.
type appRoutes struct {
	standalone map[string]route
	compass    map[compassKey]route
	endpoints  []*Endpoint
}

// table is an immutable snapshot of every Application's routes.
type table struct {
	apps map[string]*appRoutes
}

func (t *table) lookup(p dgw.Path, m dgw.Mode) (*Endpoint, error) {
	ar, ok := t.apps[p.App]
	if !ok {
		return nil, &AppNotFoundError{App: p.App}
	}
	var r route
	if m == dgw.Compass {
		r, ok = ar.compass[compassKey{service: p.Service, entry: p.Entry}]
	} else {
		r, ok = ar.standalone[p.Service]
	}
	if !ok {
		return nil, &application.RouteNotFoundError{Route: application.Route{App: p.App, Service: p.Service, Entry: p.Entry}}
	}
	return r.ep, r.err
}

// compileApp builds the routes of app with the Secrets known now. The matching rules are
// application.Resolve's (section 3.2 of the reference): only API entries, service by
// normalised displayName, entry by normalised name, more than one candidate is ambiguous.
func compileApp(app *application.Application, secrets map[string]credential.Secret) *appRoutes {
	ar := &appRoutes{standalone: map[string]route{}, compass: map[compassKey]route{}}
	byService := map[string][]application.Resolved{}
	byEntry := map[compassKey][]application.Resolved{}
	eps := map[EntryKey]*Endpoint{}
	for si := range app.Spec.Services {
		svc := &app.Spec.Services[si]
		sn := application.NormalizeName(svc.DisplayName)
		for ei := range svc.Entries {
			e := &svc.Entries[ei]
			if e.Type != application.EntryTypeAPI {
				continue
			}
			key := EntryKey{App: app.Name, Service: si, Entry: ei}
			ep := compileEntry(app, key, svc, e, secrets)
			eps[key] = ep
			ar.endpoints = append(ar.endpoints, ep)
			res := application.Resolved{ServiceIndex: si, EntryIndex: ei, Service: svc, Entry: e}
			byService[sn] = append(byService[sn], res)
			ck := compassKey{service: sn, entry: application.NormalizeName(e.Name)}
			byEntry[ck] = append(byEntry[ck], res)
		}
	}
	pick := func(r application.Route, found []application.Resolved) route {
		if len(found) == 1 {
			return route{ep: eps[EntryKey{App: app.Name, Service: found[0].ServiceIndex, Entry: found[0].EntryIndex}]}
		}
		return route{err: &application.AmbiguousRouteError{Route: r, Candidates: found}}
	}
	for sn, found := range byService {
		ar.standalone[sn] = pick(application.Route{App: app.Name, Service: sn}, found)
	}
	for ck, found := range byEntry {
		ar.compass[ck] = pick(application.Route{App: app.Name, Service: ck.service, Entry: ck.entry}, found)
	}
	return ar
}
