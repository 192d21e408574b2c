package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/internal/compassdouble"
)

// operations are the root fields the admin API can make fail.
var operations = []string{"configuration", "signCertificateSigningRequest", "revokeCertificate",
	"runtime", "applicationsForRuntime", "application", "setRuntimeLabel"}

const maxAdminBody = 1 << 20

// adminHandler is the double's JSON admin API, for users trying Compass mode by hand.
func adminHandler(d *compassdouble.Double) http.Handler {
	a := &admin{d: d}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /runtimes", a.addRuntime)
	mux.HandleFunc("GET /runtimes/{id}", a.getRuntime)
	mux.HandleFunc("POST /runtimes/{id}/token", a.newToken)
	mux.HandleFunc("PUT /applications/{id}", a.putApplication)
	mux.HandleFunc("DELETE /applications/{id}", a.deleteApplication)
	mux.HandleFunc("POST /fail/{operation}", a.fail)
	mux.HandleFunc("DELETE /fail/{operation}", a.heal)
	mux.HandleFunc("DELETE /fail", a.healAll)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such admin endpoint: "+r.Method+" "+r.URL.Path+
			" (see compass-double -h)")
	})
	return mux
}

type admin struct{ d *compassdouble.Double }

type runtimeJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Tenant string `json:"tenant"`
}

func (a *admin) addRuntime(w http.ResponseWriter, r *http.Request) {
	var in runtimeJSON
	if !decode(w, r, &in) {
		return
	}
	var missing []string
	if in.ID == "" {
		missing = append(missing, "id")
	}
	if in.Tenant == "" {
		missing = append(missing, "tenant")
	}
	if len(missing) > 0 {
		writeError(w, http.StatusBadRequest, "missing "+strings.Join(missing, " and "))
		return
	}
	if in.Name == "" {
		in.Name = in.ID
	}
	a.d.AddRuntime(in.ID, in.Name, in.Tenant)
	writeJSON(w, http.StatusCreated, in)
}

func (a *admin) getRuntime(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	labels := a.d.RuntimeLabels(id)
	if labels == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("runtime %q not found", id))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "labels": labels})
}

func (a *admin) newToken(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if a.d.RuntimeLabels(id) == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("runtime %q not found: POST /runtimes first", id))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"token": a.d.NewRuntimeToken(id), "connectorURL": a.d.ConnectorURL()})
}

// applicationJSON is compass.DirectorApplication with lowerCamel JSON names.
type applicationJSON struct {
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	Description  string         `json:"description"`
	ProviderName string         `json:"providerName"`
	Labels       map[string]any `json:"labels"`
	AuthIDs      []string       `json:"authIds"`
	Bundles      []bundleJSON   `json:"bundles"`
}

type bundleJSON struct {
	ID                             string      `json:"id"`
	Name                           string      `json:"name"`
	Description                    string      `json:"description"`
	InstanceAuthRequestInputSchema *string     `json:"instanceAuthRequestInputSchema"`
	APIDefinitions                 []apiJSON   `json:"apiDefinitions"`
	EventDefinitions               []eventJSON `json:"eventDefinitions"`
	DefaultInstanceAuth            *authJSON   `json:"defaultInstanceAuth"`
}

type apiJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	TargetURL   string `json:"targetURL"`
}

type eventJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

type authJSON struct {
	Basic *struct {
		Username string `json:"username"`
		Password string `json:"password"`
	} `json:"basic"`
	OAuth *struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		URL          string `json:"url"`
	} `json:"oauth"`
	AdditionalHeaders     map[string][]string `json:"additionalHeaders"`
	AdditionalQueryParams map[string][]string `json:"additionalQueryParams"`
	CSRFTokenEndpointURL  string              `json:"csrfTokenEndpointURL"`
}

type putApplicationJSON struct {
	RuntimeID   string           `json:"runtimeID"`
	Application *applicationJSON `json:"application"`
}

func (a *admin) putApplication(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var in putApplicationJSON
	if !decode(w, r, &in) {
		return
	}
	if in.RuntimeID == "" {
		writeError(w, http.StatusBadRequest, "missing runtimeID")
		return
	}
	if a.d.RuntimeLabels(in.RuntimeID) == nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("runtime %q not found: POST /runtimes first", in.RuntimeID))
		return
	}
	if in.Application == nil {
		writeError(w, http.StatusBadRequest, "missing application")
		return
	}
	if in.Application.ID == "" {
		in.Application.ID = id
	}
	if in.Application.ID != id {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("application.id %q differs from the id %q in the path", in.Application.ID, id))
		return
	}
	app, err := in.Application.toDomain()
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a.d.PutApplication(in.RuntimeID, app)
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "runtimeID": in.RuntimeID})
}

func (in applicationJSON) toDomain() (compass.DirectorApplication, error) {
	if in.Name == "" {
		return compass.DirectorApplication{}, errors.New("application.name is missing")
	}
	app := compass.DirectorApplication{
		ID: in.ID, Name: in.Name, Description: in.Description, ProviderName: in.ProviderName,
		Labels: in.Labels, AuthIDs: in.AuthIDs,
	}
	for i, b := range in.Bundles {
		where := fmt.Sprintf("application.bundles[%d]", i)
		if b.ID == "" || b.Name == "" {
			return compass.DirectorApplication{}, fmt.Errorf("%s needs id and name", where)
		}
		bundle := compass.Bundle{ID: b.ID, Name: b.Name, Description: b.Description, InstanceAuthRequestInputSchema: b.InstanceAuthRequestInputSchema}
		for j, x := range b.APIDefinitions {
			if x.ID == "" || x.Name == "" || x.TargetURL == "" {
				return compass.DirectorApplication{}, fmt.Errorf("%s.apiDefinitions[%d] needs id, name and targetURL", where, j)
			}
			if u, err := url.Parse(x.TargetURL); err != nil || u.Scheme == "" || u.Host == "" {
				return compass.DirectorApplication{}, fmt.Errorf("%s.apiDefinitions[%d].targetURL %q is not an absolute URL", where, j, x.TargetURL)
			}
			bundle.APIDefinitions = append(bundle.APIDefinitions, compass.APIDefinition(x))
		}
		for j, x := range b.EventDefinitions {
			if x.ID == "" || x.Name == "" {
				return compass.DirectorApplication{}, fmt.Errorf("%s.eventDefinitions[%d] needs id and name", where, j)
			}
			bundle.EventDefinitions = append(bundle.EventDefinitions, compass.EventDefinition(x))
		}
		if au := b.DefaultInstanceAuth; au != nil {
			if au.Basic != nil && au.OAuth != nil {
				return compass.DirectorApplication{}, fmt.Errorf("%s.defaultInstanceAuth has both basic and oauth: give one", where)
			}
			auth := &compass.Auth{
				AdditionalHeaders: au.AdditionalHeaders, AdditionalQueryParams: au.AdditionalQueryParams,
				CSRFTokenEndpointURL: au.CSRFTokenEndpointURL,
			}
			if au.Basic != nil {
				auth.Basic = &compass.BasicCredential{Username: au.Basic.Username, Password: au.Basic.Password}
			}
			if au.OAuth != nil {
				if au.OAuth.URL == "" {
					return compass.DirectorApplication{}, fmt.Errorf("%s.defaultInstanceAuth.oauth.url is missing", where)
				}
				auth.OAuth = &compass.OAuthCredential{ClientID: au.OAuth.ClientID, ClientSecret: au.OAuth.ClientSecret, URL: au.OAuth.URL}
			}
			bundle.DefaultInstanceAuth = auth
		}
		app.Bundles = append(app.Bundles, bundle)
	}
	return app, nil
}

func (a *admin) deleteApplication(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !a.d.HasApplication(id) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("application %q not found", id))
		return
	}
	a.d.DeleteApplication(id)
	w.WriteHeader(http.StatusNoContent)
}

func (a *admin) operation(w http.ResponseWriter, r *http.Request) (string, bool) {
	op := r.PathValue("operation")
	if !slices.Contains(operations, op) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown operation %q: one of %s", op, strings.Join(operations, ", ")))
		return "", false
	}
	return op, true
}

func (a *admin) fail(w http.ResponseWriter, r *http.Request) {
	op, ok := a.operation(w, r)
	if !ok {
		return
	}
	var in struct {
		Message string `json:"message"`
	}
	if r.ContentLength != 0 && !decode(w, r, &in) {
		return
	}
	if in.Message == "" {
		in.Message = op + " failed on purpose (compass-double)"
	}
	a.d.Fail(op, in.Message)
	w.WriteHeader(http.StatusNoContent)
}

func (a *admin) heal(w http.ResponseWriter, r *http.Request) {
	op, ok := a.operation(w, r)
	if !ok {
		return
	}
	a.d.Heal(op)
	w.WriteHeader(http.StatusNoContent)
}

func (a *admin) healAll(w http.ResponseWriter, _ *http.Request) {
	a.d.HealAll()
	w.WriteHeader(http.StatusNoContent)
}

// decode reads a JSON body strictly: unknown fields are typos the user wants to hear about.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := "invalid JSON body: " + err.Error()
		if errors.Is(err, io.EOF) {
			msg = "the request needs a JSON body"
		}
		writeError(w, http.StatusBadRequest, msg)
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "invalid JSON body: more than one JSON value")
		return false
	}
	return true
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
