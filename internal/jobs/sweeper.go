// Package jobs runs invited's background work inside `invited serve`.
package jobs

import (
	"context"
	"log/slog"
	"time"
)

// Expirer persists the expired status of overdue invitations, app
// invites, join links and join requests.
type Expirer interface {
	ExpireInvitations(ctx context.Context, limit int) (int, error)
	ExpireAppInvites(ctx context.Context, limit int) (int, error)
	ExpireJoinLinks(ctx context.Context, limit int) (int, error)
	ExpireJoinRequests(ctx context.Context, limit int) (int, error)
}

// Purger forgets what has outlived its use: Idempotency-Keys older than
// their TTL, console sessions that have ended, and rate-limit buckets that
// are full again.
type Purger interface {
	PurgeIdempotencyKeys(ctx context.Context) (int, error)
	PurgeConsoleSessions(ctx context.Context) (int, error)
	PurgeRateLimits(ctx context.Context) (int, error)
}

// SweepBatch bounds one sweeper transaction, so that a backlog never holds
// the writer for long: each batch commits before the next starts.
const SweepBatch = 500

// Sweeper periodically marks overdue invitations, app invites, join links
// and join requests expired, and purges old idempotency keys, ended console
// sessions and full rate-limit buckets. All of them
// read as expired the moment they are overdue whatever the sweeper does;
// it only makes the stored status, and the indexes built on it, catch up,
// and keeps dead rows from piling up.
type Sweeper struct {
	Expirer  Expirer
	Purger   Purger
	Interval time.Duration
	Logger   *slog.Logger
	// Expired, if set, is told how many invitations each committed batch
	// expired (for invited_invitation_transitions_total).
	Expired func(n int)
}

// Run sweeps every Interval until ctx is done.
func (s *Sweeper) Run(ctx context.Context) { every(ctx, s.Interval, s.Sweep) }

// every runs f at once, then every interval, until ctx is done.
func every(ctx context.Context, interval time.Duration, f func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		f(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep runs one pass: for invitations, then app invites, batches until
// fewer than a full batch expired; then the purges, each on its own, so
// that one failing leaves the other to run.
func (s *Sweeper) Sweep(ctx context.Context) {
	s.drain(ctx, "invitations", s.Expirer.ExpireInvitations, s.Expired)
	s.drain(ctx, "app invites", s.Expirer.ExpireAppInvites, nil)
	s.drain(ctx, "join links", s.Expirer.ExpireJoinLinks, nil)
	s.drain(ctx, "join requests", s.Expirer.ExpireJoinRequests, nil)
	for _, p := range []struct {
		what  string
		purge func(context.Context) (int, error)
	}{
		{"idempotency keys", s.Purger.PurgeIdempotencyKeys},
		{"console sessions", s.Purger.PurgeConsoleSessions},
		{"rate limits", s.Purger.PurgeRateLimits},
	} {
		if n, err := p.purge(ctx); err != nil {
			s.Logger.ErrorContext(ctx, "purge failed", "what", p.what, "err", err)
		} else if n > 0 {
			s.Logger.DebugContext(ctx, "purged "+p.what, "count", n)
		}
	}
}

// drain expires what in batches until fewer than a full batch expired, or
// the store fails, and tells report (if set) how many each committed batch
// expired. A failure ends this kind's pass alone: the next kind and the
// purge still run.
func (s *Sweeper) drain(ctx context.Context, what string, expire func(context.Context, int) (int, error), report func(int)) {
	total := 0
	for ctx.Err() == nil {
		n, err := expire(ctx, SweepBatch)
		total += n
		if err != nil {
			s.Logger.ErrorContext(ctx, "expiry sweep failed", "what", what, "err", err)
			break
		}
		if report != nil && n > 0 {
			report(n)
		}
		if n < SweepBatch {
			break
		}
	}
	if total > 0 {
		s.Logger.InfoContext(ctx, "expired "+what, "count", total)
	}
}
