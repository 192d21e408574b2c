package kubernetes

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"

	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.TokenStore = (*TokenStore)(nil)

const (
	kindToken        = "one-time-token"
	tokenNamePrefix  = "appconnector-token-"
	tokenKeyApp      = "application"
	tokenKeyAppUID   = "applicationUID"
	tokenKeyIssued   = "issuedAt"
	tokenKeyExpires  = "expiresAt"
	timestampFormat  = time.RFC3339Nano
	maxConsumeRounds = 100
)

// TokenStore is a ports.TokenStore of ConfigMaps, one per token, named after the
// token's digest and labelled KindLabel=one-time-token. It keeps no secret: the digest of
// a 256-bit random token reveals nothing usable, so ConfigMaps (readable by more roles
// than Secrets) are enough, and tokens stay out of the SecretStore.
//
// Every call goes to the API server, none to a cache: a token issued through one
// replica is redeemed moments later through another, and a cache could not have it yet.
// Consume deletes with UID and resourceVersion preconditions, so of any number of
// concurrent consumers on any replicas exactly one wins.
type TokenStore struct {
	api typedcorev1.ConfigMapInterface
}

// NewTokenStore returns a store keeping tokens in namespace (DefaultNamespace when
// empty). It needs get, list, create, update and delete on configmaps there.
func NewTokenStore(cfg *rest.Config, namespace string) (*TokenStore, error) {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &TokenStore{api: cs.CoreV1().ConfigMaps(namespace)}, nil
}

func tokenName(d pairing.Digest) string { return tokenNamePrefix + d.String() }

// Put implements ports.TokenStore.
func (s *TokenStore) Put(ctx context.Context, tok pairing.Token) error {
	cm := encodeToken(tok)
	for {
		_, err := s.api.Create(ctx, cm, metav1.CreateOptions{})
		if !apierrors.IsAlreadyExists(err) {
			return wrapTokenErr("put", tok.Digest, err)
		}
		existing, err := s.api.Get(ctx, cm.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue // consumed meanwhile: create again
		}
		if err != nil {
			return wrapTokenErr("put", tok.Digest, err)
		}
		next := existing.DeepCopy()
		next.Labels, next.Data = cm.Labels, cm.Data
		_, err = s.api.Update(ctx, next, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			continue
		}
		return wrapTokenErr("put", tok.Digest, err)
	}
}

// Lookup implements ports.TokenStore.
func (s *TokenStore) Lookup(ctx context.Context, d pairing.Digest, now time.Time) (pairing.Token, error) {
	cm, err := s.api.Get(ctx, tokenName(d), metav1.GetOptions{})
	if err != nil {
		return pairing.Token{}, wrapTokenErr("look up", d, err)
	}
	tok, err := decodeToken(cm, d)
	if err != nil {
		return pairing.Token{}, err
	}
	if tok.Expired(now) {
		return tok, fmt.Errorf("look up token %s: %w", d, pairing.ErrExpired)
	}
	return tok, nil
}

// Consume implements ports.TokenStore.
func (s *TokenStore) Consume(ctx context.Context, d pairing.Digest, now time.Time) (pairing.Token, error) {
	name := tokenName(d)
	for range maxConsumeRounds {
		cm, err := s.api.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return pairing.Token{}, wrapTokenErr("consume", d, err)
		}
		tok, err := decodeToken(cm, d)
		if err != nil {
			return pairing.Token{}, err
		}
		// Only the exact object read may be deleted: if another consumer won, the delete
		// finds nothing (not found) or a replacement put meanwhile (conflict).
		err = s.api.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{
			UID: &cm.UID, ResourceVersion: &cm.ResourceVersion,
		}})
		if apierrors.IsConflict(err) {
			continue // replaced by a Put: consume what is there now
		}
		if err != nil {
			return pairing.Token{}, wrapTokenErr("consume", d, err)
		}
		if tok.Expired(now) {
			return tok, fmt.Errorf("consume token %s: %w", d, pairing.ErrExpired)
		}
		return tok, nil
	}
	return pairing.Token{}, fmt.Errorf("consume token %s: replaced too often while consuming", d)
}

// Purge implements ports.TokenStore. Tokens deleted or replaced meanwhile by another
// replica are not counted.
func (s *TokenStore) Purge(ctx context.Context, now time.Time) (int, error) {
	list, err := s.api.List(ctx, metav1.ListOptions{LabelSelector: KindLabel + "=" + kindToken})
	if err != nil {
		return 0, fmt.Errorf("purge tokens: %w", err)
	}
	n := 0
	for i := range list.Items {
		cm := &list.Items[i]
		tok, err := decodeToken(cm, pairing.Digest{})
		if err != nil || !tok.Expired(now) {
			// An unreadable entry is kept for an operator to look at, not silently lost.
			continue
		}
		err = s.api.Delete(ctx, cm.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{
			UID: &cm.UID, ResourceVersion: &cm.ResourceVersion,
		}})
		switch {
		case err == nil:
			n++
		case apierrors.IsNotFound(err), apierrors.IsConflict(err):
		default:
			return n, fmt.Errorf("purge tokens: %w", err)
		}
	}
	return n, nil
}

func encodeToken(tok pairing.Token) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name:   tokenName(tok.Digest),
			Labels: map[string]string{KindLabel: kindToken},
		},
		Data: map[string]string{
			tokenKeyApp:     tok.Application,
			tokenKeyAppUID:  tok.ApplicationUID,
			tokenKeyIssued:  tok.IssuedAt.UTC().Format(timestampFormat),
			tokenKeyExpires: tok.ExpiresAt.UTC().Format(timestampFormat),
		},
	}
}

// decodeToken reads a token's ConfigMap. want is the digest asked for; the zero Digest
// takes it from the name.
func decodeToken(cm *corev1.ConfigMap, want pairing.Digest) (pairing.Token, error) {
	bad := func(what string) error {
		return fmt.Errorf("token configmap %s: %s", cm.Name, what)
	}
	var d pairing.Digest
	hexDigest, ok := strings.CutPrefix(cm.Name, tokenNamePrefix)
	raw, err := hex.DecodeString(hexDigest)
	if !ok || err != nil || len(raw) != len(d) {
		return pairing.Token{}, bad("name does not end in a digest")
	}
	copy(d[:], raw)
	if want != (pairing.Digest{}) && d != want {
		return pairing.Token{}, bad("name does not match the digest")
	}
	issued, err1 := time.Parse(timestampFormat, cm.Data[tokenKeyIssued])
	expires, err2 := time.Parse(timestampFormat, cm.Data[tokenKeyExpires])
	if err := errors.Join(err1, err2); err != nil {
		return pairing.Token{}, bad("timestamps unreadable")
	}
	return pairing.Token{
		Digest:         d,
		Application:    cm.Data[tokenKeyApp],
		ApplicationUID: cm.Data[tokenKeyAppUID],
		IssuedAt:       issued,
		ExpiresAt:      expires,
	}, nil
}

func wrapTokenErr(op string, d pairing.Digest, err error) error {
	switch {
	case err == nil:
		return nil
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%s token %s: %w", op, d, pairing.ErrNotFound)
	}
	return fmt.Errorf("%s token %s: %w", op, d, err)
}
