// Package ratelimit limits how often each key (an organization, a client
// address, a join link) may act. A Limiter is either Memory, which keeps
// its buckets in the process (one instance: SQLite), or Shared, which
// keeps them in a Store that every instance sees (PostgreSQL), so that a
// limit holds for all the instances behind a load balancer together and
// survives their restarts. Both run the same algorithm (gcra), and answer
// the same rate_limited error with its Retry-After (Take).
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/invitedhq/invited"
)

// Limiter spends the allowance of keys.
type Limiter interface {
	// Allow reports whether key may spend n events now, and spends them
	// if so. When it may not, retryAfter is how long until the same
	// request would be allowed (at least 1ns). A cost above the burst
	// (n > N) is allowed only when the key's bucket is full, and then puts
	// it into debt; n < 1 costs nothing. err is the store's, when it
	// could not be asked: nothing was spent.
	Allow(ctx context.Context, key string, n int) (ok bool, retryAfter time.Duration, err error)
}

// Take spends n of key's allowance from l, or returns the error to
// answer: rate_limited with message and the wait rounded up to whole
// seconds (at least 1) for Retry-After, or the store's own error. A nil l
// does not limit.
func Take(ctx context.Context, l Limiter, key string, n int, message string) error {
	if l == nil {
		return nil
	}
	ok, wait, err := l.Allow(ctx, key, n)
	if err != nil {
		return err
	}
	if !ok {
		return invited.RateLimited(message, wait)
	}
	return nil
}

// Rate is N events per Per. The zero Rate means unlimited, as does any Rate
// whose N or Per is not positive.
type Rate struct {
	N   int
	Per time.Duration
}

func (r Rate) unlimited() bool { return r.N <= 0 || r.Per <= 0 }

// ParseRate parses a rate written "N/PERIOD", where PERIOD is a Go duration
// ("600/1m", "10/30s", "100/1h") or a bare unit meaning one of it ("60/m",
// "5/h"). "off" and "0" mean unlimited.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") || s == "0" {
		return Rate{}, nil
	}
	count, period, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: want N/PERIOD, such as 600/1m, or off", s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(count))
	if err != nil || n <= 0 {
		return Rate{}, fmt.Errorf("rate %q: the count must be a positive whole number (off means no limit)", s)
	}
	period = strings.TrimSpace(period)
	if period != "" && (period[0] < '0' || period[0] > '9') && period[0] != '.' {
		period = "1" + period // a bare unit: "m" is one minute
	}
	per, err := time.ParseDuration(period)
	if err != nil || per <= 0 {
		return Rate{}, fmt.Errorf("rate %q: the period must be a positive duration such as 1m, 30s or h", s)
	}
	if per/time.Duration(n) == 0 {
		return Rate{}, fmt.Errorf("rate %q: more than one event per nanosecond", s)
	}
	return Rate{N: n, Per: per}, nil
}

// String formats r as ParseRate reads it: "600/1m", "5/1h", "off".
func (r Rate) String() string {
	if r.unlimited() {
		return "off"
	}
	var per string
	switch {
	case r.Per%time.Hour == 0:
		per = strconv.FormatInt(int64(r.Per/time.Hour), 10) + "h"
	case r.Per%time.Minute == 0:
		per = strconv.FormatInt(int64(r.Per/time.Minute), 10) + "m"
	case r.Per%time.Second == 0:
		per = strconv.FormatInt(int64(r.Per/time.Second), 10) + "s"
	default:
		per = r.Per.String()
	}
	return strconv.Itoa(r.N) + "/" + per
}

// gcra is the generic cell rate algorithm for a Rate, which both limiters
// run: each key has a theoretical arrival time (TAT), when its bucket will
// be full again, and an event of cost c moves it c later, the cost of one
// event being T = Per/N. An event is allowed if the TAT it leads to is at
// most tau = N*T ahead of now. A key whose TAT has passed has a full
// bucket, as if it had never been seen, so its state can be dropped:
// state is bounded by the keys active in the last Per, not by every key
// ever seen.
type gcra struct {
	rate Rate
	t    time.Duration // emission interval: Per/N
	tau  time.Duration // burst tolerance: N*T
}

func newGCRA(r Rate) gcra {
	g := gcra{rate: r}
	if !r.unlimited() {
		g.t = max(r.Per/time.Duration(r.N), 1)
		g.tau = g.t * time.Duration(r.N)
	}
	return g
}

// cost is how far n events move a TAT, saturating rather than
// overflowing for absurd n.
func (g gcra) cost(n int) time.Duration {
	if int64(n) > math.MaxInt64/int64(g.t) {
		return math.MaxInt64
	}
	return time.Duration(n) * g.t
}

// slack is how far ahead of now a TAT may be for an event of cost c to be
// allowed: tau-c, or none at all (a full bucket) for a cost above the
// burst.
func (g gcra) slack(c time.Duration) time.Duration { return max(g.tau-c, 0) }

// wait is how long until a key whose TAT is tat is at most slack ahead:
// 0 if an event of that slack is allowed now.
func wait(tat, now time.Time, slack time.Duration) time.Duration {
	// Compared before subtracting: Sub saturates, for a TAT long past.
	if ahead := tat.Sub(now); ahead > slack {
		return ahead - slack
	}
	return 0
}

// sweepAt is the smallest table size at which a new key sweeps idle ones
// away.
const sweepAt = 1024

// table is a limiter's state by key. Entries that done reports finished
// at now are dropped, once the table has grown to twice what it was after
// the last sweep: each sweep is paid for by the insertions since the one
// before. Not safe for concurrent use.
type table[V any] struct {
	m       map[string]V
	sweepAt int
	done    func(v V, now time.Time) bool
}

func newTable[V any](done func(V, time.Time) bool) *table[V] {
	return &table[V]{m: make(map[string]V), sweepAt: sweepAt, done: done}
}

// put sets key's entry, sweeping first if key is new.
func (t *table[V]) put(key string, v V, now time.Time) {
	if _, seen := t.m[key]; !seen && len(t.m) >= t.sweepAt {
		for k, old := range t.m {
			if t.done(old, now) {
				delete(t.m, k)
			}
		}
		t.sweepAt = max(sweepAt, 2*len(t.m))
	}
	t.m[key] = v
}
