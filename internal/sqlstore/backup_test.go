package sqlstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/pgtest"
)

// TestBackup copies a SQLite store with organizations, members and
// invitations, and opens the copy as it is: its migrations are recorded,
// every table holds the same rows, and the store reads them back.
func TestBackup(t *testing.T) {
	e := newEnv(t, openSQLiteFile)
	ctx := context.Background()
	org := e.org(nil)
	_, member := e.member(org.ID, invited.RoleMember)
	e.member(org.ID, invited.RoleAdmin)
	inv, _ := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "pending@example.com", Roles: []string{invited.RoleMember}})

	path := filepath.Join(t.TempDir(), "backup.db")
	must(t, e.db.Backup(ctx, path))
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the backup: %v, %v; want a file only its owner reads", fi, err)
	}

	copied := &env{t: t, db: openURL(t, "sqlite:"+path, Options{SkipMigrate: true, Secrets: e.keys})}
	must(t, copied.db.Ready(ctx))
	for _, table := range []string{"schema_migrations", "organizations", "users", "memberships", "invitations", "api_keys", "audit_events", "messages"} {
		if got, want := copied.count(`SELECT count(*) FROM `+table), e.count(`SELECT count(*) FROM `+table); got != want || want == 0 {
			t.Errorf("%s: %d rows in the backup, %d in the database; want the same, not 0", table, got, want)
		}
	}
	for _, read := range []func(db *DB) (any, error){
		func(db *DB) (any, error) { return db.FindInvitationByID(e.admin, inv.ID) },
		func(db *DB) (any, error) { return db.FindMember(e.admin, org.ID, member.ID) },
	} {
		want, err := read(e.db)
		must(t, err)
		got, err := read(copied.db)
		must(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("read from the backup:\n%+v\nfrom the database:\n%+v", got, want)
		}
	}
}

// TestBackupRefuses checks that Backup overwrites nothing, leaves nothing
// behind when it fails, and copies only a database of the service.
func TestBackupRefuses(t *testing.T) {
	ctx := context.Background()
	db := openSQLiteFile(t, Options{})
	existing := filepath.Join(t.TempDir(), "existing.db")
	if err := os.WriteFile(existing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		db   *DB
		path string
		want string
	}{
		{"an existing file, even empty", db, existing, "exists already"},
		{"a missing directory", db, filepath.Join(t.TempDir(), "missing", "backup.db"), "no such file or directory"},
		{"a database without migrations", openSQLiteFile(t, Options{SkipMigrate: true}), filepath.Join(t.TempDir(), "backup.db"), "no migrations recorded"},
	}
	for _, tt := range tests {
		err := tt.db.Backup(ctx, tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q", tt.name, err, tt.want)
		}
		fi, statErr := os.Stat(tt.path)
		if tt.path == existing && (statErr != nil || fi.Size() != 0) {
			t.Errorf("%s: the file was changed: %v, %v", tt.name, fi, statErr)
		}
		if tt.path != existing && !errors.Is(statErr, os.ErrNotExist) {
			t.Errorf("%s: a file was left behind: %v", tt.name, statErr)
		}
	}
}

// TestBackupPostgres checks that the store does not pretend to back up
// PostgreSQL.
func TestBackupPostgres(t *testing.T) {
	db := openURL(t, pgtest.Shared(t).NewDatabase(t), Options{})
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(context.Background(), path); !errors.Is(err, ErrBackupUnsupported) {
		t.Errorf("Backup on PostgreSQL: %v, want ErrBackupUnsupported", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Backup on PostgreSQL made a file: %v", err)
	}
}
