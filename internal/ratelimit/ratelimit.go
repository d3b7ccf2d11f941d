// Package ratelimit limits how often each key (an API key, a client
// address) may act, in memory. Limits are per process: with several
// instances behind a load balancer, each allows the full rate, so a client
// may get up to the rate times the number of instances.
package ratelimit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/invitedhq/invited"
)

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

// sweepAt is the smallest map size at which Allow sweeps idle keys away.
const sweepAt = 1024

// Limiter allows each key up to its Rate, with bursts of up to N events at
// once. It is safe for concurrent use. A nil *Limiter, or one made for the
// zero Rate, allows everything.
//
// It implements the generic cell rate algorithm: each key has a
// theoretical arrival time (TAT), when its bucket will be full again, and
// an event of cost c moves it c*T later, T being Per/N. An event is allowed
// if the TAT it leads to is at most Per ahead of now. A key whose TAT has
// passed has a full bucket, as if it had never been seen, so its state can
// be dropped: memory is bounded by the keys active in the last Per, not by
// every key ever seen.
type Limiter struct {
	// Now, if set, replaces time.Now; set it before first use.
	Now func() time.Time

	rate Rate
	t    time.Duration // emission interval: Per/N
	tau  time.Duration // burst tolerance: N*T

	mu      sync.Mutex
	tat     map[string]time.Time
	sweepAt int // sweep when len(tat) reaches it
}

// NewLimiter returns a limiter allowing r for each key.
func NewLimiter(r Rate) *Limiter {
	l := &Limiter{rate: r}
	if r.unlimited() {
		return l
	}
	l.t = max(r.Per/time.Duration(r.N), 1)
	l.tau = l.t * time.Duration(r.N)
	l.tat = make(map[string]time.Time)
	l.sweepAt = sweepAt
	return l
}

// Take spends n of key's allowance as Allow does, or returns the
// rate_limited error to answer: message, and the wait rounded up to whole
// seconds (at least 1) for Retry-After. A nil l does not limit.
func (l *Limiter) Take(key string, n int, message string) error {
	if ok, wait := l.Allow(key, n); !ok {
		return invited.RateLimited(message, wait)
	}
	return nil
}

// Allow reports whether key may spend n events now, and spends them if so.
// When it may not, retryAfter is how long until the same request would be
// allowed (at least 1ns); callers answering HTTP round it up to whole
// seconds for Retry-After.
//
// A cost above the burst (n > N) is allowed only when the key's bucket is
// full, and then puts it into debt: a batch bigger than the allowance is
// possible, but the key waits longer afterwards. n < 1 costs nothing.
func (l *Limiter) Allow(key string, n int) (ok bool, retryAfter time.Duration) {
	if l == nil || l.rate.unlimited() || n < 1 {
		return true, 0
	}
	// Saturate rather than overflow for absurd costs.
	cost := time.Duration(math.MaxInt64)
	if int64(n) <= math.MaxInt64/int64(l.t) {
		cost = time.Duration(n) * l.t
	}

	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	tat, seen := l.tat[key]
	if !seen || tat.Before(now) {
		tat = now
	}
	ahead := tat.Sub(now) // the debt: 0 for a full bucket
	if cost > l.tau {
		if ahead > 0 {
			return false, ahead
		}
	} else if ahead > l.tau-cost {
		return false, ahead - (l.tau - cost)
	}
	if !seen {
		l.sweep(now)
	}
	l.tat[key] = tat.Add(cost)
	return true, 0
}

// sweep drops the keys whose bucket is full again, once the map has grown
// to twice what it was after the last sweep: each sweep is paid for by the
// insertions since the one before.
func (l *Limiter) sweep(now time.Time) {
	if len(l.tat) < l.sweepAt {
		return
	}
	for k, tat := range l.tat {
		if !tat.After(now) {
			delete(l.tat, k)
		}
	}
	l.sweepAt = max(sweepAt, 2*len(l.tat))
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}
