package kubernetes_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/internal/realservers"
)

// Every test of the package shares one etcd and kube-apiserver.
func TestMain(m *testing.M) {
	code := m.Run()
	realservers.StopKube()
	os.Exit(code)
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// noApplications deletes every Application of the shared cluster (they are
// cluster-scoped, so tests cannot be kept apart by namespace) and waits until they are
// gone.
func noApplications(t *testing.T, k *realservers.Kube) {
	t.Helper()
	dyn, err := dynamic.NewForConfig(k.Config())
	require.NoError(t, err)
	res := dyn.Resource(kubernetes.ApplicationGVR)
	ctx := context.Background()
	require.NoError(t, res.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}))
	require.Eventually(t, func() bool {
		l, err := res.List(ctx, metav1.ListOptions{})
		return err == nil && len(l.Items) == 0
	}, 10*time.Second, 10*time.Millisecond, "applications not deleted")
}

func newApplicationRepository(t *testing.T, k *realservers.Kube) *kubernetes.ApplicationRepository {
	t.Helper()
	noApplications(t, k)
	r, err := kubernetes.NewApplicationRepository(t.Context(), k.Config(), discard())
	require.NoError(t, err)
	t.Cleanup(r.Close)
	return r
}
