package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// What expires: invitations, app invites and join links are links that read as
// expired the moment they are overdue (statusAt), and that the sweeper
// then marks expired in the database (expireDue).

// statusAt adds the condition that the rows aliased alias, which lapse
// from status live to expired, have status as read at now: what is overdue
// counts as expired, not live. An empty status adds nothing.
func (w *where) statusAt(alias, live, status string, now time.Time) {
	switch status {
	case "":
	case live:
		w.add(alias+`.status = '`+live+`' AND `+alias+`.expires_at > ?`, ms(now))
	case "expired":
		w.add(`(`+alias+`.status = 'expired' OR (`+alias+`.status = '`+live+`' AND `+alias+`.expires_at <= ?))`, ms(now))
	default:
		w.add(alias+`.status = ?`, status)
	}
}

// expireDueSQL persists the expiry of a batch of overdue rows of table
// (invitations, app_invites, join_links) in status live; its arguments are
// now, the batch size,
// and now again, and it returns the id and organization of each row it
// expired. Where writers run side by side, the batch skips the rows other
// transactions hold (another sweeper's batch, an invitation being accepted
// or renewed), so that sweepers running together take disjoint batches;
// the status guard keeps a row that changed meanwhile from being expired
// regardless. The batch is a materialized CTE, not an IN subquery:
// PostgreSQL may run such a subquery again for each row it updates, and
// each run, skipping the rows just updated, would pick another batch.
func expireDueSQL(d dialect, table, live string) string {
	return `WITH due AS MATERIALIZED (SELECT id FROM ` + table + ` WHERE status = '` + live + `' AND expires_at <= ?
	ORDER BY expires_at LIMIT ?` + d.lock("FOR UPDATE SKIP LOCKED") + `)
UPDATE ` + table + ` SET status = 'expired', updated_at = ? FROM due WHERE ` + table + `.id = due.id AND status = '` + live + `'
RETURNING ` + table + `.id, ` + table + `.org_id`
}

// expiring describes a kind of link that expires for the sweeper: a table
// with id, org_id, status and expires_at, its partial index on expires_at
// holding the rows in status live only (pending, or a join link's active),
// so that a sweep costs what expired, not the size of the table.
type expiring[T any] struct {
	table, live string
	resource    string // what the audit events name
	event       string // the action recorded and announced
	// list selects the rows as the API shows them, and idCol names their
	// id there; scan reads one and target makes it an event's target.
	list, idCol string
	scan        func(scanner) (T, error)
	target      func(T) target
	// dependents, when set, is a table of rows of no use once their link
	// expired, and dependentsCol its column naming the link: they are
	// deleted with the expiry.
	dependents, dependentsCol string
}

// expireDue persists the expiry of up to limit overdue rows of x and
// records x.event, without an actor, for each.
func expireDue[T any](ctx context.Context, db *DB, x expiring[T], limit int) (int, error) {
	if limit <= 0 {
		return 0, fmt.Errorf("sqlstore: expire %s: limit %d is not positive", x.table, limit)
	}
	var n int
	err := db.writeTx(ctx, func(tx *Tx) error {
		expired, err := queryList(ctx, tx, func(s scanner) (t target, err error) {
			return t, s.Scan(&t.id, &t.orgID)
		}, expireDueSQL(db.dialect, x.table, x.live), ms(tx.now), limit, ms(tx.now))
		if err != nil {
			return err
		}
		n = len(expired)
		if err := tx.auditAll(ctx, x.event, x.resource, expired); err != nil {
			return err
		}
		if err := deleteDependents(ctx, tx, x, expired); err != nil {
			return err
		}
		return announceExpired(ctx, tx, x, expired)
	})
	return n, err
}

// deleteDependents deletes the rows of x.dependents that name the rows
// of x just expired.
func deleteDependents[T any](ctx context.Context, tx *Tx, x expiring[T], expired []target) error {
	if x.dependents == "" || len(expired) == 0 {
		return nil
	}
	var w where
	w.in(x.dependentsCol, targetIDs(expired))
	_, err := tx.exec(ctx, `DELETE FROM `+x.dependents+w.String(), w.args...)
	return err
}

// targetIDs returns the ids of targets.
func targetIDs(targets []target) []string {
	ids := make([]string, len(targets))
	for i, t := range targets {
		ids[i] = t.id
	}
	return ids
}

// announceExpired tells the webhooks that hear of it that rows of x
// expired. The sweeper's batch knows their ids alone; the rows are loaded
// only when an endpoint listens.
func announceExpired[T any](ctx context.Context, tx *Tx, x expiring[T], expired []target) error {
	if len(expired) == 0 {
		return nil
	}
	var orgIDs []string
	for _, t := range expired {
		if !slices.Contains(orgIDs, t.orgID) {
			orgIDs = append(orgIDs, t.orgID)
		}
	}
	eps, err := tx.endpoints(ctx, orgIDs)
	if err != nil || !slices.ContainsFunc(eps, func(e endpoint) bool { return e.wants(x.event) }) {
		return err
	}
	var w where
	w.in(x.idCol, targetIDs(expired))
	rows, err := queryList(ctx, tx, x.scan, x.list+w.String(), w.args...)
	if err != nil {
		return err
	}
	changes := make([]target, len(rows))
	for i, r := range rows {
		changes[i] = x.target(r)
	}
	return tx.announce(ctx, x.event, changes)
}
