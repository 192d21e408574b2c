package connector

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/ports"
)

// appInfo is what the event path needs of an Application.
type appInfo struct {
	name      string
	clientIDs []string
	appType   string
}

func infoOf(a application.Application) appInfo {
	return appInfo{
		name:      a.Name,
		clientIDs: append([]string(nil), a.Spec.ClientIDs()...),
		appType:   a.Labels[event.ApplicationTypeLabel],
	}
}

// appCache mirrors the repository through its Watch. Until the first EventSynced (or
// after the watch broke) lookups fall through to the repository, so the cache can never
// answer from stale or partial data.
type appCache struct {
	repo   ports.ApplicationRepository
	mu     sync.RWMutex
	synced bool
	apps   map[string]appInfo
}

func newAppCache(repo ports.ApplicationRepository) *appCache {
	return &appCache{repo: repo}
}

func (c *appCache) get(ctx context.Context, name string) (appInfo, error) {
	c.mu.RLock()
	if c.synced {
		info, ok := c.apps[name]
		c.mu.RUnlock()
		if !ok {
			return appInfo{}, fmt.Errorf("application %s: %w", name, application.ErrNotFound)
		}
		return info, nil
	}
	c.mu.RUnlock()
	a, err := c.repo.Get(ctx, name)
	if err != nil {
		return appInfo{}, err
	}
	return infoOf(a), nil
}

func (c *appCache) run(ctx context.Context, logger *slog.Logger) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		if err := c.watch(ctx); err != nil {
			logger.Warn("watch applications", "err", err)
		}
		c.mu.Lock()
		c.synced = false
		c.apps = nil
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

func (c *appCache) watch(ctx context.Context) error {
	ch, err := c.repo.Watch(ctx)
	if err != nil {
		return err
	}
	pending := map[string]appInfo{}
	for ev := range ch {
		c.mu.Lock()
		switch ev.Type {
		case ports.EventPut:
			if c.synced {
				c.apps[ev.Name] = infoOf(ev.Object)
			} else {
				pending[ev.Name] = infoOf(ev.Object)
			}
		case ports.EventDelete:
			if c.synced {
				delete(c.apps, ev.Name)
			} else {
				delete(pending, ev.Name)
			}
		case ports.EventSynced:
			c.apps = pending
			c.synced = true
		}
		c.mu.Unlock()
	}
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("watch channel closed")
}
