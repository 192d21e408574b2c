package serveflags

import (
	"errors"
	"flag"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/adapters/vault"
)

func TestSecretsStoreDefaultsToTheMainStore(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"--secrets-store=default"}, {"--secrets-store=embedded"}, {"--store=kubernetes", "--secrets-store=kubernetes"}} {
		f, err := parse(t, args, nil)
		require.NoError(t, err)
		assert.Empty(t, f.Validate(), "%v", args)
		assert.Equal(t, storage.SecretsDefault, StoreConfig(f.Flags).Secrets, "%v", args)
	}
	f, err := parse(t, []string{"--secrets-store=kubernetes"}, nil)
	require.NoError(t, err)
	assert.EqualError(t, errors.Join(f.Validate()...), `--secrets-store must be default (the store of --store, embedded) or vault, got "kubernetes"`)
}

func TestVaultFlagsAndEnvironmentReachTheStoreConfig(t *testing.T) {
	t.Parallel()
	f, err := parse(t, []string{"--vault-mount=kv", "--vault-prefix=team/creds", "--vault-auth=approle", "--vault-role-id=r1",
		"--vault-secret-id-file=/run/sid", "--vault-addr=https://vault.example:8200"},
		map[string]string{"APPCONNECTOR_SECRETS_STORE": "vault", "APPCONNECTOR_VAULT_POLL_INTERVAL": "2s"})
	require.NoError(t, err)
	require.Empty(t, f.Validate())
	c := StoreConfig(f.Flags)
	assert.Equal(t, storage.SecretsVault, c.Secrets)
	assert.Equal(t, vault.SecretStoreConfig{Mount: "kv", Prefix: "team/creds", PollInterval: 2 * time.Second}, c.Vault.Secrets)
	assert.Equal(t, vault.AuthConfig{Method: vault.AuthAppRole, RoleID: "r1", SecretIDFile: "/run/sid",
		ServiceAccountTokenFile: vault.DefaultServiceAccountTokenFile}, c.Vault.Client.Auth)
	assert.Equal(t, "https://vault.example:8200", c.Vault.Client.API.Address)
}

func TestVaultFlagErrorsNameTheFlag(t *testing.T) {
	t.Parallel()
	for args, want := range map[string][]string{
		"--vault-auth=ldap":        {`--vault-auth must be token, approle or kubernetes, got "ldap"`},
		"--vault-auth=approle":     {"--vault-auth approle needs --vault-secret-id-file", "--vault-auth approle needs exactly one of --vault-role-id and --vault-role-id-file"},
		"--vault-auth=kubernetes":  {"--vault-auth kubernetes needs --vault-role"},
		"--vault-poll-interval=0s": {"--vault-poll-interval must be positive"},
		"--secrets-store=consul":   {`--secrets-store must be default (the store of --store, embedded) or vault, got "consul"`},
	} {
		f, err := parse(t, []string{args}, nil)
		require.NoError(t, err)
		var got []string
		for _, e := range f.Validate() {
			got = append(got, e.Error())
		}
		assert.Equal(t, want, got, args)
	}
}

// withoutVault drops the Vault client configuration, which holds what the process's
// VAULT_* variables say, for comparisons of the rest.
func withoutVault(c storage.Config) storage.Config {
	c.Vault = storage.VaultConfig{}
	return c
}

func TestCAVault(t *testing.T) {
	t.Parallel()
	parseC := func(groups Group, args ...string) (Connector, error) {
		var c Connector
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.Register(fs, groups)
		if err := fs.Parse(args); err != nil {
			return c, err
		}
		return c, c.Complete()
	}
	c, err := parseC(AllConnector, "--ca=vault", "--tls-cert=c.pem", "--tls-key=k.pem", "--vault-pki-mount=pki_int", "--vault-pki-issuer=apps", "--vault-pki-role=clients")
	require.NoError(t, err)
	assert.Empty(t, c.Validate())
	assert.True(t, c.UsesVault())
	assert.Equal(t, vault.SignerConfig{Mount: "pki_int", Issuer: "apps", Role: "clients"}, c.SignerConfig())

	c, err = parseC(AllConnector, "--ca=vault", "--connector-tls=false", "--trust-xfcc")
	require.NoError(t, err)
	assert.Empty(t, c.Validate(), "behind an ingress the listeners need no certificate")
	c, err = parseC(Validator|XFCC|CA, "--ca=vault")
	require.NoError(t, err)
	assert.Empty(t, c.Validate(), "the validator only verifies against Vault's chain")

	c, err = parseC(AllConnector, "--ca=vault", "--ca-cert=x.pem", "--ca-key=y.pem")
	require.NoError(t, err)
	all := errors.Join(c.Validate()...).Error()
	assert.Contains(t, all, "--ca vault signs with Vault PKI: drop --ca-cert/--ca-key")
	assert.Contains(t, all, "--ca vault: the connector's TLS listeners need --tls-cert/--tls-key")
	c, err = parseC(AllConnector, "--ca=acme")
	require.NoError(t, err)
	assert.EqualError(t, errors.Join(c.Validate()...), `--ca must be default or vault, got "acme"`)
	c, err = parseC(Tokens)
	require.NoError(t, err)
	assert.Empty(t, c.Validate())
	assert.False(t, c.UsesVault())
}
