package sqlstore

import (
	"context"
	"strings"
	"testing"
)

// TestConcurrentOpen starts several instances on one empty database at
// once, as a deployment does: each migrates and each finds the first admin
// key made by exactly one of them.
func TestConcurrentOpen(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			url := b.url(t)
			errs := race(4, func(int) error {
				db, err := Open(context.Background(), url, Options{})
				if err != nil {
					return err
				}
				defer db.Close()
				_, err = db.CreateFirstAdminKey(context.Background())
				return err
			})
			for _, err := range errs {
				must(t, err)
			}
			db := openURL(t, url, Options{})
			files, err := db.migrationFiles()
			must(t, err)
			e := &env{t: t, db: db}
			if n := e.count(`SELECT COUNT(*) FROM schema_migrations`); n != len(files) {
				t.Errorf("%d migrations recorded, want %d", n, len(files))
			}
			if n := e.count(`SELECT COUNT(*) FROM api_keys`); n != 1 {
				t.Errorf("%d first admin keys", n)
			}
		})
	}
}

// TestReady checks what readiness sees of the database: ready once opened,
// not ready while a migration is missing from schema_migrations (a newer
// release on an older schema), nor once closed.
func TestReady(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range []struct {
				name   string
				spoil  func(*DB) error // nil leaves the database as opened
				closes bool            // spoil closes the database
				err    string          // "" is ready
			}{
				{name: "opened"},
				{name: "migration missing", spoil: func(db *DB) error {
					_, err := db.write.Exec(`DELETE FROM schema_migrations WHERE name = (SELECT max(name) FROM schema_migrations)`)
					return err
				}, err: "migrations applied"},
				{name: "closed", spoil: (*DB).Close, closes: true, err: "database is closed"},
			} {
				t.Run(c.name, func(t *testing.T) {
					db, err := Open(context.Background(), b.url(t), Options{})
					must(t, err)
					if !c.closes {
						defer db.Close()
					}
					if c.spoil != nil {
						must(t, c.spoil(db))
					}
					err = db.Ready(context.Background())
					if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
						t.Fatalf("Ready: %v, want an error with %q", err, c.err)
					}
				})
			}
		})
	}
}
