package vault

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"
)

// pollLoop polls until ctx is done. A failed poll changes nothing: the watchers keep
// their state and the next poll catches up.
func (s *SecretStore) pollLoop(ctx context.Context) {
	defer close(s.stopped)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := s.poll(ctx)
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		wasFailing := s.failing
		s.failing = err != nil
		s.mu.Unlock()
		switch {
		case err != nil && !wasFailing:
			s.log.Warn("watching Vault failed; watchers keep their state and catch up when it is back", "error", err)
		case err != nil:
			s.log.Debug("watching Vault still fails", "error", err)
		case wasFailing:
			s.log.Info("watching Vault works again")
		}
		t.Reset(s.interval)
	}
}

// observation is what one poll learnt about one name; e nil means absent.
type observation struct {
	name string
	e    *entry
}

// poll compares Vault with the cache and publishes the differences. Cost: one LIST, one
// metadata read per Secret already known, one data read per Secret that is new or whose
// version changed. Vault offers no cheaper way to learn the versions of many entries.
func (s *SecretStore) poll(ctx context.Context) error {
	s.mu.Lock()
	start := s.seq
	known := make(map[string]version, len(s.cache))
	for n, e := range s.cache {
		known[n] = e.v
	}
	s.mu.Unlock()

	names, err := s.names(ctx)
	if err != nil {
		return err
	}
	var obs []observation
	checked, read := 0, 0
	for _, name := range names {
		if v, ok := known[name]; ok {
			checked++
			cur, err := s.readMeta(ctx, name)
			if err != nil {
				return err
			}
			if cur.n > 0 && !cur.gone && cur.equal(v) {
				continue
			}
			if cur.n == 0 || cur.gone {
				obs = append(obs, observation{name: name})
				continue
			}
		}
		read++
		e, found, err := s.read(ctx, name)
		if err != nil {
			if ctx.Err() == nil && !isUnavailable(err) {
				// One unreadable entry (edited by hand into something this store cannot
				// decode) must not stop the others from being watched.
				s.log.Warn("skipping secret this poll", "name", name, "error", err)
				continue
			}
			return err
		}
		o := observation{name: name}
		if found {
			o.e = &e
		}
		obs = append(obs, o)
	}
	for _, name := range slices.Sorted(maps.Keys(known)) {
		if _, found := slices.BinarySearch(names, name); !found {
			obs = append(obs, observation{name: name})
		}
	}
	// Changes made elsewhere are published in the order Vault made them, deletions
	// (which leave no time behind) last.
	slices.SortStableFunc(obs, func(a, b observation) int {
		switch {
		case a.e == nil && b.e == nil:
			return cmp.Compare(a.name, b.name)
		case a.e == nil:
			return 1
		case b.e == nil:
			return -1
		}
		return a.e.v.created.Compare(b.e.v.created)
	})

	s.mu.Lock()
	defer s.mu.Unlock()
	changed := 0
	for _, o := range obs {
		if s.touched[o.name] > start {
			// Written by this instance after the poll began: the cache is newer.
			continue
		}
		changed++
		s.applyLocked(o.name, o.e)
	}
	for n, seq := range s.touched {
		if seq <= start {
			delete(s.touched, n)
		}
	}
	select {
	case <-s.synced:
	default:
		close(s.synced)
	}
	s.log.Debug("polled Vault", "secrets", len(names), "metadata_reads", checked, "data_reads", read, "changed", changed)
	return nil
}
