package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// retainer is the store as the retention job sees it: per scope and kind
// a backlog of due rows, taken up to limit per call; a scope in failing
// fails every call.
type retainer struct {
	scopes   []invited.RetentionScope
	due      map[string]map[invited.RetentionKind]int
	failing  string
	keeps    map[invited.RetentionKind][]time.Duration
	recorded []map[invited.RetentionKind]int
}

func (r *retainer) RetentionScopes(_ context.Context, defaults invited.Retention) ([]invited.RetentionScope, error) {
	out := make([]invited.RetentionScope, len(r.scopes))
	for i, s := range r.scopes {
		out[i] = invited.RetentionScope{OrgID: s.OrgID, Retention: s.Retention.Merge(defaults)}
	}
	return out, nil
}

func (r *retainer) Retain(_ context.Context, kind invited.RetentionKind, scope invited.RetentionScope, keep time.Duration, limit int) (int, error) {
	if scope.OrgID == r.failing {
		return 0, errors.New("database gone")
	}
	r.keeps[kind] = append(r.keeps[kind], keep)
	n := min(limit, r.due[scope.OrgID][kind])
	r.due[scope.OrgID][kind] -= n
	return n, nil
}

func (r *retainer) RecordRetention(_ context.Context, counts map[invited.RetentionKind]int) error {
	r.recorded = append(r.recorded, maps.Clone(counts))
	return nil
}

// TestRetentionPass: a pass drains every scope's backlog in batches with
// each scope's own retention, skips what is kept forever, goes on past a
// failing scope, and records one event with the counts, none when nothing
// went.
func TestRetentionPass(t *testing.T) {
	const day = 24 * time.Hour
	store := &retainer{
		scopes: []invited.RetentionScope{
			{OrgID: "org_a"},
			{OrgID: "org_broken"},
			{OrgID: "org_b", Retention: invited.Retention{Messages: invited.Duration(7 * day)}},
			{OrgID: ""},
		},
		due: map[string]map[invited.RetentionKind]int{
			"org_a": {invited.RetainMessages: 25, invited.RetainAuditEvents: 3},
			"org_b": {invited.RetainMessages: 10},
			"":      {invited.RetainMessages: 1},
		},
		failing: "org_broken",
		keeps:   map[invited.RetentionKind][]time.Duration{},
	}
	var batches []int
	r := &Retention{Store: store, Batch: 10, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Policy:   invited.Retention{Messages: invited.Duration(30 * day), AuditEvents: invited.Duration(365 * day)},
		Retained: func(_ invited.RetentionKind, n int) { batches = append(batches, n) }}
	got := r.Pass(context.Background())
	want := map[invited.RetentionKind]int{invited.RetainMessages: 36, invited.RetainAuditEvents: 3}
	if !maps.Equal(got, want) {
		t.Fatalf("pass counted %v, want %v", got, want)
	}
	if len(store.recorded) != 1 || !maps.Equal(store.recorded[0], want) {
		t.Fatalf("recorded %v, want one event with %v", store.recorded, want)
	}
	// org_a: 10, 10, 5; org_b: 10 then an empty batch; the system's 1;
	// then org_a's 3 audit events.
	if want := []int{10, 10, 5, 10, 1, 3}; !slices.Equal(batches, want) {
		t.Errorf("batches %v, want %v", batches, want)
	}
	if _, ok := store.keeps[invited.RetainInvitations]; ok {
		t.Errorf("ended invitations were retained, with the policy off")
	}
	wantKeeps := []time.Duration{30 * day, 30 * day, 30 * day, 7 * day, 7 * day, 30 * day}
	if !slices.Equal(store.keeps[invited.RetainMessages], wantKeeps) {
		t.Errorf("messages kept %v, want %v", store.keeps[invited.RetainMessages], wantKeeps)
	}
	if got := r.Pass(context.Background()); len(got) != 0 || len(store.recorded) != 1 {
		t.Errorf("a pass with nothing due counted %v and recorded %d events", got, len(store.recorded))
	}
}
