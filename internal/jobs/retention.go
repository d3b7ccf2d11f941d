package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/invitedhq/invited"
)

// RetentionBatch bounds one retention transaction: each batch commits
// before the next starts, so that a backlog never holds the writer, or
// the rows, for long.
const RetentionBatch = 1000

// RetentionPause is the pause between two batches of one kind and scope,
// which leaves the database to the requests while a backlog drains.
const RetentionPause = 50 * time.Millisecond

// Retention applies the retention policy (docs/retention.md) every
// Interval: it deletes finished messages and old audit events, and clears
// the personal data of invitations, app invites and join requests that
// ended without being accepted, each organization by its own settings
// over Policy. Several instances may run it on one database: their
// batches skip each other's rows, and what one has removed the other
// finds gone.
type Retention struct {
	Store invited.Retainer
	// Policy is the system-wide retention; a zero part keeps forever.
	Policy   invited.Retention
	Interval time.Duration
	// Batch is the rows of one transaction (default RetentionBatch), and
	// Pause the wait between batches (zero: none).
	Batch  int
	Pause  time.Duration
	Logger *slog.Logger
	// Retained, if set, is told how many rows of a kind each committed
	// batch removed or cleared (for invited_retention_rows_total).
	Retained func(kind invited.RetentionKind, n int)
}

// Run applies the policy every Interval until ctx is done.
func (r *Retention) Run(ctx context.Context) {
	every(ctx, r.Interval, func(ctx context.Context) { r.Pass(ctx) })
}

// Pass applies the policy once: for each kind and scope, batches until
// fewer than a full batch went, then one audit event with the counts if
// anything went. It answers the counts. A failure ends that scope's
// kind alone: the others still run.
func (r *Retention) Pass(ctx context.Context) map[invited.RetentionKind]int {
	scopes, err := r.Store.RetentionScopes(ctx, r.Policy)
	if err != nil {
		r.Logger.ErrorContext(ctx, "retention: reading the policies failed", "err", err)
		return nil
	}
	counts := map[invited.RetentionKind]int{}
	for _, kind := range invited.RetentionKinds {
		for _, scope := range scopes {
			if keep := scope.Retention.Keep(kind); keep > 0 {
				counts[kind] += r.drain(ctx, kind, scope, keep)
			}
		}
	}
	total := 0
	for kind, n := range counts {
		if n == 0 {
			delete(counts, kind)
		}
		total += n
	}
	if total == 0 {
		return counts
	}
	if err := r.Store.RecordRetention(ctx, counts); err != nil {
		r.Logger.ErrorContext(ctx, "retention: recording the pass failed", "err", err)
	}
	args := []any{}
	for kind, n := range counts {
		args = append(args, string(kind), n)
	}
	r.Logger.InfoContext(ctx, "retention applied", args...)
	return counts
}

// drain applies keep to kind in scope, batch after batch, until a batch
// is not full, the store fails or ctx is done, and answers how many rows
// went.
func (r *Retention) drain(ctx context.Context, kind invited.RetentionKind, scope invited.RetentionScope, keep time.Duration) int {
	batch := positive(r.Batch, RetentionBatch)
	total := 0
	for ctx.Err() == nil {
		n, err := r.Store.Retain(ctx, kind, scope, keep, batch)
		total += n
		if err != nil {
			r.Logger.ErrorContext(ctx, "retention failed", "kind", kind, "org_id", scope.OrgID, "err", err)
			break
		}
		if r.Retained != nil && n > 0 {
			r.Retained(kind, n)
		}
		if n < batch || !sleep(ctx, r.Pause) {
			break
		}
	}
	return total
}

// sleep waits d, or less if ctx is done first, and reports whether ctx is
// still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
