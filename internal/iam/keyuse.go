package iam

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/keksdev/keks/internal/store"
)

// keyUseInterval is how often, at most, the use of one key (and of one
// role, by its sessions) is noted, and so written to the store. IAM itself
// reports last use only approximately.
const keyUseInterval = time.Minute

// maxTrackedUses bounds the uses kept in memory; when it is reached, uses
// older than keyUseForgetAfter are dropped (they are in the store if Run
// wrote them).
const (
	maxTrackedUses     = 1 << 16
	keyUseForgetAfter  = time.Hour
	sessionKeyIDPrefix = "ASIA"
)

// RecordKeyUse notes that a key signed a request for service in region:
// GetAccessKeyLastUsed reports it for a user's key, and GetRole's
// RoleLastUsed for a session's role. The front door calls it on every
// signed request, so it costs a map lookup: a key's use is noted at most
// once a minute, in memory, and written to the store by Run's goroutine,
// never on the caller's time. (A session's key is read once a minute to
// learn its role.) Without Run, uses stay in memory: this process still
// answers with them, and nothing is written.
func (s *Service) RecordKeyUse(ctx context.Context, accessKeyID, service, region string) {
	if accessKeyID == "" {
		return
	}
	use := KeyLastUsed{Date: s.Now().UTC(), Service: service, Region: region}
	if !s.keyUse.noteKey(accessKeyID, use) {
		return
	}
	if strings.HasPrefix(accessKeyID, sessionKeyIDPrefix) {
		var k AccessKey
		if _, err := s.Store.Get(ctx, keyKey(accessKeyID), &k); err == nil && k.Session != nil && k.Session.RoleARN != "" {
			s.keyUse.noteRole(roleNameOf(k.Session.RoleARN), k.Session.RoleID, use)
		}
	}
	s.keyUse.signal()
}

func roleNameOf(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// Run writes the uses RecordKeyUse notes to the store, until ctx ends.
// Each key's (and role's) use is noted at most once a minute, so Run
// writes at most that often for each.
func (s *Service) Run(ctx context.Context) {
	wake := s.keyUse.wakeChannel()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
			s.writeKeyUses(ctx)
		}
	}
}

// writeKeyUses writes every use noted since the last write. A write that
// fails is dropped: the next use notes it again.
func (s *Service) writeKeyUses(ctx context.Context) {
	keys, roles := s.keyUse.takeDirty()
	for id, use := range keys {
		_ = s.writeKeyUse(ctx, id, use)
	}
	for name, use := range roles {
		_ = s.writeRoleUse(ctx, name, use)
	}
}

// writeKeyUse records a long-term key's use while the key is unchanged,
// so that no record outlives its key.
func (s *Service) writeKeyUse(ctx context.Context, id string, use KeyLastUsed) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		var k AccessKey
		rev, err := s.Store.Get(ctx, keyKey(id), &k)
		if errors.Is(err, store.ErrNotFound) || (err == nil && k.Session != nil) {
			return nil
		} else if err != nil {
			return err
		}
		t.Unchanged(keyKey(id), rev)
		t.Put(keyUseKey(id), &use)
		return nil
	})
}

// writeRoleUse records a role's use while the role (the one the session
// was of, not another made since under its name) is unchanged.
func (s *Service) writeRoleUse(ctx context.Context, name string, use RoleLastUsed) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		var r Role
		rev, err := s.Store.Get(ctx, roleKey(name), &r)
		if errors.Is(err, store.ErrNotFound) || (err == nil && r.ID != use.RoleID) {
			return nil
		} else if err != nil {
			return err
		}
		t.Unchanged(roleKey(name), rev)
		t.Put(roleUseKey(name), &use)
		return nil
	})
}

// keyUseRecorder holds the uses RecordKeyUse notes until Run writes them,
// and afterwards, so that a use Run has not written yet is still reported.
type keyUseRecorder struct {
	mu    sync.Mutex
	keys  map[string]*trackedKeyUse  // by access key ID
	roles map[string]*trackedRoleUse // by lower-cased role name
	wake  chan struct{}              // Run's signal: something to write
}

type trackedKeyUse struct {
	use   KeyLastUsed
	dirty bool // not written yet
}

type trackedRoleUse struct {
	use   RoleLastUsed
	dirty bool
}

// recent reports whether a use at now follows one at last by less than
// the interval (and not from the future, as a clock set back would make it).
func recent(last, now time.Time) bool {
	d := now.Sub(last)
	return d >= 0 && d < keyUseInterval
}

// noteKey keeps a key's use unless one was noted less than a minute ago.
func (r *keyUseRecorder) noteKey(id string, use KeyLastUsed) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.keys[id]; ok && recent(t.use.Date, use.Date) {
		return false
	}
	if r.keys == nil {
		r.keys = map[string]*trackedKeyUse{}
	}
	if len(r.keys) >= maxTrackedUses {
		for k, t := range r.keys {
			if use.Date.Sub(t.use.Date) >= keyUseForgetAfter {
				delete(r.keys, k)
			}
		}
	}
	r.keys[id] = &trackedKeyUse{use: use, dirty: true}
	return true
}

// noteRole keeps a role's use by a session unless one was noted less than a
// minute ago: many sessions may share a role.
func (r *keyUseRecorder) noteRole(name, roleID string, use KeyLastUsed) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name = strings.ToLower(name)
	if t, ok := r.roles[name]; ok && t.use.RoleID == roleID && recent(t.use.Date, use.Date) {
		return
	}
	if r.roles == nil {
		r.roles = map[string]*trackedRoleUse{}
	}
	if len(r.roles) >= maxTrackedUses {
		for k, t := range r.roles {
			if use.Date.Sub(t.use.Date) >= keyUseForgetAfter {
				delete(r.roles, k)
			}
		}
	}
	r.roles[name] = &trackedRoleUse{use: RoleLastUsed{Date: use.Date, Region: use.Region, RoleID: roleID}, dirty: true}
}

func (r *keyUseRecorder) wakeChannel() chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.wake == nil {
		r.wake = make(chan struct{}, 1)
	}
	return r.wake
}

// signal wakes Run, if it runs, without waiting.
func (r *keyUseRecorder) signal() {
	select {
	case r.wakeChannel() <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// takeDirty returns the uses not written yet and marks them written.
func (r *keyUseRecorder) takeDirty() (map[string]KeyLastUsed, map[string]RoleLastUsed) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys, roles := map[string]KeyLastUsed{}, map[string]RoleLastUsed{}
	for id, t := range r.keys {
		if t.dirty {
			keys[id], t.dirty = t.use, false
		}
	}
	for name, t := range r.roles {
		if t.dirty {
			roles[name], t.dirty = t.use, false
		}
	}
	return keys, roles
}

// keyUse is the use of a key noted in memory, if any.
func (r *keyUseRecorder) keyUse(id string) (KeyLastUsed, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.keys[id]
	if !ok {
		return KeyLastUsed{}, false
	}
	return t.use, true
}

// roleUse is the use of a role noted in memory, if any.
func (r *keyUseRecorder) roleUse(name string) (RoleLastUsed, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.roles[strings.ToLower(name)]
	if !ok {
		return RoleLastUsed{}, false
	}
	return t.use, true
}

// forgetKey drops a deleted key's use.
func (r *keyUseRecorder) forgetKey(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.keys, id)
}

// forgetRole drops a deleted role's use.
func (r *keyUseRecorder) forgetRole(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.roles, strings.ToLower(name))
}
