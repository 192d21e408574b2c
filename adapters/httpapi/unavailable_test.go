package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/mocks"
	"github.com/appconnector/appconnector/ports"
)

// TestUnavailableCredentialStoreIs503 fails the SecretStore the way the Vault adapter
// does: the client gets 503 naming the reason, never the adapter's paths or anything of
// the Secret it sent.
func TestUnavailableCredentialStoreIs503(t *testing.T) {
	t.Parallel()
	for reason, cause := range map[string]string{
		"sealed":            "Vault is sealed",
		"unreachable":       "Vault unreachable: dial tcp 127.0.0.1:8200: connect: connection refused",
		"permission denied": "permission denied (the token lacks a policy for this path, or expired): 1 error occurred",
	} {
		t.Run(reason, func(t *testing.T) {
			t.Parallel()
			ctrl := gomock.NewController(t)
			store := mocks.NewMockSecretStore(ctrl)
			fail := func(op string) error {
				return fmt.Errorf("%s: secret/data/appconnector/secrets/orders-basic: %w: %s", op, credential.ErrUnavailable, cause)
			}
			store.EXPECT().Put(gomock.Any(), gomock.Any()).Return(credential.Secret{}, false, fail("put secret orders-basic"))
			store.EXPECT().Get(gomock.Any(), "orders-basic").Return(credential.Secret{}, fail("get secret orders-basic"))
			store.EXPECT().List(gomock.Any()).Return(nil, fail("list secrets"))
			store.EXPECT().Delete(gomock.Any(), "orders-basic").Return(fail("delete secret orders-basic"))
			e := newEnv(t, func(_ *httpapi.Config, a ports.ApplicationRepository, _ ports.SecretStore) (ports.ApplicationRepository, ports.SecretStore) {
				return a, store
			})
			for _, req := range []request{
				{method: http.MethodPut, path: "/v1/secrets/orders-basic", body: basicSecret},
				{method: http.MethodGet, path: "/v1/secrets/orders-basic"},
				{method: http.MethodGet, path: "/v1/secrets"},
				{method: http.MethodDelete, path: "/v1/secrets/orders-basic"},
			} {
				r := e.do(t, req)
				require.Equal(t, http.StatusServiceUnavailable, r.status, "%s %s: %s", req.method, req.path, r.body)
				code, msg := r.errorBody(t)
				assert.Equal(t, http.StatusServiceUnavailable, code)
				assert.Equal(t, "credential store unavailable: "+reason+"; retry later", msg)
				assert.Equal(t, "5", r.header.Get("Retry-After"))
				assert.NotContains(t, r.body, "hunter2")
				assert.NotContains(t, r.body, "secret/data")
			}
			// The operator learns the whole cause from the log, still without the value.
			assert.Contains(t, e.logs.String(), cause)
			assert.NotContains(t, e.logs.String(), "hunter2")
		})
	}
}
