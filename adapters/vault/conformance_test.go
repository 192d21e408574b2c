package vault_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/appconnector/appconnector/adapters/vault"
	"github.com/appconnector/appconnector/internal/realservers"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

func TestSecretStoreConformance(t *testing.T) {
	v := realservers.StartVault(t)
	c, _ := rootClient(t, v, nil)
	n := 0
	porttest.RunSecretStore(t, func(t *testing.T) ports.SecretStore {
		n++
		// A fast poller runs alongside every test, so that polls racing with this
		// instance's writes are exercised: any event they add or reorder fails the suite.
		return newStore(t, c, vault.SecretStoreConfig{Prefix: fmt.Sprintf("conformance/%d", n), PollInterval: 20 * time.Millisecond})
	})
}
