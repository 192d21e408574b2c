package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
	"sigs.k8s.io/yaml"

	"github.com/appconnector/appconnector/adapters/manifest"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/compass"
)

const pathCompassConnection = "/v1/compassconnection"

// Messages of the 404s: they tell the user what to do next.
const (
	msgNoCompassConnection = "no CompassConnection yet: apply the " + compass.ConfigurationSecretName +
		" Secret; the agent pairs at its next round"
	msgCompassOff = "Compass mode is off: start with --compass"
	// msgCompassUnavailable hides the store's own message (API server addresses,
	// file paths), which goes to the log.
	msgCompassUnavailable = "CompassConnection store unavailable; retry later"
	msgCompassConflict    = "metadata.resourceVersion does not match the stored CompassConnection: it changed since it was read; get it again and retry"
)

// compassWriteAttempts bounds the read-modify-write retries of a write without a
// resourceVersion: the agent writes the status every round, so a conflict is normal.
const compassWriteAttempts = 10

func (s *Server) registerCompass(g *echo.Group) {
	// Registered in Compass mode or not, so that a client learns that the mode is off
	// rather than that the route does not exist.
	g.GET(pathCompassConnection, s.getCompassConnection)
	g.PATCH(pathCompassConnection, s.changeCompassConnection(decodeCompassPatch))
	g.PUT(pathCompassConnection, s.changeCompassConnection(decodeCompassObject))
	g.DELETE(pathCompassConnection, s.deleteCompassConnection)
}

func (s *Server) getCompassConnection(c echo.Context) error {
	if s.compass == nil {
		return echo.NewHTTPError(http.StatusNotFound, msgCompassOff)
	}
	conn, err := s.compass.Get(c.Request().Context())
	if err != nil {
		return s.compassError(c, "get", err)
	}
	return writeDocument(c, http.StatusOK, manifest.NewCompassConnectionDocument(conn))
}

func (s *Server) deleteCompassConnection(c echo.Context) error {
	if s.compass == nil {
		return echo.NewHTTPError(http.StatusNotFound, msgCompassOff)
	}
	if err := s.compass.Delete(c.Request().Context()); err != nil {
		return s.compassError(c, "delete", err)
	}
	return c.NoContent(http.StatusNoContent)
}

// compassChange is what a PATCH or PUT asks for: the user-owned spec fields (nil:
// keep) and an optional resourceVersion precondition.
type compassChange struct {
	resourceVersion       string
	resyncNow             *bool
	refreshCredentialsNow *bool
	// managementInfo, when set (PUT only), must equal the stored one.
	managementInfo *compass.ManagementInfo
}

// changeCompassConnection reads a PATCH or PUT body, decodes it into the change it
// asks for, and writes that change. PATCH (decodeCompassPatch) is a JSON merge patch
// (RFC 7396) restricted to the fields the user owns: spec.resyncNow and
// spec.refreshCredentialsNow. PUT (decodeCompassObject) replaces those fields with the
// body's, a whole CompassConnection: absent flags are false, as in a Kubernetes
// update. The agent creates the object, so a PUT never does.
func (s *Server) changeCompassConnection(decode func(map[string]any) (compassChange, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.compass == nil {
			return echo.NewHTTPError(http.StatusNotFound, msgCompassOff)
		}
		body, f, err := s.readBody(c)
		if err != nil {
			return err
		}
		m, err := parseCompassBody(body, f)
		if err != nil {
			return err
		}
		ch, err := decode(m)
		if err != nil {
			return err
		}
		return s.writeCompassChange(c, ch)
	}
}

// writeCompassChange is a read-modify-write: with a resourceVersion it is one
// conditional attempt (409 when stale); without one it retries on conflicts, since
// it changes only fields the agent never sets to true.
func (s *Server) writeCompassChange(c echo.Context, ch compassChange) error {
	ctx := c.Request().Context()
	for attempt := 1; ; attempt++ {
		conn, err := s.compass.Get(ctx)
		if err != nil {
			return s.compassError(c, "get", err)
		}
		if ch.resourceVersion != "" && ch.resourceVersion != conn.ResourceVersion {
			return echo.NewHTTPError(http.StatusConflict, msgCompassConflict)
		}
		if ch.managementInfo != nil && *ch.managementInfo != conn.Spec.ManagementInfo {
			return badRequest("spec.managementInfo: belongs to the agent, which learns it from the Connector; leave it out or send the stored value")
		}
		if ch.resyncNow != nil {
			conn.Spec.ResyncNow = *ch.resyncNow
		}
		if ch.refreshCredentialsNow != nil {
			conn.Spec.RefreshCredentialsNow = *ch.refreshCredentialsNow
		}
		stored, err := s.compass.Update(ctx, conn)
		switch {
		case err == nil:
			return writeDocument(c, http.StatusOK, manifest.NewCompassConnectionDocument(stored))
		case errors.Is(err, compass.ErrConflict) && ch.resourceVersion == "" && attempt < compassWriteAttempts:
			continue
		}
		return s.compassError(c, "update", err)
	}
}

// compassError turns a store error into the response: the contract's errors get
// their status, anything else means the store cannot serve (an API server down, a
// closed database) and gets 503 with the cause in the log only.
func (s *Server) compassError(c echo.Context, op string, err error) error {
	switch {
	case errors.Is(err, compass.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, msgNoCompassConnection).SetInternal(err)
	case errors.Is(err, compass.ErrConflict):
		return echo.NewHTTPError(http.StatusConflict, msgCompassConflict).SetInternal(err)
	case errors.Is(err, compass.ErrInvalid):
		return echo.NewHTTPError(http.StatusBadRequest, err.Error()).SetInternal(err)
	case errors.Is(err, context.Canceled):
		return err
	}
	req := c.Request()
	s.log.WarnContext(req.Context(), "compass connection store unavailable", "operation", op, "method", req.Method, "path", req.URL.Path, "error", err)
	c.Response().Header().Set("Retry-After", "5")
	return echo.NewHTTPError(http.StatusServiceUnavailable, msgCompassUnavailable).SetInternal(err)
}

// parseCompassBody reads a JSON or YAML object into generic values. A key given twice
// is refused, so one of two values never wins silently.
func parseCompassBody(body []byte, f manifest.Format) (map[string]any, error) {
	data := body
	if f != manifest.FormatJSON {
		j, err := yaml.YAMLToJSONStrict(body)
		if err != nil {
			return nil, badRequest("malformed YAML: %s", strings.TrimPrefix(err.Error(), "error converting YAML to JSON: "))
		}
		data = j
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	v, err := decodeStrict(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, badRequest("malformed JSON: unexpected data after the document")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest("the body must be a CompassConnection object, got %s", kindOfValue(v))
	}
	return m, nil
}

// maxCompassDepth is far deeper than a CompassConnection goes; it keeps a body of
// nested brackets from costing a deep recursion.
const maxCompassDepth = 32

// decodeStrict decodes the next JSON value, refusing a key repeated in one object
// (encoding/json would keep the last value without a word).
func decodeStrict(dec *json.Decoder, path string, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, badRequest("malformed JSON: unexpected end of the document")
		}
		return nil, badRequest("malformed JSON: %v", err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth >= maxCompassDepth {
		return nil, badRequest("the document is nested more than %d levels deep", maxCompassDepth)
	}
	switch delim {
	case '{':
		m := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, badRequest("malformed JSON: %v", err)
			}
			k, _ := kt.(string)
			p := fieldPath(path, k)
			if _, dup := m[k]; dup {
				return nil, badRequest("%s: duplicate key", p)
			}
			if m[k], err = decodeStrict(dec, p+".", depth+1); err != nil {
				return nil, err
			}
		}
		return m, closeDelim(dec)
	case '[':
		var l []any
		for dec.More() {
			v, err := decodeStrict(dec, strings.TrimSuffix(path, ".")+"[].", depth+1)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return append([]any{}, l...), closeDelim(dec)
	}
	return nil, badRequest("malformed JSON: unexpected %v", delim)
}

// closeDelim reads the '}' or ']' that ends the value dec.More reported done.
func closeDelim(dec *json.Decoder) error {
	if _, err := dec.Token(); err != nil {
		return badRequest("malformed JSON: %v", err)
	}
	return nil
}

// The fields a body may carry besides the user-owned spec flags.
var (
	compassTopFields  = []string{"apiVersion", "kind", "metadata", "spec", "status"}
	compassSpecFields = []string{"managementInfo", "resyncNow", "refreshCredentialsNow"}
	compassInfoFields = []string{"connectorUrl", "directorUrl"}
	// compassIgnoredMeta are set by an API server; accepted so that the output of
	// `kubectl get compassconnection -o yaml` can be sent back unchanged.
	compassIgnoredMeta = []string{
		"uid", "creationTimestamp", "generation", "managedFields", "selfLink",
		"annotations", "labels", "finalizers", "ownerReferences",
	}
)

const msgUserFields = "only spec.resyncNow and spec.refreshCredentialsNow can be changed"

// decodeCompassPatch reads a merge patch: null removes a flag (sets it false).
func decodeCompassPatch(m map[string]any) (compassChange, error) {
	var ch compassChange
	for _, k := range sortedKeys(m) {
		switch k {
		case "apiVersion", "kind":
			if err := checkCompassHeader(k, m[k]); err != nil {
				return ch, err
			}
		case "metadata":
			rv, err := decodeCompassMeta(m[k], false)
			if err != nil {
				return ch, err
			}
			ch.resourceVersion = rv
		case "spec":
			spec, ok := m[k].(map[string]any)
			if !ok {
				return ch, badRequest("spec: must be an object; %s", msgUserFields)
			}
			for _, sk := range sortedKeys(spec) {
				path := "spec." + sk
				switch sk {
				case "resyncNow":
					b, err := patchBool(path, spec[sk])
					if err != nil {
						return ch, err
					}
					ch.resyncNow = &b
				case "refreshCredentialsNow":
					b, err := patchBool(path, spec[sk])
					if err != nil {
						return ch, err
					}
					ch.refreshCredentialsNow = &b
				case "managementInfo":
					return ch, badRequest("%s: belongs to the agent, which learns it from the Connector; %s", path, msgUserFields)
				default:
					return ch, unknownCompassField("spec.", sk, compassSpecFields)
				}
			}
		case "status":
			return ch, badRequest("status: is written by the agent; %s", msgUserFields)
		default:
			return ch, unknownCompassField("", k, compassTopFields)
		}
	}
	if ch.resyncNow == nil && ch.refreshCredentialsNow == nil {
		return ch, badRequest("the patch changes nothing: %s", msgUserFields)
	}
	return ch, nil
}

// decodeCompassObject reads a whole CompassConnection for PUT. status is ignored, as
// an update of the main resource ignores it in Kubernetes.
func decodeCompassObject(m map[string]any) (compassChange, error) {
	var resync, refresh bool
	ch := compassChange{resyncNow: &resync, refreshCredentialsNow: &refresh}
	for _, k := range sortedKeys(m) {
		switch k {
		case "apiVersion", "kind":
			if err := checkCompassHeader(k, m[k]); err != nil {
				return ch, err
			}
		case "metadata":
			rv, err := decodeCompassMeta(m[k], true)
			if err != nil {
				return ch, err
			}
			ch.resourceVersion = rv
		case "spec":
			if err := decodeCompassSpec(m[k], &ch); err != nil {
				return ch, err
			}
		case "status":
		default:
			return ch, unknownCompassField("", k, compassTopFields)
		}
	}
	return ch, nil
}

func decodeCompassSpec(v any, ch *compassChange) error {
	if v == nil {
		return nil
	}
	spec, ok := v.(map[string]any)
	if !ok {
		return badRequest("spec: must be an object, got %s", kindOfValue(v))
	}
	for _, k := range sortedKeys(spec) {
		path := "spec." + k
		switch k {
		case "resyncNow":
			if err := assignBool(path, spec[k], ch.resyncNow); err != nil {
				return err
			}
		case "refreshCredentialsNow":
			if err := assignBool(path, spec[k], ch.refreshCredentialsNow); err != nil {
				return err
			}
		case "managementInfo":
			if spec[k] == nil {
				continue
			}
			info, ok := spec[k].(map[string]any)
			if !ok {
				return badRequest("%s: must be an object, got %s", path, kindOfValue(spec[k]))
			}
			var mi compass.ManagementInfo
			for _, ik := range sortedKeys(info) {
				var dst *string
				switch ik {
				case "connectorUrl":
					dst = &mi.ConnectorURL
				case "directorUrl":
					dst = &mi.DirectorURL
				default:
					return unknownCompassField(path+".", ik, compassInfoFields)
				}
				s, ok := info[ik].(string)
				if !ok && info[ik] != nil {
					return badRequest("%s.%s: must be a string, got %s", path, ik, kindOfValue(info[ik]))
				}
				*dst = s
			}
			ch.managementInfo = &mi
		default:
			return unknownCompassField("spec.", k, compassSpecFields)
		}
	}
	return nil
}

// decodeCompassMeta checks metadata and returns its resourceVersion. A PUT body may
// carry the fields an API server sets (lenient); a patch only name and
// resourceVersion.
func decodeCompassMeta(v any, lenient bool) (string, error) {
	if v == nil {
		return "", nil
	}
	meta, ok := v.(map[string]any)
	if !ok {
		return "", badRequest("metadata: must be an object, got %s", kindOfValue(v))
	}
	var rv string
	for _, k := range sortedKeys(meta) {
		path := "metadata." + k
		switch {
		case k == "name":
			name, ok := meta[k].(string)
			if !ok || name != compass.ConnectionName {
				return "", badRequest("%s: must be %s, the only CompassConnection", path, compass.ConnectionName)
			}
		case k == "resourceVersion":
			s, ok := meta[k].(string)
			if !ok && meta[k] != nil {
				return "", badRequest("%s: must be a string, got %s", path, kindOfValue(meta[k]))
			}
			if msg := application.CheckResourceVersion(s); msg != "" {
				return "", badRequest("%s: %s", path, msg)
			}
			rv = s
		case lenient && slices.Contains(compassIgnoredMeta, k):
		default:
			if lenient {
				return "", unknownCompassField("metadata.", k, append([]string{"name", "resourceVersion"}, compassIgnoredMeta...))
			}
			return "", badRequest("%s: cannot be patched; a patch may carry metadata.name and metadata.resourceVersion (a precondition) only", fieldPath("metadata.", k))
		}
	}
	return rv, nil
}

func checkCompassHeader(k string, v any) error {
	want := manifest.APIVersionCompass
	if k == "kind" {
		want = manifest.KindCompassConnection
	}
	if s, ok := v.(string); !ok || s != want {
		return badRequest("%s: must be %s", k, want)
	}
	return nil
}

// patchBool reads a merge-patch value of a flag: null removes it, which is false.
func patchBool(path string, v any) (bool, error) {
	var b bool
	return b, assignBool(path, v, &b)
}

func assignBool(path string, v any, dst *bool) error {
	switch b := v.(type) {
	case nil:
		*dst = false
	case bool:
		*dst = b
	default:
		return badRequest("%s: must be true or false, got %s", path, kindOfValue(v))
	}
	return nil
}

// unknownCompassField names the field and the known ones.
func unknownCompassField(prefix, key string, known []string) error {
	return badRequest("%s: unknown field (known here: %s); %s", fieldPath(prefix, key), strings.Join(known, ", "), msgUserFields)
}

// fieldPath joins a key from the client to its path, quoted and shortened unless it is
// a plain name.
func fieldPath(prefix, key string) string {
	if !plainName(key) {
		if len(key) > 64 {
			key = key[:64] + "..."
		}
		key = fmt.Sprintf("%q", key)
	}
	return prefix + key
}

func plainName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// kindOfValue names the JSON type of v without quoting it (it might be a secret
// pasted into the wrong field).
func kindOfValue(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "an unknown value"
}
