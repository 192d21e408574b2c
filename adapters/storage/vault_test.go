package storage

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/vault"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/internal/realservers"
)

func vaultConfig(t *testing.T, v *realservers.Vault) VaultConfig {
	t.Helper()
	apiCfg := api.DefaultConfig()
	require.NoError(t, apiCfg.Error)
	apiCfg.Address = v.Addr
	tokenFile := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(realservers.VaultRootToken), 0o600))
	return VaultConfig{
		Client:  vault.ClientConfig{API: apiCfg, Auth: vault.AuthConfig{Method: vault.AuthToken, TokenFile: tokenFile}},
		Secrets: vault.SecretStoreConfig{Prefix: "storage-test", PollInterval: 20 * time.Millisecond},
	}
}

// TestSecretsInVault: with SecretsVault the Secrets are Vault's while the Applications
// stay in the embedded store, and the Set is ready only once the watched Secrets have
// been read from Vault.
func TestSecretsInVault(t *testing.T) {
	v := realservers.StartVault(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	s, cleanup, err := Open(ctx, Config{DataDir: DataDir(t.TempDir()), Secrets: SecretsVault, Vault: vaultConfig(t, v)}, logger)
	require.NoError(t, err)
	defer cleanup()

	secrets := must(ProvideSecrets(s))
	require.IsType(t, &vault.SecretStore{}, secrets)
	_, _, err = secrets.Put(ctx, credential.Secret{Name: "orders", Data: map[string][]byte{"password": []byte("p")}})
	require.NoError(t, err)
	assert.Contains(t, v.CLI(t, "kv", "get", "-field=password", "secret/storage-test/orders"), "p")
	_, _, err = must(ProvideApplications(s)).Put(ctx, application.Application{Name: "a"})
	require.NoError(t, err)
	assert.NotContains(t, v.CLI(t, "kv", "list", "secret/storage-test"), "\na\n", "Applications stay in the main store")

	v.Seal(t)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		_, _ = secrets.Watch(ctx)
	}()
	require.Eventually(t, func() bool { return s.Ready(ctx) != nil }, 10*time.Second, 5*time.Millisecond)
	require.ErrorIs(t, s.Ready(ctx), credential.ErrUnavailable)
	v.Unseal(t)
	<-watched
	require.NoError(t, s.Ready(ctx))
}

func TestVaultConfigErrors(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, _, err := Open(context.Background(), Config{DataDir: MemoryDataDir, Secrets: "consul"}, logger)
	assert.ErrorContains(t, err, `--secrets-store must be default or vault, got "consul"`)
	_, _, err = Open(context.Background(), Config{DataDir: MemoryDataDir, Secrets: SecretsVault,
		Vault: VaultConfig{Client: vault.ClientConfig{API: &api.Config{Address: "http://127.0.0.1:1"}, Auth: vault.AuthConfig{Method: "ldap"}}}}, logger)
	assert.ErrorContains(t, err, `unknown auth method "ldap"`)
}
