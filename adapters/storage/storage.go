// Package storage opens the store a binary runs on, chosen by --store: the embedded store
// (bbolt in --data-dir, the default, or memory for ":memory:"), or Kubernetes (Application
// custom resources, Secrets and the connector's state in the API server). The credential
// Secrets can live in HashiCorp Vault instead (--secrets-store vault), whatever --store
// is. Every binary opens its ports the same way through this package.
package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/google/wire"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/appconnector/appconnector/adapters/bolt"
	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/adapters/vault"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
)

// MemoryDataDir selects the in-memory store: it starts empty and nothing survives a restart.
const MemoryDataDir = ":memory:"

// The --store values.
const (
	Embedded   = "embedded"
	Kubernetes = "kubernetes"
)

// DataDir is the --data-dir value, a distinct type for Wire.
type DataDir string

// EventLogSize is the number of events the embedded event log keeps, a distinct type for
// Wire.
type EventLogSize int

// Config selects and locates the store.
type Config struct {
	// Store is Embedded (default when empty) or Kubernetes.
	Store string
	// DataDir is the embedded store's directory, or MemoryDataDir.
	DataDir DataDir
	// Kubeconfig is a kubeconfig file; empty: in-cluster, else $KUBECONFIG, else
	// ~/.kube/config, as kubectl does.
	Kubeconfig string
	// Namespace holds the credential Secrets and the connector's state in Kubernetes mode.
	Namespace string
	// Secrets is where the credential Secrets live: SecretsDefault (or empty: in Store)
	// or SecretsVault.
	Secrets string
	// Vault is the Vault client and KV store configuration, used with SecretsVault and by
	// Set.VaultClient (the Vault PKI signer).
	Vault VaultConfig
}

// The --secrets-store values.
const (
	SecretsDefault = "default"
	SecretsVault   = "vault"
)

// VaultConfig locates the Vault that holds the Secrets and says how to log in.
type VaultConfig struct {
	Client  vault.ClientConfig
	Secrets vault.SecretStoreConfig
}

// Set is the opened store: every port a binary persists through, all from the same
// backend. In embedded mode every port is open from the start (one data dir holds
// everything, or nothing, for memory); DB is nil for memory. In Kubernetes mode each port
// is opened on first use, so a component starts informers for, and needs RBAC on, only
// what it uses.
type Set struct {
	DB *bolt.DB
	// Kube is the client configuration in Kubernetes mode, nil otherwise.
	Kube *rest.Config
	// Namespace is Config.Namespace in Kubernetes mode.
	Namespace string

	// ctx bounds the initial listing of a Kubernetes port opened during wiring.
	ctx    context.Context
	logger *slog.Logger
	vault  VaultConfig

	vaultMu     sync.Mutex
	vaultClient *vault.Client

	mu          sync.Mutex
	apps        ports.ApplicationRepository
	secrets     ports.SecretStore
	tokens      ports.TokenStore
	revocations ports.RevocationList
	compass     ports.CompassConnectionStore
	closers     []func()
}

// Open opens the store cfg selects and returns it with a cleanup that closes it. ctx
// bounds the initial sync of the Kubernetes informers opened through the Set.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Set, func(), error) {
	var s *Set
	var cleanup func()
	switch cfg.Store {
	case "", Embedded:
		var err error
		if s, cleanup, err = OpenEmbedded(cfg.DataDir, logger); err != nil {
			return nil, nil, err
		}
	case Kubernetes:
		kc, err := KubeConfig(cfg.Kubeconfig)
		if err != nil {
			return nil, nil, err
		}
		s, cleanup = OpenKubernetes(ctx, kc, cfg.Namespace, logger)
	default:
		return nil, nil, fmt.Errorf("--store must be %s or %s, got %q", Embedded, Kubernetes, cfg.Store)
	}
	s.vault = cfg.Vault
	switch cfg.Secrets {
	case "", SecretsDefault:
		return s, s.closeVault(cleanup), nil
	case SecretsVault:
		if err := s.openVaultSecrets(); err != nil {
			s.closeVault(cleanup)()
			return nil, nil, err
		}
		return s, s.closeVault(cleanup), nil
	}
	cleanup()
	return nil, nil, fmt.Errorf("--secrets-store must be %s or %s, got %q", SecretsDefault, SecretsVault, cfg.Secrets)
}

// openVaultSecrets puts the Secrets port on Vault. The Client logs in now, so a wrong
// address, credential or policy stops the binary at start rather than at the first
// request.
func (s *Set) openVaultSecrets() error {
	c, err := s.VaultClient()
	if err != nil {
		return err
	}
	cfg := s.vault.Secrets
	if cfg.Logger == nil {
		cfg.Logger = s.logger
	}
	store, err := vault.NewSecretStore(c, cfg)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.secrets = store
	s.closers = append(s.closers, store.Close)
	s.mu.Unlock()
	s.logger.Info("credential Secrets are in Vault", "addr", c.API().Address(), "mount", cmpOr(cfg.Mount, "secret"), "prefix", cmpOr(cfg.Prefix, "appconnector/secrets"))
	return nil
}

// VaultClient returns the Set's Vault client, logging in on the first call. The Secrets
// store and the Vault PKI signer share it, and so its token.
func (s *Set) VaultClient() (*vault.Client, error) {
	s.vaultMu.Lock()
	defer s.vaultMu.Unlock()
	if s.vaultClient != nil {
		return s.vaultClient, nil
	}
	cfg := s.vault.Client
	if cfg.Logger == nil {
		cfg.Logger = s.logger
	}
	ctx := s.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	c, err := vault.NewClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.vaultClient = c
	return c, nil
}

// closeVault runs cleanup after closing what was opened on Vault: the watchers first,
// then the client that keeps the token alive.
func (s *Set) closeVault(cleanup func()) func() {
	return func() {
		s.close()
		s.vaultMu.Lock()
		if s.vaultClient != nil {
			s.vaultClient.Close()
			s.vaultClient = nil
		}
		s.vaultMu.Unlock()
		cleanup()
	}
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// OpenKubernetes returns the Kubernetes store of the cluster kc points to, with
// namespace for Secrets and the connector's state (kubernetes.DefaultNamespace when
// empty). Ports open on first use; ctx bounds their initial sync.
func OpenKubernetes(ctx context.Context, kc *rest.Config, namespace string, logger *slog.Logger) (*Set, func()) {
	if namespace == "" {
		namespace = kubernetes.DefaultNamespace
	}
	logger.Info("using the Kubernetes store", "host", kc.Host, "namespace", namespace)
	s := &Set{Kube: kc, Namespace: namespace, ctx: ctx, logger: logger}
	return s, s.close
}

// OpenEmbedded opens the embedded store in dir (bbolt, or memory for MemoryDataDir).
func OpenEmbedded(dir DataDir, logger *slog.Logger) (*Set, func(), error) {
	if dir == MemoryDataDir {
		apps, secrets, conn := memory.NewApplicationRepository(), memory.NewSecretStore(), memory.NewCompassConnectionStore()
		logger.Warn("using the in-memory store: it starts empty and nothing survives a restart")
		s := &Set{apps: apps, secrets: secrets, tokens: memory.NewTokenStore(), revocations: memory.NewRevocationList(),
			compass: conn, logger: logger}
		return s, func() { apps.Close(); secrets.Close(); conn.Close() }, nil
	}
	db, err := bolt.Open(string(dir), logger)
	if err != nil {
		return nil, nil, fmt.Errorf("open store in %s: %w", dir, err)
	}
	cleanup := func() {
		if err := db.Close(); err != nil {
			logger.Error("close store", "error", err)
		}
	}
	return &Set{apps: bolt.NewApplicationRepository(db), secrets: bolt.NewSecretStore(db),
		tokens: bolt.NewTokenStore(db), revocations: bolt.NewRevocationList(db), compass: bolt.NewCompassConnectionStore(db),
		DB: db, logger: logger}, cleanup, nil
}

// KubeConfig loads the client configuration: path when set; else the in-cluster
// configuration of a Pod; else $KUBECONFIG or ~/.kube/config with their current context,
// the rules kubectl follows.
func KubeConfig(path string) (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if path == "" {
		cfg, err = rest.InClusterConfig()
	}
	if path != "" || errors.Is(err, rest.ErrNotInCluster) {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		rules.ExplicitPath = path
		cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("kubernetes client configuration (--kubeconfig, in-cluster, $KUBECONFIG or ~/.kube/config): %w", err)
	}
	// client-go's default of 5 requests per second would queue a burst of token
	// redemptions; the API server's own priority and fairness protects it.
	cfg.QPS, cfg.Burst = 50, 100
	return cfg, nil
}

// open returns *port, opening it with fn on first use in Kubernetes mode.
func open[P any](s *Set, port *P, fn func() (P, func(), error)) (P, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var zero P
	if any(*port) != nil {
		return *port, nil
	}
	if s.Kube == nil {
		return zero, errors.New("storage: port not available")
	}
	p, closer, err := fn()
	if err != nil {
		return zero, err
	}
	*port = p
	if closer != nil {
		s.closers = append(s.closers, closer)
	}
	return p, nil
}

func (s *Set) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.closers {
		c()
	}
	s.closers = nil
}

// Ready reports the store usable. Kubernetes ports are open only once their informers
// have listed everything, so there a List answers from a synced cache; in embedded mode
// it exercises the whole read path. Secrets in Vault are ready once watched Secrets have
// been read from Vault once; a later outage does not make the process unready, since
// it keeps serving what it has.
func (s *Set) Ready(ctx context.Context) error {
	s.mu.Lock()
	apps, secrets, conn := s.apps, s.secrets, s.compass
	s.mu.Unlock()
	if r, ok := secrets.(interface{ Ready(context.Context) error }); ok {
		if err := r.Ready(ctx); err != nil {
			return err
		}
	}
	if conn != nil {
		// No connection yet is the normal state of a runtime before pairing.
		if _, err := conn.Get(ctx); err != nil && !errors.Is(err, compass.ErrNotFound) {
			return err
		}
	}
	if apps == nil {
		return nil
	}
	_, err := apps.List(ctx)
	return err
}

// ProvideApplications is the Wire provider of the ApplicationRepository of s.
func ProvideApplications(s *Set) (ports.ApplicationRepository, error) {
	return open(s, &s.apps, func() (ports.ApplicationRepository, func(), error) {
		r, err := kubernetes.NewApplicationRepository(s.ctx, s.Kube, s.logger)
		if err != nil {
			return nil, nil, fmt.Errorf("open applications: %w", err)
		}
		return r, r.Close, nil
	})
}

// ProvideSecrets is the Wire provider of the SecretStore of s.
func ProvideSecrets(s *Set) (ports.SecretStore, error) {
	return open(s, &s.secrets, func() (ports.SecretStore, func(), error) {
		r, err := kubernetes.NewSecretStore(s.ctx, s.Kube, s.Namespace, s.logger)
		if err != nil {
			return nil, nil, fmt.Errorf("open secrets in namespace %s: %w", s.Namespace, err)
		}
		return r, r.Close, nil
	})
}

// ProvideTokens is the Wire provider of the one-time token store of s.
func ProvideTokens(s *Set) (ports.TokenStore, error) {
	return open(s, &s.tokens, func() (ports.TokenStore, func(), error) {
		r, err := kubernetes.NewTokenStore(s.Kube, s.Namespace)
		if err != nil {
			return nil, nil, fmt.Errorf("open tokens in namespace %s: %w", s.Namespace, err)
		}
		return r, nil, nil
	})
}

// ProvideRevocations is the Wire provider of the certificate revocation list of s.
func ProvideRevocations(s *Set) (ports.RevocationList, error) {
	return open(s, &s.revocations, func() (ports.RevocationList, func(), error) {
		r, err := kubernetes.NewRevocationList(s.ctx, s.Kube, s.Namespace, s.logger)
		if err != nil {
			return nil, nil, fmt.Errorf("open revocations in namespace %s: %w", s.Namespace, err)
		}
		return r, r.Close, nil
	})
}

// ProvideCompassConnections is the Wire provider of the CompassConnection store of s
// (the CompassConnection custom resource in Kubernetes mode).
func ProvideCompassConnections(s *Set) (ports.CompassConnectionStore, error) {
	return open(s, &s.compass, func() (ports.CompassConnectionStore, func(), error) {
		r, err := kubernetes.NewCompassConnectionStore(s.ctx, s.Kube, s.logger)
		if err != nil {
			return nil, nil, fmt.Errorf("open the CompassConnection: %w", err)
		}
		return r, r.Close, nil
	})
}

// ProvideEventLog returns an event log of the given size in s's backend: bbolt for a data
// dir; memory otherwise, Kubernetes mode included, where each process keeps its own log
// (forward events with --eventing-url there). Each call on a memory Set makes a new,
// empty log, so call it once per process (Wire does).
func ProvideEventLog(s *Set, size EventLogSize) ports.EventLog {
	if s.DB != nil {
		return bolt.NewEventLog(s.DB, int(size))
	}
	return memory.NewEventLog(int(size))
}

// ProviderSet provides *Set and its Application and Secret ports from a Config.
var ProviderSet = wire.NewSet(Open, ProvideApplications, ProvideSecrets)

// ConnectorSet adds the connector's ports (tokens, revocations, event log) to
// ProviderSet, from the same backend.
var ConnectorSet = wire.NewSet(ProviderSet, ProvideTokens, ProvideRevocations, ProvideEventLog)
