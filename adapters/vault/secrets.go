package vault

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/appconnector/appconnector/adapters/internal/watchhub"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.SecretStore = (*SecretStore)(nil)

// DefaultPollInterval is how often a watched store looks for changes made outside it.
const DefaultPollInterval = 5 * time.Second

// SecretStoreConfig configures NewSecretStore.
type SecretStoreConfig struct {
	// Mount is the path of the KV version 2 engine; default "secret".
	Mount string
	// Prefix is the folder under the mount that holds one entry per Secret; default
	// "appconnector/secrets". Nothing else should live there.
	Prefix string
	// PollInterval is how often Watch looks for changes made by others; default
	// DefaultPollInterval.
	PollInterval time.Duration
	// Logger receives debug and warning messages: names, versions and counts, never a
	// value. Nil discards them.
	Logger *slog.Logger
}

// SecretStore is a ports.SecretStore over a Vault KV version 2 engine. See the package
// documentation for the layout and the consistency it gives.
type SecretStore struct {
	api      *Client
	data     string // "<mount>/data/<prefix>/"
	meta     string // "<mount>/metadata/<prefix>/"
	interval time.Duration
	log      *slog.Logger
	hub      *watchhub.Hub[credential.Secret]

	// mu serialises this instance's writes with the publication of their events and
	// guards the watch state below.
	mu sync.Mutex
	// polling is set once the first Watch started the poller; only then is cache kept.
	polling bool
	cache   map[string]entry
	// seq counts local writes; touched records the seq of the last local write of a
	// name, so a poll that began before that write does not undo it.
	seq     uint64
	touched map[string]uint64
	synced  chan struct{}
	failing bool

	stop      context.CancelFunc
	stopped   chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

type entry struct {
	s credential.Secret // ResourceVersion set; never modified once stored
	v version
}

// NewSecretStore returns a store over c. It makes no request; the first Watch starts a
// poller that runs until Close.
func NewSecretStore(c *Client, cfg SecretStoreConfig) (*SecretStore, error) {
	mount := strings.Trim(cmpOr(cfg.Mount, "secret"), "/")
	prefix := strings.Trim(cmpOr(cfg.Prefix, "appconnector/secrets"), "/")
	for _, seg := range strings.Split(mount+"/"+prefix, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return nil, fmt.Errorf("vault: mount %q and prefix %q must be paths without empty, . or .. segments", cfg.Mount, cfg.Prefix)
		}
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &SecretStore{
		api:      c,
		data:     mount + "/data/" + prefix + "/",
		meta:     mount + "/metadata/" + prefix + "/",
		interval: cfg.PollInterval,
		log:      cfg.Logger.With("component", "vault-secrets", "path", mount+"/"+prefix),
		hub:      watchhub.New(credential.Secret.DeepCopy),
		synced:   make(chan struct{}),
		closed:   make(chan struct{}),
	}, nil
}

// checkName refuses names that are not one path segment: they would land in another
// folder and never be listed.
func checkName(op, name string) error {
	if name == "" {
		return fmt.Errorf("%s: name is empty: %w", op, credential.ErrInvalid)
	}
	if strings.Contains(name, "/") || name == "." || name == ".." {
		return fmt.Errorf("%s %q: a name must not contain '/' or be . or ..: %w", op, name, credential.ErrInvalid)
	}
	return nil
}

// Get implements ports.SecretStore. It reads Vault, so it sees writes of every instance.
func (s *SecretStore) Get(ctx context.Context, name string) (credential.Secret, error) {
	op := "get secret " + name
	if err := checkName("get secret", name); err != nil {
		return credential.Secret{}, fmt.Errorf("%s: %w", op, credential.ErrNotFound)
	}
	e, found, err := s.read(ctx, name)
	if err != nil {
		return credential.Secret{}, err
	}
	if !found {
		return credential.Secret{}, fmt.Errorf("%s: %w", op, credential.ErrNotFound)
	}
	return e.s.DeepCopy(), nil
}

// List implements ports.SecretStore: one LIST and one read per Secret, eight at a time.
func (s *SecretStore) List(ctx context.Context) ([]credential.Secret, error) {
	names, err := s.names(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]credential.Secret, len(names))
	found := make([]bool, len(names))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, n := range names {
		g.Go(func() error {
			e, ok, err := s.read(gctx, n)
			out[i], found[i] = e.s, ok
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	res := out[:0]
	for i := range out {
		// Deleted between the LIST and the read.
		if found[i] {
			res = append(res, out[i])
		}
	}
	return res, nil
}

// Put implements ports.SecretStore. It writes with check-and-set on the KV version it
// read just before, so a concurrent writer elsewhere cannot be overwritten unseen: with
// a ResourceVersion that is a conflict, without one the Put reads again and retries.
func (s *SecretStore) Put(ctx context.Context, sec credential.Secret) (credential.Secret, bool, error) {
	if err := checkName("put secret", sec.Name); err != nil {
		return credential.Secret{}, false, err
	}
	name, op := sec.Name, "put secret "+sec.Name
	fields, err := encodeFields(sec)
	if err != nil {
		return credential.Secret{}, false, fmt.Errorf("%s: %w", op, err)
	}
	var want version
	if sec.ResourceVersion != "" {
		var ok bool
		if want, ok = parseRV(sec.ResourceVersion); !ok {
			return credential.Secret{}, false, fmt.Errorf("%s: resource version %q is not one this store issued: %w", op, sec.ResourceVersion, credential.ErrConflict)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 1; ; attempt++ {
		cur, err := s.readMeta(ctx, name)
		if err != nil {
			return credential.Secret{}, false, err
		}
		exists := cur.n > 0 && !cur.gone
		if sec.ResourceVersion != "" {
			if !exists {
				return credential.Secret{}, false, fmt.Errorf("%s: resource version %s given but the secret does not exist: %w", op, sec.ResourceVersion, credential.ErrConflict)
			}
			if !cur.equal(want) {
				return credential.Secret{}, false, fmt.Errorf("%s: resource version %s is not current (%s): %w", op, sec.ResourceVersion, cur.rv(), credential.ErrConflict)
			}
		}
		resp, err := s.api.api.Logical().WriteWithContext(ctx, s.data+name, map[string]any{
			"options": map[string]any{"cas": cur.n},
			"data":    fields,
		})
		if isCASMismatch(err) {
			if sec.ResourceVersion != "" || attempt == 5 {
				return credential.Secret{}, false, fmt.Errorf("%s: written concurrently by someone else: %w", op, credential.ErrConflict)
			}
			continue
		}
		if err != nil {
			return credential.Secret{}, false, vaultError(op, err)
		}
		if resp == nil {
			return credential.Secret{}, false, fmt.Errorf("%s: Vault returned no version", op)
		}
		n, err := toInt64(resp.Data["version"])
		if err != nil {
			return credential.Secret{}, false, fmt.Errorf("%s: Vault returned no version", op)
		}
		vi, err := parseVersionInfo(n, resp.Data)
		if err != nil {
			return credential.Secret{}, false, fmt.Errorf("%s: %w", op, err)
		}
		stored := sec.DeepCopy()
		stored.ResourceVersion = vi.rv()
		s.log.Debug("put secret", "name", name, "version", vi.n, "created", !exists)
		s.commitLocked(name, &entry{s: stored, v: vi.version})
		return stored.DeepCopy(), !exists, nil
	}
}

// Delete implements ports.SecretStore. It deletes the metadata, which removes every
// version. An entry whose current version was soft-deleted outside appconnector does not
// exist for this store: Delete purges it and reports credential.ErrNotFound.
func (s *SecretStore) Delete(ctx context.Context, name string) error {
	op := "delete secret " + name
	if err := checkName("delete secret", name); err != nil {
		return fmt.Errorf("%s: %w", op, credential.ErrNotFound)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.readMeta(ctx, name)
	if err != nil {
		return err
	}
	if cur.n == 0 {
		return fmt.Errorf("%s: %w", op, credential.ErrNotFound)
	}
	if _, err := s.api.api.Logical().DeleteWithContext(ctx, s.meta+name); err != nil {
		return vaultError(op, err)
	}
	s.log.Debug("deleted secret", "name", name, "version", cur.n)
	s.commitLocked(name, nil)
	if cur.gone {
		return fmt.Errorf("%s: %w", op, credential.ErrNotFound)
	}
	return nil
}

// commitLocked records a local write (e nil: a delete) in the cache and publishes it.
// s.mu must be held, so events go out in the order of the writes.
func (s *SecretStore) commitLocked(name string, e *entry) {
	if !s.polling {
		return
	}
	s.seq++
	s.touched[name] = s.seq
	s.applyLocked(name, e)
}

// applyLocked moves the cache of name to e and publishes the change, if any.
func (s *SecretStore) applyLocked(name string, e *entry) {
	old, had := s.cache[name]
	if e == nil {
		if had {
			delete(s.cache, name)
			// Watchers that never saw the Secret get no delete.
			s.hub.Publish(ports.Event[credential.Secret]{Type: ports.EventDelete, Name: name, Object: old.s})
		}
		return
	}
	if had && old.v.equal(e.v) {
		return
	}
	s.cache[name] = *e
	s.hub.Publish(ports.Event[credential.Secret]{Type: ports.EventPut, Name: name, Object: e.s})
}

// Watch implements ports.SecretStore. The first call starts the poller and waits (as
// long as ctx allows) until it has read the store once; while Vault is down that takes
// until it is back. Writes through this instance are delivered at once and in order;
// changes made elsewhere (another replica, the Vault CLI) within one poll interval, as
// the latest state of each Secret. The channel stays open while Vault is unavailable and
// catches up when it is back; it closes when ctx is done or the store is closed.
func (s *SecretStore) Watch(ctx context.Context) (<-chan ports.Event[credential.Secret], error) {
	if err := s.startPolling(); err != nil {
		return nil, err
	}
	select {
	case <-s.synced:
	case <-ctx.Done():
		return nil, fmt.Errorf("watch secrets: waiting for the first read of Vault: %w", ctx.Err())
	case <-s.closed:
		return nil, fmt.Errorf("watch secrets: %w", watchhub.ErrClosed)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.cache))
	for n := range s.cache {
		names = append(names, n)
	}
	slices.Sort(names)
	snapshot := make([]ports.Event[credential.Secret], len(names))
	for i, n := range names {
		snapshot[i] = ports.Event[credential.Secret]{Type: ports.EventPut, Name: n, Object: s.cache[n].s}
	}
	ch, err := s.hub.Subscribe(ctx, snapshot)
	if err != nil {
		return nil, fmt.Errorf("watch secrets: %w", err)
	}
	return ch, nil
}

// Ready reports whether the store can serve its watchers: nil once the poller has read
// Vault once, an error wrapping ErrUnavailable before that. It stays nil through later
// outages, during which the watchers keep what they have. A store nobody watches reads
// Vault on every call and keeps no state, so it is ready from the start.
func (s *SecretStore) Ready(context.Context) error {
	s.mu.Lock()
	polling := s.polling
	s.mu.Unlock()
	if !polling {
		return nil
	}
	select {
	case <-s.synced:
		return nil
	default:
		return fmt.Errorf("vault secrets: %w: not read from Vault yet", ErrUnavailable)
	}
}

// Close stops the poller and closes every watch channel. Reads and writes keep working;
// the Client stays open.
func (s *SecretStore) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.mu.Lock()
		stop, stopped := s.stop, s.stopped
		s.mu.Unlock()
		if stop != nil {
			stop()
			<-stopped
		}
		s.hub.Close()
	})
}

func (s *SecretStore) startPolling() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closed:
		return fmt.Errorf("watch secrets: %w", watchhub.ErrClosed)
	default:
	}
	if s.polling {
		return nil
	}
	s.polling = true
	s.cache = map[string]entry{}
	s.touched = map[string]uint64{}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.stopped = cancel, make(chan struct{})
	go s.pollLoop(ctx)
	return nil
}

// names lists the Secrets: one LIST of the prefix's metadata.
func (s *SecretStore) names(ctx context.Context) ([]string, error) {
	resp, err := s.api.api.Logical().ListWithContext(ctx, strings.TrimSuffix(s.meta, "/"))
	if err != nil {
		return nil, vaultError("list secrets", err)
	}
	if resp == nil {
		return nil, nil
	}
	raw, _ := resp.Data["keys"].([]any)
	names := make([]string, 0, len(raw))
	for _, k := range raw {
		// Sub-folders ("x/") are not Secrets of this store.
		if n, ok := k.(string); ok && !strings.HasSuffix(n, "/") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names, nil
}

// read reads the current version of one Secret.
func (s *SecretStore) read(ctx context.Context, name string) (entry, bool, error) {
	op := "get secret " + name
	resp, err := s.api.api.Logical().ReadWithContext(ctx, s.data+name)
	if err != nil {
		return entry{}, false, vaultError(op, err)
	}
	if resp == nil || resp.Data == nil {
		return entry{}, false, nil
	}
	fields, _ := resp.Data["data"].(map[string]any)
	meta, _ := resp.Data["metadata"].(map[string]any)
	if meta == nil {
		return entry{}, false, fmt.Errorf("%s: no metadata in Vault's answer; is %s a KV version 2 engine?", op, strings.SplitN(s.data, "/", 2)[0])
	}
	n, err := toInt64(meta["version"])
	if err != nil {
		return entry{}, false, fmt.Errorf("%s: Vault returned no version", op)
	}
	vi, err := parseVersionInfo(n, meta)
	if err != nil {
		return entry{}, false, fmt.Errorf("%s: %w", op, err)
	}
	if vi.gone {
		return entry{}, false, nil
	}
	sec, err := decodeFields(name, fields)
	if err != nil {
		return entry{}, false, fmt.Errorf("%s: %w", op, err)
	}
	sec.ResourceVersion = vi.rv()
	return entry{s: sec, v: vi.version}, true, nil
}

// readMeta returns the current version of name, n == 0 if there is no entry at all.
// It transfers no value, which makes it the cheap way to learn whether a Secret changed.
func (s *SecretStore) readMeta(ctx context.Context, name string) (versionInfo, error) {
	op := "read metadata of secret " + name
	resp, err := s.api.api.Logical().ReadWithContext(ctx, s.meta+name)
	if err != nil {
		return versionInfo{}, vaultError(op, err)
	}
	if resp == nil || resp.Data == nil {
		return versionInfo{}, nil
	}
	n, err := toInt64(resp.Data["current_version"])
	if err != nil {
		return versionInfo{}, fmt.Errorf("%s: no current_version; is this a KV version 2 engine?", op)
	}
	if n == 0 {
		return versionInfo{}, nil
	}
	versions, _ := resp.Data["versions"].(map[string]any)
	vm, _ := versions[strconv.FormatInt(n, 10)].(map[string]any)
	if vm == nil {
		return versionInfo{}, fmt.Errorf("%s: current version %d is missing from the version list", op, n)
	}
	vi, err := parseVersionInfo(n, vm)
	if err != nil {
		return versionInfo{}, fmt.Errorf("%s: %w", op, err)
	}
	return vi, nil
}
