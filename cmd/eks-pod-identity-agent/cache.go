package main

import (
	"crypto/sha256"
	"sync"
	"time"
)

// credentialCache keeps each token's credentials until they near expiry,
// so the pods' SDKs, which ask again every few minutes, cost EKS Auth
// nothing. Tokens are kept only as hashes.
type credentialCache struct {
	mu      sync.Mutex
	max     int
	entries map[[sha256.Size]byte]cached
}

type cached struct {
	creds *credentials
	at    time.Time
}

func newCredentialCache(max int) *credentialCache {
	return &credentialCache{max: max, entries: map[[sha256.Size]byte]cached{}}
}

// get returns a token's credentials if they are valid past until.
func (c *credentialCache) get(token string, until time.Time) (*credentials, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[sha256.Sum256([]byte(token))]
	if !ok || !e.creds.Expiration.After(until) {
		return nil, false
	}
	return e.creds, true
}

// put keeps credentials; when full it drops the expired, then the oldest.
func (c *credentialCache) put(token string, creds *credentials, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		var oldestKey [sha256.Size]byte
		var oldest time.Time
		for k, e := range c.entries {
			if !e.creds.Expiration.After(now) {
				delete(c.entries, k)
			} else if oldest.IsZero() || e.at.Before(oldest) {
				oldestKey, oldest = k, e.at
			}
		}
		if len(c.entries) >= c.max {
			delete(c.entries, oldestKey)
		}
	}
	c.entries[sha256.Sum256([]byte(token))] = cached{creds: creds, at: now}
}
