package ratelimit

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/testutil"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want Rate
		str  string // String of the result
	}{
		{"600/1m", Rate{600, time.Minute}, "600/1m"},
		{"60/m", Rate{60, time.Minute}, "60/1m"},
		{"5/h", Rate{5, time.Hour}, "5/1h"},
		{"10/30s", Rate{10, 30 * time.Second}, "10/30s"},
		{"100/1h", Rate{100, time.Hour}, "100/1h"},
		{"1/s", Rate{1, time.Second}, "1/1s"},
		{"3/90s", Rate{3, 90 * time.Second}, "3/90s"},
		{"3/1.5s", Rate{3, 1500 * time.Millisecond}, "3/1.5s"},
		{"2/.5h", Rate{2, 30 * time.Minute}, "2/30m"},
		{"20/24h", Rate{20, 24 * time.Hour}, "20/24h"},
		{"50/ms", Rate{50, time.Millisecond}, "50/1ms"},
		{" 7 / 2m ", Rate{7, 2 * time.Minute}, "7/2m"},
		{"off", Rate{}, "off"},
		{"OFF", Rate{}, "off"},
		{"0", Rate{}, "off"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String() = %q, want %q", s, tt.str)
			}
			if again, err := ParseRate(got.String()); err != nil || again != got {
				t.Errorf("ParseRate(%q) = %+v, %v: does not round-trip", got.String(), again, err)
			}
		})
	}
}

func TestParseRateErrors(t *testing.T) {
	tests := []struct {
		in, err string
	}{
		{"", "want N/PERIOD"},
		{"600", "want N/PERIOD"},
		{"1m", "want N/PERIOD"},
		{"on", "want N/PERIOD"},
		{"/1m", "count must be a positive whole number"},
		{"0/1m", "count must be a positive whole number"},
		{"-5/1m", "count must be a positive whole number"},
		{"1.5/1m", "count must be a positive whole number"},
		{"ten/1m", "count must be a positive whole number"},
		{"10/", "period must be a positive duration"},
		{"10/0s", "period must be a positive duration"},
		{"10/-1m", "period must be a positive duration"},
		{"10/d", "period must be a positive duration"},
		{"10/1 m", "period must be a positive duration"},
		{"10/minute", "period must be a positive duration"},
		{"10/1m/2", "period must be a positive duration"},
		{"1001/1us", "more than one event per nanosecond"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseRate(tt.in)
			if err == nil {
				t.Fatalf("got %+v, want an error", r)
			}
			if !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), fmt.Sprintf("%q", strings.TrimSpace(tt.in))) {
				t.Errorf("error %q, want it to quote the input and say %q", err, tt.err)
			}
		})
	}
}

func TestRateStringUnlimited(t *testing.T) {
	for _, r := range []Rate{{}, {N: 5}, {Per: time.Second}, {N: -1, Per: time.Second}} {
		if s := r.String(); s != "off" {
			t.Errorf("%+v: %q, want off", r, s)
		}
	}
}

// step is one call of Allow, after moving the clock by advance.
type step struct {
	advance time.Duration
	key     string
	n       int
	ok      bool
	retry   time.Duration
}

// limiters are the implementations the step tables run on, each made
// with the clock they are to read.
var limiters = []struct {
	name string
	make func(r Rate, now func() time.Time) Limiter
}{
	{"memory", func(r Rate, now func() time.Time) Limiter {
		l := NewMemory(r)
		l.Now = now
		return l
	}},
	{"shared", func(r Rate, now func() time.Time) Limiter {
		l := NewShared("test", r, newFakeStore())
		l.Now = now
		return l
	}},
}

// run runs steps on each implementation.
func run(t *testing.T, r Rate, steps []step) {
	t.Helper()
	for _, impl := range limiters {
		t.Run(impl.name, func(t *testing.T) {
			clock := testutil.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
			l := impl.make(r, clock.Now)
			for i, s := range steps {
				clock.Advance(s.advance)
				key := s.key
				if key == "" {
					key = "k"
				}
				ok, retry, err := l.Allow(t.Context(), key, s.n)
				if err != nil || ok != s.ok || retry != s.retry {
					t.Fatalf("step %d (+%v, %s, n=%d): Allow = %v, %v, %v; want %v, %v", i, s.advance, key, s.n, ok, retry, err, s.ok, s.retry)
				}
			}
		})
	}
}

func TestAllow(t *testing.T) {
	const ms = time.Millisecond
	fourPerSecond := Rate{4, time.Second} // T = 250ms, burst 4
	tests := []struct {
		name  string
		rate  Rate
		steps []step
	}{
		{"burst then refuse", fourPerSecond, []step{
			{n: 1, ok: true}, {n: 1, ok: true}, {n: 1, ok: true}, {n: 1, ok: true},
			{n: 1, retry: 250 * ms},
			{n: 2, retry: 500 * ms},
			{n: 4, retry: time.Second},
		}},
		{"refill over time", fourPerSecond, []step{
			{n: 4, ok: true},
			{advance: 100 * ms, n: 1, retry: 150 * ms},
			{advance: 149 * ms, n: 1, retry: ms},
			{advance: ms, n: 1, ok: true},
			{n: 1, retry: 250 * ms},
			// A whole period idle fills the bucket, and no more.
			{advance: 10 * time.Second, n: 4, ok: true},
			{n: 1, retry: 250 * ms},
		}},
		{"partial refill allows a partial burst", fourPerSecond, []step{
			{n: 4, ok: true},
			{advance: 500 * ms, n: 3, retry: 250 * ms},
			{n: 2, ok: true},
			{n: 1, retry: 250 * ms},
		}},
		{"retry after is exact to the nanosecond", Rate{3, time.Second}, []step{
			// T = 333333333ns.
			{n: 3, ok: true},
			{n: 1, retry: 333333333},
			{advance: 333333332, n: 1, retry: 1},
			{advance: 1, n: 1, ok: true},
		}},
		{"a cost above the burst needs a full bucket, then owes", fourPerSecond, []step{
			{n: 1, ok: true},
			// Not full: wait until it is (250ms), not forever.
			{n: 10, retry: 250 * ms},
			{advance: 250 * ms, n: 10, ok: true},
			// 2.5s of debt: one more needs the bucket back to within
			// one second less a T of full.
			{n: 1, retry: 1750 * ms},
			{advance: 1750 * ms, n: 1, ok: true},
			{n: 10, retry: time.Second},
			{advance: time.Second, n: 10, ok: true},
		}},
		{"a cost of exactly the burst is ordinary", fourPerSecond, []step{
			{n: 4, ok: true},
			{advance: 250 * ms, n: 4, retry: 750 * ms},
		}},
		{"keys are independent", fourPerSecond, []step{
			{key: "a", n: 4, ok: true},
			{key: "a", n: 1, retry: 250 * ms},
			{key: "b", n: 4, ok: true},
			{key: "b", n: 1, retry: 250 * ms},
			{key: "c", n: 40, ok: true},
			{advance: 250 * ms, key: "a", n: 1, ok: true},
			{key: "c", n: 1, retry: 9 * time.Second},
		}},
		{"no cost", fourPerSecond, []step{
			{n: 4, ok: true},
			{n: 0, ok: true},
			{n: -3, ok: true},
			{n: 1, retry: 250 * ms},
		}},
		{"600 a minute", Rate{600, time.Minute}, []step{
			{n: 600, ok: true},
			{n: 1, retry: 100 * ms},
			{advance: 30 * time.Second, n: 300, ok: true},
			{n: 1, retry: 100 * ms},
			{advance: time.Minute, n: 1000, ok: true},
			{n: 1, retry: 40*time.Second + 100*ms},
		}},
		{"unlimited", Rate{}, []step{
			{n: 1 << 40, ok: true},
			{n: 1 << 40, ok: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run(t, tt.rate, tt.steps)
		})
	}
}

// TestAbsurdCost: a cost too large for a TAT saturates: Memory's at the
// largest Duration, Shared's at maxSpan, which keeps its store's sums of
// nanoseconds from overflowing.
func TestAbsurdCost(t *testing.T) {
	const century = 100 * 365 * 24 * time.Hour
	for i, tc := range []struct {
		advance, retry time.Duration
	}{
		{century, time.Duration(1<<63-1) - century}, // memory
		{century / 10, maxSpan - century/10},        // shared: maxSpan is 36 years
	} {
		clock := testutil.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
		impl := limiters[i]
		l := impl.make(Rate{1, time.Hour}, clock.Now)
		if ok, _, err := l.Allow(t.Context(), "k", 1<<62); !ok || err != nil {
			t.Fatalf("%s: the absurd cost was refused: %v", impl.name, err)
		}
		clock.Advance(tc.advance)
		if ok, retry, _ := l.Allow(t.Context(), "k", 1); ok || retry != tc.retry {
			t.Errorf("%s: %v, %v; want refused for %v", impl.name, ok, retry, tc.retry)
		}
	}
}

func TestUnlimitedHoldsNoState(t *testing.T) {
	store := newFakeStore()
	for _, l := range []Limiter{(*Memory)(nil), NewMemory(Rate{}), NewMemory(Rate{N: 5}),
		(*Shared)(nil), NewShared("x", Rate{}, store), NewShared("x", Rate{N: 5}, store)} {
		for i := range 10000 {
			if ok, retry, err := l.Allow(t.Context(), fmt.Sprint(i), 1000); !ok || retry != 0 || err != nil {
				t.Fatalf("%T refused: %v, %v", l, retry, err)
			}
		}
		if m, ok := l.(*Memory); ok && m != nil && m.tat != nil {
			t.Errorf("memory: %d keys held", len(m.tat.m))
		}
		if s, ok := l.(*Shared); ok && s != nil && s.keys != nil {
			t.Errorf("shared: %d keys held", len(s.keys.m))
		}
	}
	if store.spends != 0 {
		t.Errorf("%d spends in the store", store.spends)
	}
}

func TestEviction(t *testing.T) {
	clock := testutil.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	l := NewMemory(Rate{10, time.Second}) // a single event keeps a key for 100ms
	l.Now = clock.Now
	ctx := t.Context()
	// One key that stays in debt throughout.
	if ok, _, _ := l.Allow(ctx, "heavy", 1000); !ok {
		t.Fatal("heavy refused")
	}
	// A new key every 10µs: about 10,000 of them are active at a time,
	// 200,000 in all.
	const total = 200_000
	largest := 0
	for i := range total {
		clock.Advance(10 * time.Microsecond)
		if ok, _, _ := l.Allow(ctx, fmt.Sprint(i), 1); !ok {
			t.Fatalf("key %d refused", i)
		}
		largest = max(largest, len(l.tat.m))
	}
	if largest > 40_000 {
		t.Errorf("the map grew to %d keys for about 10,000 active", largest)
	}
	// Evicting only full buckets changes nothing: the key in debt is
	// still refused, for exactly as long as before.
	elapsed := total * 10 * time.Microsecond
	if ok, retry, _ := l.Allow(ctx, "heavy", 1); ok || retry != 100*time.Second+100*time.Millisecond-time.Second-elapsed {
		t.Errorf("heavy: %v, %v", ok, retry)
	}
	// Once every bucket is full again, the next sweep empties the map.
	clock.Advance(100 * time.Second)
	l.mu.Lock()
	l.tat.sweepAt = 0
	l.mu.Unlock()
	l.Allow(ctx, "last", 1)
	if n := len(l.tat.m); n != 1 {
		t.Errorf("%d keys left, want 1", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	const keys, perKey, goroutines = 8, 50, 16
	clock := testutil.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	store := newFakeStore()
	for _, tc := range []struct {
		name string
		// instances are the limiters that share the keys' buckets.
		instances []Limiter
	}{
		{"memory", []Limiter{NewMemory(Rate{perKey, time.Minute})}},
		{"shared, one instance", []Limiter{NewShared("one", Rate{perKey, time.Minute}, store)}},
		{"shared, two instances", []Limiter{NewShared("two", Rate{perKey, time.Minute}, store), NewShared("two", Rate{perKey, time.Minute}, store)}},
		// Events taken ahead (Lease/T of them) are all used: the clock
		// stands still, so no lease lapses.
		{"shared, two instances taking ahead", []Limiter{NewShared("fast", Rate{perKey, time.Second}, store), NewShared("fast", Rate{perKey, time.Second}, store)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, l := range tc.instances {
				switch l := l.(type) {
				case *Memory:
					l.Now = clock.Now
				case *Shared:
					l.Now = clock.Now
				}
			}
			var allowed [keys]atomic.Int64
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range 100 {
						k := (g + i) % keys
						if ok, _, _ := tc.instances[i%len(tc.instances)].Allow(t.Context(), fmt.Sprint("key", k), 1); ok {
							allowed[k].Add(1)
						}
					}
				})
			}
			wg.Wait()
			// The clock stood still, so each key got exactly its burst.
			for k := range keys {
				if n := allowed[k].Load(); n != perKey {
					t.Errorf("key %d: %d allowed, want %d", k, n, perKey)
				}
			}
		})
	}
}

// TestTake checks the error Take answers: rate_limited, the message, and
// the wait rounded up to whole seconds, never below one.
func TestTake(t *testing.T) {
	clock := testutil.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	l := NewMemory(Rate{N: 2, Per: 3 * time.Second}) // one event per 1.5s
	l.Now = clock.Now
	ctx := t.Context()
	for i := range 2 {
		if err := Take(ctx, l, "k", 1, "slow down"); err != nil {
			t.Fatalf("take %d: %v", i, err)
		}
	}
	for _, tc := range []struct {
		advance time.Duration
		seconds int
	}{
		{0, 2},                       // 1.5s to wait: rounded up
		{1400 * time.Millisecond, 1}, // 100ms to wait: at least one second
	} {
		clock.Advance(tc.advance)
		e, ok := errors.AsType[*invited.Error](Take(ctx, l, "k", 1, "slow down"))
		if !ok || e.Code != invited.ERATELIMITED || e.Message != "slow down" || e.RetryAfterSeconds != tc.seconds {
			t.Errorf("after +%v: %+v, want rate_limited, the message, Retry-After %d", tc.advance, e, tc.seconds)
		}
	}
	if err := Take(ctx, nil, "k", 1000, "x"); err != nil {
		t.Errorf("nil limiter: %v", err)
	}
	// A store that cannot be asked: its error is the answer.
	down := &invited.Error{Code: invited.EUNAVAILABLE, Message: "the database is unavailable"}
	shared := NewShared("x", Rate{N: 2, Per: time.Second}, failingStore{down})
	if err := Take(ctx, shared, "k", 1, "x"); err != down {
		t.Errorf("store down: %v, want its error", err)
	}
}
