package manifest

import (
	"reflect"

	"github.com/appconnector/appconnector/domain/application"
)

// Group, version and kinds of the Application custom resource.
const (
	APIVersionApplication = "applicationconnector.kyma-project.io/v1alpha1"
	KindApplication       = "Application"
	KindApplicationList   = "ApplicationList"
)

// ApplicationDocument is an Application custom resource as Kyma writes it.
type ApplicationDocument struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Metadata   ObjectMeta       `json:"metadata"`
	Spec       application.Spec `json:"spec"`
}

// ApplicationListDocument is an ApplicationList.
type ApplicationListDocument struct {
	APIVersion string                `json:"apiVersion"`
	Kind       string                `json:"kind"`
	Metadata   ListMeta              `json:"metadata"`
	Items      []ApplicationDocument `json:"items"`
}

// NewApplicationDocument wraps app in its Kyma document.
func NewApplicationDocument(app application.Application) ApplicationDocument {
	return ApplicationDocument{
		APIVersion: APIVersionApplication,
		Kind:       KindApplication,
		Metadata: ObjectMeta{
			Name:            app.Name,
			ResourceVersion: app.ResourceVersion,
			UID:             app.UID,
			Labels:          app.Labels,
			Annotations:     app.Annotations,
		},
		Spec: app.Spec,
	}
}

// Application returns the domain Application the document describes.
func (d ApplicationDocument) Application() application.Application {
	return application.Application{
		Name:            d.Metadata.Name,
		ResourceVersion: d.Metadata.ResourceVersion,
		UID:             d.Metadata.UID,
		Labels:          d.Metadata.Labels,
		Annotations:     d.Metadata.Annotations,
		Spec:            d.Spec,
	}
}

// NewApplicationList wraps apps in an ApplicationList; items is [] (not null) when
// apps is empty.
func NewApplicationList(apps []application.Application) ApplicationListDocument {
	items := make([]ApplicationDocument, len(apps))
	for i, a := range apps {
		items[i] = NewApplicationDocument(a)
	}
	return ApplicationListDocument{APIVersion: APIVersionApplication, Kind: KindApplicationList, Items: items}
}

// Applications returns the domain Applications of the list.
func (l ApplicationListDocument) Applications() []application.Application {
	out := make([]application.Application, len(l.Items))
	for i, d := range l.Items {
		out[i] = d.Application()
	}
	return out
}

// EncodeApplication writes app as a Kyma Application document.
func EncodeApplication(app application.Application, f Format) ([]byte, error) {
	return Marshal(NewApplicationDocument(app), f)
}

// EncodeApplicationList writes apps as an ApplicationList document.
func EncodeApplicationList(apps []application.Application, f Format) ([]byte, error) {
	return Marshal(NewApplicationList(apps), f)
}

// DecodeApplication reads one Application document. apiVersion and kind may be
// omitted but, when present, must be those of an Application. Unknown fields anywhere
// except status and the server-managed metadata fields are errors. The result is not
// validated; call its Validate method.
func DecodeApplication(data []byte, f Format) (application.Application, error) {
	v, err := parse(data, f)
	if err != nil {
		return application.Application{}, err
	}
	return applicationFrom(v, true)
}

func applicationFrom(v any, lenient bool) (application.Application, error) {
	m, err := asObject(v)
	if err != nil {
		return application.Application{}, err
	}
	if err := checkHeader(m, APIVersionApplication, KindApplication, lenient); err != nil {
		return application.Application{}, err
	}
	var app application.Application
	for _, k := range sortedKeys(m) {
		switch k {
		case "apiVersion", "kind":
		case "metadata":
			meta, err := decodeMeta("metadata", m[k])
			if err != nil {
				return application.Application{}, err
			}
			app.Name, app.ResourceVersion = meta.Name, meta.ResourceVersion
			app.Labels, app.Annotations = meta.Labels, meta.Annotations
		case "spec":
			if err := assign("spec", m[k], reflect.ValueOf(&app.Spec).Elem()); err != nil {
				return application.Application{}, err
			}
		case "status":
			// Written by the cluster, read by nobody here; accepted so that
			// `kubectl get -o yaml` output applies unchanged.
		default:
			return application.Application{}, unknownField("", k, topLevelApplication)
		}
	}
	return app, nil
}

var topLevelApplication = map[string]int{"apiVersion": 0, "kind": 0, "metadata": 0, "spec": 0, "status": 0}
