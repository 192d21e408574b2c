package manifest

import "reflect"

// ObjectMeta is the part of Kubernetes' metadata appconnector keeps.
type ObjectMeta struct {
	Name            string `json:"name"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
	// UID is written, never read: the repository assigns it (metadata.uid stays in
	// ignoredMeta, so applying `get -o yaml` output works).
	UID         string            `json:"uid,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ListMeta is the metadata of a list document.
type ListMeta struct {
	ResourceVersion string `json:"resourceVersion,omitempty"`
}

// ignoredMeta are the ObjectMeta fields the API server sets or that have no meaning
// here. They are accepted so that `kubectl get -o yaml` output applies unchanged; any
// other metadata field is a typo and rejected.
var ignoredMeta = map[string]bool{
	"namespace":                  true, // Applications are cluster-scoped; Secrets live in one store
	"uid":                        true,
	"creationTimestamp":          true,
	"deletionTimestamp":          true,
	"deletionGracePeriodSeconds": true,
	"generation":                 true,
	"generateName":               true,
	"selfLink":                   true,
	"managedFields":              true,
	"ownerReferences":            true,
	"finalizers":                 true,
	"clusterName":                true,
}

var metaFields = jsonFields(reflect.TypeFor[ObjectMeta]())

// decodeMeta reads metadata; path is "metadata" or "items[i].metadata".
func decodeMeta(path string, src any) (ObjectMeta, error) {
	var meta ObjectMeta
	if src == nil {
		return meta, nil
	}
	m, ok := src.(map[string]any)
	if !ok {
		return meta, typeError(path, "an object", src)
	}
	dst := reflect.ValueOf(&meta).Elem()
	for _, k := range sortedKeys(m) {
		if ignoredMeta[k] {
			continue
		}
		idx, ok := metaFields[k]
		if !ok {
			return meta, unknownField(path, k, metaFields)
		}
		if err := assign(joinPath(path, k), m[k], dst.Field(idx)); err != nil {
			return meta, err
		}
	}
	return meta, nil
}

// header reads apiVersion and kind; a missing one is returned as "".
func header(m map[string]any) (apiVersion, kind string, err error) {
	for _, f := range [...]struct {
		name string
		dst  *string
	}{{"apiVersion", &apiVersion}, {"kind", &kind}} {
		v, ok := m[f.name]
		if !ok || v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return "", "", typeError(f.name, "a string", v)
		}
		*f.dst = s
	}
	return apiVersion, kind, nil
}

// checkHeader requires apiVersion and kind to be want, or absent when lenient (a
// management API body whose URL already says what it is).
func checkHeader(m map[string]any, wantVersion, wantKind string, lenient bool) error {
	apiVersion, kind, err := header(m)
	if err != nil {
		return err
	}
	if kind != wantKind && (kind != "" || !lenient) {
		if kind == "" {
			return fieldErr("kind", "must be %s", wantKind)
		}
		return fieldErr("kind", "must be %s, got %s", wantKind, quoteName(kind))
	}
	if apiVersion != wantVersion && (apiVersion != "" || !lenient) {
		return fieldErr("apiVersion", "must be %s for kind %s", wantVersion, wantKind)
	}
	return nil
}

func asObject(v any) (map[string]any, error) {
	if v == nil {
		return nil, &Error{Document: -1, Reason: "document is empty"}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &Error{Document: -1, Reason: "must be an object (a Kubernetes manifest), got " + kindOf(v)}
	}
	return m, nil
}
