package sqlstore

import (
	"context"
	"testing"
)

// testHeldWrites holds Tx.hold to its promise on both databases: a held
// write is in the transaction's outcome; every later statement but
// queryBeside sees it; queryBeside does not need to; a failing held write
// fails the statement it went with, and so the transaction.
func testHeldWrites(t *testing.T, e *env) {
	ctx := context.Background()
	audit := `INSERT INTO audit_events (id, org_id, actor_user_id, actor_api_key_id, action, resource, resource_id,
	remote_addr, created_at) VALUES (?, NULL, NULL, NULL, 'held.test', 'test', ?, '', 0)`
	count := func(tx *Tx, resourceID string) (n int) {
		must(t, tx.queryRow(ctx, `SELECT count(*) FROM audit_events WHERE resource_id = ?`, resourceID).Scan(&n))
		return n
	}
	committed := func(resourceID string) (n int) {
		must(t, e.db.readTx(ctx, func(tx *Tx) error { n = count(tx, resourceID); return nil }))
		return n
	}
	for _, tc := range []struct {
		name string
		fn   func(tx *Tx) error
		// want is the rows of resource_id tc.name committed, or -1 when
		// the transaction must fail.
		want int
	}{
		{"held writes commit", func(tx *Tx) error {
			must(t, tx.hold(ctx, audit, "aud_held1", "held writes commit"))
			return tx.hold(ctx, audit, "aud_held2", "held writes commit")
		}, 2},
		{"a later statement sees them", func(tx *Tx) error {
			must(t, tx.hold(ctx, audit, "aud_held3", "a later statement sees them"))
			if n := count(tx, "a later statement sees them"); n != 1 {
				t.Errorf("a read after a held write counts %d rows, want 1", n)
			}
			return nil
		}, 1},
		{"beside a read", func(tx *Tx) error {
			must(t, tx.hold(ctx, audit, "aud_held4", "beside a read"))
			eps, err := tx.readEndpoints(ctx, nil)
			if err != nil || len(eps) != 0 {
				t.Errorf("readEndpoints beside a held write = %v, %v", eps, err)
			}
			return err
		}, 1},
		{"a failing held write fails its statement", func(tx *Tx) error {
			// Two rows with one id: whichever statement carries them
			// must fail.
			must(t, tx.hold(ctx, audit, "aud_held5", "a failing held write fails its statement"))
			if err := tx.hold(ctx, audit, "aud_held5", "a failing held write fails its statement"); err != nil {
				return err
			}
			var n int
			return tx.queryRow(ctx, `SELECT 1`).Scan(&n)
		}, -1},
		{"a failing held write fails the commit", func(tx *Tx) error {
			must(t, tx.hold(ctx, audit, "aud_held6", "a failing held write fails the commit"))
			return tx.hold(ctx, audit, "aud_held6", "a failing held write fails the commit")
		}, -1},
	} {
		err := e.db.writeTx(ctx, tc.fn)
		if tc.want < 0 {
			if err == nil {
				t.Errorf("%s: the transaction committed", tc.name)
			}
			tc.want = 0
		} else if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if n := committed(tc.name); n != tc.want {
			t.Errorf("%s: %d rows committed, want %d", tc.name, n, tc.want)
		}
	}
}
