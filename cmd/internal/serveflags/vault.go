package serveflags

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/adapters/vault"
)

// Vault is where the credential Secrets live (--secrets-store) and how to reach and log
// in to HashiCorp Vault when they live there, or when Vault PKI signs (--ca vault). The
// standard VAULT_* variables (VAULT_ADDR, VAULT_TOKEN, VAULT_CACERT, VAULT_NAMESPACE, …)
// work as in the Vault CLI; the flags win over them.
type Vault struct {
	// SecretsStore is storage.SecretsDefault or storage.SecretsVault once validated.
	SecretsStore  string
	Addr          string
	Mount         string
	Prefix        string
	PollInterval  time.Duration
	Auth          string
	AuthMount     string
	Role          string
	RoleID        string
	RoleIDFile    string
	SecretIDFile  string
	TokenFile     string
	SATokenFile   string
	storeFallback string
}

func (v *Vault) register(fs *flag.FlagSet) {
	fs.StringVar(&v.SecretsStore, "secrets-store", storage.SecretsDefault, "where the credential Secrets live: default (the store of --store) "+
		"or vault (HashiCorp Vault KV version 2, --vault-*; Applications stay in --store)")
	fs.StringVar(&v.Addr, "vault-addr", "", "Vault address (default $VAULT_ADDR, else https://127.0.0.1:8200)")
	fs.StringVar(&v.Mount, "vault-mount", "secret", "path of the KV version 2 engine holding the Secrets")
	fs.StringVar(&v.Prefix, "vault-prefix", "appconnector/secrets", "folder under --vault-mount with one entry per Secret; nothing else may live there")
	fs.DurationVar(&v.PollInterval, "vault-poll-interval", vault.DefaultPollInterval,
		"how often Vault is polled for Secrets changed elsewhere (Vault Community Edition has no change notifications)")
	fs.StringVar(&v.Auth, "vault-auth", string(vault.AuthToken), "how to log in to Vault: token (--vault-token-file, else $VAULT_TOKEN), "+
		"approle (--vault-role-id or --vault-role-id-file, --vault-secret-id-file) or kubernetes (--vault-role, the Pod's ServiceAccount token)")
	fs.StringVar(&v.AuthMount, "vault-auth-mount", "", "path the approle or kubernetes auth method is mounted at (default approle or kubernetes)")
	fs.StringVar(&v.Role, "vault-role", "", "Vault role of --vault-auth kubernetes")
	fs.StringVar(&v.RoleID, "vault-role-id", "", "role id of --vault-auth approle")
	fs.StringVar(&v.RoleIDFile, "vault-role-id-file", "", "file holding the role id of --vault-auth approle")
	fs.StringVar(&v.SecretIDFile, "vault-secret-id-file", "", "file holding the secret id of --vault-auth approle")
	fs.StringVar(&v.TokenFile, "vault-token-file", "", "file holding the token of --vault-auth token, e.g. a Vault Agent sink; read again when the token expires")
	fs.StringVar(&v.SATokenFile, "vault-kubernetes-token-file", vault.DefaultServiceAccountTokenFile, "ServiceAccount token of --vault-auth kubernetes")
}

// complete resolves --secrets-store against --store: naming the main store is the same
// as default.
func (v *Vault) complete(store string) {
	v.storeFallback = store
	if v.SecretsStore == store {
		v.SecretsStore = storage.SecretsDefault
	}
}

// validate checks the Vault settings whether or not they are used: a setting given for
// nothing is a mistake worth hearing about too, and the defaults pass.
func (v Vault) validate() []error {
	var errs []error
	switch v.SecretsStore {
	case storage.SecretsDefault, storage.SecretsVault:
	default:
		errs = append(errs, fmt.Errorf("--secrets-store must be %s (the store of --store, %s) or %s, got %q",
			storage.SecretsDefault, v.storeFallback, storage.SecretsVault, v.SecretsStore))
	}
	if v.PollInterval <= 0 {
		errs = append(errs, errors.New("--vault-poll-interval must be positive"))
	}
	switch vault.AuthMethod(v.Auth) {
	case vault.AuthToken:
	case vault.AuthAppRole:
		if v.SecretIDFile == "" {
			errs = append(errs, errors.New("--vault-auth approle needs --vault-secret-id-file"))
		}
		if (v.RoleID == "") == (v.RoleIDFile == "") {
			errs = append(errs, errors.New("--vault-auth approle needs exactly one of --vault-role-id and --vault-role-id-file"))
		}
	case vault.AuthKubernetes:
		if v.Role == "" {
			errs = append(errs, errors.New("--vault-auth kubernetes needs --vault-role"))
		}
	default:
		errs = append(errs, fmt.Errorf("--vault-auth must be token, approle or kubernetes, got %q", v.Auth))
	}
	return errs
}

// config is the storage's Vault configuration. The client's is read from the VAULT_*
// variables of the process, as the Vault CLI does, then the flags.
func (v Vault) config() storage.VaultConfig {
	apiCfg := api.DefaultConfig()
	if v.Addr != "" {
		apiCfg.Address = v.Addr
	}
	return storage.VaultConfig{
		Client: vault.ClientConfig{API: apiCfg, Auth: vault.AuthConfig{
			Method: vault.AuthMethod(v.Auth), MountPath: v.AuthMount, TokenFile: v.TokenFile,
			RoleID: v.RoleID, RoleIDFile: v.RoleIDFile, SecretIDFile: v.SecretIDFile,
			Role: v.Role, ServiceAccountTokenFile: v.SATokenFile,
		}},
		Secrets: vault.SecretStoreConfig{Mount: v.Mount, Prefix: v.Prefix, PollInterval: v.PollInterval},
	}
}

// The --ca values.
const (
	// CAFiles is the appconnector CA: --ca-cert/--ca-key, the Secret --ca-secret in
	// Kubernetes mode, or generated in --data-dir.
	CAFiles = "default"
	// CAVault has Vault PKI sign client certificates (--vault-pki-*), reached and logged
	// in to as --vault-* say.
	CAVault = "vault"
)

// VaultPKI selects the certificate authority (--ca) and, for Vault PKI, the engine that
// signs. Registered with the CA group.
type VaultPKI struct {
	CA        string
	PKIMount  string
	PKIIssuer string
	PKIRole   string
}

func (p *VaultPKI) register(fs *flag.FlagSet) {
	fs.StringVar(&p.CA, "ca", CAFiles, "who signs client certificates: default (--ca-cert/--ca-key, --ca-secret or --data-dir) "+
		"or vault (Vault PKI's sign-verbatim, --vault-pki-*; caCrt is Vault's chain)")
	fs.StringVar(&p.PKIMount, "vault-pki-mount", "pki", "path of the Vault PKI engine of --ca vault")
	fs.StringVar(&p.PKIIssuer, "vault-pki-issuer", "", "issuer of --vault-pki-mount that signs (default: the mount's default issuer)")
	fs.StringVar(&p.PKIRole, "vault-pki-role", "", "PKI role whose limits apply to --ca vault (sign-verbatim/<role>; default: none)")
}

// UsesVault reports --ca vault.
func (p VaultPKI) UsesVault() bool { return p.CA == CAVault }

// validate checks --ca against the connector's other settings: the listeners' own
// certificate cannot come from a CA whose key is in Vault.
func (p VaultPKI) validate(c Connector) []error {
	switch p.CA {
	case CAFiles, "":
		return nil
	case CAVault:
	default:
		return []error{fmt.Errorf("--ca must be %s or %s, got %q", CAFiles, CAVault, p.CA)}
	}
	var errs []error
	if c.CACert != "" {
		errs = append(errs, errors.New("--ca vault signs with Vault PKI: drop --ca-cert/--ca-key"))
	}
	if c.groups&Listeners != 0 && c.ConnectorTLS && c.TLSCert == "" {
		errs = append(errs, errors.New("--ca vault: the connector's TLS listeners need --tls-cert/--tls-key (e.g. issued by Vault PKI), "+
			"or --connector-tls=false behind an ingress"))
	}
	return errs
}

// SignerConfig is the Vault PKI signer's configuration.
func (p VaultPKI) SignerConfig() vault.SignerConfig {
	return vault.SignerConfig{Mount: p.PKIMount, Issuer: p.PKIIssuer, Role: p.PKIRole}
}
