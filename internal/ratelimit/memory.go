package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory is a Limiter that keeps its buckets in the process: with several
// instances each would allow the full rate, so it serves one instance
// alone (SQLite). It allows each key up to its Rate, with bursts of up to
// N events at once. It is safe for concurrent use. A nil *Memory, or one
// made for the zero Rate, allows everything.
type Memory struct {
	// Now, if set, replaces time.Now; set it before first use.
	Now func() time.Time

	gcra
	mu  sync.Mutex
	tat *table[time.Time] // nil when unlimited
}

// NewMemory returns a limiter allowing r for each key.
func NewMemory(r Rate) *Memory {
	l := &Memory{gcra: newGCRA(r)}
	if !r.unlimited() {
		l.tat = newTable(func(tat, now time.Time) bool { return !tat.After(now) })
	}
	return l
}

// Allow implements Limiter; it never fails.
func (l *Memory) Allow(_ context.Context, key string, n int) (ok bool, retryAfter time.Duration, err error) {
	if l == nil || l.rate.unlimited() || n < 1 {
		return true, 0, nil
	}
	cost := l.cost(n)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	tat, seen := l.tat.m[key]
	if !seen || tat.Before(now) {
		tat = now
	}
	if wait := wait(tat, now, l.slack(cost)); wait > 0 {
		return false, wait, nil
	}
	l.tat.put(key, tat.Add(cost), now)
	return true, 0, nil
}

func (l *Memory) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}
