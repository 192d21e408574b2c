package vault_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appconnector/appconnector/adapters/vault"
	"github.com/appconnector/appconnector/internal/realservers"
)

func TestMain(m *testing.M) {
	code := m.Run()
	realservers.StopKube()
	os.Exit(code)
}

// TestKubernetesLoginAgainstKubeAPIServer: Vault's kubernetes auth method, configured as
// docs/vault.md says (the API server's URL and CA, the JWT of a reviewer ServiceAccount
// bound to system:auth-delegator), verifies a real ServiceAccount token with a real
// TokenReview; a ServiceAccount the role does not bind is refused.
func TestKubernetesLoginAgainstKubeAPIServer(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	reviewer := k.ServiceAccountToken(t, ns, "vault-auth")
	crb, err := k.Client(t).RbacV1().ClusterRoleBindings().Create(t.Context(), &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "vault-auth-delegator-"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "system:auth-delegator"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "vault-auth", Namespace: ns}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = k.Client(t).RbacV1().ClusterRoleBindings().Delete(t.Context(), crb.Name, metav1.DeleteOptions{})
	})
	appToken := k.ServiceAccountToken(t, ns, "appconnector")
	otherToken := k.ServiceAccountToken(t, ns, "someone-else")

	v := realservers.StartVault(t)
	v.CLI(t, "auth", "enable", "kubernetes")
	v.CLI(t, "policy", "write", "kv", writeFile(t, "kv.hcl", kvPolicy))
	v.CLI(t, "write", "auth/kubernetes/config", "kubernetes_host="+k.URL,
		"kubernetes_ca_cert=@"+writeFile(t, "ca.crt", string(k.Config().TLSClientConfig.CAData)),
		"token_reviewer_jwt=@"+writeFile(t, "reviewer.jwt", reviewer), "disable_local_ca_jwt=true")
	v.CLI(t, "write", "auth/kubernetes/role/appconnector", "bound_service_account_names=appconnector",
		"bound_service_account_namespaces="+ns, "token_policies=kv", "token_ttl=1h")

	cfg, rec := apiConfig(t, v)
	c, err := vault.NewClient(t.Context(), vault.ClientConfig{API: cfg, Auth: vault.AuthConfig{
		Method: vault.AuthKubernetes, Role: "appconnector", ServiceAccountTokenFile: writeFile(t, "sa-token", appToken),
	}})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	assert.Equal(t, 1, rec.count("/v1/auth/kubernetes/login"))
	proveAccess(t, c)

	_, err = vault.NewClient(t.Context(), vault.ClientConfig{API: cfg, Auth: vault.AuthConfig{
		Method: vault.AuthKubernetes, Role: "appconnector", ServiceAccountTokenFile: writeFile(t, "other-token", otherToken),
	}})
	require.Error(t, err, "a ServiceAccount the role does not bind")
	assert.NotContains(t, err.Error(), otherToken)
	assert.Contains(t, err.Error(), "permission denied")
}
