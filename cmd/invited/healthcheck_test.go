package main

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/invitedhq/invited/client"
)

func TestServiceURL(t *testing.T) {
	for _, c := range []struct{ addr, want, err string }{
		{"", "http://127.0.0.1:8080", ""},
		{":9000", "http://127.0.0.1:9000", ""},
		{"0.0.0.0:9000", "http://127.0.0.1:9000", ""},
		{"[::]:9000", "http://127.0.0.1:9000", ""},
		{"127.0.0.2:9000", "http://127.0.0.2:9000", ""},
		{"[::1]:9000", "http://[::1]:9000", ""},
		{"localhost:9000", "http://localhost:9000", ""},
		{"9000", "", "missing port"},
	} {
		got, err := serviceURL(c.addr)
		if got != c.want || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("serviceURL(%q) = %q, %v; want %q, error with %q", c.addr, got, err, c.want, c.err)
		}
	}
}

// TestHealthcheck runs the subcommand against servers that answer each
// way: only 200 passes, and the error says what the server said.
func TestHealthcheck(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc // nil: nothing listens
		args    []string
		err     string // "" passes
	}{
		{name: "ready", handler: func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/readyz" {
				http.NotFound(w, r)
				return
			}
			io.WriteString(w, `{"status":"ok"}`)
		}},
		{name: "not ready", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"status":"unavailable","reason":"signing_keys"}`)
		}, err: "503 Service Unavailable: signing_keys not ready"},
		{name: "not invited", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad gateway", http.StatusBadGateway)
		}, err: "answered 502 Bad Gateway"},
		{name: "hangs", handler: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			args: []string{"--timeout", "50ms"}, err: "context deadline exceeded"},
		{name: "nothing listens", args: []string{"--url", closed.URL}, err: "connection refused"},
		{name: "stray argument", args: []string{"now"}, err: `unexpected argument "now"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if c.handler != nil {
				srv := httptest.NewServer(c.handler)
				defer srv.Close()
				args = append([]string{"--url", srv.URL}, args...)
			}
			var stdout, stderr strings.Builder
			err := run(context.Background(), append([]string{"healthcheck"}, args...), func(string) string { return "" }, &stdout, &stderr)
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("error %v, want one with %q", err, c.err)
			}
			// Docker's HEALTHCHECK reads 1 as unhealthy and reserves 2.
			want := exitFailure
			if c.err == "" {
				want = exitOK
			}
			if got := exitCode(err); got != want {
				t.Errorf("exit status %d, want %d", got, want)
			}
			if stdout.Len() != 0 || stderr.Len() != 0 {
				t.Errorf("wrote stdout %q, stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}

// TestServeReadiness checks readiness end to end on a running server: the
// healthcheck finds it from INVITED_ADDR and passes, and fails naming the
// database once a migration is missing from it.
func TestServeReadiness(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "invited.db")
	inst := startServe(t, map[string]string{"INVITED_DATABASE_URL": "sqlite:" + dbPath})
	addr := strings.TrimPrefix(inst.URL, "http://")
	env := func(k string) string {
		if k == "INVITED_ADDR" {
			return addr
		}
		return ""
	}
	check := func() error {
		return run(context.Background(), []string{"healthcheck"}, env, io.Discard, io.Discard)
	}

	c := newClient(t, inst.URL)
	if h, err := c.Ready(t.Context()); err != nil || h.Status != "ok" {
		t.Fatalf("/readyz: %+v %v", h, err)
	}
	if err := check(); err != nil {
		t.Fatalf("healthcheck of a ready server: %v", err)
	}

	db, err := sql.Open("sqlite", dbPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE name = (SELECT max(name) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	h, err := c.Ready(t.Context())
	if e, ok := errors.AsType[*client.UnexpectedResponseError](err); !ok || e.StatusCode != http.StatusServiceUnavailable || h == nil || h.Reason != "database" {
		t.Fatalf("/readyz with a migration missing: %+v %v", h, err)
	}
	if err := check(); err == nil || !strings.Contains(err.Error(), "database not ready") {
		t.Fatalf("healthcheck with a migration missing: %v", err)
	}
}
