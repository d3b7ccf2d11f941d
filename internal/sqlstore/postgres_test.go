package sqlstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/pgtest"
)

func TestPgPlaceholders(t *testing.T) {
	tests := []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE b = ? AND c IN (?, ?)`, `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`},
		{`SELECT '?', "a?b", ? FROM t WHERE x LIKE '%"owner"%' AND y = ?`, `SELECT '?', "a?b", $1 FROM t WHERE x LIKE '%"owner"%' AND y = $2`},
		{`SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
	}
	for _, tt := range tests {
		if got := pgPlaceholders(tt.in); got != tt.want {
			t.Errorf("pgPlaceholders(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := postgresDialect.rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPostgresConfig(t *testing.T) {
	cfg, err := postgresConfig("postgres://u:secret@db.example.com/invited")
	must(t, err)
	if cfg.MaxConns != pgMaxConns || cfg.ConnConfig.ConnectTimeout != pgConnectTimeout || cfg.ConnConfig.RuntimeParams["application_name"] != "invited" {
		t.Errorf("defaults: max conns %d, connect timeout %s, params %v", cfg.MaxConns, cfg.ConnConfig.ConnectTimeout, cfg.ConnConfig.RuntimeParams)
	}
	cfg, err = postgresConfig("postgresql://u@db.example.com/invited?pool_max_conns=3&connect_timeout=7&application_name=x")
	must(t, err)
	if cfg.MaxConns != 3 || cfg.ConnConfig.ConnectTimeout != 7*time.Second || cfg.ConnConfig.RuntimeParams["application_name"] != "x" {
		t.Errorf("from the URL: max conns %d, connect timeout %s, params %v", cfg.MaxConns, cfg.ConnConfig.ConnectTimeout, cfg.ConnConfig.RuntimeParams)
	}
}

// TestPostgresOpenRejects checks that a bad URL or an unreachable server
// fails Open quickly, without repeating the password.
func TestPostgresOpenRejects(t *testing.T) {
	for _, dsn := range []string{
		"postgres://u:secret@127.0.0.1:1/db?pool_max_conns=many",
		"postgres://u:secret@127.0.0.1:1/db?sslmode=bogus",
		"postgres://u:secret@[::1/db",
		"postgres://u:secret@127.0.0.1:1/db", // nothing listens on port 1
	} {
		start := time.Now()
		db, err := Open(context.Background(), dsn, Options{})
		if err == nil {
			db.Close()
			t.Errorf("%q opened", dsn)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("the error repeats the password: %v", err)
		}
		if d := time.Since(start); d > 2*pgConnectTimeout {
			t.Errorf("%q failed after %s", dsn, d)
		}
	}
}

// TestPostgresUnavailable stops the server under an open store: requests
// fail fast with unavailable, and work again once it is back.
func TestPostgresUnavailable(t *testing.T) {
	c := pgtest.Start(t, pgtest.Options{})
	e := newEnv(t, func(tb testing.TB, opts Options) *DB { return openURL(tb, c.NewDatabase(tb), opts) })
	org := e.org(nil)
	must(t, c.Stop())
	for range 3 { // a fresh connection each time, and no retrying forever
		start := time.Now()
		_, err := e.db.FindOrganizationByID(e.admin, org.ID)
		if got := wantCode(t, err, invited.EUNAVAILABLE); got.Message != "the database is unavailable" {
			t.Errorf("message %q", got.Message)
		}
		if d := time.Since(start); d > 2*pgConnectTimeout {
			t.Errorf("failed after %s", d)
		}
	}
	_, err := e.db.ExpireInvitations(context.Background(), 10)
	wantCode(t, err, invited.EUNAVAILABLE)
	must(t, c.Start())
	if _, err := e.db.FindOrganizationByID(e.admin, org.ID); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}
