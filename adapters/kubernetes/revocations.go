package kubernetes

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.RevocationList = (*RevocationList)(nil)

const (
	kindRevocation       = "revocation"
	revocationNamePrefix = "appconnector-revoked-"
	revKeyFingerprint    = "fingerprint"
	revKeyRevoked        = "revokedAt"
	revKeyExpires        = "expiresAt"
)

// RevocationList is a ports.RevocationList of ConfigMaps, one per revoked certificate,
// named after its fingerprint and labelled KindLabel=revocation.
//
// One object per entry rather than one list object: revocations from several replicas
// never contend for the same object (no conflict retries), a purge deletes exactly the
// expired entries, and the list is not capped by the 1 MiB object size limit. A
// fingerprint is a certificate's public hash, not a secret, hence ConfigMaps.
//
// IsRevoked is on the path of every mTLS request and reads an informer, never the API
// server. A revocation is visible to IsRevoked on the replica that made it as soon as
// Revoke returns, and on every other replica when its informer gets the change (normally
// within milliseconds).
type RevocationList struct {
	api    typedcorev1.ConfigMapInterface
	mirror *mirror[certificate.Revocation]
	now    func() time.Time
}

// NewRevocationList starts an informer on the revocations in namespace
// (DefaultNamespace when empty) and returns once it has listed them (ctx bounds that
// wait). It needs get, list, watch, create, update and delete on configmaps there.
// Close stops it.
func NewRevocationList(ctx context.Context, cfg *rest.Config, namespace string, logger *slog.Logger) (*RevocationList, error) {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	informer := coreinformers.NewFilteredConfigMapInformer(cs, namespace, 0, cache.Indexers{}, func(o *metav1.ListOptions) {
		o.LabelSelector = KindLabel + "=" + kindRevocation
	})
	m, err := startMirror(ctx, informer, codec[certificate.Revocation]{
		noun:     "revocation",
		notFound: errRevocationNotFound,
		decode: func(obj any) (certificate.Revocation, error) {
			cm, ok := obj.(*corev1.ConfigMap)
			if !ok {
				return certificate.Revocation{}, fmt.Errorf("unexpected object %T", obj)
			}
			return decodeRevocation(cm)
		},
		copy: func(r certificate.Revocation) certificate.Revocation { return r },
	}, logger)
	if err != nil {
		return nil, err
	}
	return &RevocationList{api: cs.CoreV1().ConfigMaps(namespace), mirror: m, now: time.Now}, nil
}

var errRevocationNotFound = fmt.Errorf("revocation not found")

func revocationName(fp certificate.Fingerprint) string { return revocationNamePrefix + fp.String() }

// Revoke implements ports.RevocationList.
func (l *RevocationList) Revoke(ctx context.Context, fp certificate.Fingerprint, expiresAt time.Time) error {
	name := revocationName(fp)
	for {
		out, err := l.api.Create(ctx, encodeRevocation(certificate.NewRevocation(fp, l.now(), expiresAt)), metav1.CreateOptions{})
		if err == nil {
			return l.mirror.waitVersion(ctx, out.ResourceVersion)
		}
		if !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("revoke %s: %w", fp, err)
		}
		existing, err := l.api.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue // purged meanwhile
		}
		if err != nil {
			return fmt.Errorf("revoke %s: %w", fp, err)
		}
		prev, err := decodeRevocation(existing)
		if err != nil {
			return fmt.Errorf("revoke %s: %w", fp, err)
		}
		next := prev.Extend(expiresAt)
		if next.ExpiresAt.Equal(prev.ExpiresAt) {
			return l.mirror.waitVersion(ctx, existing.ResourceVersion)
		}
		cm := existing.DeepCopy()
		cm.Data = encodeRevocation(next).Data
		out, err = l.api.Update(ctx, cm, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("revoke %s: %w", fp, err)
		}
		return l.mirror.waitVersion(ctx, out.ResourceVersion)
	}
}

// IsRevoked implements ports.RevocationList, from the informer.
func (l *RevocationList) IsRevoked(_ context.Context, fp certificate.Fingerprint) (bool, error) {
	_, ok := l.mirror.lookup(revocationName(fp))
	return ok, nil
}

// List implements ports.RevocationList, from the informer.
func (l *RevocationList) List(context.Context) ([]certificate.Revocation, error) {
	out := l.mirror.list()
	// Object names sort like the hex fingerprints they end in; sort anyway, on the
	// bytes, as the port defines the order.
	slices.SortFunc(out, func(a, b certificate.Revocation) int {
		return bytes.Compare(a.Fingerprint[:], b.Fingerprint[:])
	})
	return out, nil
}

// Purge implements ports.RevocationList. It reads the API server, not the informer, so
// that an entry extended by another replica a moment ago is not purged; entries changed
// or deleted meanwhile are skipped and not counted.
func (l *RevocationList) Purge(ctx context.Context, now time.Time) (int, error) {
	list, err := l.api.List(ctx, metav1.ListOptions{LabelSelector: KindLabel + "=" + kindRevocation})
	if err != nil {
		return 0, fmt.Errorf("purge revocations: %w", err)
	}
	n := 0
	for i := range list.Items {
		cm := &list.Items[i]
		r, err := decodeRevocation(cm)
		if err != nil || !r.Expired(now) {
			continue
		}
		err = l.api.Delete(ctx, cm.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{
			UID: &cm.UID, ResourceVersion: &cm.ResourceVersion,
		}})
		switch {
		case err == nil:
			n++
			if err := l.mirror.waitGone(ctx, cm.Name, cm.UID); err != nil {
				return n, err
			}
		case apierrors.IsNotFound(err), apierrors.IsConflict(err):
		default:
			return n, fmt.Errorf("purge revocations: %w", err)
		}
	}
	return n, nil
}

// Close stops the informer.
func (l *RevocationList) Close() { l.mirror.close() }

func encodeRevocation(r certificate.Revocation) *corev1.ConfigMap {
	data := map[string]string{
		revKeyFingerprint: r.Fingerprint.String(),
		revKeyRevoked:     r.RevokedAt.UTC().Format(timestampFormat),
	}
	if !r.ExpiresAt.IsZero() {
		data[revKeyExpires] = r.ExpiresAt.UTC().Format(timestampFormat)
	}
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name:   revocationName(r.Fingerprint),
			Labels: map[string]string{KindLabel: kindRevocation},
		},
		Data: data,
	}
}

func decodeRevocation(cm *corev1.ConfigMap) (certificate.Revocation, error) {
	fp, err := certificate.ParseFingerprint(cm.Data[revKeyFingerprint])
	if err != nil || revocationName(fp) != cm.Name {
		return certificate.Revocation{}, fmt.Errorf("revocation configmap %s: fingerprint missing or not matching the name", cm.Name)
	}
	r := certificate.Revocation{Fingerprint: fp}
	if r.RevokedAt, err = time.Parse(timestampFormat, cm.Data[revKeyRevoked]); err != nil {
		return certificate.Revocation{}, fmt.Errorf("revocation configmap %s: revokedAt unreadable", cm.Name)
	}
	if v := cm.Data[revKeyExpires]; v != "" {
		if r.ExpiresAt, err = time.Parse(timestampFormat, v); err != nil {
			return certificate.Revocation{}, fmt.Errorf("revocation configmap %s: expiresAt unreadable", cm.Name)
		}
	}
	return r, nil
}
