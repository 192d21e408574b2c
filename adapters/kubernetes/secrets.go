package kubernetes

import (
	"context"
	"fmt"
	"log/slog"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.SecretStore = (*SecretStore)(nil)

// DefaultNamespace is where Kyma keeps the Secrets its Applications reference (the
// gateway's applicationSecretsNamespace).
const DefaultNamespace = "kyma-system"

// KindLabel marks the objects this adapter keeps for itself (one-time tokens,
// revocations, the CA). The SecretStore leaves Secrets carrying it out, so that the CA
// key is neither listed by the management API nor usable as an Application credential.
const KindLabel = reservedPrefix + "kind"

// SecretStore is a ports.SecretStore over the core/v1 Secrets of one namespace, in
// Kyma's format: data keys as they are (username, password, clientId, clientSecret, crt,
// key, headers, queryParameters). Reads are served from an informer; writes go to the
// API server with resourceVersion preconditions and return once the informer has seen
// them. Secrets labelled with KindLabel are not part of the store.
type SecretStore struct {
	mirror *mirror[credential.Secret]
	w      *writer[*corev1.Secret, credential.Secret]
}

// NewSecretStore starts an informer on the Secrets of namespace (DefaultNamespace when
// empty) and returns once it has listed them (ctx bounds that wait). It needs get, list,
// watch, create, update and delete on secrets in the namespace. Close stops it.
func NewSecretStore(ctx context.Context, cfg *rest.Config, namespace string, logger *slog.Logger) (*SecretStore, error) {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	informer := coreinformers.NewFilteredSecretInformer(cs, namespace, 0, cache.Indexers{}, func(o *metav1.ListOptions) {
		o.LabelSelector = "!" + KindLabel
	})
	m, err := startMirror(ctx, informer, codec[credential.Secret]{
		noun:     "secret",
		notFound: credential.ErrNotFound,
		decode:   decodeSecret,
		copy:     credential.Secret.DeepCopy,
	}, logger)
	if err != nil {
		return nil, err
	}
	api := cs.CoreV1().Secrets(namespace)
	s := &SecretStore{mirror: m}
	s.w = &writer[*corev1.Secret, credential.Secret]{
		s: sentinels{noun: "secret", notFound: credential.ErrNotFound, conflict: credential.ErrConflict, invalid: credential.ErrInvalid},
		api: objectAPI[*corev1.Secret]{
			get: func(ctx context.Context, name string) (*corev1.Secret, error) {
				return api.Get(ctx, name, metav1.GetOptions{})
			},
			create: func(ctx context.Context, sec *corev1.Secret) (*corev1.Secret, error) {
				return api.Create(ctx, sec, metav1.CreateOptions{})
			},
			update: func(ctx context.Context, sec *corev1.Secret) (*corev1.Secret, error) {
				return api.Update(ctx, sec, metav1.UpdateOptions{})
			},
			delete: func(ctx context.Context, name string, opts metav1.DeleteOptions) error {
				return api.Delete(ctx, name, opts)
			},
		},
		mirror: m,
		build:  encodeSecret,
		cached: func(string) (*corev1.Secret, bool) { return nil, false },
	}
	return s, nil
}

// Get implements ports.SecretStore, from the informer.
func (s *SecretStore) Get(_ context.Context, name string) (credential.Secret, error) {
	return s.mirror.get(name)
}

// List implements ports.SecretStore, from the informer.
func (s *SecretStore) List(context.Context) ([]credential.Secret, error) {
	return s.mirror.list(), nil
}

// Put implements ports.SecretStore. A replace keeps the Secret's type, annotations and
// owner references; labels and data are replaced.
func (s *SecretStore) Put(ctx context.Context, sec credential.Secret) (credential.Secret, bool, error) {
	if reason := application.CheckName(sec.Name); reason != "" {
		return credential.Secret{}, false, fmt.Errorf("put secret: metadata.name %s: %w", reason, credential.ErrInvalid)
	}
	if k := hasReservedKey(sec.Labels); k != "" {
		return credential.Secret{}, false, fmt.Errorf("put secret %s: label %s is reserved: %w", sec.Name, k, credential.ErrInvalid)
	}
	return s.w.put(ctx, sec.Name, sec.ResourceVersion, sec)
}

// Delete implements ports.SecretStore.
func (s *SecretStore) Delete(ctx context.Context, name string) error {
	return s.w.remove(ctx, name)
}

// Watch implements ports.SecretStore, from the informer.
func (s *SecretStore) Watch(ctx context.Context) (<-chan ports.Event[credential.Secret], error) {
	return s.mirror.watch(ctx)
}

// Close stops the informer and closes every watch channel.
func (s *SecretStore) Close() { s.mirror.close() }

func decodeSecret(obj any) (credential.Secret, error) {
	sec, ok := obj.(*corev1.Secret)
	if !ok {
		return credential.Secret{}, fmt.Errorf("unexpected object %T", obj)
	}
	// The informer's object is shared: hand out copies only.
	return credential.Secret{
		Name:            sec.Name,
		ResourceVersion: sec.ResourceVersion,
		Labels:          maps.Clone(sec.Labels),
		Data:            cloneData(sec.Data),
	}, nil
}

func encodeSecret(base *corev1.Secret, s credential.Secret) (*corev1.Secret, error) {
	if base == nil {
		return &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: s.Name, Labels: maps.Clone(s.Labels)},
			Type:       corev1.SecretTypeOpaque,
			Data:       cloneData(s.Data),
		}, nil
	}
	out := base.DeepCopy()
	out.Labels = maps.Clone(s.Labels)
	out.Annotations = withoutNonce(out.Annotations)
	out.Data = cloneData(s.Data)
	out.StringData = nil
	return out, nil
}

func cloneData(d map[string][]byte) map[string][]byte {
	if d == nil {
		return nil
	}
	out := make(map[string][]byte, len(d))
	for k, v := range d {
		out[k] = append([]byte(nil), v...)
	}
	return out
}
