package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"testing"
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
