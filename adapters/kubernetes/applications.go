package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/appconnector/appconnector/adapters/manifest"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.ApplicationRepository = (*ApplicationRepository)(nil)

// ApplicationGVR is Kyma's cluster-scoped Application custom resource.
var ApplicationGVR = schema.GroupVersionResource{
	Group:    "applicationconnector.kyma-project.io",
	Version:  "v1alpha1",
	Resource: "applications",
}

// ApplicationRepository is a ports.ApplicationRepository over Kyma's Application custom
// resources (applications.applicationconnector.kyma-project.io/v1alpha1, cluster-scoped,
// Kyma's CRD unchanged). Get, List and Watch are served from an informer; writes go to
// the API server with resourceVersion preconditions and return once the informer has
// seen them. The documents are read and written with adapters/manifest, exactly as the
// management API reads and writes them.
type ApplicationRepository struct {
	mirror *mirror[application.Application]
	w      *writer[*unstructured.Unstructured, application.Application]
}

// NewApplicationRepository starts an informer on the Applications of the cluster cfg
// points to and returns once it has listed them all (ctx bounds that wait). It needs
// get, list, watch, create, update and delete on the resource. Close stops it.
func NewApplicationRepository(ctx context.Context, cfg *rest.Config, logger *slog.Logger) (*ApplicationRepository, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	informer := dynamicinformer.NewFilteredDynamicInformer(dyn, ApplicationGVR, metav1.NamespaceAll, 0, cache.Indexers{}, nil).Informer()
	m, err := startMirror(ctx, informer, codec[application.Application]{
		noun:     "application",
		notFound: application.ErrNotFound,
		decode:   func(obj any) (application.Application, error) { return decodeApplication(obj) },
		copy:     application.Application.DeepCopy,
	}, logger)
	if err != nil {
		return nil, err
	}
	res := dyn.Resource(ApplicationGVR)
	r := &ApplicationRepository{mirror: m}
	r.w = &writer[*unstructured.Unstructured, application.Application]{
		s:      sentinels{noun: "application", notFound: application.ErrNotFound, conflict: application.ErrConflict, invalid: application.ErrInvalid},
		api:    unstructuredAPI(res),
		mirror: m,
		build:  encodeApplication,
		cached: func(name string) (*unstructured.Unstructured, bool) {
			obj, ok, err := informer.GetIndexer().GetByKey(name)
			if err != nil || !ok {
				return nil, false
			}
			u, ok := obj.(*unstructured.Unstructured)
			return u, ok
		},
	}
	return r, nil
}

// Get implements ports.ApplicationRepository, from the informer.
func (r *ApplicationRepository) Get(_ context.Context, name string) (application.Application, error) {
	return r.mirror.get(name)
}

// List implements ports.ApplicationRepository, from the informer.
func (r *ApplicationRepository) List(context.Context) ([]application.Application, error) {
	return r.mirror.list(), nil
}

// Put implements ports.ApplicationRepository. A replace keeps what the Application
// document does not carry (status, owner references, finalizers) and the UID.
func (r *ApplicationRepository) Put(ctx context.Context, app application.Application) (application.Application, bool, error) {
	if reason := application.CheckName(app.Name); reason != "" {
		return application.Application{}, false, fmt.Errorf("put application: metadata.name %s: %w", reason, application.ErrInvalid)
	}
	if _, ok := app.Annotations[writeNonceAnnotation]; ok {
		return application.Application{}, false, fmt.Errorf("put application %s: annotation %s is reserved: %w", app.Name, writeNonceAnnotation, application.ErrInvalid)
	}
	return r.w.put(ctx, app.Name, app.ResourceVersion, app)
}

// Update implements ports.ApplicationRepository. The first attempt starts from the
// informer's copy; after a conflict fn runs again on the API server's latest.
func (r *ApplicationRepository) Update(ctx context.Context, name string, fn func(*application.Application) error) (application.Application, error) {
	return r.w.update(ctx, name, func(u *unstructured.Unstructured) (application.Application, error) {
		return decodeApplication(u)
	}, func(a *application.Application) error {
		if err := fn(a); err != nil {
			return err
		}
		// Identity and versioning stay with the repository.
		a.Name = name
		delete(a.Annotations, writeNonceAnnotation)
		return nil
	})
}

// Delete implements ports.ApplicationRepository.
func (r *ApplicationRepository) Delete(ctx context.Context, name string) error {
	return r.w.remove(ctx, name)
}

// Watch implements ports.ApplicationRepository, from the informer: changes made by
// anyone (kubectl, another replica) are delivered, in the API server's order.
func (r *ApplicationRepository) Watch(ctx context.Context) (<-chan ports.Event[application.Application], error) {
	return r.mirror.watch(ctx)
}

// Close stops the informer and closes every watch channel.
func (r *ApplicationRepository) Close() { r.mirror.close() }

// decodeApplication reads an Application custom resource with adapters/manifest. Only
// the metadata the document keeps is passed on, so that server-set fields added by
// future Kubernetes versions cannot make a stored object unreadable; the UID is taken
// from the object, as the manifest decoder leaves it to the repository.
func decodeApplication(obj any) (application.Application, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return application.Application{}, fmt.Errorf("unexpected object %T", obj)
	}
	meta := map[string]any{"name": u.GetName(), "resourceVersion": u.GetResourceVersion()}
	if l := u.GetLabels(); len(l) > 0 {
		meta["labels"] = l
	}
	if a := withoutNonce(u.GetAnnotations()); len(a) > 0 {
		meta["annotations"] = a
	}
	doc := map[string]any{"apiVersion": u.GetAPIVersion(), "kind": u.GetKind(), "metadata": meta}
	for _, k := range []string{"spec", "status"} {
		if v, ok := u.Object[k]; ok {
			doc[k] = v
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return application.Application{}, err
	}
	app, err := manifest.DecodeApplication(b, manifest.FormatJSON)
	if err != nil {
		return application.Application{}, err
	}
	app.UID = string(u.GetUID())
	return app, nil
}

// encodeApplication writes app as an Application custom resource with adapters/manifest.
// On a replace it starts from base and sets only what the document holds (spec, labels,
// annotations), so status, finalizers, owner references and the UID stay as they are.
func encodeApplication(base *unstructured.Unstructured, app application.Application) (*unstructured.Unstructured, error) {
	doc := manifest.NewApplicationDocument(app)
	// Identity and version come from the API server, never from the caller.
	doc.Metadata.UID, doc.Metadata.ResourceVersion = "", ""
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode application %s: %w", app.Name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("encode application %s: %w", app.Name, err)
	}
	if base == nil {
		return &unstructured.Unstructured{Object: m}, nil
	}
	out := base.DeepCopy()
	out.SetAPIVersion(manifest.APIVersionApplication)
	out.SetKind(manifest.KindApplication)
	if spec, ok := m["spec"]; ok {
		out.Object["spec"] = spec
	} else {
		delete(out.Object, "spec")
	}
	out.SetLabels(maps.Clone(app.Labels))
	out.SetAnnotations(maps.Clone(app.Annotations))
	return out, nil
}
