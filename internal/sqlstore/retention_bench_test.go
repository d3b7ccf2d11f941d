package sqlstore

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/jobs"
)

// BenchmarkRetention times retention passes over INVITED_BENCH_ROWS
// messages (each with an attempt) and as many audit events, spread over
// 89 days in 5 organizations, 5 % of the messages still pending: a pass
// that finds nothing to remove, passes that remove 1,000 and 10,000 rows,
// and, beside them, the removal alone: the same rows deleted by id in the
// transactions the pass takes, without its searches and its audit event. A pass should cost about what its removal costs, and
// next to nothing when there is nothing to remove, whatever the size of
// the table (docs/benchmarks.md).
//
//	INVITED_BENCH_ROWS=1000000 go test -run '^$' -bench Retention ./internal/sqlstore/
func BenchmarkRetention(b *testing.B) { benchBackends(b, benchRetention) }

// retentionLoadSQL is the CTE of the rows numbered ? to ? of a retention
// load, computed by the database itself as loadSQL's are. Its arguments
// are the first and last number, the time of the first and the step
// between two, and the five organizations, the first of which takes half
// of the rows; each row g is at time "at", in organization "org".
const retentionLoadSQL = `WITH RECURSIVE n (g) AS (SELECT CAST(? AS BIGINT) UNION ALL SELECT g + 1 FROM n WHERE g < ?),
r AS (SELECT g, ? + g * ? AS at, (g * 2654435761) % 4294967296 AS h FROM n),
s AS (SELECT g, at, CASE WHEN h % 100 < 50 THEN ? WHEN h % 100 < 70 THEN ? WHEN h % 100 < 85 THEN ? WHEN h % 100 < 95 THEN ?
	ELSE ? END AS org FROM r) `

// retentionLoads are the statements of a load, each with retentionLoadSQL
// in front: every 20th message is pending, the others delivered.
var retentionLoads = []string{
	`INSERT INTO messages (id, org_id, channel, kind, recipient, status, letter, attempt_count, due_at, created_at, updated_at, delivered_at)
SELECT 'msg_' || CAST(g AS TEXT), org, 'email', 'invitation', 'guest' || CAST(g AS TEXT) || '@example.com',
	CASE WHEN g % 20 = 0 THEN 'pending' ELSE 'delivered' END, '{"kind":"invitation"}', 1, at, at, at,
	CASE WHEN g % 20 = 0 THEN NULL ELSE at END FROM s`,
	`INSERT INTO message_attempts (message_id, attempt, at, duration_ms) SELECT 'msg_' || CAST(g AS TEXT), 1, at, 5 FROM s`,
	`INSERT INTO audit_events (id, org_id, action, resource, resource_id, created_at)
SELECT 'evt_' || CAST(g AS TEXT), org, 'invitation.created', 'invitation', 'inv_' || CAST(g AS TEXT), at FROM s`,
}

// loadRetained stores n rows of each of retentionLoads, the last at now,
// and answers the time of row 0, the step between two rows and the
// organizations.
func loadRetained(e *env, n int) (time.Time, time.Duration, []any) {
	e.t.Helper()
	ctx := context.Background()
	start := time.Now()
	const span = 89 * 24 * time.Hour
	step := span / time.Duration(n)
	base := e.clock.Now().Add(-span)
	var orgs []any
	for range 5 {
		orgs = append(orgs, e.org(nil).ID)
	}
	for first := 1; first <= n; first += loadTx {
		args := append([]any{first, min(first+loadTx-1, n), ms(base), step.Milliseconds()}, orgs...)
		for _, load := range retentionLoads {
			if err := e.db.writeTx(ctx, func(tx *Tx) error {
				_, err := tx.exec(ctx, retentionLoadSQL+load, args...)
				return err
			}); err != nil {
				e.t.Fatal(err)
			}
		}
	}
	analyzeLoad(e)
	e.t.Logf("loaded %d messages with attempts and %d audit events in %v", n, n, time.Since(start).Round(time.Second))
	return base, step, orgs
}

func benchRetention(b *testing.B, open opener) {
	e := newEnv(b, open)
	rows := benchRows(b)
	base, step, orgs := loadRetained(e, rows)
	ctx := context.Background()
	pass := &jobs.Retention{Store: e.db, Logger: slog.New(slog.DiscardHandler)}
	kinds := []struct {
		kind invited.RetentionKind
		// removal deletes the rows numbered from to to (excluded) by id,
		// in the pass's batches, and answers how many there were.
		removal func(from, to int) int
	}{
		{invited.RetainMessages, func(from, to int) int {
			return removeByID(b, e, "msg_", from, to, func(g int) bool { return g%20 != 0 }, func(tx *Tx, ids []string) error {
				return deleteMessages(ctx, tx, inList("id", ids))
			})
		}},
		{invited.RetainAuditEvents, func(from, to int) int {
			return removeByID(b, e, "evt_", from, to, func(int) bool { return true }, func(tx *Tx, ids []string) error {
				return execIn(ctx, tx, `DELETE FROM audit_events`, nil, "id", ids)
			})
		}},
	}
	for _, k := range kinds {
		// The plan of a batch that finds nothing, the case a planner
		// misled by the LIMIT would pay dearly for.
		for _, org := range []any{orgs[0], ""} {
			logQueryPlan(e, fmt.Sprintf("%s batch of %q", k.kind, org), retainBatchSQL(e.db.dialect, retainedKinds[k.kind]),
				org, ms(base), jobs.RetentionBatch)
		}
		// next is the first row not yet removed: older than the cutoff of
		// the next pass, rows from next on become due.
		next := 1
		// policy keeps everything from row g on.
		policy := func(g int) invited.Retention {
			keep := invited.Duration(e.clock.Now().Sub(base.Add(time.Duration(g) * step)))
			if k.kind == invited.RetainMessages {
				return invited.Retention{Messages: keep}
			}
			return invited.Retention{AuditEvents: keep}
		}
		for _, n := range []int{0, 1000, 10_000} {
			b.Run(fmt.Sprintf("%s/pass/remove=%d", k.kind, n), func(b *testing.B) {
				removed := 0
				for b.Loop() {
					if next+n > rows {
						b.Fatalf("the load is used up: raise INVITED_BENCH_ROWS or lower -benchtime")
					}
					next += n
					pass.Policy = policy(next)
					removed += pass.Pass(ctx)[k.kind]
				}
				reportRetention(b, removed)
			})
			if n == 0 {
				continue
			}
			b.Run(fmt.Sprintf("%s/removal/remove=%d", k.kind, n), func(b *testing.B) {
				removed := 0
				for b.Loop() {
					if next+n > rows {
						b.Fatalf("the load is used up: raise INVITED_BENCH_ROWS or lower -benchtime")
					}
					removed += k.removal(next, next+n)
					next += n
				}
				reportRetention(b, removed)
			})
		}
	}
}

// removeByID removes the rows numbered from to to (excluded) of those
// that keep says go, named prefix and their number, with remove, in the
// transactions the pass takes: by organization, up to
// jobs.RetentionBatch ids each. It answers how many there were.
func removeByID(b *testing.B, e *env, prefix string, from, to int, keep func(int) bool, remove func(*Tx, []string) error) int {
	var byOrg [5][]string
	n := 0
	for g := from; g < to; g++ {
		if keep(g) {
			org := loadedOrg(g)
			byOrg[org] = append(byOrg[org], fmt.Sprint(prefix, g))
			n++
		}
	}
	for _, ids := range byOrg {
		for chunk := range slices.Chunk(ids, jobs.RetentionBatch) {
			if err := e.db.writeTx(context.Background(), func(tx *Tx) error { return remove(tx, chunk) }); err != nil {
				b.Fatal(err)
			}
		}
	}
	return n
}

// loadedOrg is which of the five organizations retentionLoadSQL puts row
// g in.
func loadedOrg(g int) int {
	h := (int64(g) * 2654435761) % 4294967296
	switch p := h % 100; {
	case p < 50:
		return 0
	case p < 70:
		return 1
	case p < 85:
		return 2
	case p < 95:
		return 3
	}
	return 4
}

// reportRetention reports the time of a pass and per row removed.
func reportRetention(b *testing.B, removed int) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/pass")
	if removed > 0 {
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(removed), "us/row")
	}
	b.ReportMetric(float64(removed)/float64(b.N), "rows/pass")
}
