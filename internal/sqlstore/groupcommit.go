package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// maxGroup bounds how many write requests share one commit, so that one
// group's latency stays bounded however deep the queue.
const maxGroup = 128

// committer is group commit for a database whose write transactions run one
// at a time (SQLite). Each commit costs an fsync, which dominates a small
// write: instead of one transaction per request, one goroutine runs every
// request that is waiting into one transaction, each in a savepoint of its
// own, and commits once. Durability is unchanged: a request is answered only
// after the commit that holds its writes. A lone request waits for nothing.
type committer struct {
	db       *DB
	pool     *sql.DB
	requests chan *writeRequest
	stop     chan struct{}
	done     sync.WaitGroup
	// commits counts the groups committed, for tests and metrics.
	commits atomic.Int64
	// last is the latest now a request ran with, kept by loop alone: the
	// next request's now is not earlier, so that the writes, which take
	// turns, carry times in the order they ran even if the clock steps back.
	last time.Time
}

// writeRequest is one writeTx call waiting for its group.
type writeRequest struct {
	ctx   context.Context
	fn    func(*Tx) error
	err   error
	hooks []func()
	done  chan struct{}
	// span is the request's span of its wait for the group's commit; nil
	// when the request is not traced (trace.go).
	span trace.Span
}

func newCommitter(db *DB, pool *sql.DB) *committer {
	c := &committer{db: db, pool: pool, requests: make(chan *writeRequest), stop: make(chan struct{})}
	c.done.Go(c.loop)
	return c
}

// do runs fn in the next group and returns its outcome once the group has
// committed (or failed).
func (c *committer) do(ctx context.Context, fn func(*Tx) error) (err error) {
	r := &writeRequest{ctx: ctx, fn: fn, done: make(chan struct{})}
	if c.db.tracer != nil {
		r.span = c.db.startSpan(ctx, nil, "group commit")
		defer func() { endSpan(r.span, err) }()
	}
	select {
	case c.requests <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.stop:
		return errors.New("sqlstore: closed")
	}
	// Once taken, the request is seen through even if ctx ends: its
	// writes may already be in the group, and the caller must not be told
	// they failed when they are about to commit.
	<-r.done
	for _, f := range r.hooks {
		f()
	}
	return r.err
}

// close stops the loop after the group in progress.
func (c *committer) close() {
	close(c.stop)
	c.done.Wait()
}

func (c *committer) loop() {
	for {
		var group []*writeRequest
		select {
		case r := <-c.requests:
			group = append(group, r)
		case <-c.stop:
			return
		}
		// Whoever queued while the previous group was committing joins
		// this one; nobody waits for stragglers.
	drain:
		for len(group) < maxGroup {
			select {
			case r := <-c.requests:
				group = append(group, r)
			default:
				break drain
			}
		}
		c.run(group)
		for _, r := range group {
			close(r.done)
		}
	}
}

// run executes a group in one transaction and sets each request's outcome.
func (c *committer) run(group []*writeRequest) {
	fail := func(err error) {
		for _, r := range group {
			if r.err == nil {
				r.err, r.hooks = c.db.edgeError(r.ctx, err), nil
			}
		}
	}
	// The transaction belongs to the group, not to any one caller: a
	// caller's cancellation must not roll back the others' writes.
	c.db.roundTrips.Add(2) // BEGIN, and COMMIT or ROLLBACK
	stx, err := c.pool.BeginTx(context.Background(), nil)
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	defer stx.Rollback()
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.err = err // gave up before its turn: nothing was written
			continue
		}
		// Each request runs to its end once started (see Tx.shared);
		// requests are short.
		tx := &Tx{tx: stx, db: c.db, now: later(c.last, c.db.clock()), shared: true}
		if r.span != nil {
			// The span's start to this event is the wait for its turn;
			// the end of the transaction's span to its own, the wait for
			// the others' writes and the commit.
			r.span.AddEvent("turn", trace.WithAttributes(attribute.Int("invited.group.size", len(group))))
			tx.span = c.db.startSpan(r.ctx, r.span, "write transaction")
		}
		err := tx.savepointNamed(r.ctx, "request", func() error { return runGuarded(r.ctx, tx, r.fn) })
		endSpan(tx.span, err)
		c.last = tx.now
		if err != nil {
			r.err = c.db.edgeError(r.ctx, err)
			continue
		}
		r.hooks = tx.afterCommit
	}
	if err := stx.Commit(); err != nil {
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	c.commits.Add(1)
}

// runGuarded turns a panic in fn into an error, so that one request's bug
// fails that request instead of the writer every other request waits on.
func runGuarded(ctx context.Context, tx *Tx, fn func(*Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in write transaction: %v", p)
		}
	}()
	return tx.run(ctx, fn)
}
