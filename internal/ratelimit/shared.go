package ratelimit

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// Store keeps the buckets of Shared limiters where every instance sees
// them (internal/sqlstore).
type Store interface {
	// SpendRate spends cost of the bucket of key, whose TAT the store
	// keeps, if at now that TAT is at most slack ahead (a TAT in the past
	// counts as now), and with it up to extra more events of interval
	// each, as many as still fit within slack, in one atomic step. It
	// answers whether it spent, how many extra events it granted, and the
	// TAT after, from which a refusal's wait follows.
	SpendRate(ctx context.Context, key []byte, now time.Time, cost, slack, interval time.Duration, extra int) (ok bool, extras int, tat time.Time, err error)
}

// Lease is how long the events a Shared limiter took ahead stay usable on
// its instance. It bounds what the limiter may allow beyond its Rate (see
// Shared).
const Lease = 100 * time.Millisecond

// maxSpan bounds the durations a Shared limiter hands its store, so that
// a TAT (nanoseconds since 1970) cannot overflow 64 bits however absurd
// the rate or the cost: about 36 years, far beyond any limit's reach.
const maxSpan = time.Duration(1 << 60)

// Shared is a Limiter whose buckets are kept in a Store that every
// instance shares, so that a limit holds for all of them together and
// survives restarts. Each decision that allows an event is the store's,
// atomic with every other instance's:
//
//   - A key whose rate is at most one event per Lease (T ≥ 100ms; every
//     default limit but the two of 600 a minute, whose T is exactly
//     100ms) costs one statement per allowed event and is exact: never
//     more than N at once, nor N+k in any k*T.
//   - A key asked often on one instance takes events ahead, up to
//     Lease/T at a time (doubling while they run out before the Lease
//     ends), and spends them in memory for up to Lease. Events are
//     counted in the store when taken, and used at most Lease later, so
//     all instances together allow at most ceil(Lease/T) = ceil(N ×
//     100ms / Per) events beyond the rate in any window; events taken
//     ahead and not used within the Lease are lost, which can only
//     refuse, never allow, more.
//
// A refusal needs no statement once the store has refused the key: the
// TAT it answered is the key's at least (a TAT only moves later, and only
// by allowed events), so the wait that follows from it is right, or
// shorter where another instance allowed events since. A nil *Shared, or
// one made for the zero Rate, allows everything.
type Shared struct {
	// Now, if set, replaces time.Now; set it before first use.
	Now func() time.Time

	gcra
	name     string
	store    Store
	maxExtra int // events taken ahead at most: Lease/T

	mu   sync.Mutex
	keys *table[*ahead] // nil when unlimited
}

// ahead is what a Shared limiter knows of one key on its instance.
type ahead struct {
	tat   time.Time // the TAT the store last answered: no later than the stored one
	held  int       // events taken ahead, usable until until
	until time.Time
	extra int // events taken ahead at the last spend
}

// NewShared returns a limiter allowing r for each key, keeping its buckets
// in s under name: limiters of different names on one store have
// separate buckets for the same key.
func NewShared(name string, r Rate, s Store) *Shared {
	l := &Shared{gcra: newGCRA(r), name: name, store: s}
	if !r.unlimited() {
		l.maxExtra = int(min(Lease/l.t, 1<<20))
		l.keys = newTable(func(a *ahead, now time.Time) bool { return !a.tat.After(now) && !now.Before(a.until) })
	}
	return l
}

// Allow implements Limiter. It fails when the store does.
func (l *Shared) Allow(ctx context.Context, key string, n int) (ok bool, retryAfter time.Duration, err error) {
	if l == nil || l.rate.unlimited() || n < 1 {
		return true, 0, nil
	}
	cost := min(l.cost(n), maxSpan)
	slack := min(l.slack(cost), maxSpan)
	now := l.now()

	l.mu.Lock()
	a := l.keys.m[key]
	if a == nil {
		a = &ahead{}
		l.keys.put(key, a, now)
	}
	live := now.Before(a.until)
	if live && a.held >= n {
		a.held -= n
		l.mu.Unlock()
		return true, 0, nil
	}
	if w := wait(a.tat, now, slack); w > 0 {
		l.mu.Unlock()
		return false, w, nil
	}
	// Take more ahead while what was taken runs out within its lease;
	// fewer once a lease passes unused up.
	extra := a.extra / 2
	if live {
		extra = min(l.maxExtra, max(1, 2*a.extra))
	}
	l.mu.Unlock()

	ok, extras, tat, err := l.store.SpendRate(ctx, l.bucket(key), now, cost, slack, min(l.t, maxSpan), extra)
	if err != nil {
		return false, 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if tat.After(a.tat) {
		a.tat = tat
	}
	if !ok {
		return false, wait(tat, now, slack), nil
	}
	a.extra = extras
	if a.held > 0 && now.Before(a.until) {
		// What a concurrent spend, or a cost above what was held, left
		// of the lease: the new events join it, and end with it.
		a.held += extras
		return true, 0, nil
	}
	a.held, a.until = extras, now.Add(Lease)
	return true, 0, nil
}

// bucket names key's bucket in the store: a digest of the limiter's name
// and the key, so that the store holds neither client addresses nor
// unbounded keys.
func (l *Shared) bucket(key string) []byte {
	h := sha256.New()
	h.Write([]byte(l.name))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return h.Sum(nil)
}

func (l *Shared) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}
