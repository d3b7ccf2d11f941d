package sqlstore

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/invitedhq/invited"
)

// Issue 13 (D1): a copy of the database yields no working secret. The test
// runs a full flow, reads every value of every column of every table (the
// tables are listed from the schema, so a new one is covered without a
// word here), and tries every string in them, and everything that can be
// made of one without a key, as every kind of secret the service accepts.

// TestDatabaseCopy runs on both backends, with encryption keys and without
// (the quickstart, which runs with no INVITED_ENCRYPTION_KEYS).
func TestDatabaseCopy(t *testing.T) {
	for _, b := range backends() {
		for _, keyed := range []bool{true, false} {
			name := b.name + map[bool]string{true: "/keys", false: "/no-keys"}[keyed]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, func(tb testing.TB, opts Options) *DB {
					if !keyed {
						opts.Secrets = nil
					}
					return b.open(tb, opts)
				})
				live := fullFlow(t, e, keyed)
				// The secrets the flow was given are live: the scanner
				// would know them if the database held them.
				for _, s := range live {
					if kinds := e.secretOpens(s.secret); !slices.Contains(kinds, s.kind) {
						t.Fatalf("the flow's %s %q opens %v: the check below would prove little", s.kind, s.secret, kinds)
					}
				}
				if found := e.scanCopy(); len(found) > 0 {
					for _, f := range found {
						t.Errorf("a copy of the database gives away %s", f)
					}
				}
			})
		}
	}
	// The scanner finds a secret that is there, however it is written:
	// without this the test above could pass by looking at nothing.
	t.Run("planted", func(t *testing.T) {
		e := newEnv(t, openSQLiteFile)
		live := fullFlow(t, e, true)
		byKind := map[string]string{}
		for _, s := range live {
			byKind[s.kind] = s.secret
		}
		token, key, session, code := byKind["invitation link"], byKind["API key"], byKind["console session"], byKind["app invite code"]
		if len(byKind) != 7 {
			t.Fatalf("the flow handed out %v", byKind)
		}
		raw, err := base64.RawURLEncoding.DecodeString(token)
		must(t, err)
		for _, plant := range []struct {
			name, query string
			arg         any
			kind        string
		}{
			{"a link in a text", `UPDATE organizations SET name = ?`, "join at https://invited.test/i/" + token + "?x=1.", "invitation link"},
			{"a link in base64 in JSON", `UPDATE invitations SET metadata = ?`,
				`{"a":[{"b":"` + base64.StdEncoding.EncodeToString([]byte("url: /i/"+token)) + `"}]}`, "invitation link"},
			{"a token's bytes in a blob", `UPDATE idempotency_keys SET body = ?`, raw, "invitation link"},
			{"a key in hex", `UPDATE audit_events SET remote_addr = ?`, hex.EncodeToString([]byte(key)), "API key"},
			{"a key without its prefix", `UPDATE users SET name = ?`, strings.TrimPrefix(key, invited.SecretPrefixAPIKey), "API key"},
			{"a session in a letter", `UPDATE messages SET letter = ?`, `{"kind":"x","to":"` + session + `"}`, "console session"},
			{"a code in a query", `UPDATE webhooks SET url = ?`, "https://x.test/a?code=" + url.QueryEscape(code), "app invite code"},
			{"a state in an error", `UPDATE message_attempts SET error = ?`, "callback state=" + byKind["OAuth state"] + ": refused", "OAuth state"},
			{"a join link in a note", `UPDATE join_links SET note = ?`, "share https://invited.test/j/" + byKind["join link"], "join link"},
			{"a confirmation in a name", `UPDATE join_confirmations SET name = ?`,
				"https://invited.test/j/confirm/" + byKind["join confirmation"], "join confirmation"},
		} {
			t.Run(plant.name, func(t *testing.T) {
				var before any
				table, column, _ := strings.Cut(strings.TrimPrefix(plant.query, "UPDATE "), " SET ")
				column, _, _ = strings.Cut(column, " ")
				must(t, e.db.read.QueryRow(`SELECT `+column+` FROM `+table+` LIMIT 1`).Scan(&before))
				_, err := e.db.write.Exec(`UPDATE `+table+` SET `+column+` = ?`, plant.arg)
				must(t, err)
				found := e.scanCopy()
				_, err = e.db.write.Exec(`UPDATE `+table+` SET `+column+` = ?`, before)
				must(t, err)
				for _, f := range found {
					if f.kind == plant.kind && f.where == table+"."+column {
						return
					}
				}
				t.Fatalf("planted a %s in %s.%s; found %v", plant.kind, table, column, found)
			})
		}
	})
}

// liveSecret is a secret the flow was handed, that works.
type liveSecret struct{ kind, secret string }

// fullFlow fills the database as a deployment would: organizations and
// members, API keys, invitations by email and SMS with reminders pending,
// a draft, letters delivered, dead and waiting, a resend, an acceptance on
// the hosted page with its ticket, webhooks and their deliveries, a signing
// key, an app and app invites, with keys an authorization under way and a
// connection, a console session, an idempotent create, and a join link
// with a join confirmation pending. It returns the secrets the flow was
// handed.
func fullFlow(t *testing.T, e *env, keyed bool) []liveSecret {
	t.Helper()
	ctx := context.Background()
	var live []liveSecret
	acme := e.org(hostedSettings())
	owner, _ := e.member(acme.ID, invited.RoleAdmin)
	_, err := e.db.CreateWebhook(owner, invited.WebhookCreate{OrgID: acme.ID, URL: "https://hooks.acme.test/all"})
	must(t, err)
	_, err = e.db.CreateWebhook(e.admin, invited.WebhookCreate{URL: "https://ops.test/hook"})
	must(t, err)
	_, err = e.db.AddSigningKey(ctx, e.signingKey(), false)
	must(t, err)
	_, keySecret, err := e.db.CreateAPIKey(e.admin, invited.APIKeyCreate{Name: "host app", OrgID: acme.ID,
		Permissions: []invited.Permission{invited.PermInvitationsCreate, invited.PermInvitationsRead, invited.PermConnectionsManage, invited.PermAppsManage}})
	must(t, err)
	live = append(live, liveSecret{"API key", keySecret})
	hostKey := e.keyContext(keySecret)
	revokedKey, revokedSecret, err := e.db.CreateAPIKey(e.admin, invited.APIKeyCreate{Name: "old", OrgID: acme.ID,
		Permissions: []invited.Permission{invited.PermMembersRead}})
	must(t, err)
	must(t, e.db.RevokeAPIKey(e.admin, revokedKey.ID))
	_ = revokedSecret

	// Invitations: delivered, dead, resent, waiting (with their reminders),
	// by email and SMS, and a draft.
	delivered, deliveredToken := e.invite(hostKey, acme.ID, invited.InvitationCreate{Email: "del@example.com", Roles: []string{"member"}})
	live = append(live, liveSecret{"invitation link", deliveredToken})
	dead, _ := e.invite(hostKey, acme.ID, invited.InvitationCreate{Email: "dead@example.com", Roles: []string{"member"}})
	resent, _ := e.invite(hostKey, acme.ID, invited.InvitationCreate{Phone: "+14155550100", Channel: invited.ChannelSMS, Roles: []string{"member"}})
	for _, m := range e.claim() {
		switch m.InvitationID {
		case delivered.ID:
			must(t, e.record(m.ID, invited.Attempt{At: e.clock.Now()}, time.Time{}))
			live = append(live, liveSecret{"invitation link", m.Token})
		case dead.ID:
			must(t, e.record(m.ID, invited.Attempt{At: e.clock.Now(), Error: "550 no such user " + m.To}, time.Time{}))
		case resent.ID:
			must(t, e.record(m.ID, invited.Attempt{At: e.clock.Now(), Error: "HTTP 503"}, e.clock.Now().Add(time.Hour)))
		default:
			must(t, e.record(m.ID, invited.Attempt{At: e.clock.Now()}, time.Time{}))
		}
	}
	e.clock.Advance(invited.ResendInterval)
	_, fresh, err := e.db.ResendInvitation(hostKey, resent.ID)
	must(t, err)
	live = append(live, liveSecret{"invitation link", fresh})
	_, waiting := e.invite(owner, acme.ID, invited.InvitationCreate{Email: "wait@example.com", FirstName: "Wendy", Roles: []string{"member"},
		Message: "See you", Metadata: json.RawMessage(`{"team":"blue"}`)})
	live = append(live, liveSecret{"invitation link", waiting})
	e.invite(owner, acme.ID, invited.InvitationCreate{Phone: "+14155550101", Channel: invited.ChannelSMS, Roles: []string{"member"}})
	e.invite(owner, acme.ID, invited.InvitationCreate{Email: "draft@example.com", Roles: []string{"member"}, Send: ptr(false)})

	// Accepted on the hosted page, with a ticket for the host application.
	_, acceptedToken := e.invite(owner, acme.ID, invited.InvitationCreate{Email: "acc@example.com", Roles: []string{"member"}, Audience: "web"})
	_, err = e.linkAccept(acceptedToken, "Acc Epted")
	must(t, err)

	// An idempotent create, stored as the API stores its answer: without
	// the link (internal/api TestIdempotency checks that the replay, which
	// is the stored body, carries none).
	idem, idemToken := e.invite(hostKey, acme.ID, invited.InvitationCreate{Email: "idem@example.com", Roles: []string{"member"}})
	live = append(live, liveSecret{"invitation link", idemToken})
	_, err = e.db.BeginIdempotent(ctx, "key:"+acme.ID, "create-1", "hash")
	must(t, err)
	must(t, e.db.FinishIdempotent(ctx, "key:"+acme.ID, "create-1", invited.IdempotentResponse{Status: 201, Body: []byte(jsonText(idem))}))

	// Console sessions: a key's, and a user's signed in with an access
	// token, whose identity the row keeps.
	_, session := e.startSession(hostKey)
	live = append(live, liveSecret{"console session", session})
	_, userSession := e.startSession(e.userContext(&invited.User{ExternalID: "console-sub", Email: "console@example.com"}))
	live = append(live, liveSecret{"console session", userSession})

	// Apps: without keys only a public client, and no connection (which
	// would need to seal the platform's tokens).
	c := crmApp(acme.ID)
	if !keyed {
		c.OAuth.ClientSecret = ""
	}
	app := e.app(hostKey, c)
	_, code := e.appInvite(hostKey, app.ID, invited.AppInviteCreate{OrgID: acme.ID, Email: "partner@example.com"})
	live = append(live, liveSecret{"app invite code", code})
	// Join links: one rotated, whose first token is dead already.
	jl, _ := e.joinLink(hostKey, acme.ID, invited.JoinLinkCreate{MaxUses: ptr(5)})
	_, joinToken, err := e.db.RotateJoinLink(hostKey, jl.ID)
	must(t, err)
	live = append(live, liveSecret{"join link", joinToken})
	// A join asked for on the hosted page: its letter claimed, so that
	// the confirmation's secret exists, and the confirmation pending.
	live = append(live, liveSecret{"join confirmation", e.requestJoin(joinToken, "joiner@example.com")})
	if keyed {
		state := e.start(code, newToken())
		live = append(live, liveSecret{"OAuth state", state})
		e.connect(hostKey, app.ID, acme.ID, platformToken(1))
	}
	// What is left is due later: reminders, the retry, the webhooks.
	if n := e.count(`SELECT COUNT(*) FROM messages WHERE status = 'pending' AND kind = 'reminder'`); n < 3 {
		t.Fatalf("%d reminders pending", n)
	}
	return live
}

// finding is a working secret found in a copy of the database.
type finding struct{ where, kind, value string }

func (f finding) String() string {
	return fmt.Sprintf("a working %s (%.60q) in %s", f.kind, f.value, f.where)
}

// secretOpens returns the kinds of secret s works as: the lookups the
// service makes of a link, a key, a session, a code and a state.
func (e *env) secretOpens(s string) []string { return e.opener()(s) }

// opener returns secretOpens with the OAuth states' hashes read once.
func (e *env) opener() func(string) []string {
	e.t.Helper()
	states := map[string]bool{}
	rows, err := e.db.read.Query(`SELECT state_hash, browser_hash FROM oauth_states`)
	must(e.t, err)
	for rows.Next() {
		var state, browser []byte
		must(e.t, rows.Scan(&state, &browser))
		states[string(state)], states[string(browser)] = true, true
	}
	must(e.t, rows.Err())
	rows.Close()
	return func(s string) []string { return e.tryAll(s, states) }
}

// tryAll is secretOpens, given the hashes of the OAuth states and their
// browsers' secrets.
func (e *env) tryAll(s string, states map[string]bool) []string {
	e.t.Helper()
	ctx := context.Background()
	var kinds []string
	if _, err := e.db.PreviewInvitation(ctx, s); err == nil {
		kinds = append(kinds, "invitation link")
	} else if !isNotFound(err) {
		e.t.Fatalf("preview %q: %v", s, err)
	}
	if _, err := e.db.AuthenticateAPIKey(ctx, s); err == nil {
		kinds = append(kinds, "API key")
	}
	if _, _, err := e.db.AuthenticateConsoleSession(ctx, s); err == nil {
		kinds = append(kinds, "console session")
	}
	if _, err := e.db.OpenAppInviteLink(ctx, s); err == nil {
		kinds = append(kinds, "app invite code")
	}
	if _, _, err := e.db.OpenJoinLink(ctx, s); err == nil {
		kinds = append(kinds, "join link")
	}
	if _, _, _, err := e.db.OpenJoinConfirmation(ctx, s); err == nil {
		kinds = append(kinds, "join confirmation")
	}
	// TakeAuthorization needs the browser's secret too; a state is found
	// by its hash first (takeStateSQL), which is what is tried here, for
	// both.
	if hash, ok := flowSecretHash(s); ok && states[string(hash)] {
		kinds = append(kinds, "OAuth state")
	}
	return kinds
}

// scanCopy reads every value of every table and tries each candidate
// made from it.
func (e *env) scanCopy() []finding {
	e.t.Helper()
	var found []finding
	tried := map[string]bool{}
	opens := e.opener()
	for where, values := range e.dump() {
		for _, v := range values {
			for c := range candidates(v, 0) {
				if tried[c] {
					continue
				}
				tried[c] = true
				for _, kind := range opens(c) {
					found = append(found, finding{where, kind, c})
				}
			}
		}
	}
	e.t.Logf("%d candidates tried", len(tried))
	if len(tried) < 100 {
		e.t.Fatalf("only %d candidates tried: the dump read next to nothing", len(tried))
	}
	return found
}

// dump returns every non-NULL value of every column of every table, by
// table.column, text as it is and anything else in its text form.
func (e *env) dump() map[string][]string {
	e.t.Helper()
	listTables := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if e.db.dialect.name == "postgres" {
		listTables = `SELECT table_name FROM information_schema.tables
WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	tables, err := queryRows(e.db, listTables)
	must(e.t, err)
	if !slices.Contains(tables, "invitation_tokens") || !slices.Contains(tables, "messages") || len(tables) < 15 {
		e.t.Fatalf("tables %v", tables)
	}
	out := map[string][]string{}
	for _, table := range tables {
		rows, err := e.db.read.Query(`SELECT * FROM ` + table)
		must(e.t, err)
		cols, err := rows.Columns()
		must(e.t, err)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			must(e.t, rows.Scan(ptrs...))
			for i, v := range vals {
				where := table + "." + cols[i]
				switch v := v.(type) {
				case nil:
				case string:
					out[where] = append(out[where], v)
				case []byte:
					// Raw bytes as they are, and as a token would be
					// written from them.
					out[where] = append(out[where], string(v), base64.RawURLEncoding.EncodeToString(v))
				default:
					out[where] = append(out[where], fmt.Sprint(v))
				}
			}
		}
		must(e.t, rows.Err())
		rows.Close()
	}
	return out
}

// queryRows reads the one text column of a query.
func queryRows(db *DB, query string) ([]string, error) {
	rows, err := db.read.Query(query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// secretPrefixes are the prefixes of the service's secrets, added to and
// taken from every candidate.
var secretPrefixes = []string{invited.SecretPrefixAPIKey, invited.SecretPrefixConsoleSession}

// candidates returns what can be made of s without a key: s itself,
// trimmed, decoded from base64 (each alphabet) and hex, the strings inside
// it as JSON, the path segments and query values of it as a URL, its parts
// between whitespace and punctuation, each of these with a secret's prefix
// added or taken away, and so on, a few levels deep.
func candidates(s string, depth int) map[string]bool {
	out := map[string]bool{}
	var add func(string, int)
	add = func(s string, depth int) {
		if s == "" || out[s] || depth > 3 || len(s) > 1<<16 {
			return
		}
		out[s] = true
		for _, p := range secretPrefixes {
			out[p+s] = true
			if rest, ok := strings.CutPrefix(s, p); ok {
				out[rest] = true
			}
		}
		add(strings.TrimSpace(s), depth+1)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(strings.TrimSpace(s)); err == nil && len(b) > 0 {
				add(string(b), depth+1)
				add(base64.RawURLEncoding.EncodeToString(b), depth+1)
			}
		}
		if b, err := hex.DecodeString(strings.TrimSpace(s)); err == nil && len(b) > 0 {
			add(string(b), depth+1)
			add(base64.RawURLEncoding.EncodeToString(b), depth+1)
		}
		var v any
		if json.Unmarshal([]byte(s), &v) == nil {
			for _, str := range jsonStrings(v) {
				add(str, depth+1)
			}
		}
		if u, err := url.Parse(strings.TrimSpace(s)); err == nil && (u.Scheme != "" || strings.Contains(s, "/")) {
			for seg := range strings.SplitSeq(u.Path, "/") {
				add(seg, depth+1)
			}
			for _, vals := range u.Query() {
				for _, v := range vals {
					add(v, depth+1)
				}
			}
			add(u.Fragment, depth+1)
			if u.User != nil {
				add(u.User.Username(), depth+1)
				p, _ := u.User.Password()
				add(p, depth+1)
			}
		}
		if utf8.ValidString(s) {
			for _, part := range strings.FieldsFunc(s, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
			}) {
				add(part, depth+1)
			}
		}
	}
	add(s, depth)
	return out
}

// jsonStrings returns every string in a decoded JSON value, keys included.
func jsonStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, jsonStrings(x)...)
		}
		return out
	case map[string]any:
		var out []string
		for k, x := range v {
			out = append(out, k)
			out = append(out, jsonStrings(x)...)
		}
		return out
	}
	return nil
}
