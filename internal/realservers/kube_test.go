package realservers_test

import (
	"os"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/appconnector/appconnector/internal/realservers"
)

func TestMain(m *testing.M) {
	code := m.Run()
	realservers.StopKube()
	os.Exit(code)
}

func TestKubeAPIServer(t *testing.T) {
	start := time.Now()
	k := realservers.KubeAPIServer(t)
	t.Logf("etcd and kube-apiserver ready with CRDs after %s", time.Since(start))
	ctx := t.Context()

	c := k.Client(t)
	v, err := c.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("server version: %v", err)
	}
	if v.GitVersion != "v1.37.2" {
		t.Errorf("server version %s, want v1.37.2", v.GitVersion)
	}
	if _, err := c.Discovery().ServerResourcesForGroupVersion("applicationconnector.kyma-project.io/v1alpha1"); err != nil {
		t.Fatalf("Application CRD not served: %v", err)
	}

	// RBAC is on: a ServiceAccount without a Role may not read Secrets.
	ns := k.Namespace(t)
	token := k.ServiceAccountToken(t, ns, "nobody")
	sa, err := kubernetes.NewForConfig(k.ConfigForToken(token))
	if err != nil {
		t.Fatal(err)
	}
	_, err = sa.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("service account without a role listed secrets: err = %v, want Forbidden", err)
	}
	// The token authenticates as the ServiceAccount (asking who one is needs no role).
	review, err := sa.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("self subject review: %v", err)
	}
	if want := "system:serviceaccount:" + ns + ":nobody"; review.Status.UserInfo.Username != want {
		t.Errorf("token authenticates as %q, want %q", review.Status.UserInfo.Username, want)
	}

	if again := realservers.KubeAPIServer(t); again != k {
		t.Error("a second call started another API server")
	}
}
