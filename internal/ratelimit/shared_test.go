package ratelimit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/invitedhq/invited/internal/testutil"
)

// fakeStore keeps buckets as the store's one statement does
// (internal/sqlstore/ratelimit.go), so that Shared's own part can be
// tested here; the sqlstore contract runs Shared on the real databases.
type fakeStore struct {
	mu     sync.Mutex
	tat    map[string]time.Time
	spends int
}

func newFakeStore() *fakeStore { return &fakeStore{tat: map[string]time.Time{}} }

func (s *fakeStore) SpendRate(_ context.Context, key []byte, now time.Time, cost, slack, interval time.Duration, extra int) (bool, int, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spends++
	tat := s.tat[string(key)]
	if tat.Before(now) {
		tat = now
	}
	if tat.Sub(now) > slack {
		return false, 0, tat, nil
	}
	extras := min(extra, int((slack-tat.Sub(now))/interval))
	tat = tat.Add(cost + time.Duration(extras)*interval)
	s.tat[string(key)] = tat
	return true, extras, tat, nil
}

type failingStore struct{ err error }

func (s failingStore) SpendRate(context.Context, []byte, time.Time, time.Duration, time.Duration, time.Duration, int) (bool, int, time.Time, error) {
	return false, 0, time.Time{}, s.err
}

// TestSharedStatements counts what the store is asked: every allowed event
// of a slow key, a few for a hot key that takes events ahead, and nothing
// for a refusal the store already answered.
func TestSharedStatements(t *testing.T) {
	ctx := t.Context()
	clock := testutil.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	tests := []struct {
		name      string
		rate      Rate
		every     time.Duration // between requests
		requests  int
		allowed   int
		spendsMax int
	}{
		// T = 1s > Lease: one statement per allowed event, then one
		// refusal by the store, then none.
		{"slow key, burst", Rate{60, time.Minute}, 0, 100, 60, 61},
		// 10,000 a second for 1s: events taken ahead double up to
		// Lease/T = 1,000 a statement.
		{"hot key", Rate{10000, time.Second}, 100 * time.Microsecond, 10000, 10000, 40},
		// One request every 2 Leases: nothing taken ahead lives to be
		// used, so nothing is taken ahead.
		{"fast rate, quiet key", Rate{10000, time.Second}, 2 * Lease, 50, 50, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newFakeStore()
			l := NewShared("t", tt.rate, store)
			l.Now = clock.Now
			allowed := 0
			for range tt.requests {
				clock.Advance(tt.every)
				ok, _, err := l.Allow(ctx, "k", 1)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					allowed++
				}
			}
			if allowed != tt.allowed || store.spends > tt.spendsMax {
				t.Errorf("%d allowed with %d statements, want %d with at most %d", allowed, store.spends, tt.allowed, tt.spendsMax)
			}
		})
	}
}

// TestSharedBound checks the bound Shared documents: with instances taking
// events ahead and the clock moving, all of them together allow at most
// ceil(Lease/T) events beyond what the rate allows in any window, and a
// rate slower than one per Lease is exact.
func TestSharedBound(t *testing.T) {
	for _, tc := range []struct {
		rate  Rate
		extra int // beyond the rate, at most
	}{
		{Rate{100, time.Second}, 10},    // T = 10ms: Lease/T = 10
		{Rate{30, 3 * time.Second}, 1},  // T = 100ms
		{Rate{20, 10 * time.Second}, 0}, // T = 500ms
	} {
		t.Run(tc.rate.String(), func(t *testing.T) {
			clock := testutil.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
			store := newFakeStore()
			instances := []*Shared{NewShared("b", tc.rate, store), NewShared("b", tc.rate, store), NewShared("b", tc.rate, store)}
			for _, l := range instances {
				l.Now = clock.Now
			}
			rng := rand.New(rand.NewPCG(1, 2))
			var at []time.Time // when each event was allowed
			start := clock.Now()
			for range 6000 {
				// Four times the rate, on any instance, with pauses in
				// which buckets fill up again while the events taken
				// ahead before must lapse.
				pause := time.Duration(rng.ExpFloat64() * float64(tc.rate.Per) / float64(4*tc.rate.N))
				if rng.IntN(100) == 0 {
					pause = time.Duration(rng.Int64N(int64(2 * tc.rate.Per)))
				}
				clock.Advance(pause)
				if ok, _, _ := instances[rng.IntN(len(instances))].Allow(t.Context(), "k", 1); ok {
					at = append(at, clock.Now())
				}
			}
			// Every window that starts at an allowed event: the rate
			// allows N in it, and one more per T of its length.
			T := tc.rate.Per / time.Duration(tc.rate.N)
			worst := 0
			for i := range at {
				for j := i; j < len(at); j++ {
					allowedByRate := tc.rate.N + int(at[j].Sub(at[i])/T)
					worst = max(worst, j-i+1-allowedByRate)
				}
			}
			if worst > tc.extra {
				t.Errorf("%d events beyond the rate in a window, want at most %d", worst, tc.extra)
			}
			if elapsed := clock.Now().Sub(start); len(at) < int(elapsed/T)/2 {
				t.Errorf("%d allowed in %v: the test allowed too little to show anything", len(at), elapsed)
			}
			t.Logf("%d allowed over %v; worst window: %d beyond the rate", len(at), clock.Now().Sub(start), worst)
		})
	}
}

// TestSharedNames: limiters of different names on one store count apart.
func TestSharedNames(t *testing.T) {
	store := newFakeStore()
	a, b := NewShared("a", Rate{1, time.Hour}, store), NewShared("b", Rate{1, time.Hour}, store)
	for i, l := range []*Shared{a, b} {
		if ok, _, _ := l.Allow(t.Context(), "k", 1); !ok {
			t.Fatalf("limiter %d: refused its first event", i)
		}
	}
	if ok, _, _ := NewShared("a", Rate{1, time.Hour}, store).Allow(t.Context(), "k", 1); ok {
		t.Fatal("a second instance of a allowed more than its rate")
	}
	if string(a.bucket("k")) == string(b.bucket("k")) || len(a.bucket(fmt.Sprint(make([]byte, 4096)))) != 32 {
		t.Fatal("bucket names")
	}
}
