package compass

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	dc "github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

// Runtime label keys the agent reports (compass.md 1.7).
const (
	LabelEventServiceURL = "runtime_eventServiceUrl"
	LabelConsoleURL      = "runtime_consoleUrl"
)

// Config configures the Agent. Zero values get Kyma's defaults.
type Config struct {
	SyncPeriod       time.Duration // a round at least this often; 20s
	MinimalSyncTime  time.Duration // minimal time between two Compass calls; 10s
	RenewalThreshold float64       // renew below this fraction of the validity; 0.3
	// GatewayBaseURL is the base of the Applications' centralGatewayUrl.
	GatewayBaseURL string
	// EventsURL and ConsoleURL are reported as the runtime labels
	// runtime_eventServiceUrl and runtime_consoleUrl; an empty one is not reported.
	EventsURL, ConsoleURL string
	// SkipAppsTLSVerify is copied into every Application's spec.skipVerify.
	SkipAppsTLSVerify bool
	// Secret names; defaults compass-agent-configuration, cluster-client-certificates
	// and ca-certificates.
	ConfigSecret, CertificateSecret, CASecret string
	Now                                       func() time.Time
	Rand                                      io.Reader // for the runtime's keys
	Logger                                    *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.SyncPeriod <= 0 {
		c.SyncPeriod = 20 * time.Second
	}
	if c.MinimalSyncTime <= 0 {
		c.MinimalSyncTime = 10 * time.Second
	}
	if c.RenewalThreshold <= 0 {
		c.RenewalThreshold = 0.3
	}
	if c.ConfigSecret == "" {
		c.ConfigSecret = dc.ConfigurationSecretName
	}
	if c.CertificateSecret == "" {
		c.CertificateSecret = dc.ClusterCertificatesSecretName
	}
	if c.CASecret == "" {
		c.CASecret = dc.CACertificatesSecretName
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Deps are the ports the Agent uses; all are required.
type Deps struct {
	Connections  ports.CompassConnectionStore
	Secrets      ports.SecretStore
	Applications ports.ApplicationRepository
	Connector    ports.CompassConnector
	Director     ports.Director
}

// Agent is the Runtime Agent. Its rounds are serialised: Reconcile may be called
// from several goroutines, one round runs at a time.
type Agent struct {
	cfg    Config
	deps   Deps
	log    *slog.Logger
	policy dc.RenewalPolicy

	mu sync.Mutex // one round at a time

	// usedToken is the SHA-256 of the last token the Connector accepted, hence
	// consumed; only a digest, so the token itself is not kept in memory.
	usedToken atomic.Pointer[[sha256.Size]byte]

	ownMu sync.Mutex
	// own holds the resource versions of the agent's own connection writes, so Run
	// does not start a round for the echo of a write it made.
	own map[string]struct{}
}

// New returns an Agent. A nil dependency is a programming error and panics.
func New(cfg Config, deps Deps) *Agent {
	if deps.Connections == nil || deps.Secrets == nil || deps.Applications == nil || deps.Connector == nil || deps.Director == nil {
		panic("compass.New: nil dependency")
	}
	cfg = cfg.withDefaults()
	return &Agent{
		cfg:    cfg,
		deps:   deps,
		log:    cfg.Logger,
		policy: dc.RenewalPolicy{Threshold: cfg.RenewalThreshold, MinimalSyncTime: cfg.MinimalSyncTime},
		own:    map[string]struct{}{},
	}
}

// Config returns the effective configuration (defaults applied).
func (a *Agent) Config() Config { return a.cfg }

// round is what one Reconcile carries through its steps.
type round struct {
	now       time.Time
	requestID string
	runtime   dc.RuntimeConfig
	// runtimeErr is why the configuration Secret could not be read; the step that
	// needs it reports it in its phase.
	runtimeErr error
	log        *slog.Logger
}

// Reconcile runs one round (compass.md 1.4 steps 1-7): pair when there is no
// connection or it failed, otherwise maintain the certificate and synchronise the
// Applications, each unless rate-limited. The status is written to the store. The
// error is the round's failure (also recorded in the status); failures of single
// Applications are only in the status.
func (a *Agent) Reconcile(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()

	r := &round{now: a.cfg.Now()}
	r.runtime, r.runtimeErr = a.readRuntimeConfig(ctx)
	r.requestID = uuid.NewString()
	if r.runtime.RuntimeID != "" {
		r.requestID = r.runtime.RuntimeID + "_" + r.requestID
	}
	r.log = a.log.With("requestId", r.requestID)

	c, err := a.deps.Connections.Get(ctx)
	switch {
	case errors.Is(err, dc.ErrNotFound):
		return a.pairAndSync(ctx, r, nil)
	case err != nil:
		return fmt.Errorf("read the CompassConnection: %w", err)
	}

	if needsPairing(c) {
		if dc.SkipConnectionSync(c, r.now, a.cfg.MinimalSyncTime) {
			return nil
		}
		return a.pairAndSync(ctx, r, &c)
	}
	// refreshCredentialsNow is a user's request to act now, like resyncNow.
	if !c.Spec.RefreshCredentialsNow && dc.SkipConnectionSync(c, r.now, a.cfg.MinimalSyncTime) {
		return nil
	}
	start := c.Spec
	before := c.Status.ConnectionState

	creds, err := a.maintain(ctx, r, &c)
	if err != nil {
		phase := dc.PhaseMaintenance
		var lost *lostCredentialsError
		if errors.As(err, &lost) {
			// Without a certificate there is nothing to maintain: pair again.
			phase = dc.PhasePairing
		}
		c.SetFailed(r.now, phase, err)
		a.logState(r, before, c)
		if werr := a.write(ctx, r, c, start); werr != nil {
			return errors.Join(err, werr)
		}
		return err
	}
	if !dc.SkipApplicationSync(c, r.now, a.cfg.MinimalSyncTime) {
		err = a.sync(ctx, r, &c, creds)
	}
	a.logState(r, before, c)
	if werr := a.write(ctx, r, c, start); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

// needsPairing: a failed connection pairs again (1.4 step 4), and so does one that was
// created without ever being paired (no state, no status), e.g. by a user's PUT.
func needsPairing(c dc.Connection) bool {
	return c.Status.ConnectionState == dc.StateConnectionFailed ||
		c.Status.ConnectionState == "" && c.Status.ConnectionStatus == nil
}

// pairAndSync pairs (compass.md 1.5), creates or updates the connection and, when
// that worked, goes on with the synchronisation in the same round.
func (a *Agent) pairAndSync(ctx context.Context, r *round, existing *dc.Connection) error {
	var c dc.Connection
	var start dc.Spec
	before := dc.State("")
	if existing != nil {
		c, start, before = *existing, existing.Spec, existing.Status.ConnectionState
	} else {
		c = dc.Connection{Name: dc.ConnectionName}
	}
	creds, err := a.pair(ctx, r, &c)
	if err != nil {
		c.SetFailed(r.now, dc.PhasePairing, err)
	}
	a.logState(r, before, c)
	stored, werr := a.save(ctx, r, c, existing != nil, start)
	if werr != nil || err != nil {
		return errors.Join(err, werr)
	}

	c = stored
	start = stored.Spec
	before = c.Status.ConnectionState
	err = a.sync(ctx, r, &c, creds)
	a.logState(r, before, c)
	if werr := a.write(ctx, r, c, start); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

// save creates the connection or writes it.
func (a *Agent) save(ctx context.Context, r *round, c dc.Connection, exists bool, start dc.Spec) (dc.Connection, error) {
	if exists {
		if err := a.write(ctx, r, c, start); err != nil {
			return dc.Connection{}, err
		}
		return a.deps.Connections.Get(ctx)
	}
	stored, err := a.deps.Connections.Create(ctx, c)
	if err != nil {
		return dc.Connection{}, fmt.Errorf("create the CompassConnection: %w", err)
	}
	a.remember(stored.ResourceVersion)
	return stored, nil
}

// maxWriteAttempts bounds the conflict retries of a status write.
const maxWriteAttempts = 5

// write stores c, the round's result. start is the spec the round began with: on a
// conflict the agent re-reads the connection, keeps what others changed in the spec
// and resets only the flags the round acted on (a resyncNow set by a user during the
// round survives), then writes the round's status and management info again.
func (a *Agent) write(ctx context.Context, r *round, c dc.Connection, start dc.Spec) error {
	resetResync := start.ResyncNow && !c.Spec.ResyncNow
	resetRefresh := start.RefreshCredentialsNow && !c.Spec.RefreshCredentialsNow
	infoChanged := c.Spec.ManagementInfo != start.ManagementInfo
	next := c
	for attempt := 1; ; attempt++ {
		stored, err := a.deps.Connections.Update(ctx, next)
		if err == nil {
			a.remember(stored.ResourceVersion)
			return nil
		}
		if !errors.Is(err, dc.ErrConflict) || attempt == maxWriteAttempts {
			return fmt.Errorf("write the CompassConnection status: %w", err)
		}
		fresh, gerr := a.deps.Connections.Get(ctx)
		if gerr != nil {
			return fmt.Errorf("write the CompassConnection status: re-read after a conflict: %w", gerr)
		}
		if fresh.UID != c.UID {
			// Deleted and created again during the round: the new one is not ours to
			// overwrite; the next round takes it from there.
			r.log.Info("CompassConnection re-created during the round; its result is dropped")
			return nil
		}
		fresh.Status = c.Status
		if infoChanged {
			fresh.Spec.ManagementInfo = c.Spec.ManagementInfo
		}
		if resetResync {
			fresh.Spec.ResyncNow = false
		}
		if resetRefresh {
			fresh.Spec.RefreshCredentialsNow = false
		}
		next = fresh
	}
}

func (a *Agent) remember(rv string) {
	a.ownMu.Lock()
	defer a.ownMu.Unlock()
	if len(a.own) > 64 {
		// Echoes not seen (a store that coalesces events) must not pile up.
		clear(a.own)
	}
	a.own[rv] = struct{}{}
}

// echo reports whether rv is one of the agent's own writes, forgetting it.
func (a *Agent) echo(rv string) bool {
	a.ownMu.Lock()
	defer a.ownMu.Unlock()
	_, ok := a.own[rv]
	delete(a.own, rv)
	return ok
}

func (a *Agent) logState(r *round, before dc.State, c dc.Connection) {
	after := c.Status.ConnectionState
	attrs := []any{"from", string(before), "to", string(after)}
	if cs := c.Status.ConnectionStatus; cs != nil && cs.Error != "" {
		attrs = append(attrs, "error", cs.Error)
	}
	if ss := c.Status.SynchronizationStatus; ss != nil && ss.Error != "" {
		attrs = append(attrs, "syncError", ss.Error)
	}
	if before != after {
		r.log.Info("CompassConnection state changed", attrs...)
	} else if after != dc.StateSynchronized && after != dc.StateConnected {
		r.log.Warn("CompassConnection still failing", attrs...)
	}
}

// readRuntimeConfig reads the configuration Secret (compass.md 1.2). The values are
// checked by the steps that need them.
func (a *Agent) readRuntimeConfig(ctx context.Context) (dc.RuntimeConfig, error) {
	s, err := a.deps.Secrets.Get(ctx, a.cfg.ConfigSecret)
	if errors.Is(err, credential.ErrNotFound) {
		return dc.RuntimeConfig{}, fmt.Errorf("the configuration Secret %q does not exist", a.cfg.ConfigSecret)
	}
	if err != nil {
		return dc.RuntimeConfig{}, fmt.Errorf("read the configuration Secret %q: %w", a.cfg.ConfigSecret, err)
	}
	return dc.RuntimeConfig{
		ConnectorURL: string(s.Data[dc.ConfigKeyConnectorURL]),
		Token:        string(s.Data[dc.ConfigKeyToken]),
		RuntimeID:    string(s.Data[dc.ConfigKeyRuntimeID]),
		Tenant:       string(s.Data[dc.ConfigKeyTenant]),
	}, nil
}

// require names the configuration Secret's key that is missing or empty.
func (a *Agent) require(r *round, keys ...string) error {
	if r.runtimeErr != nil {
		return r.runtimeErr
	}
	for _, k := range keys {
		var v string
		switch k {
		case dc.ConfigKeyConnectorURL:
			v = r.runtime.ConnectorURL
		case dc.ConfigKeyToken:
			v = r.runtime.Token
		case dc.ConfigKeyRuntimeID:
			v = r.runtime.RuntimeID
		case dc.ConfigKeyTenant:
			v = r.runtime.Tenant
		}
		if v == "" {
			return fmt.Errorf("the configuration Secret %q has no %s (missing or empty)", a.cfg.ConfigSecret, k)
		}
	}
	return nil
}
