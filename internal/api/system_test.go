package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/openapi"
)

// httptestDo serves one request in process.
func httptestDo(h http.Handler, method, path string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestTransport(t *testing.T) {
	h := NewServer(Deps{})
	tests := []struct {
		name, method, path string
		header             map[string]string
		status             int
		code               string
		check              func(t *testing.T, rec *httptest.ResponseRecorder)
	}{
		{name: "unknown path", method: "GET", path: "/v1/nothing", status: 404, code: invited.ENOTFOUND},
		{name: "unknown root path", method: "GET", path: "/", status: 404, code: invited.ENOTFOUND},
		{name: "wrong method", method: "PUT", path: "/v1/orgs", status: 405, code: httpkit.CodeMethodNotAllowed,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if got := rec.Header().Get("Allow"); !strings.Contains(got, "GET") || !strings.Contains(got, "POST") {
					t.Errorf("Allow %q", got)
				}
			}},
		{name: "caller's request id", method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "abc-123_X"}, status: 200,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if got := rec.Header().Get("X-Request-Id"); got != "abc-123_X" {
					t.Errorf("X-Request-Id %q", got)
				}
			}},
		{name: "insane request id", method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "a b\" <script>"}, status: 200,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if got := rec.Header().Get("X-Request-Id"); !regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`).MatchString(got) {
					t.Errorf("X-Request-Id %q", got)
				}
			}},
		{name: "overlong request id", method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": strings.Repeat("a", 65)}, status: 200,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if got := rec.Header().Get("X-Request-Id"); got == "" || len(got) > 64 {
					t.Errorf("X-Request-Id %q", got)
				}
			}},
		{name: "healthy", method: "GET", path: "/healthz", status: 200,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if got := strings.TrimSpace(rec.Body.String()); got != `{"status":"ok"}` {
					t.Errorf("body %s", got)
				}
			}},
		{name: "docs", method: "GET", path: "/docs", status: 200,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(rec.Body.String(), "createInvitation") {
					t.Errorf("docs: %s", ct)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptestDo(h, tt.method, tt.path, tt.header)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if rec.Header().Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if tt.code != "" {
				var b client.ErrorResponse
				if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Error.Code != tt.code {
					t.Errorf("body %s, want code %s", rec.Body, tt.code)
				}
				if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
			}
			if tt.check != nil {
				tt.check(t, rec)
			}
		})
	}

	t.Run("readiness", func(t *testing.T) {
		var calls []string
		check := func(name string, err error) Check {
			return Check{Name: name, Check: func(context.Context) error { calls = append(calls, name); return err }}
		}
		cases := []struct {
			name   string
			ready  []Check
			path   string
			status int
			body   string
			calls  []string
		}{
			{"live checks nothing", []Check{check("database", errors.New("disk on fire"))}, "/livez", 200, `{"status":"ok"}`, nil},
			{"ready", []Check{check("database", nil), check("signing_keys", nil)}, "/readyz", 200, `{"status":"ok"}`, []string{"database", "signing_keys"}},
			{"database down", []Check{check("database", errors.New("disk on fire")), check("signing_keys", nil)}, "/readyz", 503,
				`{"status":"unavailable","reason":"database"}`, []string{"database"}},
			{"no signing key", []Check{check("database", nil), check("signing_keys", errors.New("no active signing key"))}, "/readyz", 503,
				`{"status":"unavailable","reason":"signing_keys"}`, []string{"database", "signing_keys"}},
			{"healthz is readiness", []Check{check("database", errors.New("disk on fire"))}, "/healthz", 503,
				`{"status":"unavailable","reason":"database"}`, []string{"database"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				calls = nil
				rec := httptestDo(NewServer(Deps{Ready: c.ready}), "GET", c.path, nil)
				if got := strings.TrimSpace(rec.Body.String()); rec.Code != c.status || got != c.body {
					t.Errorf("%d %s, want %d %s", rec.Code, got, c.status, c.body)
				}
				if c.status == 503 && rec.Header().Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
				if !slices.Equal(calls, c.calls) {
					t.Errorf("checks run %v, want %v", calls, c.calls)
				}
			})
		}
	})
}

// TestOpenAPI checks that the spec and the mux agree: every route the mux
// serves is in /openapi.json with the same method and path, and nothing
// else is.
func TestOpenAPI(t *testing.T) {
	s := newServer(Deps{})
	h := s.handler()
	rec := httptestDo(h, "GET", "/openapi.json", nil)
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	var doc openapi.Document
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}

	inSpec := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			inSpec[strings.ToUpper(method)+" "+path] = true
		}
	}
	routes := Routes(Deps{})
	if len(inSpec) != len(routes) {
		t.Errorf("%d operations in the spec, %d routes", len(inSpec), len(routes))
	}
	for _, rt := range routes {
		if !inSpec[rt.Pattern()] {
			t.Errorf("%s is not in the spec", rt.Pattern())
		}
		// Ask the mux which pattern serves the route with its parameters
		// filled in: it must be the route's own.
		path := regexp.MustCompile(`\{[a-z]+\}`).ReplaceAllString(rt.Path, "x1")
		if _, pattern := s.mux.Handler(httptest.NewRequest(rt.Method, path, nil)); pattern != rt.Pattern() {
			t.Errorf("%s %s is served by %q, want %q", rt.Method, path, pattern, rt.Pattern())
		}
		if rt.Auth == "" || rt.OperationID == "" || rt.Summary == "" {
			t.Errorf("%s lacks auth, operationId or summary", rt.Pattern())
		}
	}

	create := doc.Paths["/v1/orgs/{org}/invitations"]["post"]
	if create == nil || create.RequestBody == nil || create.Responses["201"] == nil {
		t.Fatalf("create invitation: %+v", create)
	}
	if ref := create.Responses["201"].Content["application/json"].Schema.Ref; ref != "#/components/schemas/InvitationWithURL" {
		t.Errorf("create answers %q", ref)
	}
	if ops := doc.Paths["/v1/invitation-tokens/{token}"]["get"]; ops == nil || len(ops.Security) != 0 {
		t.Errorf("token lookup is not public in the spec")
	}
}
