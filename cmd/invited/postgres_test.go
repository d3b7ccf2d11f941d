package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/invitedhq/invited/internal/testutil"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the test's own look into the database

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/jobs"
	"github.com/invitedhq/invited/internal/pgtest"
)

// TestMain stops the shared PostgreSQL cluster once the tests are done.
func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

const pgAdminKey = "test-admin-key-0123456789"

// TestTwoInstancesOneDatabase runs two `invited serve` processes on one
// PostgreSQL database, as behind a load balancer, and checks what must
// coordinate through the database: of many accepts of one link spread over
// both, exactly one wins; overdue invitations are expired once, by
// whichever sweeper gets to them.
func TestTwoInstancesOneDatabase(t *testing.T) {
	// Without rate limits: the test sends a thousand invitations and a
	// hundred accepts from one address in moments.
	dbURL, instances := twoInstances(t, map[string]string{
		"INVITED_SWEEP_INTERVAL":    "1s",
		"INVITED_RATE_LIMIT_CREATE": "off",
		"INVITED_RATE_LIMIT_PUBLIC": "off",
	})
	a, b := instances[0], instances[1]
	ctx := t.Context()

	// Accepted by anyone who holds the link: the acceptors below are all
	// different people, so that the race is between users, too.
	org, err := a.api.CreateOrganization(ctx, invited.OrganizationCreate{
		Name: "Acme", Settings: &invited.OrgSettingsPatch{RequireEmailMatch: new(false)}})
	if err != nil {
		t.Fatalf("create org: %v", err)
	}
	orgID := org.ID
	inv, err := b.api.CreateInvitation(ctx, orgID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
	if err != nil {
		t.Fatalf("create invitation: %v", err)
	}
	token := tokenOf(inv.URL)

	const accepts = 120
	outcomes := race(ctx, accepts, func(ctx context.Context, i int) error {
		user := &invited.Acceptor{ExternalID: fmt.Sprintf("ext-%d", i), Email: fmt.Sprintf("u%d@example.com", i), Name: "U"}
		_, err := instances[i%2].api.AcceptInvitation(ctx, token, user)
		return err
	})
	if outcomes["200 "] != 1 || outcomes["409 invitation_already_accepted"] != accepts-1 {
		t.Fatalf("%d concurrent accepts over two instances: %v; want one 200, the rest 409 invitation_already_accepted", accepts, outcomes)
	}
	for _, p := range instances {
		members, err := p.api.ListMembers(ctx, invited.MemberFilter{OrgID: orgID})
		if err != nil {
			t.Fatalf("instance %s: members: %v", p.name, err)
		}
		if n := len(members.Members); n != 1 {
			t.Fatalf("instance %s lists %d members, want 1: %+v", p.name, n, members)
		}
	}

	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRow(query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM users`); n != 1 {
		t.Fatalf("%d users after one successful accept, want 1: a losing accept left a user behind", n)
	}

	// The sweepers, made to run at the same moment on the same backlog:
	// the test holds a SHARE lock on invitations, which every sweep's
	// UPDATE waits for, while it makes the invitations overdue (the schema
	// stores expires_at as unix milliseconds); once both instances'
	// sweepers are waiting, it commits, and they go at the backlog
	// together. It is larger than two sweep batches, so that each
	// sweeper's first batch is full and the two must share.
	const overdue = 2*jobs.SweepBatch + 200
	for first := 0; first < overdue; first += invited.MaxBatchSize {
		items := make([]invited.InvitationCreate, min(invited.MaxBatchSize, overdue-first))
		for i := range items {
			items[i] = invited.InvitationCreate{Email: fmt.Sprintf("s%04d@example.com", first+i), Roles: []string{"member"}}
		}
		batch, err := a.api.CreateInvitations(ctx, orgID, client.BatchRequest{Invitations: items})
		if err != nil {
			t.Fatalf("batch: %v", err)
		}
		for _, r := range batch.Results {
			if r.Invitation == nil || r.Invitation.Status != invited.StatusPending {
				t.Fatalf("batch item: %+v", r)
			}
		}
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`LOCK TABLE invitations IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	res, err := tx.Exec(`UPDATE invitations SET expires_at = $1 WHERE org_id = $2 AND status = 'pending'`,
		time.Now().Add(-time.Hour).UnixMilli(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != overdue {
		t.Fatalf("made %d invitations overdue, want %d", n, overdue)
	}
	// Each instance has one sweeper: two waiters running the sweep's
	// statement are both instances' sweepers. (Matching the statement
	// keeps other work, such as the outbox dispatchers, from being
	// counted.)
	for deadline := time.Now().Add(10 * time.Second); count(`SELECT count(*) FROM pg_locks l
		JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.relation = 'invitations'::regclass AND NOT l.granted
		AND a.query LIKE '%SELECT id FROM invitations WHERE status = ''pending'' AND expires_at <=%'`) < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the sweepers of both instances are not waiting for the invitations table")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	swept := func() (perInstance []int, total int) {
		for _, p := range instances {
			n := 0
			for _, r := range p.logRecords(t, func(r map[string]any) bool { return r["msg"] == "expired invitations" }) {
				c, _ := r["count"].(float64)
				n += int(c)
			}
			perInstance = append(perInstance, n)
			total += n
		}
		return perInstance, total
	}
	const expiredSQL = `SELECT count(*) FROM invitations WHERE status = 'expired'`
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, total := swept()
		if total >= overdue && count(expiredSQL) == overdue {
			break
		}
		if time.Now().After(deadline) {
			per, _ := swept()
			t.Fatalf("sweepers did not catch up: %d stored as expired, logged per instance %v, want %d", count(expiredSQL), per, overdue)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Two more sweeps each: a second pass over the same rows would show now.
	time.Sleep(2500 * time.Millisecond)
	per, total := swept()
	if total != overdue {
		t.Fatalf("sweepers logged %v expired invitations (sum %d), want %d in all: some were processed twice", per, total, overdue)
	}
	if n := count(expiredSQL); n != overdue {
		t.Fatalf("%d invitations stored as expired, want %d", n, overdue)
	}
	if n := count(`SELECT count(*) FROM invitations WHERE status = 'pending'`); n != 0 {
		t.Fatalf("%d invitations still pending, want 0", n)
	}
	t.Logf("expired invitations logged per instance: a=%d b=%d", per[0], per[1])
	if per[0] == 0 || per[1] == 0 {
		t.Errorf("one sweeper did all the work (%v), although both ran on the backlog at once", per)
	}

	// Each instance lists them all as expired.
	for _, p := range instances {
		seen := 0
		for _, err := range p.api.Invitations(ctx, invited.InvitationFilter{OrgID: orgID, Status: invited.StatusExpired, Page: invited.Page{PageSize: 200}}) {
			if err != nil {
				t.Fatalf("instance %s: list: %v", p.name, err)
			}
			seen++
		}
		if seen != overdue {
			t.Fatalf("instance %s lists %d expired invitations, want %d", p.name, seen, overdue)
		}
	}
}

// race runs call n times at once, each with a deadline (a hang fails the
// test), and counts the outcomes: "200 " for a success, "STATUS code" for
// an error answer, "error: …" for anything else.
func race(ctx context.Context, n int, call func(ctx context.Context, i int) error) map[string]int {
	var (
		mu       sync.Mutex
		outcomes = map[string]int{}
		wg       sync.WaitGroup
		start    = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			<-start
			err := call(ctx, i)
			key := "200 "
			if e, ok := errors.AsType[*client.Error](err); ok {
				key = fmt.Sprintf("%d %s", e.StatusCode, e.Code)
			} else if err != nil {
				key = "error: " + err.Error()
			}
			mu.Lock()
			outcomes[key]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return outcomes
}

// TestJoinLinkTwoInstances fires a thousand uses at a join link of ten,
// spread over two instances on one PostgreSQL: exactly ten people join,
// with ten used events, and nobody else is stored.
func TestJoinLinkTwoInstances(t *testing.T) {
	dbURL, instances := twoInstances(t, map[string]string{
		"INVITED_RATE_LIMIT_PUBLIC":    "off",
		"INVITED_RATE_LIMIT_JOIN_LINK": "off",
	})
	a, b := instances[0], instances[1]
	ctx := t.Context()
	org, err := a.api.CreateOrganization(ctx, invited.OrganizationCreate{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	link, err := b.api.CreateJoinLink(ctx, org.ID, invited.JoinLinkCreate{MaxUses: new(10)})
	if err != nil {
		t.Fatal(err)
	}
	const uses = 1000
	outcomes := race(ctx, uses, func(ctx context.Context, i int) error {
		_, err := instances[i%2].api.AcceptJoinLink(ctx, link.Token, &invited.Acceptor{ExternalID: fmt.Sprintf("p-%d", i)})
		return err
	})
	if outcomes["200 "] != 10 || outcomes["410 "+invited.EJOINLINKEXHAUSTED] != uses-10 {
		t.Fatalf("%d concurrent uses over two instances: %v; want ten 200, the rest 410 %s", uses, outcomes, invited.EJOINLINKEXHAUSTED)
	}
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for query, want := range map[string]int{
		`SELECT count(*) FROM memberships WHERE org_id = $1`:                                                                10,
		`SELECT count(*) FROM audit_events WHERE action = 'join_link.used' AND org_id = $1`:                                 10,
		`SELECT count(*) FROM audit_events WHERE action = 'join_link.exhausted' AND org_id = $1`:                            1,
		`SELECT count(*) FROM memberships WHERE org_id = $1 AND roles LIKE '%"owner"%'`:                                     1,
		`SELECT count(*) FROM users WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id) AND $1 <> ''`: 0,
	} {
		var n int
		if err := db.QueryRow(query, org.ID).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if n != want {
			t.Errorf("%s: %d, want %d", query, n, want)
		}
	}
	got, err := a.api.GetJoinLink(ctx, link.ID)
	if err != nil || got.Uses != 10 || got.Status != invited.JoinLinkExhausted {
		t.Fatalf("link after the race: %+v, %v", got, err)
	}
}

// TestRateLimitsTwoInstances: two instances on one PostgreSQL share every
// rate limit, so that a limit of N allows N in all, not N on each: of
// creates in one organization and public lookups from one address, fired
// at once and spread over both, exactly N pass and the rest answer 429
// rate_limited with a Retry-After. The rates are per hour, so that what
// refills while the test runs (one event per three minutes) cannot blur
// the count.
func TestRateLimitsTwoInstances(t *testing.T) {
	const n = 20
	_, instances := twoInstances(t, map[string]string{
		"INVITED_RATE_LIMIT_CREATE": fmt.Sprintf("%d/1h", n),
		"INVITED_RATE_LIMIT_PUBLIC": fmt.Sprintf("%d/1h", n),
	})
	ctx := t.Context()
	org, err := instances[0].api.CreateOrganization(ctx, invited.OrganizationCreate{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	var token string
	var firstToken sync.Once
	for _, limit := range []struct {
		name string
		call func(ctx context.Context, p *process, i int) error
	}{
		{"creates in one organization", func(ctx context.Context, p *process, i int) error {
			inv, err := p.api.CreateInvitation(ctx, org.ID, invited.InvitationCreate{Email: fmt.Sprintf("r%d@example.com", i), Roles: []string{"member"}})
			if err == nil {
				firstToken.Do(func() { token = tokenOf(inv.URL) }) // for the lookups, which start after
			}
			return err
		}},
		{"public lookups from one address", func(ctx context.Context, p *process, _ int) error {
			_, err := p.api.PreviewInvitation(ctx, token)
			return err
		}},
	} {
		outcomes := race(ctx, 3*n, func(ctx context.Context, i int) error { return limit.call(ctx, instances[i%2], i) })
		if outcomes["200 "] != n || outcomes["429 "+invited.ERATELIMITED] != 2*n {
			t.Fatalf("%s, a limit of %d over two instances: %v; want %d passed and %d rate_limited", limit.name, n, outcomes, n, 2*n)
		}
		// Each instance tells when to come back: one event refills in
		// Per/N, three minutes.
		for _, p := range instances {
			e, ok := errors.AsType[*client.Error](limit.call(ctx, p, 3*n))
			if !ok || e.Code != invited.ERATELIMITED || e.RetryAfter <= 0 || e.RetryAfter > 3*time.Minute {
				t.Fatalf("%s, instance %s after the race: %v; want rate_limited with a Retry-After up to 3m", limit.name, p.name, e)
			}
		}
	}
}

// twoInstances starts two `invited serve` processes with the environment
// extra on one new PostgreSQL database, and returns its URL and the
// instances, each with a client of the admin key. Started together on an
// empty database, both migrate at once. Either logging an error fails the
// test.
func twoInstances(t *testing.T, extra map[string]string) (string, []*process) {
	dbURL := pgtest.Shared(t).NewDatabase(t)
	bin := buildInvited(t)
	env := map[string]string{
		"INVITED_DATABASE_URL":  dbURL,
		"INVITED_ADMIN_API_KEY": pgAdminKey,
		"INVITED_LOG_FORMAT":    "json",
	}
	maps.Copy(env, extra)
	instances := []*process{startProcess(t, bin, "a", env), startProcess(t, bin, "b", env)}
	for _, p := range instances {
		p.waitListening(t)
		p.api = newClient(t, p.URL, client.WithAPIKey(pgAdminKey))
	}
	t.Cleanup(func() {
		for _, p := range instances {
			if errs := p.logRecords(t, func(r map[string]any) bool { return r["level"] == "ERROR" }); len(errs) > 0 {
				t.Errorf("instance %s logged errors: %v", p.name, errs)
			}
		}
	})
	return dbURL, instances
}

// TestDatabaseOutage stops PostgreSQL under a running server: requests
// must answer 503 unavailable within a bounded time instead of hanging or
// answering 500, and once the database is back the same server serves
// again, writes included, without a restart.
func TestDatabaseOutage(t *testing.T) {
	cluster := pgtest.Start(t, pgtest.Options{})
	srv := startServe(t, map[string]string{
		"INVITED_DATABASE_URL":   cluster.NewDatabase(t),
		"INVITED_ADMIN_API_KEY":  pgAdminKey,
		"INVITED_SWEEP_INTERVAL": "1s",
	})
	// Each answer is the first: the client must not wait out a 503.
	noRetry := client.WithRetry(client.RetryPolicy{})
	c := newClient(t, srv.URL, client.WithAPIKey(pgAdminKey), noRetry)
	anon := newClient(t, srv.URL, noRetry)
	// bounded is the context of one request: a hang fails the test.
	bounded := func() context.Context {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		t.Cleanup(cancel)
		return ctx
	}

	org, err := c.CreateOrganization(bounded(), invited.OrganizationCreate{Name: "Acme"})
	if err != nil {
		t.Fatalf("create org: %v", err)
	}
	orgID := org.ID
	createInvitation := func(email string) error {
		_, err := c.CreateInvitation(bounded(), orgID, invited.InvitationCreate{Email: email, Roles: []string{"member"}})
		return err
	}

	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	// Twice: the first round meets the pool's connections that the server
	// cut off, the second finds no server to connect to.
	for round := range 2 {
		for _, req := range []struct {
			name string
			call func() (*client.Health, error)
		}{
			{"GET /v1/orgs", func() (*client.Health, error) {
				_, err := c.ListOrganizations(bounded(), invited.OrganizationFilter{})
				return nil, err
			}},
			{"GET /healthz", func() (*client.Health, error) { return anon.Health(bounded()) }},
			{"GET /v1/orgs/{org}", func() (*client.Health, error) {
				_, err := c.GetOrganization(bounded(), orgID)
				return nil, err
			}},
		} {
			h, err := req.call()
			switch e, ok := errors.AsType[*client.UnexpectedResponseError](err); {
			case is(err, http.StatusServiceUnavailable, invited.EUNAVAILABLE):
			case ok && e.StatusCode == http.StatusServiceUnavailable && h != nil && h.Status == "unavailable":
			case err == nil:
				t.Fatalf("round %d, database down: %s: %+v, want 503 unavailable", round, req.name, h)
			default:
				t.Fatalf("round %d, database down: %s: %v, want 503 unavailable", round, req.name, err)
			}
		}
		if err := createInvitation(fmt.Sprintf("down%d@example.com", round)); !is(err, http.StatusServiceUnavailable, invited.EUNAVAILABLE) {
			t.Fatalf("round %d, database down: create invitation: %v, want 503 unavailable", round, err)
		}
	}

	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, herr := anon.Health(bounded())
		orgs, oerr := c.ListOrganizations(bounded(), invited.OrganizationFilter{})
		if herr == nil && oerr == nil {
			if n := len(orgs.Orgs); n != 1 {
				t.Fatalf("after the outage: %d orgs, want 1: %+v", n, orgs)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving again after the database came back: healthz %v, orgs %v", herr, oerr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := createInvitation("back@example.com"); err != nil {
		t.Fatalf("create invitation after the outage: %v", err)
	}
	if _, err := c.GetOrganization(bounded(), orgID); err != nil {
		t.Fatalf("read org after the outage: %v", err)
	}
}

// buildInvited builds the invited binary into the test's temporary
// directory. The go command is the one running the tests.
func buildInvited(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build invited: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "invited")
	cmd := exec.Command(goCmd, "build", "-o", bin, ".") // tests run in the package directory
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is an `invited serve` running as a child process.
type process struct {
	name   string
	URL    string         // where it listens, once waitListening returned
	api    *client.Client // the test's client of it, if it makes one
	stderr *testutil.SyncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // its exit, once done
}

// startProcess starts bin serve on a loopback port of its choosing with
// env, which must ask for JSON logs, and none of the INVITED_* variables of
// the test's own environment. It is stopped with SIGTERM when the test
// ends, and must then exit cleanly.
func startProcess(t *testing.T, bin, name string, env map[string]string) *process {
	t.Helper()
	p := &process{name: name, stderr: &testutil.SyncBuffer{}, done: make(chan struct{})}
	cmd := exec.Command(bin, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INVITED_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "INVITED_ADDR=127.0.0.1:0")
	cmd.Stdout = io.Discard
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
			if p.err != nil {
				t.Errorf("instance %s exited with %v after SIGTERM\nstderr:\n%s", name, p.err, p.stderr)
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-p.done
			t.Errorf("instance %s did not stop within 20s of SIGTERM", name)
		}
	})
	return p
}

// waitListening waits until the process logs the address it listens on
// (serve does so once it serves requests), and sets p.URL from it: its
// public URL too, which the test leaves to default to it.
func (p *process) waitListening(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if rs := p.logRecords(t, func(r map[string]any) bool { return r["msg"] == "invited listening" }); len(rs) > 0 {
			p.URL, _ = rs[0]["public_url"].(string)
			return
		}
		select {
		case <-p.done:
			t.Fatalf("instance %s exited early: %v\nstderr:\n%s", p.name, p.err, p.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s not listening in time\nstderr:\n%s", p.name, p.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logRecords returns the JSON log records of the process that match.
func (p *process) logRecords(t *testing.T, match func(map[string]any) bool) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(p.stderr.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("instance %s: a log line is not JSON: %q", p.name, sc.Text())
		}
		if match(r) {
			out = append(out, r)
		}
	}
	return out
}
