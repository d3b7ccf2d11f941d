package jwtauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const (
	maxJWKSBytes = 1 << 20
	// minRefetchInterval bounds how often tokens can make us hit the JWKS
	// endpoint; otherwise anyone could force a fetch per request by sending
	// random key IDs.
	minRefetchInterval = 30 * time.Second
	// maxKeyAge is how long a fetched key set is trusted before refreshing,
	// so revoked keys eventually disappear even if no unknown kid shows up.
	maxKeyAge = 10 * time.Minute
	// fetchTimeout applies even with a caller-supplied client lacking one,
	// because a hung fetch would block every later refresh.
	fetchTimeout = 10 * time.Second
)

// keyCache holds the issuer's verification keys. Fetches are single-flight
// and rate-limited; a failed fetch never discards previously fetched keys.
type keyCache struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu          sync.Mutex
	set         *keySet // nil until the first successful fetch
	fetchedAt   time.Time
	lastAttempt time.Time
	lastErr     error         // outcome of the most recent fetch
	inflight    chan struct{} // non-nil while a fetch runs; closed when it ends
}

func newKeyCache(url string, client *http.Client, now func() time.Time) *keyCache {
	return &keyCache{url: url, client: client, now: now}
}

// get returns the candidate keys for kid, fetching the JWKS when the kid is
// unknown (subject to rate limiting) and refreshing stale sets in the
// background.
func (c *keyCache) get(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	c.mu.Lock()
	if keys := c.set.lookup(kid); len(keys) > 0 {
		if c.now().Sub(c.fetchedAt) >= maxKeyAge {
			// Serve the cached keys rather than adding fetch latency
			// to this request; the refresh replaces them shortly.
			c.refreshLocked()
		}
		c.mu.Unlock()
		return keys, nil
	}
	done := c.refreshLocked()
	c.mu.Unlock()

	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if keys := c.set.lookup(kid); len(keys) > 0 {
		return keys, nil
	}
	if c.lastErr != nil {
		// We cannot tell whether the kid is bogus or merely new.
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, c.lastErr)
	}
	return nil, invalid("unknown signing key")
}

// refreshLocked starts a fetch unless one is running or one was attempted
// within minRefetchInterval. It returns a channel closed when the running
// fetch ends, or nil if none runs. c.mu must be held.
func (c *keyCache) refreshLocked() <-chan struct{} {
	if c.inflight != nil {
		return c.inflight
	}
	now := c.now()
	if !c.lastAttempt.IsZero() && now.Sub(c.lastAttempt) < minRefetchInterval {
		return nil
	}
	c.lastAttempt = now
	done := make(chan struct{})
	c.inflight = done
	// The fetch runs detached from any request context: it is shared by all
	// waiters, so one caller giving up must not fail it for the others.
	go func() {
		set, err := c.fetch()
		c.mu.Lock()
		if err == nil {
			c.set, c.fetchedAt = set, c.now()
		}
		c.lastErr = err
		c.inflight = nil
		c.mu.Unlock()
		close(done)
	}()
	return done
}

func (c *keyCache) fetch() (*keySet, error) {
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: unexpected status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("jwks: read: %w", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, errors.New("jwks: response exceeds 1 MiB")
	}
	return parseKeySet(body)
}

// keySet is an immutable set of verification keys indexed by kid.
type keySet struct {
	byKID map[string][]jose.JSONWebKey
	only  *jose.JSONWebKey // the sole key, if the set has exactly one
}

// lookup is nil-safe so callers need not distinguish "never fetched".
func (s *keySet) lookup(kid string) []jose.JSONWebKey {
	if s == nil {
		return nil
	}
	// Without a kid, only an unambiguous single-key set is usable; trying
	// every key would let unauthenticated callers multiply our crypto work.
	if kid == "" {
		if s.only != nil {
			return []jose.JSONWebKey{*s.only}
		}
		return nil
	}
	return s.byKID[kid]
}

// parseKeySet keeps only public asymmetric signing keys. Entries go-jose
// cannot parse (e.g. new key types) are skipped rather than failing the
// whole set, so one odd key cannot lock every user out.
func parseKeySet(body []byte) (*keySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("jwks: decode: %w", err)
	}
	s := &keySet{byKID: make(map[string][]jose.JSONWebKey)}
	var all []jose.JSONWebKey
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		// Symmetric keys are never accepted: they are what HS* confusion
		// attacks rely on. Private keys are reduced to their public part.
		k = k.Public()
		switch k.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		default:
			continue
		}
		if !k.Valid() {
			continue
		}
		s.byKID[k.KeyID] = append(s.byKID[k.KeyID], k)
		all = append(all, k)
	}
	if len(all) == 0 {
		// Treat as a failed fetch so previously cached keys stay in use.
		return nil, errors.New("jwks: no usable signing keys")
	}
	if len(all) == 1 {
		s.only = &all[0]
	}
	return s, nil
}
