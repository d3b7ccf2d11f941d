package jobs

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// queue expires up to limit of its remaining overdue rows per call, like
// the store does, and records the batch sizes it was asked for.
type queue struct {
	overdue int
	calls   []int
	fail    bool
}

func (q *queue) expire(_ context.Context, limit int) (int, error) {
	q.calls = append(q.calls, limit)
	if q.fail {
		return 0, errors.New("database gone")
	}
	n := min(limit, q.overdue)
	q.overdue -= n
	return n, nil
}

// backlog is the store as the sweeper sees it: overdue invitations, app
// invites, join links and join requests, and idempotency keys and console
// sessions and rate limits to purge (each purge failing when its fail is
// set).
type backlog struct {
	invitations, appInvites, joinLinks, joinRequests queue
	keys, sessions, limits                           purge
}

// purge counts its calls.
type purge struct {
	calls int
	fail  bool
}

func (p *purge) run() (int, error) {
	p.calls++
	if p.fail {
		return 0, errors.New("database gone")
	}
	return 1, nil
}

func (b *backlog) ExpireInvitations(ctx context.Context, limit int) (int, error) {
	return b.invitations.expire(ctx, limit)
}

func (b *backlog) ExpireAppInvites(ctx context.Context, limit int) (int, error) {
	return b.appInvites.expire(ctx, limit)
}

func (b *backlog) ExpireJoinLinks(ctx context.Context, limit int) (int, error) {
	return b.joinLinks.expire(ctx, limit)
}

func (b *backlog) ExpireJoinRequests(ctx context.Context, limit int) (int, error) {
	return b.joinRequests.expire(ctx, limit)
}

func (b *backlog) PurgeIdempotencyKeys(context.Context) (int, error) { return b.keys.run() }

func (b *backlog) PurgeConsoleSessions(context.Context) (int, error) { return b.sessions.run() }

func (b *backlog) PurgeRateLimits(context.Context) (int, error) { return b.limits.run() }

func TestSweepDrainsInBatches(t *testing.T) {
	tests := []struct {
		name      string
		overdue   int
		fail      bool
		wantCalls int
	}{
		{"nothing overdue", 0, false, 1},
		{"less than a batch", SweepBatch - 1, false, 1},
		{"exactly a batch", SweepBatch, false, 2},
		{"a backlog", 2*SweepBatch + 7, false, 3},
		{"store failing stops the pass", 5000, true, 1},
	}
	// Each kind drains on its own: a backlog or a failure of one leaves
	// the others' passes as they would be alone.
	kinds := []struct {
		name string
		this func(*backlog) *queue
	}{
		{"invitations", func(b *backlog) *queue { return &b.invitations }},
		{"app invites", func(b *backlog) *queue { return &b.appInvites }},
		{"join links", func(b *backlog) *queue { return &b.joinLinks }},
		{"join requests", func(b *backlog) *queue { return &b.joinRequests }},
	}
	for _, k := range kinds {
		for _, tt := range tests {
			t.Run(k.name+"/"+tt.name, func(t *testing.T) {
				b := &backlog{invitations: queue{overdue: 3}, appInvites: queue{overdue: 3}, joinLinks: queue{overdue: 3}, joinRequests: queue{overdue: 3}}
				this := k.this(b)
				this.overdue, this.fail = tt.overdue, tt.fail
				s := &Sweeper{Expirer: b, Purger: b, Logger: discard()}
				s.Sweep(context.Background())
				if len(this.calls) != tt.wantCalls {
					t.Fatalf("%d calls, want %d", len(this.calls), tt.wantCalls)
				}
				if !tt.fail && this.overdue != 0 {
					t.Fatalf("%d overdue left", this.overdue)
				}
				for _, other := range []*queue{&b.invitations, &b.appInvites, &b.joinLinks, &b.joinRequests} {
					if other != this && (len(other.calls) != 1 || other.overdue != 0) {
						t.Fatalf("another kind: %d calls, %d overdue left", len(other.calls), other.overdue)
					}
				}
				if b.keys.calls != 1 || b.sessions.calls != 1 || b.limits.calls != 1 {
					t.Fatalf("purged keys %d times, sessions %d times, rate limits %d times", b.keys.calls, b.sessions.calls, b.limits.calls)
				}
			})
		}
	}
}

func TestSweepReportsExpirations(t *testing.T) {
	for _, fail := range []bool{false, true} {
		b := &backlog{invitations: queue{overdue: 2*SweepBatch + 7, fail: fail}, appInvites: queue{overdue: 9}}
		var reported []int
		s := &Sweeper{Expirer: b, Purger: b, Logger: discard(), Expired: func(n int) { reported = append(reported, n) }}
		s.Sweep(context.Background())
		// Expired counts invitations alone: it feeds the invitations'
		// transition metric.
		want := []int{SweepBatch, SweepBatch, 7}
		if fail {
			want = nil
		}
		if !slices.Equal(reported, want) {
			t.Errorf("fail=%v: reported %v, want %v", fail, reported, want)
		}
	}
}

// TestSweepPurges: each purge runs once a pass, whether the others fail.
func TestSweepPurges(t *testing.T) {
	for _, tt := range []struct {
		name                               string
		failKeys, failSessions, failLimits bool
	}{
		{"all work", false, false, false},
		{"keys fail", true, false, false},
		{"sessions fail", false, true, false},
		{"rate limits fail", false, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := &backlog{keys: purge{fail: tt.failKeys}, sessions: purge{fail: tt.failSessions}, limits: purge{fail: tt.failLimits}}
			(&Sweeper{Expirer: b, Purger: b, Logger: discard()}).Sweep(context.Background())
			if b.keys.calls != 1 || b.sessions.calls != 1 || b.limits.calls != 1 {
				t.Fatalf("purged keys %d times, sessions %d times, rate limits %d times", b.keys.calls, b.sessions.calls, b.limits.calls)
			}
		})
	}
}
