package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/pgtest"
)

// databases are the stores the hostile text tests run the API on: each
// case must answer the same on both.
var databases = []struct {
	name string
	url  func(tb testing.TB) string
}{
	{"sqlite", sqliteURL},
	{"postgres", func(tb testing.TB) string { return pgtest.Shared(tb).NewDatabase(tb) }},
}

// hostile are values that break the text rule (invited.CheckText) in every
// field, multiline or not.
var hostile = map[string]string{
	"NUL":           "a\x00b",
	"escape":        "a\x1bb",
	"DEL":           "a\x7fb",
	"C1 control":    "a\u0085b",
	"invalid UTF-8": "a\xffb",
}

// textCase is one field family: a request whose body (or query) has $V
// where the hostile value goes, and the field the 400 must name.
type textCase struct {
	name, method, path, body, field string
}

// hostileTextCases are the requests of every field family, on a fresh
// organization of e (with the invitation to accept, whose token they name).
func hostileTextCases(t testing.TB, e *env) []textCase {
	org := e.createOrg("Acme")
	token := tokenOf(t, e.invite(e.admin, org.ID, map[string]any{"email": "ada@example.com", "roles": []string{"member"}}).URL)
	invite := `{"email":"grace@example.com","roles":["member"],`
	oauth := `"oauth":{"authorization_url":"https://platform.test/a","token_url":"https://platform.test/t","client_id":`
	return []textCase{
		{"org name", "POST", "/v1/orgs", `{"name":$V}`, "name"},
		{"org rename", "PATCH", "/v1/orgs/" + org.ID, `{"name":$V}`, "name"},
		{"org contact", "PATCH", "/v1/orgs/" + org.ID, `{"settings":{"contact":$V}}`, "settings.contact"},
		{"org display name", "PATCH", "/v1/orgs/" + org.ID, `{"settings":{"display_name":$V}}`, "settings.display_name"},
		{"first name", "POST", "/v1/orgs/" + org.ID + "/invitations", invite + `"first_name":$V}`, "first_name"},
		{"last name", "POST", "/v1/orgs/" + org.ID + "/invitations", invite + `"last_name":$V}`, "last_name"},
		{"message", "POST", "/v1/orgs/" + org.ID + "/invitations", invite + `"message":$V}`, "message"},
		{"audience", "POST", "/v1/orgs/" + org.ID + "/invitations", invite + `"audience":$V}`, "audience"},
		{"user id", "POST", "/v1/orgs/" + org.ID + "/invitations", `{"user_id":$V,"roles":["member"]}`, "user_id"},
		{"role", "POST", "/v1/orgs/" + org.ID + "/invitations", `{"email":"grace@example.com","roles":[$V]}`, "roles"},
		{"accepting user's name", "POST", "/v1/invitation-tokens/" + token + "/accept", `{"user":{"external_id":"ada-1","name":$V}}`, "user.name"},
		{"accepting user's external id", "POST", "/v1/invitation-tokens/" + token + "/accept", `{"user":{"external_id":$V}}`, "user.external_id"},
		{"accepting user's id", "POST", "/v1/invitation-tokens/" + token + "/accept", `{"user":{"id":$V}}`, "user.id"},
		{"role description", "POST", "/v1/orgs/" + org.ID + "/roles", `{"name":"editor","permissions":["invitations:read"],"description":$V}`, "description"},
		{"API key name", "POST", "/v1/api-keys", `{"org_id":"` + org.ID + `","permissions":["invitations:read"],"name":$V}`, "name"},
		{"app name", "POST", "/v1/apps", `{` + oauth + `"c","scopes":[]},"name":$V}`, "name"},
		{"app client id", "POST", "/v1/apps", `{"name":"CRM",` + oauth + `$V}}`, "oauth.client_id"},
		{"webhook description", "POST", "/v1/webhooks", `{"url":"https://hooks.test/h","description":$V}`, "description"},
		{"invitations' email filter", "GET", "/v1/invitations?email=$V", "", "email"},
		{"audit log's actor filter", "GET", "/v1/audit-events?actor=$V", "", "actor"},
	}
}

// send serves tc in process, with v in place of $V: in the query, or in
// the body as a JSON string (jsonString). It does not go through e.do,
// which reports to the fuzz target's F.
func (tc textCase) send(e *env, v string) *httptest.ResponseRecorder {
	path, body := tc.path, tc.body
	if body == "" {
		path = strings.Replace(path, "$V", url.QueryEscape(v), 1)
	} else {
		body = strings.Replace(body, "$V", jsonString(v), 1)
	}
	req := httptest.NewRequest(tc.method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.admin)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// jsonString encodes s as a JSON string but leaves bytes that are not
// UTF-8 as they are, so that they reach the server: json.Marshal would
// replace them with U+FFFD.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n == 1 {
			b.WriteByte(s[0])
		} else {
			q, _ := json.Marshal(s[:n])
			b.Write(q[1 : len(q)-1])
		}
		s = s[n:]
	}
	b.WriteByte('"')
	return b.String()
}

// TestHostileText: NUL, control characters and invalid UTF-8 in any field
// are a 400 naming the field, on SQLite and PostgreSQL alike (issue 13, D3:
// PostgreSQL answered NUL with a 500). A body that is not UTF-8 is refused
// as a whole, before it is decoded.
func TestHostileText(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			e := newEnvOn(t, db.url(t))
			for _, tc := range hostileTextCases(t, e) {
				for what, v := range hostile {
					rec := tc.send(e, v)
					r := response{Status: rec.Code, Body: rec.Body.Bytes()}
					if r.Status != http.StatusBadRequest {
						t.Errorf("%s, %s: status %d, want 400: %s", tc.name, what, r.Status, r.Body)
						continue
					}
					got := r.apiError(t)
					if got.Code != invited.EINVALID {
						t.Errorf("%s, %s: code %q", tc.name, what, got.Code)
					}
					if bodyRefused := tc.body != "" && what == "invalid UTF-8"; !bodyRefused && got.Fields[tc.field] == "" {
						t.Errorf("%s, %s: %s does not name %s", tc.name, what, r.Body, tc.field)
					}
				}
			}
		})
	}
}

// FuzzHostileText drives the create and update requests of every field
// family (hostileTextCases) through the whole server into real stores, on
// SQLite and on PostgreSQL (when it is installed; in CI it must be), with
// any bytes where the field's JSON value goes: whatever they are, neither
// database makes the answer a 5xx.
func FuzzHostileText(f *testing.F) {
	type backend struct {
		e     *env
		cases []textCase
	}
	stores := []*env{newEnv(f)}
	if pg := pgtest.Optional(f); pg != nil {
		stores = append(stores, newEnvOn(f, pg.NewDatabase(f)))
	}
	var backends []backend
	for _, e := range stores {
		backends = append(backends, backend{e, hostileTextCases(f, e)})
	}
	values := []string{
		"Ada", "", "line\nbreak\ttab\r\n", "\u2028\u202e\u200b", "\ufffd", "\"quoted\\",
		strings.Repeat("é", 5000), strings.Repeat("\x00", 300), "\xed\xa0\x80", "\xc0\xaf",
	}
	for _, v := range hostile {
		values = append(values, v)
	}
	for i := range backends[0].cases {
		for _, v := range values {
			f.Add(uint8(i), v)
		}
	}
	f.Fuzz(func(t *testing.T, i uint8, v string) {
		for _, b := range backends {
			tc := b.cases[int(i)%len(b.cases)]
			if rec := tc.send(b.e, v); rec.Code >= 500 {
				t.Fatalf("%s with %q: status %d: %s", tc.name, v, rec.Code, rec.Body)
			}
		}
	})
}
