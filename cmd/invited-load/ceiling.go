package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/invitedhq/invited/internal/sqlstore"
)

// insertCeiling is the sqlite-insert scenario: for cfg.duration, one row
// per transaction into a fresh file at cfg.db, through the store's own
// writer setup (synchronous=FULL in WAL mode, the statement cache), with
// cfg.conns workers that take turns on its one connection as requests do.
// It is the "raw durable single-row insert" the design targets measure
// SQLite creates and accepts against.
func insertCeiling(ctx context.Context, cfg config) (*result, error) {
	if cfg.db == "" {
		return nil, errors.New("sqlite-insert needs -db, a file that does not exist yet")
	}
	if _, err := os.Stat(cfg.db); !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("-db %s: must not exist yet", cfg.db)
	}
	db, err := sqlstore.OpenSQLiteWriter(cfg.db)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE ceiling (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		return nil, err
	}
	return timeCalls(ctx, cfg, func(ctx context.Context, i int64) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `INSERT INTO ceiling (v) VALUES (?)`, fmt.Sprintf("row %d", i)); err != nil {
			return err
		}
		return tx.Commit()
	}), nil
}

// timeCalls runs do as load runs requests, cfg.conns at a time until
// cfg.duration has passed or cfg.max calls have started, and times each;
// a call cut off by the deadline is not counted.
func timeCalls(ctx context.Context, cfg config, do func(context.Context, int64) error) *result {
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var (
		next atomic.Int64
		mu   sync.Mutex
		wg   sync.WaitGroup
		res  = &result{status: map[int]int{}}
	)
	start := time.Now()
	for range cfg.conns {
		wg.Go(func() {
			var lat []time.Duration
			var failed error
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(cfg.max) {
					break
				}
				t0 := time.Now()
				if err := do(ctx, i); err != nil {
					if ctx.Err() == nil && failed == nil {
						failed = err
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			defer mu.Unlock()
			res.latencies = append(res.latencies, lat...)
			if failed != nil {
				res.netErrs++
				res.firstErr = cmp.Or(res.firstErr, failed.Error())
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.latencies)
	res.status[200] = len(res.latencies)
	return res
}
