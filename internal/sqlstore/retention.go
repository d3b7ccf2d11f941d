package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/invitedhq/invited"
)

// Retention (issue 16, docs/retention.md): the background pass asks for
// the policy of every organization (RetentionScopes), then removes or
// clears, kind by kind and scope by scope, batches of what is older than
// the policy keeps (Retain), each batch its own transaction, and records
// one audit event for the pass (RecordRetention).
//
// Each batch is found through an index holding only what may go, by
// organization and age (migration 0016), so that a batch costs what it
// takes and a scope with nothing to take one index probe. Instances
// running side by side skip the rows another's batch holds, as the
// sweeper's do (expireDueSQL), and every change is idempotent: a row
// removed or cleared twice is the same as once.

// retained is a kind of row retention removes or clears.
type retained struct {
	table string
	// org is the expression of the organization a row belongs to, ""
	// for none, as the kind's index holds it.
	org string
	// due is the predicate of the kind's partial index (always true for
	// audit events): the rows that may go once old enough.
	due string
	// age is the column their age counts from: when a message finished
	// or an invitation ended (updated_at, which the change of status
	// set), when an event happened.
	age string
	// apply removes or clears the rows ids.
	apply func(ctx context.Context, tx *Tx, ids []string) error
}

// orgOrNone is the organization of a row that may belong to none.
const orgOrNone = "COALESCE(org_id, '')"

var retainedKinds = map[invited.RetentionKind]retained{
	invited.RetainMessages: {table: "messages", org: orgOrNone, due: "status <> 'pending'", age: "updated_at",
		apply: func(ctx context.Context, tx *Tx, ids []string) error {
			return deleteMessages(ctx, tx, inList("id", ids))
		}},
	invited.RetainAuditEvents: {table: "audit_events", org: orgOrNone, due: "1 = 1", age: "created_at",
		apply: func(ctx context.Context, tx *Tx, ids []string) error {
			return execIn(ctx, tx, `DELETE FROM audit_events`, nil, "id", ids)
		}},
	invited.RetainInvitations: {table: "invitations", org: "org_id", due: "status IN ('declined', 'revoked', 'expired') AND cleared_at IS NULL",
		age: "updated_at", apply: clearInvitations},
	invited.RetainAppInvites: {table: "app_invites", org: "org_id", due: "status IN ('revoked', 'expired') AND cleared_at IS NULL",
		age: "updated_at", apply: func(ctx context.Context, tx *Tx, ids []string) error {
			return execIn(ctx, tx, `UPDATE app_invites SET email = '', note = '', cleared_at = ?`, []any{ms(tx.now)}, "id", ids)
		}},
	invited.RetainJoinRequests: {table: "join_requests", org: "org_id", due: "status IN ('denied', 'expired') AND cleared_at IS NULL",
		age: "updated_at", apply: func(ctx context.Context, tx *Tx, ids []string) error {
			return execIn(ctx, tx, `UPDATE join_requests SET message = '', decision_note = '', cleared_at = ?`, []any{ms(tx.now)}, "id", ids)
		}},
}

// retainBatchSQL selects up to a batch of the ids of k that are due and
// older than a cutoff in one organization ("" for none), oldest first;
// its arguments are the organization, the cutoff and the batch size. The
// order is the index's, so that the planner, whatever its statistics,
// reads the batch off that index rather than search the organization's
// rows another way for rows that may not be there.
func retainBatchSQL(d dialect, k retained) string {
	return `SELECT id FROM ` + k.table + ` WHERE ` + k.org + ` = ? AND ` + k.due + ` AND ` + k.age + ` < ?
ORDER BY ` + k.age + ` LIMIT ?` + d.lock("FOR UPDATE SKIP LOCKED")
}

// RetentionScopes lists every organization with its retention merged over
// defaults, then the system's own scope with defaults. Needs no actor:
// it serves the background pass alone.
func (db *DB) RetentionScopes(ctx context.Context, defaults invited.Retention) ([]invited.RetentionScope, error) {
	var out []invited.RetentionScope
	err := db.readTx(ctx, func(tx *Tx) error {
		var err error
		out, err = queryList(ctx, tx, func(s scanner) (invited.RetentionScope, error) {
			var sc invited.RetentionScope
			var settings invited.OrgSettings
			err := s.Scan(&sc.OrgID, jsonCol{&settings})
			sc.Retention = settings.Retention.Merge(defaults)
			return sc, err
		}, `SELECT id, settings FROM organizations ORDER BY id`)
		return err
	})
	return append(out, invited.RetentionScope{Retention: defaults}), err
}

// Retain removes or clears up to limit rows of kind in scope that are
// older than keep, in one transaction.
func (db *DB) Retain(ctx context.Context, kind invited.RetentionKind, scope invited.RetentionScope, keep time.Duration, limit int) (int, error) {
	k, ok := retainedKinds[kind]
	switch {
	case !ok:
		return 0, fmt.Errorf("sqlstore: retain: no kind %q", kind)
	case limit <= 0 || keep <= 0:
		return 0, fmt.Errorf("sqlstore: retain %s: limit %d and keep %v must be positive", kind, limit, keep)
	}
	var n int
	err := db.writeTx(ctx, func(tx *Tx) error {
		ids, err := queryList(ctx, tx, func(s scanner) (id string, err error) {
			return id, s.Scan(&id)
		}, retainBatchSQL(db.dialect, k), scope.OrgID, ms(tx.now.Add(-keep)), limit)
		if err != nil || len(ids) == 0 {
			return err
		}
		n = len(ids)
		return k.apply(ctx, tx, ids)
	})
	return n, err
}

// execIn runs statement, with args, for the rows whose col is one of ids.
func execIn(ctx context.Context, tx *Tx, statement string, args []any, col string, ids []string) error {
	w := inList(col, ids)
	_, err := tx.exec(ctx, statement+w.String(), append(args, w.args...)...)
	return err
}

// deleteMessages deletes the messages of w that are no longer pending,
// with their attempts and the join confirmations they carried.
func deleteMessages(ctx context.Context, tx *Tx, w where) error {
	w.add("status <> 'pending'")
	var of where
	of.add("message_id IN (SELECT id FROM messages"+w.String()+")", w.args...)
	for _, table := range []string{"join_confirmations", "message_attempts"} {
		if _, err := tx.exec(ctx, `DELETE FROM `+table+of.String(), of.args...); err != nil {
			return err
		}
	}
	_, err := tx.exec(ctx, `DELETE FROM messages`+w.String(), w.args...)
	return err
}

// clearInvitations clears the personal data of the ended invitations ids
// as an erasure does (blankInvitations), and deletes their links and
// their letters that are no longer pending, which quote it.
func clearInvitations(ctx context.Context, tx *Tx, ids []string) error {
	if _, err := tx.blankInvitations(ctx, ids); err != nil {
		return err
	}
	if err := execIn(ctx, tx, `DELETE FROM invitation_tokens`, nil, "invitation_id", ids); err != nil {
		return err
	}
	return deleteMessages(ctx, tx, inList("invitation_id", ids))
}

// RecordRetention writes the audit event of a retention pass: system-wide,
// without an actor, its details the counts.
func (db *DB) RecordRetention(ctx context.Context, counts map[invited.RetentionKind]int) error {
	details, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx *Tx) error {
		return tx.auditDetailed(ctx, invited.EventRetentionApplied, invited.ResourceRetention,
			[]target{{id: invited.NewID(invited.PrefixRetentionPass, tx.now)}}, string(details))
	})
}
