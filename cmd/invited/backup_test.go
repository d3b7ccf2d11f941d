package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/pgtest"
)

// TestBackupUnderLoad backs a running server's database up while several
// writers create invitations, restores the backup into a new server, and
// finds there every invitation acknowledged (201) before the backup
// began. Those acknowledged later may or may not be there; nothing else
// may be, and the new server must list them all cleanly. On SQLite the
// backup is `invited backup FILE`; on PostgreSQL it is the pg_dump and
// pg_restore of docs/deployment.md#backups.
func TestBackupUnderLoad(t *testing.T) {
	tests := []struct {
		name     string
		database func(t *testing.T) string
		// backup backs the database up and returns the URL of a new
		// database restored from the backup.
		backup func(t *testing.T, dbURL string) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "invited.db") }, backupSQLite},
		{"postgres", func(t *testing.T) string { return pgtest.Shared(t).NewDatabase(t) }, dumpPostgres},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			env := map[string]string{"INVITED_ADMIN_API_KEY": pgAdminKey, "INVITED_RATE_LIMIT_CREATE": "off"}
			env["INVITED_DATABASE_URL"] = tt.database(t)
			srv := startServe(t, env)
			api := newClient(t, srv.URL, client.WithAPIKey(pgAdminKey))
			org, err := api.CreateOrganization(ctx, invited.OrganizationCreate{Name: "Acme"})
			if err != nil {
				t.Fatal(err)
			}

			load := startLoad(t, api, org.ID)
			load.waitFor(t, 200)
			before := load.acknowledged()
			restored := tt.backup(t, env["INVITED_DATABASE_URL"])
			during := len(load.acknowledged()) - len(before)
			load.waitFor(t, len(before)+during+50)
			all := load.stop()
			t.Logf("%d invitations acknowledged before the backup began, %d while it (and the restore) ran, %d in all", len(before), during, len(all))

			env["INVITED_DATABASE_URL"] = restored
			again := newClient(t, startServe(t, env).URL, client.WithAPIKey(pgAdminKey))
			var listed []string
			for inv, err := range again.Invitations(ctx, invited.InvitationFilter{OrgID: org.ID, Page: invited.Page{PageSize: 200}}) {
				if err != nil {
					t.Fatalf("list invitations of the restored server: %v", err)
				}
				listed = append(listed, inv.ID)
			}
			for _, id := range before {
				if !slices.Contains(listed, id) {
					t.Errorf("invitation %s, acknowledged before the backup began, is not in it", id)
				}
			}
			for _, id := range listed {
				if !slices.Contains(all, id) {
					t.Errorf("the restored server lists %s, which was never acknowledged", id)
				}
			}
			t.Logf("the restored server lists %d invitations", len(listed))
		})
	}
}

// backupSQLite runs `invited backup FILE` on the database and checks what
// it says and that SQLite finds the copy sound.
func backupSQLite(t *testing.T, dbURL string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "backup.db")
	out, err := runInvited(dbURL, "backup", file)
	if err != nil {
		t.Fatalf("invited backup: %v", err)
	}
	if want := regexp.MustCompile(`^wrote ` + regexp.QuoteMeta(file+", a copy of "+dbURL) + `: \d+ bytes in \S+\n$`); !want.MatchString(out) {
		t.Errorf("invited backup printed %q, want %s", out, want)
	}
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity check of the backup: %q, %v", check, err)
	}
	return "sqlite:" + file
}

// dumpPostgres runs the commands of docs/deployment.md#backups: pg_dump
// of the database, pg_restore into a new, empty one.
func dumpPostgres(t *testing.T, dbURL string) string {
	t.Helper()
	cluster := pgtest.Shared(t)
	dump := filepath.Join(t.TempDir(), "invited.dump")
	if err := cluster.Client("pg_dump", "-Fc", "-f", dump, dbURL); err != nil {
		t.Fatal(err)
	}
	restored := cluster.NewDatabase(t)
	if err := cluster.Client("pg_restore", "--no-owner", "--exit-on-error", "-d", restored, dump); err != nil {
		t.Fatal(err)
	}
	return restored
}

// writeLoad is writers creating invitations in one organization, each with an
// address of its own, until stopped.
type writeLoad struct {
	stopped chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	acked   []string // the ids of the invitations answered 201, in order
}

const loadWriters = 4

func startLoad(t *testing.T, api *client.Client, orgID string) *writeLoad {
	l := &writeLoad{stopped: make(chan struct{})}
	for w := range loadWriters {
		l.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-l.stopped:
					return
				default:
				}
				// Not the test's context, which ends before the cleanup
				// that stops the writers.
				inv, err := api.CreateInvitation(context.Background(), orgID, invited.InvitationCreate{
					Email: fmt.Sprintf("w%d-%d@example.com", w, i), Roles: []string{invited.RoleMember}})
				if err != nil {
					t.Errorf("writer %d: create invitation: %v", w, err)
					return
				}
				l.mu.Lock()
				l.acked = append(l.acked, inv.ID)
				l.mu.Unlock()
			}
		})
	}
	t.Cleanup(func() { l.stop() })
	return l
}

// acknowledged returns the ids of the invitations acknowledged so far.
func (l *writeLoad) acknowledged() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.acked)
}

// waitFor waits until n invitations have been acknowledged.
func (l *writeLoad) waitFor(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); len(l.acknowledged()) < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) || t.Failed() {
			t.Fatalf("%d invitations acknowledged, want %d", len(l.acknowledged()), n)
		}
	}
}

// stop stops the writers, waits for their last requests, and returns
// every id acknowledged.
func (l *writeLoad) stop() []string {
	select {
	case <-l.stopped:
	default:
		close(l.stopped)
	}
	l.wg.Wait()
	return l.acknowledged()
}

// TestBackupCommand checks how `invited backup` reads its command line
// (flags, then FILE), what it refuses, and how it says so.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	sqlite := map[string]string{"INVITED_DATABASE_URL": "sqlite:" + filepath.Join(dir, "invited.db")}
	if _, err := runInvitedEnv(sqlite, "migrate"); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "invited.db")
	missing, other := filepath.Join(dir, "missing.db"), filepath.Join(dir, "other.db")
	if err := os.WriteFile(other, nil, 0o600); err != nil { // SQLite's empty database
		t.Fatal(err)
	}
	type backupCase struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stdout string
		stderr string
	}
	tests := []backupCase{
		{"help", sqlite, []string{"backup", "--help"}, exitOK, "usage: invited backup [flags] FILE", ""},
		{"no file", sqlite, []string{"backup"}, exitUsage, "", "backup: no file given"},
		{"only flags", sqlite, []string{"backup", "--log-level", "-x"}, exitUsage, "", "backup: no file given"},
		{"the database as a flag", nil, []string{"backup", "--database", sqlite["INVITED_DATABASE_URL"], filepath.Join(dir, "flag.db")}, exitOK,
			"wrote " + filepath.Join(dir, "flag.db"), ""},
		{"an existing file", sqlite, []string{"backup", existing}, exitFailure, "", existing + " exists already"},
		{"no database there", map[string]string{"INVITED_DATABASE_URL": "sqlite:" + missing},
			[]string{"backup", filepath.Join(dir, "b.db")}, exitFailure, "", "no database file at " + missing},
		{"not the service's database", map[string]string{"INVITED_DATABASE_URL": "sqlite:" + other},
			[]string{"backup", filepath.Join(dir, "b.db")}, exitFailure, "", "no migrations recorded"},
	}
	if cluster := pgtest.Optional(t); cluster != nil {
		tests = append(tests, backupCase{"PostgreSQL", map[string]string{"INVITED_DATABASE_URL": cluster.NewDatabase(t)}, []string{"backup", filepath.Join(dir, "pg.db")}, exitFailure, "",
			"invited: backup: a PostgreSQL database is backed up with pg_dump, not invited backup: see docs/deployment.md#backups\n"})
	}
	for _, tt := range tests {
		r := invitedCLI(tt.env, tt.args...)
		if r.code() != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("%s: invited %s: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				tt.name, strings.Join(tt.args, " "), r.code(), r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
		}
	}
	for _, f := range []string{missing, filepath.Join(dir, "b.db")} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a refused backup left %s behind: %v", f, err)
		}
	}
}
