package sqlstore

import (
	"context"
	"io/fs"
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
			files, err := fs.Glob(migrations, "migrations/"+db.dialect.name+"/*.sql")
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
