package vault

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/hashicorp/vault/api/auth/approle"
	"github.com/hashicorp/vault/api/auth/kubernetes"
)

// AuthMethod selects how the Client gets its Vault token.
type AuthMethod string

const (
	// AuthToken uses a token as is: from AuthConfig.TokenFile if set, else VAULT_TOKEN
	// (or the token already set in ClientConfig.API's environment).
	AuthToken AuthMethod = "token"
	// AuthAppRole logs in with a role id and a secret id read from a file.
	AuthAppRole AuthMethod = "approle"
	// AuthKubernetes logs in with the pod's ServiceAccount token.
	AuthKubernetes AuthMethod = "kubernetes"
)

// DefaultServiceAccountTokenFile is where Kubernetes mounts a pod's ServiceAccount token.
const DefaultServiceAccountTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// AuthConfig says how to authenticate. Only the fields of Method are used.
type AuthConfig struct {
	// Method defaults to AuthToken.
	Method AuthMethod
	// MountPath is where the auth method is mounted; defaults to "approle" or "kubernetes".
	MountPath string

	// TokenFile (AuthToken) holds the token, for example a Vault Agent sink. It is read
	// again whenever the token can no longer be renewed, so a rotated file is picked up.
	TokenFile string

	// RoleID or RoleIDFile (AuthAppRole) give the role id; SecretIDFile the secret id.
	RoleID       string
	RoleIDFile   string
	SecretIDFile string

	// Role (AuthKubernetes) is the Vault role bound to the ServiceAccount;
	// ServiceAccountTokenFile defaults to DefaultServiceAccountTokenFile.
	Role                    string
	ServiceAccountTokenFile string
}

// ClientConfig configures NewClient.
type ClientConfig struct {
	// API is the Vault client configuration. Nil means api.DefaultConfig(), which reads
	// VAULT_ADDR, VAULT_CACERT, VAULT_CAPATH, VAULT_CLIENT_CERT, VAULT_CLIENT_KEY,
	// VAULT_SKIP_VERIFY, VAULT_TLS_SERVER_NAME, VAULT_MAX_RETRIES, VAULT_CLIENT_TIMEOUT
	// and the other variables of the Vault CLI; VAULT_TOKEN and VAULT_NAMESPACE are read
	// by NewClient in either case.
	API  *api.Config
	Auth AuthConfig
	// Logger receives login and renewal messages (never a token). Nil discards them.
	Logger *slog.Logger
	// MinRetryWait and MaxRetryWait bound the backoff between login attempts once the
	// token could not be renewed any further; defaults 1s and 30s.
	MinRetryWait, MaxRetryWait time.Duration
}

// Client is an authenticated Vault client that keeps its token alive: it renews the
// token before it expires and logs in again when renewal is no longer possible (maximum
// TTL reached, token revoked, Vault was down past the token's expiry). One Client can
// serve several stores.
type Client struct {
	api  *api.Client
	cfg  ClientConfig
	log  *slog.Logger
	auth func(ctx context.Context) (*api.Secret, error)

	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

// NewClient builds the client and logs in once, so a wrong address, credential or
// policy is reported at start. Later failures are retried in the background.
func NewClient(ctx context.Context, cfg ClientConfig) (*Client, error) {
	if cfg.API == nil {
		cfg.API = api.DefaultConfig()
	}
	if cfg.API.Error != nil {
		return nil, fmt.Errorf("vault: configuration from the environment: %w", cfg.API.Error)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MinRetryWait <= 0 {
		cfg.MinRetryWait = time.Second
	}
	if cfg.MaxRetryWait < cfg.MinRetryWait {
		cfg.MaxRetryWait = max(30*time.Second, cfg.MinRetryWait)
	}
	ac, err := api.NewClient(cfg.API)
	if err != nil {
		return nil, fmt.Errorf("vault: new client: %w", err)
	}
	// Only matters behind Enterprise performance standbys: a Get right after a Put must see it.
	ac.SetReadYourWrites(true)
	c := &Client{api: ac, cfg: cfg, log: cfg.Logger.With("component", "vault")}
	if c.auth, err = c.authFunc(); err != nil {
		return nil, err
	}
	secret, err := c.auth(ctx)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done = cancel, make(chan struct{})
	go c.keepAlive(runCtx, secret)
	return c, nil
}

// API returns the underlying client, for adapters in this package and for tests.
func (c *Client) API() *api.Client { return c.api }

// Close stops renewing the token. It does not revoke it: another process may share it.
func (c *Client) Close() {
	c.closeOnce.Do(func() {
		c.cancel()
		<-c.done
	})
}

func (c *Client) authFunc() (func(context.Context) (*api.Secret, error), error) {
	a := c.cfg.Auth
	switch a.Method {
	case "", AuthToken:
		envToken := c.api.Token()
		if a.TokenFile == "" && envToken == "" {
			return nil, errors.New("vault: token auth needs VAULT_TOKEN or a token file")
		}
		return func(ctx context.Context) (*api.Secret, error) {
			token := envToken
			if a.TokenFile != "" {
				b, err := os.ReadFile(a.TokenFile)
				if err != nil {
					return nil, fmt.Errorf("vault: read token file: %w", err)
				}
				token = strings.TrimSpace(string(b))
				if token == "" {
					return nil, fmt.Errorf("vault: token file %s is empty", a.TokenFile)
				}
			}
			return c.useToken(ctx, token)
		}, nil
	case AuthAppRole:
		if a.SecretIDFile == "" || (a.RoleID == "") == (a.RoleIDFile == "") {
			return nil, errors.New("vault: approle auth needs a secret id file and exactly one of role id and role id file")
		}
		mount := cmpOr(a.MountPath, "approle")
		return func(ctx context.Context) (*api.Secret, error) {
			roleID := a.RoleID
			if a.RoleIDFile != "" {
				b, err := os.ReadFile(a.RoleIDFile)
				if err != nil {
					return nil, fmt.Errorf("vault: read role id file: %w", err)
				}
				roleID = strings.TrimSpace(string(b))
			}
			m, err := approle.NewAppRoleAuth(roleID, &approle.SecretID{FromFile: a.SecretIDFile}, approle.WithMountPath(mount))
			if err != nil {
				return nil, fmt.Errorf("vault: approle auth: %w", err)
			}
			return c.login(ctx, "approle", m)
		}, nil
	case AuthKubernetes:
		if a.Role == "" {
			return nil, errors.New("vault: kubernetes auth needs a role")
		}
		mount := cmpOr(a.MountPath, "kubernetes")
		file := cmpOr(a.ServiceAccountTokenFile, DefaultServiceAccountTokenFile)
		return func(ctx context.Context) (*api.Secret, error) {
			// Read per login: the kubelet rotates the projected token file. Trimmed, so a
			// file written by hand with a final newline works too.
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("vault: read ServiceAccount token: %w", err)
			}
			m, err := kubernetes.NewKubernetesAuth(a.Role, kubernetes.WithServiceAccountToken(strings.TrimSpace(string(b))), kubernetes.WithMountPath(mount))
			if err != nil {
				return nil, fmt.Errorf("vault: kubernetes auth: %w", err)
			}
			return c.login(ctx, "kubernetes", m)
		}, nil
	}
	return nil, fmt.Errorf("vault: unknown auth method %q (want token, approle or kubernetes)", a.Method)
}

// login runs an auth method on a token-less copy of the client, so an expired token is
// not sent along, and installs the new token.
func (c *Client) login(ctx context.Context, name string, m api.AuthMethod) (*api.Secret, error) {
	lc, err := c.api.CloneWithHeaders()
	if err != nil {
		return nil, fmt.Errorf("vault: %s login: %w", name, err)
	}
	lc.ClearToken()
	secret, err := lc.Auth().Login(ctx, m)
	if err != nil {
		return nil, vaultError("vault: "+name+" login", err)
	}
	if secret == nil || secret.Auth == nil || secret.Auth.ClientToken == "" {
		return nil, fmt.Errorf("vault: %s login returned no token", name)
	}
	c.api.SetToken(secret.Auth.ClientToken)
	c.log.Info("logged in to Vault", "method", name, "ttl", time.Duration(secret.Auth.LeaseDuration)*time.Second, "renewable", secret.Auth.Renewable)
	return secret, nil
}

// useToken installs a given token and asks Vault about its lifetime.
func (c *Client) useToken(ctx context.Context, token string) (*api.Secret, error) {
	c.api.SetToken(token)
	self, err := c.api.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil {
		return nil, vaultError("vault: look up token", err)
	}
	ttl, err := self.TokenTTL()
	if err != nil {
		return nil, fmt.Errorf("vault: look up token: %w", err)
	}
	renewable, _ := self.TokenIsRenewable()
	c.log.Info("using Vault token", "ttl", ttl, "renewable", renewable)
	return &api.Secret{Auth: &api.SecretAuth{ClientToken: token, LeaseDuration: int(ttl / time.Second), Renewable: renewable}}, nil
}

// keepAlive renews the token until that is no longer possible, then logs in again, until
// Close.
func (c *Client) keepAlive(ctx context.Context, secret *api.Secret) {
	defer close(c.done)
	for {
		c.renewWhilePossible(ctx, secret)
		wait := c.cfg.MinRetryWait
		for {
			if ctx.Err() != nil {
				return
			}
			s, err := c.auth(ctx)
			if err == nil {
				secret = s
				break
			}
			c.log.Warn("Vault login failed, retrying", "error", err, "in", wait)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			wait = min(2*wait, c.cfg.MaxRetryWait)
		}
	}
}

// renewWhilePossible returns when the token needs replacing, or when ctx is done.
func (c *Client) renewWhilePossible(ctx context.Context, secret *api.Secret) {
	auth := secret.Auth
	if auth.LeaseDuration <= 0 {
		// A token without TTL (a root token) never expires.
		<-ctx.Done()
		return
	}
	if !auth.Renewable {
		// Log in again (re-read the token file) at two thirds of its life.
		t := time.NewTimer(time.Duration(auth.LeaseDuration) * time.Second * 2 / 3)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		return
	}
	w, err := c.api.NewLifetimeWatcher(&api.LifetimeWatcherInput{Secret: secret})
	if err != nil {
		c.log.Warn("cannot watch Vault token lifetime", "error", err)
		return
	}
	go w.Start()
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-w.DoneCh():
			if err != nil {
				c.log.Warn("Vault token renewal stopped", "error", vaultError("renew token", err))
			} else {
				c.log.Info("Vault token reached its maximum TTL, logging in again")
			}
			return
		case r := <-w.RenewCh():
			if r != nil && r.Secret != nil && r.Secret.Auth != nil {
				c.log.Debug("renewed Vault token", "ttl", time.Duration(r.Secret.Auth.LeaseDuration)*time.Second)
			}
		}
	}
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
