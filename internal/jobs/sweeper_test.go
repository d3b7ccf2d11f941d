package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
)

// backlog expires up to limit of its remaining overdue rows per call, like
// the store does, and records the batch sizes it was asked for.
type backlog struct {
	overdue int
	calls   []int
	fail    bool
	purged  int
}

func (b *backlog) ExpireInvitations(_ context.Context, limit int) (int, error) {
	b.calls = append(b.calls, limit)
	if b.fail {
		return 0, errors.New("database gone")
	}
	n := min(limit, b.overdue)
	b.overdue -= n
	return n, nil
}

func (b *backlog) PurgeIdempotencyKeys(context.Context) (int, error) { b.purged++; return 0, nil }

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
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &backlog{overdue: tt.overdue, fail: tt.fail}
			s := &Sweeper{Expirer: b, Purger: b, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			s.Sweep(context.Background())
			if len(b.calls) != tt.wantCalls {
				t.Fatalf("%d calls, want %d", len(b.calls), tt.wantCalls)
			}
			if !tt.fail && b.overdue != 0 {
				t.Fatalf("%d overdue left", b.overdue)
			}
			if b.purged != 1 {
				t.Fatalf("purged %d times", b.purged)
			}
		})
	}
}

func TestSweepReportsExpirations(t *testing.T) {
	for _, fail := range []bool{false, true} {
		b := &backlog{overdue: 2*SweepBatch + 7, fail: fail}
		var reported []int
		s := &Sweeper{Expirer: b, Purger: b, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Expired: func(n int) { reported = append(reported, n) }}
		s.Sweep(context.Background())
		want := []int{SweepBatch, SweepBatch, 7}
		if fail {
			want = nil
		}
		if !slices.Equal(reported, want) {
			t.Errorf("fail=%v: reported %v, want %v", fail, reported, want)
		}
	}
}
