package kubernetes

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/appconnector/appconnector/domain/certificate"
)

// Keys of the CA Secret, as in Kyma's connector CA Secret.
const (
	CACertKey = "ca.crt"
	CAKeyKey  = "ca.key"
)

const kindCA = "ca"

// caValidity is the lifetime of a CA generated here, as adapters/ca's DefaultCAValidity.
const caValidity = 10 * 365 * 24 * time.Hour

// GenerateCA makes a CA certificate and key, both PEM.
type GenerateCA func() (certPEM, keyPEM []byte, err error)

// LoadOrCreateCA returns the PEM certificate and key kept in the Secret namespace/name
// (keys ca.crt and ca.key). When the Secret does not exist it creates it with a CA from
// generate (nil: a self-signed ECDSA P-256 CA like the one adapters/ca generates).
// Replicas starting at once may all generate a CA, but only one create succeeds; the
// others read and return the winner's, so every replica signs with the same key.
//
// The Secret carries KindLabel, which keeps it out of the SecretStore: the CA key must
// not be listed by the management API nor be usable as an Application credential. It
// needs get and create on secrets in the namespace.
func LoadOrCreateCA(ctx context.Context, cfg *rest.Config, namespace, name string, generate GenerateCA) (certPEM, keyPEM []byte, err error) {
	if name == "" {
		return nil, nil, errors.New("ca secret: name is empty")
	}
	if namespace == "" {
		namespace = DefaultNamespace
	}
	if generate == nil {
		generate = generateCA
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes client: %w", err)
	}
	api := cs.CoreV1().Secrets(namespace)
	sec, err := api.Get(ctx, name, metav1.GetOptions{})
	if err == nil {
		return caFromSecret(sec)
	}
	if !apierrors.IsNotFound(err) {
		return nil, nil, fmt.Errorf("read ca secret %s/%s: %w", namespace, name, err)
	}
	certPEM, keyPEM, err = generate()
	if err != nil {
		return nil, nil, err
	}
	immutable := true
	sec, err = api.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{KindLabel: kindCA}},
		Type:       corev1.SecretTypeOpaque,
		// Immutable: a CA is replaced by deleting the Secret on purpose, never edited by
		// accident; and every replica can trust that what it read once stays valid.
		Immutable: &immutable,
		Data:      map[string][]byte{CACertKey: certPEM, CAKeyKey: keyPEM},
	}, metav1.CreateOptions{})
	if err == nil {
		return caFromSecret(sec)
	}
	if !apierrors.IsAlreadyExists(err) {
		return nil, nil, fmt.Errorf("create ca secret %s/%s: %w", namespace, name, err)
	}
	// Another replica won the race: use its CA, drop ours.
	sec, err = api.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("read ca secret %s/%s: %w", namespace, name, err)
	}
	return caFromSecret(sec)
}

func caFromSecret(sec *corev1.Secret) (certPEM, keyPEM []byte, err error) {
	certPEM, keyPEM = sec.Data[CACertKey], sec.Data[CAKeyKey]
	if len(certPEM) == 0 || len(keyPEM) == 0 {
		return nil, nil, fmt.Errorf("ca secret %s/%s: keys %s and %s must both be set", sec.Namespace, sec.Name, CACertKey, CAKeyKey)
	}
	return certPEM, keyPEM, nil
}

// generateCA makes the same CA as adapters/ca generates for a data dir.
func generateCA() (certPEM, keyPEM []byte, err error) {
	return certificate.NewSelfSignedCA(rand.Reader, "appconnector CA", time.Now(), caValidity)
}
