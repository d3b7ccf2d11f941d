package sqlstore

import (
	"sync"
	"time"

	"github.com/invitedhq/invited"
)

// keyCacheSize bounds the keys one instance keeps verified. Only keys
// that exist and are not revoked get in, so what a flood of made-up
// secrets costs is a query each, never memory; the bound is against a
// deployment with more keys in use than this, which then reads some of
// them on every request instead.
const keyCacheSize = 10_000

// keyCache keeps the actors of API keys verified in the last ttl, by the
// hash of their secret, so that a request whose key was verified a moment
// ago costs no round trip. What it trusts may be stale by ttl: a key
// revoked on another instance works here until its entry is that old. The
// instance that revokes a key forgets it at once (forget).
//
// The rest of a key's actor cannot go stale: a key's organization,
// admin flag and permissions never change after it is created, and an
// organization is never deleted. Whatever comes to change them must
// forget the key as RevokeAPIKey does.
type keyCache struct {
	ttl time.Duration

	mu      sync.Mutex
	entries map[string]*keyEntry
	// gen counts forget calls, so that an entry read from the database
	// before a revocation committed is not stored after it (put).
	gen uint64
}

type keyEntry struct {
	actor    invited.Actor
	lastUsed *time.Time // as recorded, or claimed by a hit (get)
	at       time.Time  // when it was read from the database
}

// newKeyCache returns a cache trusting verified keys for ttl, or nil,
// which caches nothing, for a ttl of zero.
func newKeyCache(ttl time.Duration) *keyCache {
	if ttl <= 0 {
		return nil
	}
	return &keyCache{ttl: ttl, entries: map[string]*keyEntry{}}
}

// fresh reports whether e may be trusted at now: it was read less than
// ttl before, and not after (a clock that went back must not stretch the
// bound).
func (c *keyCache) fresh(e *keyEntry, now time.Time) bool {
	age := now.Sub(e.at)
	return age >= 0 && age < c.ttl
}

// get returns a copy of the actor of the key with hash if its entry is
// fresh at now. touch reports that the key's use is due to be
// recorded; the entry then counts it as recorded, so that of concurrent
// hits only one writes. gen is for the put after a miss.
func (c *keyCache) get(hash []byte, now time.Time) (actor *invited.Actor, touch bool, gen uint64) {
	if c == nil {
		return nil, false, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[string(hash)]
	if !ok {
		return nil, false, c.gen
	}
	if !c.fresh(e, now) {
		delete(c.entries, string(hash))
		return nil, false, c.gen
	}
	if touch = lastUseDue(e.lastUsed, now); touch {
		e.lastUsed = &now
	}
	a := e.actor
	return &a, touch, c.gen
}

// put stores the actor of a key read from the database at now, with the
// last use recorded then, unless a key was forgotten since the get that
// returned gen: the read may predate that revocation.
func (c *keyCache) put(hash []byte, actor invited.Actor, lastUsed *time.Time, now time.Time, gen uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.entries) >= keyCacheSize {
		c.evict(now)
	}
	c.entries[string(hash)] = &keyEntry{actor: actor, lastUsed: lastUsed, at: now}
}

// evict makes room: the entries too old to be trusted go, and if none is,
// one entry, which the next request with that key reads again. The
// caller holds mu.
func (c *keyCache) evict(now time.Time) {
	for h, e := range c.entries {
		if !c.fresh(e, now) {
			delete(c.entries, h)
		}
	}
	if len(c.entries) < keyCacheSize {
		return
	}
	for h := range c.entries {
		delete(c.entries, h)
		return
	}
}

// forget drops the key with id, revoked on this instance: it stops working
// here at once.
func (c *keyCache) forget(id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for h, e := range c.entries {
		if e.actor.APIKeyID == id {
			delete(c.entries, h)
		}
	}
}
