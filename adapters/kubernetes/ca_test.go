package kubernetes_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/internal/realservers"
)

// TestCAReplicasStartingAtOnceShareOne: every replica generates a CA when none exists,
// but only one is stored and all of them return it.
func TestCAReplicasStartingAtOnceShareOne(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	const replicas = 6
	type result struct{ cert, key []byte }
	results := make([]result, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			c, key, err := kubernetes.LoadOrCreateCA(t.Context(), k.Config(), ns, "appconnector-ca", nil)
			assert.NoError(t, err)
			results[i] = result{c, key}
		})
	}
	wg.Wait()
	require.False(t, t.Failed())
	for i := 1; i < replicas; i++ {
		assert.True(t, bytes.Equal(results[0].cert, results[i].cert), "replica %d has another certificate", i)
		assert.True(t, bytes.Equal(results[0].key, results[i].key), "replica %d has another key", i)
	}
	block, _ := pem.Decode(results[0].cert)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.True(t, cert.IsCA)

	sec, err := k.Client(t).CoreV1().Secrets(ns).Get(t.Context(), "appconnector-ca", metav1.GetOptions{})
	require.NoError(t, err)
	assert.True(t, bytes.Equal(results[0].cert, sec.Data[kubernetes.CACertKey]))
	assert.Equal(t, "ca", sec.Labels[kubernetes.KindLabel])

	// Started later, a replica loads it and generates nothing.
	c, key, err := kubernetes.LoadOrCreateCA(t.Context(), k.Config(), ns, "appconnector-ca", func() ([]byte, []byte, error) {
		t.Error("generated a CA although one is stored")
		return nil, nil, nil
	})
	require.NoError(t, err)
	assert.True(t, bytes.Equal(results[0].cert, c))
	assert.True(t, bytes.Equal(results[0].key, key))

	// The CA key is no credential an Application can reference.
	store, err := kubernetes.NewSecretStore(t.Context(), k.Config(), ns, discard())
	require.NoError(t, err)
	t.Cleanup(store.Close)
	list, err := store.List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, list)
}

func TestCASecretWithoutKeyIsRefused(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	_, err := k.Client(t).CoreV1().Secrets(ns).Create(t.Context(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "ca"},
		Data:       map[string][]byte{kubernetes.CACertKey: []byte("cert only")},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, _, err = kubernetes.LoadOrCreateCA(t.Context(), k.Config(), ns, "ca", nil)
	require.ErrorContains(t, err, "ca.key")
}
