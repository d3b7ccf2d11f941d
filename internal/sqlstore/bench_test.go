package sqlstore

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/invitedhq/invited"
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

// BenchmarkFindInvitationsPage compares the first page with one deep into a
// table of 100k invitations: a seek costs the same wherever it lands.
func BenchmarkFindInvitationsPage(b *testing.B) { benchBackends(b, benchFindInvitationsPage) }

func benchFindInvitationsPage(b *testing.B, open opener) {
	const rows, deep = 100_000, 90_000
	e := newEnv(b, open)
	org := e.org(nil)
	e.org(nil) // an empty neighbour, so that the org filter filters
	bulkInvite(b, e, org, rows)
	// Statistics, as PostgreSQL's autovacuum would gather them soon after
	// such a load; SQLite plans these queries the same with or without.
	if _, err := e.db.write.Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	var deepID string
	if err := e.db.read.QueryRow(e.db.dialect.rebind(`SELECT id FROM invitations ORDER BY id DESC LIMIT 1 OFFSET ?`), deep).Scan(&deepID); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		f    invited.InvitationFilter
	}{
		{"org/page1", invited.InvitationFilter{OrgID: org.ID}},
		{"org/deep", invited.InvitationFilter{OrgID: org.ID, Page: invited.Page{PageToken: pageToken(deepID)}}},
		{"all/page1", invited.InvitationFilter{}},
		{"all/deep", invited.InvitationFilter{Page: invited.Page{PageToken: pageToken(deepID)}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				invs, _, err := e.db.FindInvitations(e.admin, bc.f)
				if err != nil || len(invs) != invited.DefaultPageSize {
					b.Fatalf("%d invitations, %v", len(invs), err)
				}
			}
			reportOps(b)
		})
	}
}

// bulkInvite stores n pending invitations in one write transaction, with
// the store's own insert.
func bulkInvite(b *testing.B, e *env, org *invited.Organization, n int) {
	start := e.clock.Now()
	err := e.db.writeTx(context.Background(), func(tx *Tx) error {
		for i := range n {
			now := start.Add(time.Duration(i) * time.Millisecond)
			inv, err := invited.NewInvitation(invited.InvitationCreate{Email: fmt.Sprintf("bulk%d@example.com", i), Roles: []string{"member"}},
				org, func(string) bool { return true }, invited.Inviter{Name: "bench"}, now)
			if err != nil {
				return err
			}
			if _, err := tx.exec(context.Background(), insertInvitationSQL, invitationInsertArgs(inv)...); err != nil {
				return err
			}
			if err := tx.addLinks(context.Background(), map[string]string{newToken(): inv.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
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
