// Package jobs runs invited's background work inside `invited serve`.
package jobs

import (
	"context"
	"log/slog"
	"time"
)

// Expirer persists the expired status of overdue invitations.
type Expirer interface {
	ExpireInvitations(ctx context.Context, limit int) (int, error)
}

// IdempotencyPurger forgets Idempotency-Keys older than their TTL.
type IdempotencyPurger interface {
	PurgeIdempotencyKeys(ctx context.Context) (int, error)
}

// SweepBatch bounds one sweeper transaction, so that a backlog never holds
// the writer for long: each batch commits before the next starts.
const SweepBatch = 500

// Sweeper periodically marks overdue invitations expired and purges old
// idempotency keys. Invitations read as expired the moment they are overdue
// whatever the sweeper does; it only makes the stored status, and the
// indexes built on it, catch up.
type Sweeper struct {
	Expirer  Expirer
	Purger   IdempotencyPurger
	Interval time.Duration
	Logger   *slog.Logger
	// Expired, if set, is told how many invitations each committed batch
	// expired (for invited_invitation_transitions_total).
	Expired func(n int)
}

// Run sweeps every Interval until ctx is done.
func (s *Sweeper) Run(ctx context.Context) {
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		s.Sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep runs one pass: batches until fewer than a full batch expired.
func (s *Sweeper) Sweep(ctx context.Context) {
	total := 0
	for ctx.Err() == nil {
		n, err := s.Expirer.ExpireInvitations(ctx, SweepBatch)
		total += n
		if err != nil {
			s.Logger.ErrorContext(ctx, "expiry sweep failed", "err", err)
			break
		}
		if s.Expired != nil && n > 0 {
			s.Expired(n)
		}
		if n < SweepBatch {
			break
		}
	}
	if total > 0 {
		s.Logger.InfoContext(ctx, "expired invitations", "count", total)
	}
	if n, err := s.Purger.PurgeIdempotencyKeys(ctx); err != nil {
		s.Logger.ErrorContext(ctx, "idempotency key purge failed", "err", err)
	} else if n > 0 {
		s.Logger.DebugContext(ctx, "purged idempotency keys", "count", n)
	}
}
