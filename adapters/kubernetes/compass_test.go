package kubernetes_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

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

func mustTime(t *testing.T, s string) *time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return &v
}

// TestCompassConnectionKymaObject: a CompassConnection as Kyma's agent writes it is
// accepted by the API server under this project's CRD and read by the store; an update
// by the store keeps the object Kyma's shape (RFC 3339 seconds, null for an unset time)
// and what others put in its metadata.
func TestCompassConnectionKymaObject(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ctx := t.Context()
	s := newCompassConnectionStore(t, k)

	raw, err := os.ReadFile("testdata/compassconnection-kyma.yaml")
	require.NoError(t, err)
	var obj map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &obj))
	dyn, err := dynamic.NewForConfig(k.Config())
	require.NoError(t, err)
	res := dyn.Resource(kubernetes.CompassConnectionGVR)
	created, err := res.Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{})
	require.NoError(t, err, "Kyma's object is valid under this project's CRD")

	var got compass.Connection
	require.Eventually(t, func() bool {
		got, err = s.Get(ctx)
		return err == nil
	}, 10*time.Second, 10*time.Millisecond, "the store never saw Kyma's object")
	want := compass.Connection{
		Name:            compass.ConnectionName,
		UID:             string(created.GetUID()),
		ResourceVersion: created.GetResourceVersion(),
		Spec: compass.Spec{ManagementInfo: compass.ManagementInfo{
			ConnectorURL: "https://compass-gateway-mtls.kyma.example.com/connector/graphql",
			DirectorURL:  "https://compass-gateway-mtls.kyma.example.com/director/graphql",
		}},
		Status: compass.Status{
			ConnectionState: compass.StateSynchronized,
			ConnectionStatus: &compass.ConnectionStatus{
				Established: mustTime(t, "2024-05-06T07:08:09Z"),
				LastSync:    mustTime(t, "2024-05-07T10:00:00Z"),
				LastSuccess: mustTime(t, "2024-05-07T10:00:00Z"),
				CertificateStatus: compass.CertificateStatus{
					Acquired:  mustTime(t, "2024-05-06T07:08:09Z"),
					NotBefore: mustTime(t, "2024-05-06T07:07:09Z"),
					NotAfter:  mustTime(t, "2024-08-04T07:08:09Z"),
				},
			},
			SynchronizationStatus: &compass.SynchronizationStatus{
				LastAttempt:               mustTime(t, "2024-05-07T10:00:01Z"),
				LastSuccessfulFetch:       mustTime(t, "2024-05-07T10:00:01Z"),
				LastSuccessfulApplication: mustTime(t, "2024-05-07T10:00:02Z"),
			},
		},
	}
	assert.Equal(t, want, got)

	next := got
	next.Spec.RefreshCredentialsNow = true
	failedAt := time.Date(2024, 5, 8, 1, 2, 3, 456_000_000, time.UTC)
	next.Status.ConnectionState = compass.StateResourceApplicationFailed
	next.Status.SynchronizationStatus = &compass.SynchronizationStatus{
		LastAttempt:        &failedAt,
		Error:              "1 Application failed",
		Applications:       3,
		FailedApplications: map[string]string{"mp-orders": "duplicate name"},
	}
	updated, err := s.Update(ctx, next)
	require.NoError(t, err)

	u, err := res.Get(ctx, compass.ConnectionName, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, updated.ResourceVersion, u.GetResourceVersion())
	assert.Equal(t, "compass-runtime-agent", u.GetLabels()["app"], "metadata others wrote is kept")
	status := u.Object["status"].(map[string]any)
	assert.Equal(t, "ResourceApplicationFailed", status["connectionState"])
	cs := status["connectionStatus"].(map[string]any)
	assert.Contains(t, cs, "renewed", "an unset time is written as null, as Kyma writes it")
	assert.Nil(t, cs["renewed"])
	assert.Equal(t, "2024-05-07T10:00:00Z", cs["lastSync"])
	ss := status["synchronizationStatus"].(map[string]any)
	assert.Equal(t, "2024-05-08T01:02:03Z", ss["lastAttempt"], "times are RFC 3339 seconds")
	assert.Nil(t, ss["lastSuccessfulFetch"])
	assert.EqualValues(t, 3, ss["applications"])
	assert.Equal(t, map[string]any{"mp-orders": "duplicate name"}, ss["failedApplications"])
	assert.Equal(t, true, u.Object["spec"].(map[string]any)["refreshCredentialsNow"])
}
