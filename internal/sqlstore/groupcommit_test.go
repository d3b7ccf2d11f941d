package sqlstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/invitedhq/invited/internal/testutil"
)

// TestGroupCommit drives many concurrent writes through SQLite's group
// commit, where every fourth fails, every seventh panics: each request's
// outcome must be exactly what it would be alone, and the writes must have
// shared commits.
func TestGroupCommit(t *testing.T) {
	db := openURL(t, sqliteURL(t), Options{})
	ctx := context.Background()
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE gc (n INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	errBoom := errors.New("boom")
	const n = 400
	errs := make([]error, n)
	var hooks atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = db.writeTx(ctx, func(tx *Tx) error {
				if _, err := tx.exec(ctx, `INSERT INTO gc (n) VALUES (?)`, i); err != nil {
					return err
				}
				tx.onCommit(func() { hooks.Add(1) })
				switch {
				case i%7 == 0:
					panic("bug")
				case i%4 == 0:
					return errBoom // after its insert: the savepoint must undo it
				}
				return nil
			})
		})
	}
	close(start)
	wg.Wait()

	want := 0
	for i, err := range errs {
		switch {
		case i%7 == 0:
			if err == nil {
				t.Fatalf("request %d panicked but succeeded", i)
			}
		case i%4 == 0:
			if !errors.Is(err, errBoom) {
				t.Fatalf("request %d: %v, want its own error", i, err)
			}
		default:
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			want++
		}
	}
	var rows, bad int
	must(t, db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM gc`).Scan(&rows))
	must(t, db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM gc WHERE n % 7 = 0 OR n % 4 = 0`).Scan(&bad))
	if rows != want || bad != 0 {
		t.Fatalf("%d rows (%d from failed requests), want %d", rows, bad, want)
	}
	if int(hooks.Load()) != want {
		t.Fatalf("%d commit hooks ran, want %d: only committed requests are told", hooks.Load(), want)
	}
	if c := db.group.commits.Load(); c >= n {
		t.Fatalf("%d commits for %d requests: nothing was grouped", c, n)
	} else {
		t.Logf("%d requests in %d commits", n, c)
	}
}

// TestGroupCommitCancelled checks that a request whose caller gave up
// before its turn writes nothing and reports the cancellation.
func TestGroupCommitCancelled(t *testing.T) {
	db := openURL(t, sqliteURL(t), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := db.writeTx(ctx, func(*Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("err %v, ran %v", err, ran)
	}
	// The writer is still serving.
	must(t, db.writeTx(context.Background(), func(tx *Tx) error {
		_, err := tx.exec(context.Background(), `SELECT 1`)
		return err
	}))
}

// TestGroupCommitNowInOrder steps the clock back between two writes on
// SQLite: the second still runs at a now no earlier than the first's,
// because the writes there take turns.
func TestGroupCommitNowInOrder(t *testing.T) {
	clock := testutil.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	db := openURL(t, sqliteURL(t), Options{Now: clock.Now})
	ctx := context.Background()
	var first, second time.Time
	must(t, db.writeTx(ctx, func(tx *Tx) error { first = tx.now; return nil }))
	clock.Advance(-time.Hour)
	must(t, db.writeTx(ctx, func(tx *Tx) error { second = tx.now; return nil }))
	if second.Before(first) {
		t.Fatalf("a write at %s, then one at %s", first, second)
	}
}
