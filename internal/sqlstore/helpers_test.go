package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/pgtest"
	"github.com/invitedhq/invited/internal/secretbox"
	"github.com/invitedhq/invited/internal/testutil"
)

// TestMain stops the shared PostgreSQL cluster once the tests are done.
func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// backend is a database the store runs on. The contract suite runs
// unchanged against every backend.
type backend struct {
	name string
	// url names a fresh, empty database for one test. A backend that is
	// not installed skips the test (fails it under CI=true) from here, so
	// that it never takes the other backends' tests with it.
	url func(tb testing.TB) string
}

func backends() []backend {
	return []backend{
		{name: "sqlite", url: sqliteURL},
		// One server for the whole test binary, a database per test.
		{name: "postgres", url: func(tb testing.TB) string { return pgtest.Shared(tb).NewDatabase(tb) }},
	}
}

// open opens a fresh, migrated database of the backend for one test.
func (b backend) open(tb testing.TB, opts Options) *DB { return openURL(tb, b.url(tb), opts) }

// sqliteURL names a temporary file, not :memory:, so that the read and
// write pools share it. Durability stays at its production setting.
func sqliteURL(tb testing.TB) string { return "sqlite:" + filepath.Join(tb.TempDir(), "invited.db") }

func openSQLiteFile(tb testing.TB, opts Options) *DB { return openURL(tb, sqliteURL(tb), opts) }

func openURL(tb testing.TB, url string, opts Options) *DB {
	tb.Helper()
	db, err := Open(context.Background(), url, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// testKeyCache is how long the tests' stores trust a verified API key:
// served keys are cached, so the contract holds with the cache.
const testKeyCache = 2 * time.Second

// env is one contract case's world: a fresh database, its clock, its
// encryption keys and an admin key, all made through the store's own API.
type env struct {
	t     testing.TB
	db    *DB
	clock *testutil.Clock
	keys  *secretbox.Keyring
	admin context.Context
	seq   int
}

func newEnv(t testing.TB, open func(testing.TB, Options) *DB) *env {
	t.Helper()
	keys, err := secretbox.Parse(secretbox.NewKey("test"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clock: testutil.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)), keys: keys}
	e.db = open(t, Options{Now: e.clock.Now, ReminderBefore: 24 * time.Hour, Secrets: keys, APIKeyCache: testKeyCache})
	ctx := context.Background()
	secret, err := e.db.CreateFirstAdminKey(ctx)
	if err != nil || secret == "" {
		t.Fatalf("first admin key: %q, %v", secret, err)
	}
	e.admin = e.keyContext(secret)
	return e
}

// keyContext authenticates secret and returns a context with its actor.
func (e *env) keyContext(secret string) context.Context {
	e.t.Helper()
	a, err := e.db.AuthenticateAPIKey(context.Background(), secret)
	if err != nil {
		e.t.Fatalf("authenticate key: %v", err)
	}
	return invited.NewContextWithActor(context.Background(), a)
}

// next returns a number unique within the env, for names and addresses.
func (e *env) next() int {
	e.seq++
	return e.seq
}

// org creates an organization with no members.
func (e *env) org(settings *invited.OrgSettingsPatch) *invited.Organization {
	e.t.Helper()
	org, err := e.db.CreateOrganization(e.admin, invited.OrganizationCreate{Name: fmt.Sprintf("Org %d", e.next()), Settings: settings})
	if err != nil {
		e.t.Fatalf("create org: %v", err)
	}
	return org
}

// orgWithOwner creates an organization and its first member, so that later
// members do not become owners.
func (e *env) orgWithOwner(settings *invited.OrgSettingsPatch) (*invited.Organization, context.Context) {
	e.t.Helper()
	org := e.org(settings)
	owner, _ := e.member(org.ID, invited.RoleMember)
	return org, owner
}

// member makes a new user join orgID with roles through an invitation
// accepted with the admin key, and returns a context acting as that user.
func (e *env) member(orgID string, roles ...string) (context.Context, *invited.User) {
	e.t.Helper()
	n := e.next()
	email := fmt.Sprintf("user%d@example.com", n)
	_, token := e.invite(e.admin, orgID, invited.InvitationCreate{Email: email, Roles: roles})
	acc, err := e.db.AcceptInvitation(e.admin, token, invited.Acceptor{ExternalID: fmt.Sprintf("ext-%d", n), Email: email})
	if err != nil {
		e.t.Fatalf("accept: %v", err)
	}
	return e.userContext(acc.User), acc.User
}

// userContext authenticates u as a user access token would.
func (e *env) userContext(u *invited.User) context.Context {
	e.t.Helper()
	a, err := e.db.AuthenticateUser(context.Background(), invited.User{ExternalID: u.ExternalID, Email: u.Email, EmailVerified: true})
	if err != nil {
		e.t.Fatalf("authenticate user: %v", err)
	}
	return invited.NewContextWithActor(context.Background(), a)
}

// invite creates an invitation that must succeed.
func (e *env) invite(ctx context.Context, orgID string, c invited.InvitationCreate) (*invited.Invitation, string) {
	e.t.Helper()
	inv, token, err := e.db.CreateInvitation(ctx, orgID, c)
	if err != nil {
		e.t.Fatalf("create invitation: %v", err)
	}
	return inv, token
}

// count runs a COUNT query, with ? placeholders, straight on the database.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.read.QueryRow(e.db.dialect.rebind(query), args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// letter is a letter in the outbox as stored.
type letter struct{ kind, to, status string }

// letters lists the letters (email and SMS) in the outbox, oldest first.
func (e *env) letters() []letter {
	e.t.Helper()
	rows, err := e.db.read.Query(`SELECT kind, recipient, status FROM messages WHERE channel <> 'webhook' ORDER BY id`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []letter
	for rows.Next() {
		var l letter
		if err := rows.Scan(&l.kind, &l.to, &l.status); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// lettersOf returns the letters of kind.
func (e *env) lettersOf(kind string) []letter {
	var out []letter
	for _, l := range e.letters() {
		if l.kind == kind {
			out = append(out, l)
		}
	}
	return out
}

// rawStatus is the status as stored, before read-time expiry.
func (e *env) rawStatus(id string) invited.Status {
	e.t.Helper()
	var s invited.Status
	if err := e.db.read.QueryRow(e.db.dialect.rebind(`SELECT status FROM invitations WHERE id = ?`), id).Scan(&s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// wantCode fails unless err is an *invited.Error with code.
func wantCode(t testing.TB, err error, code string) *invited.Error {
	t.Helper()
	var e *invited.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("got error %v, want code %s", err, code)
	}
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func dur(d time.Duration) *invited.Duration { return ptr(invited.Duration(d)) }

// listCase is a case of a list test: who lists, with what filter, and the
// ids wanted, newest first, or the error code wanted instead.
type listCase[F any] struct {
	name string
	ctx  context.Context
	f    F
	want []string
	code string
}

// checkLists runs each case through list, reading every page of it
// (everyPage); page gives a filter's page.
func checkLists[F, T any](t testing.TB, cases []listCase[F], page func(*F) *invited.Page,
	list func(context.Context, F) ([]T, string, error), id func(T) string) {
	t.Helper()
	for _, c := range cases {
		got, err := everyPage(t, c.name, *page(&c.f), func(p invited.Page) ([]T, string, error) {
			f := c.f
			*page(&f) = p
			return list(c.ctx, f)
		}, id)
		if c.code != "" {
			wantCode(t, err, c.code)
			continue
		}
		must(t, err)
		if !slices.Equal(got, c.want) {
			t.Fatalf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// everyPage reads a list from first on, two to a page so that a list of
// more goes through its pages (unless first names a page token, which is
// read as it is), and returns the ids id gives of what it lists, in order,
// or the first error.
func everyPage[T any](t testing.TB, name string, first invited.Page, list func(invited.Page) ([]T, string, error), id func(T) string) ([]string, error) {
	t.Helper()
	p := first
	if p.PageToken == "" {
		p.PageSize = 2
	}
	ids := []string{}
	for {
		page, next, err := list(p)
		if err != nil {
			return nil, err
		}
		if len(page) > 2 || (next != "" && len(page) != 2) {
			t.Fatalf("%s: page of %d, next %q", name, len(page), next)
		}
		for _, x := range page {
			ids = append(ids, id(x))
		}
		if next == "" {
			return ids, nil
		}
		p.PageToken = next
	}
}
