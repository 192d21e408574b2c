package helm_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	kubeadapter "github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/internal/realservers"
)

var compassConnections = schema.GroupVersionResource{Group: "compass.kyma-project.io", Version: "v1alpha1", Resource: "compassconnections"}

func TestMain(m *testing.M) {
	code := m.Run()
	realservers.StopKube()
	os.Exit(code)
}

// TestChartOnTheAPIServer: every object helm template renders is accepted by a real API
// server (server-side dry run), and the chart's RBAC, applied for real, is exactly
// enough: each component's ServiceAccount (token from the TokenRequest API) opens the
// ports its binary opens and does its job, and is refused what it must not do.
func TestChartOnTheAPIServer(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	relNS, secNS := k.Namespace(t), k.Namespace(t)
	release := "r" + relNS // cluster-scoped names stay apart from other tests
	objs := renderIn(t, release, relNS, "secretsNamespace="+secNS, "runtimeAgent.enabled=true",
		"runtimeAgent.compassCA.secretName=compass-ca", "runtimeAgent.runtimeEventsURL=https://events.example.com")
	ctx := t.Context()
	dyn, err := dynamic.NewForConfig(k.Config())
	require.NoError(t, err)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(k.Client(t).Discovery()))
	res := func(o *unstructured.Unstructured) dynamic.ResourceInterface {
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}, gvk.Version)
		require.NoError(t, err, "%s is not served", gvk)
		if o.GetNamespace() == "" && m.Scope.Name() == "namespace" {
			o.SetNamespace(relNS)
		}
		if m.Scope.Name() == "namespace" {
			return dyn.Resource(m.Resource).Namespace(o.GetNamespace())
		}
		return dyn.Resource(m.Resource)
	}
	rbac := map[string]bool{"ServiceAccount": true, "ClusterRole": true, "ClusterRoleBinding": true, "Role": true, "RoleBinding": true}
	for _, obj := range objs {
		o := &unstructured.Unstructured{Object: obj}
		r := res(o)
		_, err := r.Create(ctx, o, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		assert.NoError(t, err, "%s %s", o.GetKind(), o.GetName())
		if rbac[o.GetKind()] {
			_, err = r.Create(ctx, o, metav1.CreateOptions{})
			require.NoError(t, err)
			if o.GetNamespace() == "" {
				t.Cleanup(func() { _ = r.Delete(context.Background(), o.GetName(), metav1.DeleteOptions{}) })
			}
		}
	}

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	as := func(component string) (*storage.Set, *rest.Config, kubernetes.Interface) {
		cfg := k.ConfigForToken(k.ServiceAccountToken(t, relNS, release+"-appconnector-"+component))
		s, cleanup := storage.OpenKubernetes(ctx, cfg, secNS, logger)
		t.Cleanup(cleanup)
		cs, err := kubernetes.NewForConfig(cfg)
		require.NoError(t, err)
		return s, cfg, cs
	}
	forbidden := func(err error, what string) {
		assert.True(t, apierrors.IsForbidden(err), "%s: want Forbidden, got %v", what, err)
	}
	newSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "x"}}
	app := release + "-app"

	t.Run("management-api", func(t *testing.T) {
		s, _, _ := as("management-api")
		apps, err := storage.ProvideApplications(s)
		require.NoError(t, err)
		_, _, err = apps.Put(ctx, application.Application{Name: app})
		require.NoError(t, err)
		t.Cleanup(func() { _ = apps.Delete(context.Background(), app) })
		secrets, err := storage.ProvideSecrets(s)
		require.NoError(t, err)
		_, _, err = secrets.Put(ctx, credential.Secret{Name: "basic", Data: map[string][]byte{"username": []byte("u")}})
		require.NoError(t, err)
		tokens, err := storage.ProvideTokens(s)
		require.NoError(t, err)
		_, tok, err := pairing.New(rand.Reader, app, time.Now(), time.Minute)
		require.NoError(t, err)
		require.NoError(t, tokens.Put(ctx, tok))
		_, err = storage.ProvideRevocations(s)
		require.NoError(t, err)
	})
	t.Run("connector", func(t *testing.T) {
		s, cfg, cs := as("connector")
		for _, open := range []func() error{
			func() error { _, err := storage.ProvideApplications(s); return err },
			func() error { _, err := storage.ProvideTokens(s); return err },
		} {
			require.NoError(t, open())
		}
		revocations, err := storage.ProvideRevocations(s)
		require.NoError(t, err)
		require.NoError(t, revocations.Revoke(ctx, certificate.Fingerprint{1}, time.Now().Add(time.Hour)))
		_, _, err = kubeadapter.LoadOrCreateCA(ctx, cfg, secNS, "appconnector-ca", nil)
		require.NoError(t, err, "the connector creates the CA")
		_, err = cs.CoreV1().Secrets(secNS).List(ctx, metav1.ListOptions{})
		forbidden(err, "connector lists credential Secrets")
		dynConnector, err := dynamic.NewForConfig(cfg)
		require.NoError(t, err)
		_, err = dynConnector.Resource(compassConnections).List(ctx, metav1.ListOptions{})
		forbidden(err, "connector reads the CompassConnection")
	})
	t.Run("validator", func(t *testing.T) {
		s, cfg, cs := as("validator")
		_, err := storage.ProvideApplications(s)
		require.NoError(t, err)
		revocations, err := storage.ProvideRevocations(s)
		require.NoError(t, err)
		forbidden(revocations.Revoke(ctx, certificate.Fingerprint{2}, time.Now().Add(time.Hour)), "validator revokes")
		_, _, err = kubeadapter.LoadOrCreateCA(ctx, cfg, secNS, "appconnector-ca", nil)
		require.NoError(t, err, "the validator reads the connector's CA")
		_, err = cs.CoreV1().Secrets(secNS).Get(ctx, "basic", metav1.GetOptions{})
		forbidden(err, "validator reads a credential Secret")
	})
	t.Run("runtime-agent", func(t *testing.T) {
		s, cfg, cs := as("runtime-agent")
		admin := k.Client(t)

		// Compass Applications and their credential Secrets, through the same stores the
		// agent writes them with (informers: list and watch).
		apps, err := storage.ProvideApplications(s)
		require.NoError(t, err)
		_, _, err = apps.Put(ctx, application.Application{Name: app + "-compass"})
		require.NoError(t, err)
		require.NoError(t, apps.Delete(ctx, app+"-compass"))
		secrets, err := storage.ProvideSecrets(s)
		require.NoError(t, err)
		_, _, err = secrets.Put(ctx, credential.Secret{Name: "compass-credentials", Data: map[string][]byte{"username": []byte("u")}})
		require.NoError(t, err)

		// Its own certificate Secret: created at pairing, replaced at renewal, removed when
		// the connection is reset.
		cert, err := cs.CoreV1().Secrets(secNS).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "cluster-client-certificates"},
			Data: map[string][]byte{"crt": []byte("c")}}, metav1.CreateOptions{})
		require.NoError(t, err)
		cert.Data["crt"] = []byte("renewed")
		_, err = cs.CoreV1().Secrets(secNS).Update(ctx, cert, metav1.UpdateOptions{})
		require.NoError(t, err)
		require.NoError(t, cs.CoreV1().Secrets(secNS).Delete(ctx, cert.Name, metav1.DeleteOptions{}))

		// The cluster-scoped CompassConnection, through the agent's store: an informer
		// (list, watch), created at pairing, its status written in the same update
		// (the CRD has no status subresource), deleted on reset.
		conns, err := kubeadapter.NewCompassConnectionStore(ctx, cfg, logger)
		require.NoError(t, err)
		t.Cleanup(conns.Close)
		conn, err := conns.Create(ctx, compass.Connection{Name: compass.ConnectionName,
			Spec: compass.Spec{ManagementInfo: compass.ManagementInfo{ConnectorURL: "https://connector", DirectorURL: "https://director"}}})
		require.NoError(t, err)
		t.Cleanup(func() { _ = conns.Delete(context.Background()) })
		conn.Status.ConnectionState = compass.StateConnected
		conn.Status.ConnectionStatus = &compass.ConnectionStatus{}
		_, err = conns.Update(ctx, conn)
		require.NoError(t, err)
		// Read back from the API server, not the store's cache: were the CRD to gain a
		// status subresource, the update above would drop the status silently and the
		// Role would need compassconnections/status.
		dynAdmin, err := dynamic.NewForConfig(k.Config())
		require.NoError(t, err)
		stored, err := dynAdmin.Resource(compassConnections).Get(ctx, compass.ConnectionName, metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, string(compass.StateConnected), dig(stored.Object, "status", "connectionState"), "the status is written with the object")
		require.NoError(t, conns.Delete(ctx))
		// The informers survive a refused watch by relisting, slowly: ask for the watches.
		dynAgent, err := dynamic.NewForConfig(cfg)
		require.NoError(t, err)
		w, err := dynAgent.Resource(compassConnections).Watch(ctx, metav1.ListOptions{})
		require.NoError(t, err, "the runtime agent watches the CompassConnection")
		w.Stop()
		w, err = cs.CoreV1().Secrets(secNS).Watch(ctx, metav1.ListOptions{})
		require.NoError(t, err, "the runtime agent watches the Secrets")
		w.Stop()

		// Leader election as the agent does it (adapters/kubernetes RunAsLeader wraps this
		// client-go elector on a LeaseLock): the Lease is created, renewed and
		// released on cancel with nothing but get, create and update.
		const leaseName = "appconnector-runtime-agent"
		leading := make(chan struct{})
		elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock: &resourcelock.LeaseLock{
				LeaseMeta:  metav1.ObjectMeta{Namespace: secNS, Name: leaseName},
				Client:     cs.CoordinationV1(),
				LockConfig: resourcelock.ResourceLockConfig{Identity: "agent-0"},
			},
			LeaseDuration:   3 * time.Second,
			RenewDeadline:   2 * time.Second,
			RetryPeriod:     200 * time.Millisecond,
			ReleaseOnCancel: true,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(context.Context) { close(leading) },
				OnStoppedLeading: func() {},
			},
		})
		require.NoError(t, err)
		electCtx, stopElection := context.WithCancel(ctx)
		elected := make(chan struct{})
		go func() { defer close(elected); elector.Run(electCtx) }()
		t.Cleanup(func() { stopElection(); <-elected })
		select {
		case <-leading:
		case <-time.After(30 * time.Second):
			t.Fatal("the runtime agent did not acquire its Lease (get and create)")
		}
		lease, err := admin.CoordinationV1().Leases(secNS).Get(ctx, leaseName, metav1.GetOptions{})
		require.NoError(t, err)
		acquired := lease.Spec.RenewTime.Time
		require.Eventually(t, func() bool {
			l, err := admin.CoordinationV1().Leases(secNS).Get(ctx, leaseName, metav1.GetOptions{})
			return err == nil && l.Spec.RenewTime.After(acquired)
		}, 30*time.Second, 50*time.Millisecond, "the runtime agent does not renew its Lease (update)")
		stopElection()
		<-elected
		lease, err = admin.CoordinationV1().Leases(secNS).Get(ctx, leaseName, metav1.GetOptions{})
		require.NoError(t, err)
		assert.Empty(t, lease.Spec.HolderIdentity, "the Lease is released on shutdown (update)")

		_, err = cs.CoordinationV1().Leases(secNS).Get(ctx, "another-lease", metav1.GetOptions{})
		forbidden(err, "runtime agent reads another Lease")
		_, err = cs.CoordinationV1().Leases(secNS).List(ctx, metav1.ListOptions{})
		forbidden(err, "runtime agent lists Leases")
		_, err = cs.CoreV1().Secrets(relNS).List(ctx, metav1.ListOptions{})
		forbidden(err, "runtime agent reads Secrets of another namespace")
		_, err = cs.CoreV1().Secrets(relNS).Create(ctx, newSecret, metav1.CreateOptions{})
		forbidden(err, "runtime agent writes a Secret in another namespace")
		_, err = cs.CoreV1().ConfigMaps(secNS).List(ctx, metav1.ListOptions{})
		forbidden(err, "runtime agent reads ConfigMaps (tokens, revocations)")
		_, err = cs.CoreV1().ConfigMaps(secNS).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
		forbidden(err, "runtime agent writes a ConfigMap")
		_, err = cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		forbidden(err, "runtime agent lists nodes (the reference's metrics logger does, this agent does not)")
	})
	t.Run("gateway", func(t *testing.T) {
		s, _, cs := as("gateway")
		apps, err := storage.ProvideApplications(s)
		require.NoError(t, err)
		_, err = storage.ProvideSecrets(s)
		require.NoError(t, err)
		_, _, err = apps.Put(ctx, application.Application{Name: app + "-gw"})
		forbidden(err, "gateway writes an Application")
		_, err = cs.CoreV1().Secrets(secNS).Create(ctx, newSecret, metav1.CreateOptions{})
		forbidden(err, "gateway writes a Secret")
		_, err = cs.CoreV1().Secrets(relNS).List(ctx, metav1.ListOptions{})
		forbidden(err, "gateway reads Secrets of another namespace")
	})
}
