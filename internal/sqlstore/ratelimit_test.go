package sqlstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/invitedhq/invited/internal/ratelimit"
)

// testRateLimits: the buckets SpendRate keeps, under ratelimit.Shared,
// answer step for step as the in-memory limiter does where nothing is
// taken ahead (T > Lease); two limiters on one database, as two instances,
// allow N in all, however the requests race; the buckets that are full
// again are purged, and start afresh.
func testRateLimits(t *testing.T, e *env) {
	ctx := context.Background()
	rate := ratelimit.Rate{N: 5, Per: 2 * time.Second} // T = 400ms
	shared := ratelimit.NewShared("contract", rate, e.db)
	shared.Now = e.clock.Now
	memory := ratelimit.NewMemory(rate)
	memory.Now = e.clock.Now
	rng := rand.New(rand.NewPCG(3, 4))
	var allowed, refused int
	for i := range 300 {
		e.clock.Advance(time.Duration(rng.Int64N(int64(300 * time.Millisecond))))
		key := fmt.Sprint("k", rng.IntN(3))
		n := 1 + rng.IntN(3)
		if rng.IntN(20) == 0 {
			n = 2 * rate.N // above the burst: needs a full bucket, then owes
		}
		okS, waitS, err := shared.Allow(ctx, key, n)
		okM, waitM, _ := memory.Allow(ctx, key, n)
		if err != nil || okS != okM || waitS != waitM {
			t.Fatalf("step %d (%s, n=%d): shared %v, %v, %v; memory %v, %v", i, key, n, okS, waitS, err, okM, waitM)
		}
		if okS {
			allowed++
		} else {
			refused++
		}
	}
	if allowed < 50 || refused < 50 {
		t.Fatalf("%d allowed, %d refused: the steps showed little", allowed, refused)
	}

	// Two instances, requests racing: N in all. The second rate takes up
	// to Lease/T = 100 events ahead at a time; the clock stands still, so
	// all of them are used.
	for _, rate := range []ratelimit.Rate{{N: 20, Per: time.Hour}, {N: 1000, Per: time.Second}} {
		a, b := ratelimit.NewShared("race", rate, e.db), ratelimit.NewShared("race", rate, e.db)
		a.Now, b.Now = e.clock.Now, e.clock.Now
		var n atomic.Int64
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range rate.N * 3 / 8 {
					ok, _, err := []*ratelimit.Shared{a, b}[(g+i)%2].Allow(ctx, "raced "+rate.String(), 1)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						n.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if n.Load() != int64(rate.N) {
			t.Errorf("%v: two instances allowed %d, want %d", rate, n.Load(), rate.N)
		}
	}

	// One statement per spend, and no transaction, where the database
	// runs writes side by side.
	if e.db.SharedByInstances() {
		before := e.db.roundTrips.Load()
		if _, _, _, err := e.db.SpendRate(ctx, []byte("trips"), e.clock.Now(), time.Second, time.Minute, time.Second, 0); err != nil {
			t.Fatal(err)
		}
		if trips := e.db.roundTrips.Load() - before; trips != 1 {
			t.Errorf("a spend took %d round trips, want 1", trips)
		}
	}

	count := func() int {
		var n int
		if err := e.db.read.QueryRow(`SELECT count(*) FROM rate_limits`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	rows := count()
	if rows < 5 {
		t.Fatalf("%d buckets stored", rows)
	}
	if n, err := e.db.PurgeRateLimits(ctx); err != nil || n != 0 {
		t.Fatalf("purge while every bucket is in use: %d, %v", n, err)
	}
	e.clock.Advance(2 * time.Hour)
	if n, err := e.db.PurgeRateLimits(ctx); err != nil || n != rows || count() != 0 {
		t.Fatalf("purge of full buckets: %d, %v; want %d, and none left (%d)", n, err, rows, count())
	}
	// A purged bucket starts full.
	r := ratelimit.NewShared("contract", ratelimit.Rate{N: 2, Per: time.Hour}, e.db)
	r.Now = e.clock.Now
	for i, want := range []bool{true, true, false} {
		if ok, _, err := r.Allow(ctx, "again", 1); err != nil || ok != want {
			t.Fatalf("spend %d: %v, %v; want %v", i, ok, err, want)
		}
	}
}
