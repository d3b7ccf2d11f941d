package web

import (
	"database/sql"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
)

// TestSafeMethods walks every page route with GET and HEAD, signed in to
// the console and with live links in every path, as a mail scanner, a
// link preview or a prefetching browser would: the database must be
// exactly as it was. Only the bookkeeping of when a credential was last
// used may move. The OAuth callback is a GET by the protocol; without the
// state bound to this browser it changes nothing either, which the walk
// checks with made-up parameters.
func TestSafeMethods(t *testing.T) {
	s := newConnectSite(t, connectOptions{})
	adminKey := invited.NewSecret(invited.SecretPrefixAPIKey)
	if _, err := s.db.EnsureAdminAPIKey(t.Context(), adminKey, "walker"); err != nil {
		t.Fatal(err)
	}
	if a := s.post(t, "/console/sign-in", url.Values{"credential": {adminKey}}); a.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d\n%s", a.status, a.body)
	}
	inv, token, err := s.db.CreateInvitation(s.admin, s.org.ID, invited.InvitationCreate{Email: "ada@example.com", Roles: []string{invited.RoleMember}})
	if err != nil {
		t.Fatal(err)
	}
	_, joined, err := s.db.CreateInvitation(s.admin, s.org.ID, invited.InvitationCreate{Email: "bob@example.com", Roles: []string{invited.RoleMember}})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := s.db.AcceptInvitation(s.keyContext(t, adminKey), joined, invited.Acceptor{Email: "bob@example.com", ExternalID: "bob", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	_, code := s.invite(t)
	_, joinToken, err := s.db.CreateJoinLink(s.admin, s.org.ID, invited.JoinLinkCreate{})
	if err != nil {
		t.Fatal(err)
	}
	secret := s.requestJoin(t, joinToken, "carol@example.com")
	session, err := s.db.FindConsoleSessions(s.keyContext(t, adminKey))
	if err != nil || len(session) != 1 {
		t.Fatalf("sessions %v (%v)", session, err)
	}

	// The values of each path wildcard; {action} takes every action the
	// console confirms.
	var actions []string
	for _, a := range invitationActions {
		actions = append(actions, a.Name)
	}
	values := map[string][]string{
		"token": {token, joinToken}, "code": {code}, "org": {s.org.ID}, "user": {acc.User.ID}, "action": actions,
		"id": {inv.ID, session[0].ID}, "secret": {secret},
	}

	p, err := New(Deps{PublicURL: "https://invited.test"})
	if err != nil {
		t.Fatal(err)
	}
	before := s.snapshot(t)
	walked := 0
	for _, pattern := range slices.Sorted(maps.Keys(p.Routes())) {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			method, path = "", pattern
		}
		if method != "" && method != http.MethodGet {
			continue
		}
		for _, concrete := range expand(t, path, values) {
			if strings.HasSuffix(concrete, "/") && concrete != "/" {
				concrete += "anything"
			}
			for _, m := range []string{http.MethodGet, http.MethodHead} {
				a := s.send(t, m, concrete+"?state=made-up&code=made-up&status=pending", nil, nil)
				if a.status >= 500 {
					t.Errorf("%s %s: %d", m, concrete, a.status)
				}
				walked++
			}
		}
	}
	if walked < 20 {
		t.Fatalf("walked %d requests: the route table was not found", walked)
	}
	after := s.snapshot(t)
	for table, rows := range after {
		if !slices.Equal(before[table], rows) {
			t.Errorf("GET and HEAD changed %s:\nbefore %q\nafter  %q", table, before[table], rows)
		}
	}
}

// wildcard matches a path wildcard of a route pattern.
var wildcard = regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)

// expand returns path with its wildcards replaced by every combination of
// their values; an unknown wildcard fails the test, so that a new route
// gets values rather than going unwalked.
func expand(t *testing.T, path string, values map[string][]string) []string {
	m := wildcard.FindStringSubmatchIndex(path)
	if m == nil {
		return []string{path}
	}
	name := path[m[2]:m[3]]
	vals, ok := values[name]
	if !ok {
		t.Fatalf("route %s: no values for {%s}", path, name)
	}
	var out []string
	for _, v := range vals {
		out = append(out, expand(t, path[:m[0]]+url.PathEscape(v)+path[m[1]:], values)...)
	}
	return out
}

// bookkeeping are the columns that record when a credential was last
// used: reading a page may move them.
var bookkeeping = []string{"last_used_at", "last_seen_at"}

// snapshot reads every row of every table of the site's database, as
// text, table by table (an empty one too), sorted.
func (s *site) snapshot(t *testing.T) map[string][]string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+s.dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := queryStrings(db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, table := range tables {
		out[table] = []string{}
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var row []string
			for i, c := range cols {
				if !slices.Contains(bookkeeping, c) {
					row = append(row, fmt.Sprintf("%s=%v", c, vals[i]))
				}
			}
			out[table] = append(out[table], strings.Join(row, " "))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		slices.Sort(out[table])
	}
	return out
}

// queryStrings returns the one text column of query's rows.
func queryStrings(db *sql.DB, query string) ([]string, error) {
	rows, err := db.Query(query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
