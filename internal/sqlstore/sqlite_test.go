package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// TestSQLitePragmas checks the settings that durability and correctness
// depend on, on both pools.
func TestSQLitePragmas(t *testing.T) {
	db := openSQLiteFile(t, Options{})
	ctx := context.Background()
	pools := []struct {
		name string
		pool *sql.DB
		want map[string]string
	}{
		{"write", db.write, map[string]string{"busy_timeout": "5000", "journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "temp_store": "2"}},
		{"read", db.read, map[string]string{"busy_timeout": "5000", "journal_mode": "wal", "foreign_keys": "1", "query_only": "1"}},
	}
	for _, p := range pools {
		for pragma, want := range p.want {
			var got string
			if err := p.pool.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if strings.ToLower(got) != want {
				t.Errorf("%s pool: %s = %s, want %s", p.name, pragma, got, want)
			}
		}
	}
	if _, err := db.read.ExecContext(ctx, `DELETE FROM users`); err == nil {
		t.Error("the read pool can write")
	}
}

func TestSQLiteOpenRejects(t *testing.T) {
	for _, dsn := range []string{"sqlite:", "sqlite::memory:", "sqlite:file:x.db", "sqlite:a?b.db", "mysql://u:p@h/db", "x.db"} {
		if db, err := Open(context.Background(), dsn, Options{}); err == nil {
			db.Close()
			t.Errorf("%q opened", dsn)
		} else if strings.Contains(err.Error(), "u:p") {
			t.Errorf("the error repeats the URL: %v", err)
		}
	}
}

// TestSQLiteMustExist checks that Options.MustExist refuses a database
// file that is not there, and creates nothing, and opens one that is.
func TestSQLiteMustExist(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "missing.db")
	if db, err := Open(ctx, "sqlite:"+missing, Options{SkipMigrate: true, MustExist: true}); err == nil {
		db.Close()
		t.Errorf("%s opened", missing)
	} else if !strings.Contains(err.Error(), "no database file at "+missing) {
		t.Errorf("Open: %v, want it to say there is no database file", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file was left behind: %v", err)
	}
	existing := sqliteURL(t)
	db, err := Open(ctx, existing, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	openURL(t, existing, Options{SkipMigrate: true, MustExist: true})
}

// TestDetachedReadWaitsAsAllowed holds what a detached read (Tx.detached)
// keeps of its caller's cancellation: its wait for a connection of the
// read pool, every one of them taken here, ends when the caller gives up.
func TestDetachedReadWaitsAsAllowed(t *testing.T) {
	db := openSQLiteFile(t, Options{})
	if !db.dialect.detachReads {
		t.Fatal("SQLite's point reads are not detached")
	}
	db.read.SetMaxOpenConns(1)
	conn, err := db.read.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	_, err = db.PreviewInvitation(ctx, invited.NewSecret(""))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a lookup waiting for a connection, its caller gone: %v, want context.Canceled", err)
	}
}
