package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.CompassConnectionStore = (*CompassConnectionStore)(nil)

// CompassConnectionGVR is Kyma's cluster-scoped CompassConnection custom resource.
var CompassConnectionGVR = schema.GroupVersionResource{
	Group:    "compass.kyma-project.io",
	Version:  "v1alpha1",
	Resource: "compassconnections",
}

const (
	compassAPIVersion = "compass.kyma-project.io/v1alpha1"
	compassKind       = "CompassConnection"
)

// CompassConnectionStore is a ports.CompassConnectionStore over the CompassConnection
// custom resource named compass.ConnectionName, written as Kyma's Runtime Agent writes
// it: spec and status in one full-object Update (the CRD has no status subresource),
// times as RFC 3339 seconds. Get and Watch are served from an informer on that one
// object; writes go to the API server with a resourceVersion precondition and return
// once the informer has seen them.
type CompassConnectionStore struct {
	mirror *mirror[compass.Connection]
	w      *writer[*unstructured.Unstructured, compass.Connection]
	cached func() (*unstructured.Unstructured, bool)
}

// NewCompassConnectionStore starts an informer on the CompassConnection and returns
// once it has listed it (ctx bounds that wait). It needs get, list, watch, create,
// update and delete on compassconnections.compass.kyma-project.io. Close stops it.
func NewCompassConnectionStore(ctx context.Context, cfg *rest.Config, logger *slog.Logger) (*CompassConnectionStore, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	// Only the one object the agent owns: others of the kind are nobody's business here.
	informer := dynamicinformer.NewFilteredDynamicInformer(dyn, CompassConnectionGVR, metav1.NamespaceAll, 0, cache.Indexers{}, func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", compass.ConnectionName).String()
	}).Informer()
	m, err := startMirror(ctx, informer, codec[compass.Connection]{
		noun:     "compass connection",
		notFound: compass.ErrNotFound,
		decode:   decodeCompassConnection,
		copy:     compass.Connection.DeepCopy,
	}, logger)
	if err != nil {
		return nil, err
	}
	res := dyn.Resource(CompassConnectionGVR)
	s := &CompassConnectionStore{mirror: m}
	s.cached = func() (*unstructured.Unstructured, bool) {
		obj, ok, err := informer.GetIndexer().GetByKey(compass.ConnectionName)
		if err != nil || !ok {
			return nil, false
		}
		u, ok := obj.(*unstructured.Unstructured)
		return u, ok
	}
	s.w = &writer[*unstructured.Unstructured, compass.Connection]{
		s:      sentinels{noun: "compass connection", notFound: compass.ErrNotFound, conflict: compass.ErrConflict, invalid: compass.ErrInvalid},
		api:    unstructuredAPI(res),
		mirror: m,
		build:  encodeCompassConnection,
	}
	return s, nil
}

// Get implements ports.CompassConnectionStore, from the informer.
func (s *CompassConnectionStore) Get(context.Context) (compass.Connection, error) {
	return s.mirror.get(compass.ConnectionName)
}

// Create implements ports.CompassConnectionStore: one Create with spec and status, as
// Kyma's agent creates the object.
func (s *CompassConnectionStore) Create(ctx context.Context, c compass.Connection) (compass.Connection, error) {
	obj, err := encodeCompassConnection(nil, c)
	if err != nil {
		return compass.Connection{}, err
	}
	out, err := s.w.api.create(ctx, obj)
	if apierrors.IsAlreadyExists(err) {
		return compass.Connection{}, fmt.Errorf("create compass connection: %w: %w", compass.ErrAlreadyExists, err)
	}
	if err != nil {
		return compass.Connection{}, s.w.mapErr("create", compass.ConnectionName, err)
	}
	return s.w.settle(ctx, out)
}

// Update implements ports.CompassConnectionStore: a full-object Update of spec and
// status at c.ResourceVersion. Labels, annotations and anything else others put on the
// object are kept.
func (s *CompassConnectionStore) Update(ctx context.Context, c compass.Connection) (compass.Connection, error) {
	name := compass.ConnectionName
	// The informer's copy saves a request in the usual read-then-write; when it lags
	// behind c, the API server has the version c was read at.
	base, ok := s.cached()
	if !ok || version(base) != c.ResourceVersion {
		var err error
		if base, err = s.w.api.get(ctx, name); err != nil {
			return compass.Connection{}, s.w.mapErr("update", name, err)
		}
	}
	if version(base) != c.ResourceVersion {
		return compass.Connection{}, fmt.Errorf("update compass connection: resource version %q is not current (%s): %w", c.ResourceVersion, version(base), compass.ErrConflict)
	}
	stored, err := s.w.replace(ctx, name, base, c)
	if apierrors.IsConflict(err) {
		return compass.Connection{}, fmt.Errorf("update compass connection: resource version %q is not current: %w: %w", c.ResourceVersion, compass.ErrConflict, err)
	}
	if err != nil {
		return compass.Connection{}, s.w.mapErr("update", name, err)
	}
	return stored, nil
}

// Delete implements ports.CompassConnectionStore, whatever the version: deleting the
// object is how a user makes the agent pair again.
func (s *CompassConnectionStore) Delete(ctx context.Context) error {
	return s.w.remove(ctx, compass.ConnectionName)
}

// Watch implements ports.CompassConnectionStore, from the informer: changes made by
// anyone (kubectl, another replica) are delivered, in the API server's order.
func (s *CompassConnectionStore) Watch(ctx context.Context) (<-chan ports.Event[compass.Connection], error) {
	return s.mirror.watch(ctx)
}

// Close stops the informer and closes every watch channel.
func (s *CompassConnectionStore) Close() { s.mirror.close() }

// compassConnectionObject is the CompassConnection as Kyma's types serialise it
// (compass-runtime-agent pkg/apis/compass/v1alpha1), with pointers where Kyma writes
// null for an unset time.
type compassConnectionObject struct {
	Spec   compass.Spec          `json:"spec"`
	Status compassConnectionBody `json:"status"`
}

type compassConnectionBody struct {
	// No omitempty: the CRD requires the field.
	ConnectionState       compass.State          `json:"connectionState"`
	ConnectionStatus      *crConnectionStatus    `json:"connectionStatus"`
	SynchronizationStatus *crSynchronizationStat `json:"synchronizationStatus"`
}

type crConnectionStatus struct {
	Established       *metav1.Time        `json:"established"`
	Renewed           *metav1.Time        `json:"renewed"`
	LastSync          *metav1.Time        `json:"lastSync"`
	LastSuccess       *metav1.Time        `json:"lastSuccess"`
	CertificateStatus crCertificateStatus `json:"certificateStatus"`
	Error             string              `json:"error,omitempty"`
}

type crCertificateStatus struct {
	Acquired  *metav1.Time `json:"acquired"`
	NotBefore *metav1.Time `json:"notBefore"`
	NotAfter  *metav1.Time `json:"notAfter"`
}

type crSynchronizationStat struct {
	LastAttempt               *metav1.Time      `json:"lastAttempt"`
	LastSuccessfulFetch       *metav1.Time      `json:"lastSuccessfulFetch"`
	LastSuccessfulApplication *metav1.Time      `json:"lastSuccessfulApplication"`
	Error                     string            `json:"error,omitempty"`
	Applications              int               `json:"applications,omitempty"`
	FailedApplications        map[string]string `json:"failedApplications,omitempty"`
}

func toMeta(t *time.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	return &metav1.Time{Time: t.Truncate(time.Second).UTC()}
}

func fromMeta(t *metav1.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	// metav1.Time parses into the local zone.
	u := t.UTC()
	return &u
}

// encodeCompassConnection writes c as the custom resource. On an update it starts from
// base and replaces spec and status, so that metadata stays as it is.
func encodeCompassConnection(base *unstructured.Unstructured, c compass.Connection) (*unstructured.Unstructured, error) {
	obj := compassConnectionObject{Spec: c.Spec, Status: compassConnectionBody{ConnectionState: c.Status.ConnectionState}}
	if cs := c.Status.ConnectionStatus; cs != nil {
		obj.Status.ConnectionStatus = &crConnectionStatus{
			Established: toMeta(cs.Established),
			Renewed:     toMeta(cs.Renewed),
			LastSync:    toMeta(cs.LastSync),
			LastSuccess: toMeta(cs.LastSuccess),
			CertificateStatus: crCertificateStatus{
				Acquired:  toMeta(cs.CertificateStatus.Acquired),
				NotBefore: toMeta(cs.CertificateStatus.NotBefore),
				NotAfter:  toMeta(cs.CertificateStatus.NotAfter),
			},
			Error: cs.Error,
		}
	}
	if ss := c.Status.SynchronizationStatus; ss != nil {
		obj.Status.SynchronizationStatus = &crSynchronizationStat{
			LastAttempt:               toMeta(ss.LastAttempt),
			LastSuccessfulFetch:       toMeta(ss.LastSuccessfulFetch),
			LastSuccessfulApplication: toMeta(ss.LastSuccessfulApplication),
			Error:                     ss.Error,
			Applications:              ss.Applications,
			FailedApplications:        ss.FailedApplications,
		}
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode compass connection: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("encode compass connection: %w", err)
	}
	var out *unstructured.Unstructured
	if base == nil {
		out = &unstructured.Unstructured{Object: map[string]any{}}
		out.SetName(compass.ConnectionName)
	} else {
		out = base.DeepCopy()
	}
	out.SetAPIVersion(compassAPIVersion)
	out.SetKind(compassKind)
	out.Object["spec"] = m["spec"]
	out.Object["status"] = m["status"]
	return out, nil
}

// decodeCompassConnection reads the custom resource, Kyma's or ours.
func decodeCompassConnection(obj any) (compass.Connection, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return compass.Connection{}, fmt.Errorf("unexpected object %T", obj)
	}
	b, err := json.Marshal(map[string]any{"spec": u.Object["spec"], "status": u.Object["status"]})
	if err != nil {
		return compass.Connection{}, err
	}
	var o compassConnectionObject
	if err := json.Unmarshal(b, &o); err != nil {
		return compass.Connection{}, fmt.Errorf("compass connection %s: %w", u.GetName(), err)
	}
	c := compass.Connection{
		Name:            u.GetName(),
		UID:             string(u.GetUID()),
		ResourceVersion: u.GetResourceVersion(),
		Spec:            o.Spec,
		Status:          compass.Status{ConnectionState: o.Status.ConnectionState},
	}
	if cs := o.Status.ConnectionStatus; cs != nil {
		c.Status.ConnectionStatus = &compass.ConnectionStatus{
			Established: fromMeta(cs.Established),
			Renewed:     fromMeta(cs.Renewed),
			LastSync:    fromMeta(cs.LastSync),
			LastSuccess: fromMeta(cs.LastSuccess),
			CertificateStatus: compass.CertificateStatus{
				Acquired:  fromMeta(cs.CertificateStatus.Acquired),
				NotBefore: fromMeta(cs.CertificateStatus.NotBefore),
				NotAfter:  fromMeta(cs.CertificateStatus.NotAfter),
			},
			Error: cs.Error,
		}
	}
	if ss := o.Status.SynchronizationStatus; ss != nil {
		c.Status.SynchronizationStatus = &compass.SynchronizationStatus{
			LastAttempt:               fromMeta(ss.LastAttempt),
			LastSuccessfulFetch:       fromMeta(ss.LastSuccessfulFetch),
			LastSuccessfulApplication: fromMeta(ss.LastSuccessfulApplication),
			Error:                     ss.Error,
			Applications:              ss.Applications,
			FailedApplications:        ss.FailedApplications,
		}
	}
	return c, nil
}
