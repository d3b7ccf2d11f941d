package sqlstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// twoInstances opens two stores on one database of b, as two instances of
// a deployment, sharing the env's clock: e.db is the first.
func twoInstances(t *testing.T, b backend) (e *env, other *DB) {
	url := b.url(t)
	e = newEnv(t, func(tb testing.TB, opts Options) *DB {
		db := openURL(tb, url, opts)
		other = openURL(tb, url, opts)
		return db
	})
	return e, other
}

// newKey creates a key of a new organization and returns its id and secret.
func (e *env) newKey() (string, string) {
	e.t.Helper()
	org := e.org(nil)
	key, secret, err := e.db.CreateAPIKey(e.admin, invited.APIKeyCreate{Name: "cached", OrgID: org.ID,
		Permissions: []invited.Permission{invited.PermInvitationsRead}})
	must(e.t, err)
	return key.ID, secret
}

// TestAPIKeyCacheRevocation revokes a key that two instances have just
// verified: the revoking instance refuses it at once, the other until its
// entry is testKeyCache old, and not a moment later.
func TestAPIKeyCacheRevocation(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e, other := twoInstances(t, b)
			id, secret := e.newKey()
			instances := map[string]*DB{"revoking": e.db, "other": other}
			for name, db := range instances {
				if _, err := db.AuthenticateAPIKey(context.Background(), secret); err != nil {
					t.Fatalf("%s instance: %v", name, err)
				}
			}
			before := other.roundTrips.Load()
			a, err := other.AuthenticateAPIKey(context.Background(), secret)
			must(t, err)
			if n := other.roundTrips.Load() - before; n != 0 || a.APIKeyID != id {
				t.Fatalf("a verified key: %d round trips, actor %+v", n, a)
			}

			// The clock has not moved: the key was verified as it is revoked.
			must(t, e.db.RevokeAPIKey(e.admin, id))
			var sinceVerified time.Duration
			for _, step := range []struct {
				advance      time.Duration
				db           string
				wantAccepted bool
			}{
				{0, "revoking", false},
				{0, "other", true},
				{testKeyCache - time.Millisecond, "other", true},
				{time.Millisecond, "other", false},
				{0, "revoking", false},
			} {
				e.clock.Advance(step.advance)
				sinceVerified += step.advance
				_, err := instances[step.db].AuthenticateAPIKey(context.Background(), secret)
				if accepted := err == nil; accepted != step.wantAccepted {
					t.Fatalf("%s instance, %v after the revocation: accepted %v, err %v", step.db, sinceVerified, accepted, err)
				}
				if err != nil {
					wantCode(t, err, invited.EUNAUTHENTICATED)
				}
			}
		})
	}
}

// TestAPIKeyCacheRevokeRace authenticates a key over and over while it is
// revoked: once RevokeAPIKey has returned, no request on the revoking
// instance gets in, even one whose read began before the revocation and
// whose entry would be stored after it.
func TestAPIKeyCacheRevokeRace(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open)
			id, secret := e.newKey()
			var revoked atomic.Bool
			errs := race(8, func(i int) error {
				if i == 0 {
					err := e.db.RevokeAPIKey(e.admin, id)
					revoked.Store(true)
					return err
				}
				for range 50 {
					after := revoked.Load()
					_, err := e.db.AuthenticateAPIKey(context.Background(), secret)
					if after && err == nil {
						return fmt.Errorf("accepted after the revocation returned")
					}
				}
				return nil
			})
			for _, err := range errs {
				must(t, err)
			}
		})
	}
}

// TestAPIKeyCacheLastUse uses a key every second for two minutes, each
// request but those every testKeyCache served from the cache: its use is
// still recorded once a minute, on the minute.
func TestAPIKeyCacheLastUse(t *testing.T) {
	e := newEnv(t, openSQLiteFile)
	id, secret := e.newKey()
	lastUsed := func() time.Time {
		var ms int64
		must(t, e.db.read.QueryRow(`SELECT last_used_at FROM api_keys WHERE id = ?`, id).Scan(&ms))
		return time.UnixMilli(ms).UTC()
	}
	start := e.clock.Now()
	for s := range 121 {
		_, err := e.db.AuthenticateAPIKey(context.Background(), secret)
		must(t, err)
		if want := start.Add((time.Duration(s) * time.Second).Truncate(time.Minute)); !lastUsed().Equal(want) {
			t.Fatalf("after %ds: last used %v, want %v", s, lastUsed(), want)
		}
		e.clock.Advance(time.Second)
	}
}

// TestAPIKeyCacheOff opens a store with no cache: every request reads its
// key, with the one statement it took before there was a cache.
func TestAPIKeyCacheOff(t *testing.T) {
	e := newEnv(t, func(tb testing.TB, opts Options) *DB {
		opts.APIKeyCache = 0
		return openSQLiteFile(tb, opts)
	})
	_, secret := e.newKey()
	e.keyContext(secret) // records the key's first use
	for range 3 {
		before := e.db.roundTrips.Load()
		_, err := e.db.AuthenticateAPIKey(context.Background(), secret)
		must(t, err)
		if n := e.db.roundTrips.Load() - before; n != 1 {
			t.Fatalf("%d round trips, want 1", n)
		}
	}
}

// TestKeyCacheBounded fills the cache past its size: it keeps no more than
// keyCacheSize entries, the stale ones going first. Secrets that are no
// key never get in.
func TestKeyCacheBounded(t *testing.T) {
	e := newEnv(t, openSQLiteFile)
	for range 100 {
		_, err := e.db.AuthenticateAPIKey(context.Background(), invited.NewSecret(invited.SecretPrefixAPIKey))
		wantCode(t, err, invited.EUNAUTHENTICATED)
	}
	// The admin key of newEnv is the one entry.
	if n := len(e.db.keys.entries); n != 1 {
		t.Fatalf("%d entries after unknown secrets, want 1", n)
	}

	c := newKeyCache(time.Second)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	fill := func(prefix string, n int, at time.Time) {
		for i := range n {
			_, _, gen := c.get([]byte(fmt.Sprint(prefix, i)), at)
			c.put([]byte(fmt.Sprint(prefix, i)), invited.Actor{APIKeyID: fmt.Sprint(prefix, i)}, nil, at, gen)
		}
	}
	fill("old", keyCacheSize/2, now)
	later := now.Add(time.Second)
	fill("new", keyCacheSize, later)
	if n := len(c.entries); n != keyCacheSize {
		t.Fatalf("%d entries, want %d", n, keyCacheSize)
	}
	if a, _, _ := c.get([]byte("new0"), later); a == nil {
		t.Error("a fresh entry went while stale ones were left")
	}
	fill("newer", 10, later)
	if n := len(c.entries); n != keyCacheSize {
		t.Fatalf("%d entries with none stale, want %d", n, keyCacheSize)
	}
}
