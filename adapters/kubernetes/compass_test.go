package kubernetes_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/internal/realservers"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

// noCompassConnection deletes the cluster's CompassConnection (there is one per
// cluster, so the tests that use it cannot run in parallel) and waits until it is gone.
func noCompassConnection(t *testing.T, k *realservers.Kube) {
	t.Helper()
	dyn, err := dynamic.NewForConfig(k.Config())
	require.NoError(t, err)
	res := dyn.Resource(kubernetes.CompassConnectionGVR)
	ctx := context.Background()
	err = res.Delete(ctx, compass.ConnectionName, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		_, err := res.Get(ctx, compass.ConnectionName, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	}, 10*time.Second, 10*time.Millisecond, "compass connection not deleted")
}

func newCompassConnectionStore(t *testing.T, k *realservers.Kube) *kubernetes.CompassConnectionStore {
	t.Helper()
	noCompassConnection(t, k)
	s, err := kubernetes.NewCompassConnectionStore(t.Context(), k.Config(), discard())
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func TestCompassConnectionStoreConformance(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	porttest.RunCompassConnectionStore(t, func(t *testing.T) ports.CompassConnectionStore {
		return newCompassConnectionStore(t, k)
	})
}
