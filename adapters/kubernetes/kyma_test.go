package kubernetes_test

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/adapters/manifest"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/internal/realservers"
	"github.com/appconnector/appconnector/ports"
)

// kubectlLatency is how quickly a change made directly through the API server (kubectl,
// another replica, Kyma's Runtime Agent) must reach a watcher.
const kubectlLatency = time.Second

func recvWithin(t *testing.T, ch <-chan ports.Event[application.Application], d time.Duration) ports.Event[application.Application] {
	t.Helper()
	select {
	case ev, ok := <-ch:
		require.True(t, ok, "watch closed")
		return ev
	case <-time.After(d):
		require.FailNow(t, "no watch event", "within %s", d)
	}
	return ports.Event[application.Application]{}
}

// TestKymaApplicationWrittenThroughTheAPIServer stores Kyma's own example Application
// with the API server, as kubectl would, and reads it through the repository.
func TestKymaApplicationWrittenThroughTheAPIServer(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	repo := newApplicationRepository(t, k)
	ctx := t.Context()

	raw, err := os.ReadFile("testdata/application-example-validator-compass.yaml")
	require.NoError(t, err)
	var obj map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &obj))
	dyn, err := dynamic.NewForConfig(k.Config())
	require.NoError(t, err)
	res := dyn.Resource(kubernetes.ApplicationGVR)

	ch, err := repo.Watch(ctx)
	require.NoError(t, err)
	require.Equal(t, ports.EventSynced, recvWithin(t, ch, kubectlLatency).Type)

	created, err := res.Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{})
	require.NoError(t, err)

	want, err := manifest.DecodeApplication(raw, manifest.FormatYAML)
	require.NoError(t, err)
	want.UID = string(created.GetUID())
	want.ResourceVersion = created.GetResourceVersion()
	// Kyma's CRD defaults encodeUrl to true; the API server stored it so.
	encode := true
	want.Spec.EncodeURL = &encode
	assert.Equal(t, []string{"clientId1", "clientId2"}, want.Spec.CompassMetadata.Authentication.ClientIDs)

	ev := recvWithin(t, ch, kubectlLatency)
	assert.Equal(t, ports.EventPut, ev.Type)
	assert.Equal(t, want, ev.Object)
	got, err := repo.Get(ctx, "event-test-compass")
	require.NoError(t, err)
	assert.Equal(t, want, got)

	// A change through the API server.
	require.NoError(t, unstructured.SetNestedField(created.Object, "changed with kubectl", "spec", "description"))
	updated, err := res.Update(ctx, created, metav1.UpdateOptions{})
	require.NoError(t, err)
	ev = recvWithin(t, ch, kubectlLatency)
	assert.Equal(t, ports.EventPut, ev.Type)
	assert.Equal(t, "changed with kubectl", ev.Object.Spec.Description)
	assert.Equal(t, updated.GetResourceVersion(), ev.Object.ResourceVersion)
	assert.Equal(t, want.UID, ev.Object.UID)

	// A deletion through the API server.
	require.NoError(t, res.Delete(ctx, "event-test-compass", metav1.DeleteOptions{}))
	ev = recvWithin(t, ch, kubectlLatency)
	assert.Equal(t, ports.EventDelete, ev.Type)
	assert.Equal(t, "event-test-compass", ev.Name)
	_, err = repo.Get(ctx, "event-test-compass")
	require.ErrorIs(t, err, application.ErrNotFound)
}

// TestApplicationWrittenByTheRepositoryIsKymas checks the other direction: what the
// repository writes is the document Kyma's components read.
func TestApplicationWrittenByTheRepositoryIsKymas(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	repo := newApplicationRepository(t, k)
	ctx := t.Context()
	raw, err := os.ReadFile("testdata/application-example-validator-compass.yaml")
	require.NoError(t, err)
	app, err := manifest.DecodeApplication(raw, manifest.FormatYAML)
	require.NoError(t, err)
	stored, created, err := repo.Put(ctx, app)
	require.NoError(t, err)
	require.True(t, created)

	dyn, err := dynamic.NewForConfig(k.Config())
	require.NoError(t, err)
	u, err := dyn.Resource(kubernetes.ApplicationGVR).Get(ctx, app.Name, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, stored.UID, string(u.GetUID()))
	assert.Equal(t, stored.ResourceVersion, u.GetResourceVersion())
	ids, _, err := unstructured.NestedStringSlice(u.Object, "spec", "compassMetadata", "authentication", "clientIds")
	require.NoError(t, err)
	assert.Equal(t, []string{"clientId1", "clientId2"}, ids)
	skip, _, err := unstructured.NestedBool(u.Object, "spec", "skipVerify")
	require.NoError(t, err)
	assert.True(t, skip)
	assert.Empty(t, u.GetAnnotations(), "a first write carries no bookkeeping annotation")

	// A replace keeps what the document does not carry.
	u.SetFinalizers([]string{"example.com/keep"})
	require.NoError(t, unstructured.SetNestedField(u.Object, map[string]any{"installationStatus": map[string]any{"status": "deployed"}}, "status"))
	u, err = dyn.Resource(kubernetes.ApplicationGVR).Update(ctx, u, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		got, err := repo.Get(ctx, app.Name)
		return err == nil && got.ResourceVersion == u.GetResourceVersion()
	}, 5*time.Second, 5*time.Millisecond)
	app.Spec.Description = "replaced"
	_, created, err = repo.Put(ctx, app)
	require.NoError(t, err)
	require.False(t, created)
	u, err = dyn.Resource(kubernetes.ApplicationGVR).Get(ctx, app.Name, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"example.com/keep"}, u.GetFinalizers())
	status, _, _ := unstructured.NestedString(u.Object, "status", "installationStatus", "status")
	assert.Equal(t, "deployed", status)
	desc, _, _ := unstructured.NestedString(u.Object, "spec", "description")
	assert.Equal(t, "replaced", desc)

	u.SetFinalizers(nil)
	_, err = dyn.Resource(kubernetes.ApplicationGVR).Update(ctx, u, metav1.UpdateOptions{})
	require.NoError(t, err)
}
