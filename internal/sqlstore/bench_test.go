package sqlstore

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/jobs"
	"github.com/invitedhq/invited/internal/pgtest"
)

// The benchmarks run once per backend, with production durability: SQLite
// on a temporary file (WAL, synchronous=FULL), PostgreSQL on a cluster of
// the benchmark's own with fsync and synchronous_commit on. Every write
// transaction is an fsync.
//
//	go test -bench . -run '^$' ./internal/sqlstore/

// opener opens a fresh, migrated database.
type opener = func(testing.TB, Options) *DB

// benchBackends runs bench as one sub-benchmark per backend.
func benchBackends(b *testing.B, bench func(*testing.B, opener)) {
	b.Run("sqlite", func(b *testing.B) { bench(b, openSQLiteFile) })
	// The cluster starts here, not in the sub-benchmark, which testing may
	// call several times while it sizes b.N; and after SQLite's run, so
	// that a missing PostgreSQL skips only its own.
	c := pgtest.Start(b, pgtest.Options{Durable: true})
	b.Run("postgres", func(b *testing.B) {
		bench(b, func(tb testing.TB, opts Options) *DB { return openURL(tb, c.NewDatabase(tb), opts) })
	})
}

func reportOps(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkCreateInvitation(b *testing.B) { benchBackends(b, benchCreateInvitation) }

func benchCreateInvitation(b *testing.B, open opener) {
	e := newEnv(b, open)
	org := e.org(nil)
	for i := 0; b.Loop(); i++ {
		if _, _, err := e.db.CreateInvitation(e.admin, org.ID, invited.InvitationCreate{
			Email: fmt.Sprintf("b%d@example.com", i), Roles: []string{"member"}}); err != nil {
			b.Fatal(err)
		}
	}
	reportOps(b)
}

// BenchmarkCreateInvitationParallel creates from 16 goroutines at once, the
// concurrency of the design targets: where writes take turns (SQLite),
// group commit lets them share fsyncs.
func BenchmarkCreateInvitationParallel(b *testing.B) {
	benchBackends(b, benchCreateInvitationParallel)
}

func benchCreateInvitationParallel(b *testing.B, open opener) {
	e := newEnv(b, open)
	org := e.org(nil)
	var seq atomic.Int64
	var commits int64
	if e.db.group != nil {
		commits = e.db.group.commits.Load()
	}
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := e.db.CreateInvitation(e.admin, org.ID, invited.InvitationCreate{
				Email: fmt.Sprintf("p%d@example.com", seq.Add(1)), Roles: []string{"member"}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportOps(b)
	if e.db.group != nil {
		// How many creates shared each commit (and its fsync); the
		// dispatcher's writes are not run here.
		b.ReportMetric(float64(b.N)/float64(e.db.group.commits.Load()-commits), "ops/commit")
	}
}

// inviteMany creates n invitations through the batch API and returns
// their tokens.
func inviteMany(b *testing.B, e *env, orgID string, n, offset int) []string {
	var tokens []string
	for len(tokens) < n {
		cs := make([]invited.InvitationCreate, min(n-len(tokens), invited.MaxBatchSize))
		for i := range cs {
			cs[i] = invited.InvitationCreate{Email: fmt.Sprintf("m%d@example.com", offset+len(tokens)+i), Roles: []string{"member"}}
		}
		results, err := e.db.CreateInvitations(e.admin, orgID, cs)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range results {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
			tokens = append(tokens, r.Token)
		}
	}
	return tokens
}

func BenchmarkPreviewInvitation(b *testing.B) { benchBackends(b, benchPreviewInvitation) }

func benchPreviewInvitation(b *testing.B, open opener) {
	e := newEnv(b, open)
	tokens := inviteMany(b, e, e.org(nil).ID, 1000, 0)
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if _, err := e.db.PreviewInvitation(ctx, tokens[i%len(tokens)]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportOps(b)
}

func BenchmarkAcceptInvitation(b *testing.B) { benchBackends(b, benchAcceptInvitation) }

func benchAcceptInvitation(b *testing.B, open opener) {
	e := newEnv(b, open)
	org, _ := e.orgWithOwner(&invited.OrgSettingsPatch{RequireEmailMatch: ptr(false)})
	var tokens []string
	for i := 0; b.Loop(); i++ {
		if i == len(tokens) {
			b.StopTimer()
			tokens = append(tokens, inviteMany(b, e, org.ID, 1000, i)...)
			b.StartTimer()
		}
		if _, err := e.db.AcceptInvitation(e.admin, tokens[i], invited.Acceptor{ExternalID: fmt.Sprintf("acceptor-%d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	reportOps(b)
}

// The list and the sweep run at scale: INVITED_BENCH_ROWS invitations,
// 100k by default so that a plain -bench stays quick (scripts/bench-list.sh
// runs them at 1M on SQLite and 10M on PostgreSQL).
//
//	INVITED_BENCH_ROWS=1000000 go test -run '^$' -bench 'FindInvitationsPage|Sweep' ./internal/sqlstore/

func benchRows(b *testing.B) int {
	s := os.Getenv("INVITED_BENCH_ROWS")
	if s == "" {
		return 100_000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 50_000 {
		b.Fatalf("INVITED_BENCH_ROWS=%q: want a number, at least 50000, for full deep pages of the rarest filter", s)
	}
	return n
}

// loadTx is how many invitations one transaction of loadInvitations
// stores: large, for few commits, yet bounded, so that neither SQLite's WAL
// nor a PostgreSQL transaction grows with the table.
const loadTx = 100_000

// loadSQL stores the invitations numbered ? to ? (1 to n in all) of a
// load, computed by the database itself: a statement per loadTx rows
// instead of a row of arguments per invitation makes 10M rows a matter of
// minutes. Both databases run it as it stands. The arguments are the first
// and last number, the time of the first and the step between two, now,
// and the five organizations, the first of which takes half of the rows.
// A multiplicative hash of the number picks the organization and the
// status, so that every load is the same: 80 % pending, for 90 days, so
// that none is overdue yet; 10 % accepted, 5 % revoked, and 5 % expired a
// week after they were created (so those of the last week stay pending).
// The id is what invited.NewID makes of the creation time, with the
// hash's digits in place of the random ones.
var loadSQL = `WITH RECURSIVE n (g) AS (SELECT CAST(? AS BIGINT) UNION ALL SELECT g + 1 FROM n WHERE g < ?),
r AS (SELECT g, ? + g * ? AS created, CAST(? AS BIGINT) AS now, (g * 2654435761) % 4294967296 AS h FROM n),
s AS (SELECT r.*, CASE WHEN h / 65536 % 100 < 10 THEN 'accepted' WHEN h / 65536 % 100 < 15 THEN 'revoked'
	WHEN h / 65536 % 100 < 20 AND created < now - 604800000 THEN 'expired' ELSE 'pending' END AS status,
	CASE WHEN h % 100 < 50 THEN ? WHEN h % 100 < 70 THEN ? WHEN h % 100 < 85 THEN ? WHEN h % 100 < 95 THEN ? ELSE ? END AS org_id,
	'guest' || g || '@example.com' AS email, created + (now - created) / 2 AS closed FROM r)
INSERT INTO invitations (id, org_id, status, email, invitee_key, first_name, last_name, roles, inviter_name,
	created_at, updated_at, expires_at, sent_at, accepted_at, revoked_at)
SELECT 'inv_' || ` + idDigits("created", 10) + ` || ` + idDigits("h * 40503 % 1099511627776", 8) + ` || ` + idDigits("h * 69069 % 1099511627776", 8) + `,
	org_id, status, email, 'email:' || email, 'Guest', CAST(g AS TEXT), '["member"]', 'bench',
	created, CASE status WHEN 'pending' THEN created WHEN 'expired' THEN created + 604800000 ELSE closed END,
	created + CASE status WHEN 'pending' THEN 7776000000 ELSE 604800000 END, created,
	CASE status WHEN 'accepted' THEN closed END, CASE status WHEN 'revoked' THEN closed END
FROM s`

// idDigits is the SQL of the n base32 digits of invited.NewID that encode
// the integer expression x, most significant first.
func idDigits(x string, n int) string {
	digits := make([]string, n)
	for i := range digits {
		digits[i] = fmt.Sprintf("substr('0123456789abcdefghjkmnpqrstvwxyz', CAST(((%s) >> %d) & 31 AS INTEGER) + 1, 1)", x, 5*(n-1-i))
	}
	return strings.Join(digits, " || ")
}

// loadLinkSQL gives each pending invitation a link. The link's secret is
// of no use to the benchmarks, only its hash's place in the index, random
// as the real ones'.
var loadLinkSQL = map[string]string{
	"sqlite":   `INSERT INTO invitation_tokens (hash, invitation_id, created_at) SELECT randomblob(32), id, created_at FROM invitations WHERE status = 'pending'`,
	"postgres": `INSERT INTO invitation_tokens (hash, invitation_id, created_at) SELECT sha256(convert_to(id, 'UTF8')), id, created_at FROM invitations WHERE status = 'pending'`,
}

// loadInvitations stores n invitations, as loadSQL describes them, spread
// over the 89 days before now, and returns their organizations. Then the
// statistics are gathered, as PostgreSQL's autovacuum would soon after such
// a load.
func loadInvitations(e *env, n int) []*invited.Organization {
	e.t.Helper()
	ctx := context.Background()
	start := time.Now()
	orgs := make([]*invited.Organization, 5)
	args := make([]any, 0, 10)
	for i := range orgs {
		orgs[i] = e.org(nil)
	}
	const span = 89 * 24 * time.Hour
	now := ms(e.clock.Now())
	step := span.Milliseconds() / int64(n)
	for first := 1; first <= n; first += loadTx {
		args = append(args[:0], first, min(first+loadTx-1, n), now-span.Milliseconds(), step, now)
		for _, org := range orgs {
			args = append(args, org.ID)
		}
		if err := e.db.writeTx(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, loadSQL, args...)
			return err
		}); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := e.db.writeTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, loadLinkSQL[e.db.dialect.name])
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	analyzeLoad(e)
	e.t.Logf("loaded %d invitations in %v", n, time.Since(start).Round(time.Second))
	return orgs
}

// analyzeLoad gathers the statistics after a load, as PostgreSQL's
// autovacuum would soon after it. On PostgreSQL, VACUUM also sets the hint
// bits and the visibility map now, rather than the first reads or an
// autovacuum amid the timings.
func analyzeLoad(e *env) {
	e.t.Helper()
	analyze := `ANALYZE`
	if e.db.dialect.name == postgresDialect.name {
		analyze = `VACUUM ANALYZE`
	}
	if _, err := e.db.write.Exec(analyze); err != nil {
		e.t.Fatal(err)
	}
}

// BenchmarkFindInvitationsPage compares the first page of the list with one
// deep into it, for every combination of the filters: a seek costs the
// same wherever it lands, so deep/page1 should stay near 1.
func BenchmarkFindInvitationsPage(b *testing.B) { benchBackends(b, benchFindInvitationsPage) }

func benchFindInvitationsPage(b *testing.B, open opener) {
	e := newEnv(b, open)
	org := loadInvitations(e, benchRows(b))[0].ID
	// Pending is most of the table; revoked is rare, so a page of it reads
	// many rows that fail the filter.
	for _, fc := range []struct {
		name string
		f    invited.InvitationFilter
	}{
		{"none", invited.InvitationFilter{}},
		{"org", invited.InvitationFilter{OrgID: org}},
		{"status", invited.InvitationFilter{Status: invited.StatusPending}},
		{"org+status", invited.InvitationFilter{OrgID: org, Status: invited.StatusPending}},
		{"rare-status", invited.InvitationFilter{Status: invited.StatusRevoked}},
		{"org+rare-status", invited.InvitationFilter{OrgID: org, Status: invited.StatusRevoked}},
	} {
		deep := fc.f
		deep.PageToken = deepPageToken(e, fc.f)
		for _, pc := range []struct {
			name string
			f    invited.InvitationFilter
		}{{"page1", fc.f}, {"deep", deep}} {
			logPlan(e, fc.name+"/"+pc.name, pc.f)
			b.Run(fc.name+"/"+pc.name, func(b *testing.B) {
				for b.Loop() {
					invs, _, err := e.db.FindInvitations(e.admin, pc.f)
					if err != nil || len(invs) != invited.DefaultPageSize {
						b.Fatalf("%d invitations, %v", len(invs), err)
					}
				}
				reportOps(b)
			})
		}
	}
}

// adminScope is what an admin's FindInvitations(f) searches.
func adminScope(e *env, f invited.InvitationFilter) invited.InvitationScope {
	e.t.Helper()
	scope, err := listScope(invited.ActorFromContext(e.admin), f)
	if err != nil {
		e.t.Fatal(err)
	}
	return scope
}

// deepPageToken returns the token of the page that starts 90 % of the way
// through what f lists to an admin.
func deepPageToken(e *env, f invited.InvitationFilter) string {
	e.t.Helper()
	w := invitationListWhere(adminScope(e, f), f, e.clock.Now())
	n := e.count(`SELECT count(*) FROM invitations i`+w.String(), w.args...)
	var id string
	if err := e.db.read.QueryRow(e.db.dialect.rebind(`SELECT i.id FROM invitations i`+w.String()+` ORDER BY i.id DESC LIMIT 1 OFFSET ?`),
		append(w.args, n*9/10)...).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return pageToken(id)
}

// explainSQL asks each database for the plan of a query as it runs: on
// PostgreSQL, with the rows and buffers each step took.
var explainSQL = map[string]string{"sqlite": "EXPLAIN QUERY PLAN ", "postgres": "EXPLAIN (ANALYZE, BUFFERS) "}

// logPlan logs (under -v) the plan of the page an admin's
// FindInvitations(f) reads: on the loaded tables, with their statistics,
// which the query-plan test's empty tables cannot show.
func logPlan(e *env, name string, f invited.InvitationFilter) {
	e.t.Helper()
	k, err := newKeyset(f.Page, invited.PrefixInvitation)
	if err != nil {
		e.t.Fatal(err)
	}
	q, args := invitationListQuery(adminScope(e, f), f, k, e.clock.Now())
	logQueryPlan(e, name, q, args...)
}

// logQueryPlan logs (under -v) the plan of q with args as it runs on the
// loaded tables.
func logQueryPlan(e *env, name, q string, args ...any) {
	e.t.Helper()
	rows, err := e.db.read.Query(explainSQL[e.db.dialect.name]+e.db.dialect.rebind(q), args...)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		e.t.Fatal(err)
	}
	// The step is the last column of both: SQLite's (id, parent, notused,
	// detail), PostgreSQL's one line of text.
	vals := make([]any, len(cols))
	for i := range vals {
		vals[i] = new(any)
	}
	var plan []string
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			e.t.Fatal(err)
		}
		plan = append(plan, fmt.Sprintf("%s", *vals[len(vals)-1].(*any)))
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Logf("plan of %s:\n  %s", name, strings.Join(plan, "\n  "))
}

// BenchmarkExpirySweep times the sweep of 1,000 and of 10,000 overdue
// invitations among the loaded ones, in the sweeper's batches: its cost
// per expired row (us/row) should not depend on how many expire, nor on
// the size of the table.
func BenchmarkExpirySweep(b *testing.B) { benchBackends(b, benchExpirySweep) }

func benchExpirySweep(b *testing.B, open opener) {
	e := newEnv(b, open)
	loadInvitations(e, benchRows(b))
	ctx := context.Background()
	for _, n := range []int{1000, 10_000} {
		b.Run(fmt.Sprintf("expire=%d", n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				makeOverdue(e, n)
				b.StartTimer()
				expired := 0
				for {
					k, err := e.db.ExpireInvitations(ctx, jobs.SweepBatch)
					if err != nil {
						b.Fatal(err)
					}
					if expired += k; k < jobs.SweepBatch {
						break
					}
				}
				if expired != n {
					b.Fatalf("expired %d, want %d", expired, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "us/row")
		})
	}
}

// makeOverdue makes the n pending invitations that expire soonest overdue.
// Each sweep uses up what it expires, so a long run can use up the
// pending invitations of a small load.
func makeOverdue(e *env, n int) {
	e.t.Helper()
	now := ms(e.clock.Now())
	res, err := e.db.write.Exec(e.db.dialect.rebind(`UPDATE invitations SET expires_at = ? WHERE id IN (
	SELECT id FROM invitations WHERE status = 'pending' AND expires_at > ? ORDER BY expires_at LIMIT ?)`), now-1, now, n)
	if err != nil {
		e.t.Fatal(err)
	}
	if k, err := res.RowsAffected(); err != nil || k != int64(n) {
		e.t.Fatalf("%d of %d invitations made overdue (%v): too few pending ones left; raise INVITED_BENCH_ROWS or lower -benchtime", k, n, err)
	}
}

// BenchmarkAuthenticateAPIKey authenticates one key from every CPU, as a
// busy client's requests do, with no cache and with the tests' (serve's
// default TTL). The clock stands still, so every cached lookup is a hit.
func BenchmarkAuthenticateAPIKey(b *testing.B) { benchBackends(b, benchAuthenticateAPIKey) }

func benchAuthenticateAPIKey(b *testing.B, open opener) {
	for _, ttl := range []time.Duration{0, testKeyCache} {
		b.Run(fmt.Sprintf("cache=%v", ttl), func(b *testing.B) {
			e := newEnv(b, func(tb testing.TB, opts Options) *DB {
				opts.APIKeyCache = ttl
				return open(tb, opts)
			})
			_, secret := e.newKey()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := e.db.AuthenticateAPIKey(context.Background(), secret); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportOps(b)
		})
	}
}
