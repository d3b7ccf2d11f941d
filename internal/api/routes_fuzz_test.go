package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/openapi"
	"github.com/invitedhq/invited/internal/sqlstore"
	"github.com/invitedhq/invited/internal/testutil/specvalidate"
	"github.com/invitedhq/invited/internal/ticket"
)

// fuzzAPI is the whole API on one SQLite store for a fuzz target, with
// the route table and a real resource for each kind of path parameter, so
// that fuzzed requests reach the handlers and the store rather than
// stopping at not_found. One per target: creating a store per input would
// cost more than the request.
type fuzzAPI struct {
	*env
	routes []openapi.Route
	spec   []byte
	// real is the id or token a path parameter takes by default, by the
	// path segment before it ("orgs" for {org} in /v1/orgs/{org}).
	real map[string]string
}

func newFuzzAPI(f *testing.F) *fuzzAPI {
	var keys *ticket.Keys
	e := newEnv(f, func(d *Deps) {
		db := d.Orgs.(*sqlstore.DB)
		keys = ticket.New(db, testBaseURL, time.Now)
		d.Tickets, d.TicketKeys, d.Outbox = db, keys, db
	})
	if err := keys.Ensure(context.Background()); err != nil {
		f.Fatal(err)
	}
	org := e.createOrg("Fuzz")
	inv := e.invite(e.admin, org.ID, map[string]any{"email": "fuzz@example.com", "roles": []string{"member"}})
	var key client.APIKeyWithSecret
	e.call(request{Method: "POST", Path: "/v1/api-keys", Cred: e.admin, Body: invited.APIKeyCreate{Name: "fuzz", OrgID: org.ID,
		Permissions: []invited.Permission{invited.PermInvitationsCreate}}}, http.StatusCreated, &key)
	now := time.Now()
	return &fuzzAPI{
		env:    e,
		routes: Routes(Deps{}),
		spec:   httptestDo(e.h, "GET", "/openapi.json", nil).Body.Bytes(),
		real: map[string]string{
			"orgs": org.ID, "members": invited.NewID(invited.PrefixUser, now),
			"invitations": inv.ID, "invitation-tokens": tokenOf(f, inv.URL),
			"api-keys": key.ID, "apps": invited.NewID(invited.PrefixApp, now),
			"app-invites": invited.NewID(invited.PrefixAppInvite, now), "profiles": invited.NewID(invited.PrefixProfile, now),
			"webhooks": invited.NewID(invited.PrefixWebhook, now), "messages": invited.NewID(invited.PrefixMessage, now),
		},
	}
}

// pathParam is a {name} in a route's path.
var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// path fills rt's path parameters with real resources, except the last,
// which is value unless value is empty.
func (a *fuzzAPI) path(rt openapi.Route, value string) string {
	segments := strings.Split(rt.Path, "/")
	last := -1
	for i, s := range segments {
		if pathParam.MatchString(s) {
			last = i
		}
	}
	for i, s := range segments {
		if !pathParam.MatchString(s) {
			continue
		}
		v := a.real[segments[i-1]]
		if i == last && value != "" {
			v = value
		}
		segments[i] = url.PathEscape(v)
	}
	return strings.Join(segments, "/")
}

// send serves one request in process, with the admin key and header,
// and checks what every answer of the API must be: no server error, and
// an exchange the spec describes (a declared status, a body of the
// declared shape, and no success for a request the spec refuses). It
// returns nil, without a check, when no HTTP client could send the request
// (a target with a control character, a header value with a line break).
func (a *fuzzAPI) send(t *testing.T, method, target string, header http.Header, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	return a.sendAs(t, method, target, header, body, false)
}

// sendAs is send; lenient says the route may succeed with a request the
// spec refuses, as a batch does, which reports the invitations it could
// not read one by one in a 200 (its answer is still checked).
func (a *fuzzAPI) sendAs(t *testing.T, method, target string, header http.Header, body []byte, lenient bool) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	ctx := context.Background()
	if lenient {
		ctx = specvalidate.ExpectInvalid(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://invited.test"+target, r)
	if err != nil || strings.ContainsAny(req.URL.RawQuery, " \x7f") {
		return nil
	}
	if body == nil {
		req.Body = http.NoBody
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+a.admin)
	for name, values := range header {
		for _, v := range values {
			if !validHeaderValue(v) {
				return nil
			}
		}
		req.Header[name] = values
	}
	a.log.Reset()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", a.log)
		}
	})
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req.Clone(context.Background()))
	if rec.Code >= 500 {
		t.Fatalf("%s %s with %q: status %d: %s", method, target, body, rec.Code, rec.Body)
	}
	if rec.Code >= 400 && strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && !strings.HasPrefix(target, "/readyz") && !strings.HasPrefix(target, "/healthz") {
		var e client.ErrorResponse
		dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%s %s: status %d with %s, not an error body (%v)", method, target, rec.Code, rec.Body, err)
		}
	}
	resp := rec.Result()
	specvalidate.New(t, a.spec).Check(req, body, resp, rec.Body.Bytes())
	return rec
}

// validHeaderValue reports whether v can be sent as a header value as it
// is: no control character but tab, and no space or tab at either end, which
// a server trims.
func validHeaderValue(v string) bool {
	if strings.TrimSpace(v) != v {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// FuzzRoutes sends requests to every route of the table: the route is
// chosen by the first value, the last path parameter is the second (a real
// resource when empty), the query the third, and the JSON body, for the
// routes that read one, the fourth. Whatever they are, the answer is no
// 5xx, an error answer has the {"error":{"code","message"}} shape, and the
// exchange is one the spec describes.
func FuzzRoutes(f *testing.F) {
	a := newFuzzAPI(f)
	for i, rt := range a.routes {
		f.Add(uint8(i), "", "", exampleBody(f, rt.OperationID))
	}
	f.Fuzz(func(t *testing.T, sel uint8, value, query string, body []byte) {
		rt := a.routes[int(sel)%len(a.routes)]
		target := a.path(rt, value)
		if query != "" {
			target += "?" + query
		}
		// A body of white space is none to the service (readBody), and
		// one the spec's validator cannot read: send none.
		if rt.Request == nil || len(bytes.TrimSpace(body)) == 0 {
			body = nil
		}
		_, batch := rt.Response.(client.BatchResponse)
		a.sendAs(t, rt.Method, target, nil, body, batch)
	})
}

// exampleBody is the request body of the spec's example of an operation,
// nil when it has none: the seed a fuzz target starts from.
func exampleBody(tb testing.TB, operationID string) []byte {
	ex := examples[operationID].request
	if ex == nil {
		return nil
	}
	b, err := json.Marshal(ex)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzQueryFilters sends list requests with any value for one of the
// filters and page parameters the route declares (chosen by the second
// value) and any text as a second parameter of any name: the answer is a
// page, a not_found, or a 400 whose fields name only parameters the route
// declares or the request sends (every value is held to the text rule,
// checkQuery), besides the checks of every answer.
func FuzzQueryFilters(f *testing.F) {
	a := newFuzzAPI(f)
	var lists []openapi.Route
	for _, rt := range a.routes {
		if len(rt.Query) > 0 {
			lists = append(lists, rt)
		}
	}
	// Empty, NUL and a plain value for every parameter of every list;
	// testdata/fuzz/FuzzQueryFilters holds more, for some.
	for i, rt := range lists {
		for j, p := range rt.Query {
			for _, v := range []string{"", "\x00", "1"} {
				f.Add(uint8(i), uint8(j), v, p.Name, v)
			}
		}
	}
	f.Fuzz(func(t *testing.T, sel, param uint8, value, name2, value2 string) {
		rt := lists[int(sel)%len(lists)]
		q := url.Values{rt.Query[int(param)%len(rt.Query)].Name: {value}}
		q.Add(name2, value2)
		// The names a 400 may give: the declared ones, and those sent, as
		// JSON writes them (invalid UTF-8 becomes U+FFFD).
		named := map[string]bool{}
		for _, p := range rt.Query {
			named[p.Name] = true
		}
		for name := range q {
			var back string
			b, _ := json.Marshal(name)
			json.Unmarshal(b, &back)
			named[back] = true
		}
		rec := a.send(t, rt.Method, a.path(rt, "")+"?"+q.Encode(), nil, nil)
		if rec == nil {
			return
		}
		switch rec.Code {
		case http.StatusOK, http.StatusNotFound, http.StatusForbidden:
		case http.StatusBadRequest:
			var e client.ErrorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || len(e.Error.Fields) == 0 {
				t.Fatalf("%s ?%s: a 400 naming no parameter: %s", rt.Path, q.Encode(), rec.Body)
			}
			for field := range e.Error.Fields {
				if !named[field] {
					t.Fatalf("%s ?%s: a 400 naming %q, which the request does not send and the route does not declare: %s", rt.Path, q.Encode(), field, rec.Body)
				}
			}
		default:
			t.Fatalf("%s ?%s: status %d: %s", rt.Path, q.Encode(), rec.Code, rec.Body)
		}
	})
}

// FuzzIdempotencyKey creates organizations with any Idempotency-Key and
// body: a key longer than the bound is a 400; otherwise the first request
// with a key runs, and the same request again replays its answer, status
// and body, marked as a replay, while another body with the same key is a
// conflict; a body that cannot be read is refused each time, before the key
// is looked at. Besides, the checks of every answer.
func FuzzIdempotencyKey(f *testing.F) {
	a := newFuzzAPI(f)
	first := map[string][]byte{} // the body each key was first sent with
	f.Fuzz(func(t *testing.T, key string, body []byte) {
		if key == "" {
			return // not an idempotent request
		}
		header := http.Header{idempotencyKeyHeader: {key}}
		send := func() *httptest.ResponseRecorder { return a.send(t, "POST", "/v1/orgs", header, body) }
		rec := send()
		if rec == nil {
			return
		}
		if utf8.RuneCountInString(key) > maxIdempotencyKey {
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("a key of %d characters: status %d: %s", utf8.RuneCountInString(key), rec.Code, rec.Body)
			}
			return
		}
		// A body that cannot be read is refused before the key is looked
		// at, as often as it is sent.
		if !utf8.Valid(body) || len(body) > maxBodySize {
			if again := send(); rec.Code != http.StatusBadRequest || again.Code != rec.Code || again.Header().Get(openapi.IdempotentReplayedHeader) != "" {
				t.Fatalf("key %q, an unreadable body: %d %s, then %d %s", key, rec.Code, rec.Body, again.Code, again.Body)
			}
			return
		}
		// The server reads a body of white space as none (readBody).
		sent := bytes.Clone(body)
		if len(bytes.TrimSpace(sent)) == 0 {
			sent = nil
		}
		seen, used := first[key]
		if !used {
			first[key] = sent
		}
		if used && !bytes.Equal(seen, sent) {
			if rec.Code != http.StatusConflict {
				t.Fatalf("key %q with another body: status %d, want 409: %s", key, rec.Code, rec.Body)
			}
			return
		}
		again := send()
		if again.Code != rec.Code || !bytes.Equal(again.Body.Bytes(), rec.Body.Bytes()) || again.Header().Get(openapi.IdempotentReplayedHeader) != "true" {
			t.Fatalf("key %q: the retry answered %d %s (replayed: %q), the first %d %s", key,
				again.Code, again.Body, again.Header().Get(openapi.IdempotentReplayedHeader), rec.Code, rec.Body)
		}
	})
}
