package kubernetes

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// sentinels are the domain errors of one object type.
type sentinels struct {
	noun     string
	notFound error
	conflict error
	invalid  error
}

// objectAPI is the part of a (typed or dynamic) client the write algorithms need.
type objectAPI[O runtime.Object] struct {
	get    func(ctx context.Context, name string) (O, error)
	create func(ctx context.Context, obj O) (O, error)
	update func(ctx context.Context, obj O) (O, error)
	delete func(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

// writer runs the read-modify-write loops shared by the Application repository and the
// Secret store. Every write goes to the API server with a resourceVersion precondition;
// the mirror is only consulted to wait for the write to show up in it.
type writer[O runtime.Object, T any] struct {
	s      sentinels
	api    objectAPI[O]
	mirror *mirror[T]
	// build returns the object to write: base (nil when creating) with the content of
	// obj. It must not modify base.
	build func(base O, obj T) (O, error)
	// cached returns the informer's copy of the object, to start an update from without
	// an API call; ok is false when it has none.
	cached func(name string) (O, bool)
}

// put creates or replaces name. With wantRV set the stored object must be at that
// version.
func (w *writer[O, T]) put(ctx context.Context, name, wantRV string, obj T) (T, bool, error) {
	var zero T
	for {
		base, err := w.api.get(ctx, name)
		switch {
		case apierrors.IsNotFound(err):
			if wantRV != "" {
				return zero, false, fmt.Errorf("put %s %s: resource version %s given but it does not exist: %w", w.s.noun, name, wantRV, w.s.conflict)
			}
			var none O
			fresh, err := w.build(none, obj)
			if err != nil {
				return zero, false, err
			}
			out, err := w.api.create(ctx, fresh)
			if apierrors.IsAlreadyExists(err) {
				continue // created by someone else meanwhile: replace it
			}
			if err != nil {
				return zero, false, w.mapErr("put", name, err)
			}
			stored, err := w.settle(ctx, out)
			return stored, true, err
		case err != nil:
			return zero, false, w.mapErr("put", name, err)
		}
		if wantRV != "" && version(base) != wantRV {
			return zero, false, fmt.Errorf("put %s %s: resource version %s is not current (%s): %w", w.s.noun, name, wantRV, version(base), w.s.conflict)
		}
		stored, err := w.replace(ctx, name, base, obj)
		if (apierrors.IsConflict(err) || apierrors.IsNotFound(err)) && wantRV == "" {
			continue // changed or deleted meanwhile: an unconditional put starts over
		}
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return zero, false, fmt.Errorf("put %s %s: resource version %s is not current: %w", w.s.noun, name, wantRV, w.s.conflict)
		}
		if err != nil {
			return zero, false, w.mapErr("put", name, err)
		}
		return stored, false, nil
	}
}

// update reads name (from the informer first, from the API server after a conflict),
// lets fn edit it, and writes it back at the version read.
func (w *writer[O, T]) update(ctx context.Context, name string, decode func(O) (T, error), fn func(*T) error) (T, error) {
	var zero T
	base, fromCache := w.cached(name)
	for {
		if err := ctx.Err(); err != nil {
			return zero, fmt.Errorf("update %s %s: %w", w.s.noun, name, err)
		}
		if !fromCache {
			var err error
			if base, err = w.api.get(ctx, name); err != nil {
				return zero, w.mapErr("update", name, err)
			}
		}
		current, err := decode(base)
		if err != nil {
			return zero, fmt.Errorf("update %s %s: stored object cannot be read: %w", w.s.noun, name, err)
		}
		if err := fn(&current); err != nil {
			return zero, err
		}
		stored, err := w.replace(ctx, name, base, current)
		if apierrors.IsConflict(err) || (fromCache && apierrors.IsNotFound(err)) {
			// The informer lagged or someone else wrote: read the latest from the source.
			fromCache = false
			continue
		}
		if err != nil {
			return zero, w.mapErr("update", name, err)
		}
		return stored, nil
	}
}

// replace writes obj over base, at base's resource version. A write the API server
// finds identical to base is repeated with a fresh nonce annotation, so that it, like
// every write, gets a new resource version and a watch event. API errors are returned
// unmapped.
func (w *writer[O, T]) replace(ctx context.Context, name string, base O, obj T) (T, error) {
	var zero T
	next, err := w.build(base, obj)
	if err != nil {
		return zero, err
	}
	out, err := w.api.update(ctx, next)
	if err != nil {
		return zero, err
	}
	if version(out) == version(base) {
		if err := setNonce(next); err != nil {
			return zero, err
		}
		if out, err = w.api.update(ctx, next); err != nil {
			return zero, err
		}
	}
	return w.settle(ctx, out)
}

// remove deletes name, whatever its version, and waits until the mirror has dropped it.
func (w *writer[O, T]) remove(ctx context.Context, name string) error {
	for {
		base, err := w.api.get(ctx, name)
		if err != nil {
			return w.mapErr("delete", name, err)
		}
		uid := types.UID(uidOf(base))
		// The UID precondition makes sure the object waited for is the one deleted,
		// not one created again under the same name meanwhile.
		err = w.api.delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return w.mapErr("delete", name, err)
		}
		return w.mirror.waitGone(ctx, name, uid)
	}
}

// settle decodes what the API server returned after a write and waits until the mirror
// holds it too.
func (w *writer[O, T]) settle(ctx context.Context, out O) (T, error) {
	var zero T
	stored, err := w.mirror.c.decode(out)
	if err != nil {
		return zero, fmt.Errorf("%s written but cannot be read back: %w", w.s.noun, err)
	}
	if err := w.mirror.waitVersion(ctx, version(out)); err != nil {
		return zero, err
	}
	return stored, nil
}

// mapErr turns API errors into the port's sentinels. The API server's message is kept
// (it names fields and never echoes a Secret's values).
func (w *writer[O, T]) mapErr(op, name string, err error) error {
	var sentinel error
	switch {
	case apierrors.IsNotFound(err):
		sentinel = w.s.notFound
	case apierrors.IsConflict(err):
		sentinel = w.s.conflict
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		sentinel = w.s.invalid
	default:
		return fmt.Errorf("%s %s %s: %w", op, w.s.noun, name, err)
	}
	return fmt.Errorf("%s %s %s: %w: %w", op, w.s.noun, name, sentinel, err)
}

func version(obj runtime.Object) string {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	return acc.GetResourceVersion()
}

func uidOf(obj runtime.Object) string {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	return string(acc.GetUID())
}

func setNonce(obj runtime.Object) error {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	ann := maps.Clone(acc.GetAnnotations())
	if ann == nil {
		ann = map[string]string{}
	}
	ann[writeNonceAnnotation] = hex.EncodeToString(b)
	acc.SetAnnotations(ann)
	return nil
}

// withoutNonce returns ann without the write nonce, nil when nothing else is left.
func withoutNonce(ann map[string]string) map[string]string {
	if _, ok := ann[writeNonceAnnotation]; !ok {
		return ann
	}
	out := maps.Clone(ann)
	delete(out, writeNonceAnnotation)
	if len(out) == 0 {
		return nil
	}
	return out
}

// unstructuredAPI is objectAPI over a custom resource of the dynamic client.
func unstructuredAPI(res dynamic.ResourceInterface) objectAPI[*unstructured.Unstructured] {
	return objectAPI[*unstructured.Unstructured]{
		get: func(ctx context.Context, name string) (*unstructured.Unstructured, error) {
			return res.Get(ctx, name, metav1.GetOptions{})
		},
		create: func(ctx context.Context, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
			return res.Create(ctx, u, metav1.CreateOptions{})
		},
		update: func(ctx context.Context, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
			return res.Update(ctx, u, metav1.UpdateOptions{})
		},
		delete: func(ctx context.Context, name string, opts metav1.DeleteOptions) error {
			return res.Delete(ctx, name, opts)
		},
	}
}
