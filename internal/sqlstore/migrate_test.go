package sqlstore

import (
	"context"
	"path"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
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

// TestMigrateInvitationTokens upgrades a database of the schema before
// 0008, with an invitation, a ticket that refers to it and a letter that
// still holds its link: the link's hash moves to invitation_tokens and goes
// on opening the invitation, and the letter's plaintext token is gone.
func TestMigrateInvitationTokens(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			db := openURL(t, b.url(t), Options{SkipMigrate: true})
			files, err := db.migrationFiles()
			must(t, err)
			for _, f := range files {
				if strings.HasPrefix(path.Base(f), "0008") {
					break
				}
				must(t, db.migrateFile(ctx, f))
			}
			token := newToken()
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.write.ExecContext(ctx, db.dialect.rebind(q), args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec(`INSERT INTO organizations (id, name, slug, settings, created_at, updated_at) VALUES ('org_1', 'Acme', 'acme', '{}', 1, 1)`)
			exec(`INSERT INTO users (id, email, created_at, updated_at) VALUES ('usr_1', 'ann@example.com', 1, 1)`)
			exec(`INSERT INTO invitations (id, org_id, status, email, invitee_key, roles, token_hash, created_at, updated_at, expires_at, sent_at)
VALUES ('inv_1', 'org_1', 'pending', 'bob@example.com', 'email:bob@example.com', '["member"]', ?, 1, 1, 9999999999999, 2)`,
				invited.HashSecret(token))
			exec(`INSERT INTO invitations (id, org_id, status, email, invitee_key, roles, created_at, updated_at, expires_at)
VALUES ('inv_2', 'org_1', 'accepted', 'ann@example.com', 'email:ann@example.com', '["member"]', 1, 1, 9999999999999)`)
			exec(`INSERT INTO acceptance_tickets (id, invitation_id, org_id, user_id, email, roles, issued_at, expires_at)
VALUES ('tkt_1', 'inv_2', 'org_1', 'usr_1', 'ann@example.com', '["member"]', 1, 2)`)
			exec(`INSERT INTO messages (id, org_id, channel, kind, recipient, invitation_id, status, letter, token, due_at, next_attempt_at, created_at, updated_at)
VALUES ('msg_1', 'org_1', 'email', 'reminder', 'bob@example.com', 'inv_1', 'pending', '{}', ?, 1, 1, 1, 1)`, token)

			must(t, db.Migrate(ctx))
			e := &env{t: t, db: db}
			if n := e.count(`SELECT COUNT(*) FROM invitation_tokens WHERE invitation_id = 'inv_1' AND created_at = 2`); n != 1 {
				t.Fatalf("%d links of inv_1", n)
			}
			if n := e.count(`SELECT COUNT(*) FROM invitations`); n != 2 {
				t.Fatalf("%d invitations", n)
			}
			if n := e.count(`SELECT COUNT(*) FROM acceptance_tickets WHERE invitation_id = 'inv_2'`); n != 1 {
				t.Fatalf("%d tickets", n)
			}
			inv, _, err := db.OpenInvitationLink(ctx, token)
			if err != nil || inv.ID != "inv_1" {
				t.Fatalf("the old link opens %v, %v", inv, err)
			}
			for _, col := range []struct{ table, name string }{{"invitations", "token_hash"}, {"messages", "token"}} {
				if _, err := db.read.ExecContext(ctx, `SELECT `+col.name+` FROM `+col.table); err == nil {
					t.Errorf("%s.%s is still there", col.table, col.name)
				}
			}
		})
	}
}
