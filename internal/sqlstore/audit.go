package sqlstore

import (
	"context"
	"strings"

	"github.com/invitedhq/invited"
)

// Every mutation records an audit event in its own transaction (tx.audit),
// so that the log holds exactly what committed: a change rolled back, alone
// or in its savepoint, takes its event with it.

const auditColumns = `e.id, e.org_id, e.actor_user_id, e.actor_api_key_id, e.action, e.resource, e.resource_id, e.remote_addr, e.created_at, e.details`

func scanAuditEvent(s scanner) (*invited.AuditEvent, error) {
	e := &invited.AuditEvent{}
	return e, s.Scan(&e.ID, textCol{&e.OrgID}, textCol{&e.ActorUserID}, textCol{&e.ActorAPIKeyID}, &e.Action, &e.Resource,
		&e.ResourceID, &e.RemoteAddr, timeCol{&e.CreatedAt}, jsonCol{&e.Details})
}

// target is a resource an event is about, its organization ("" for a
// system-wide one) and, for the events webhooks hear of, the resource as the
// API shows it after the change.
type target struct {
	id, orgID string
	data      any
}

// audit records that the actor of ctx did action to the resource
// resourceID of orgID, now.
func (tx *Tx) audit(ctx context.Context, action, resource, resourceID, orgID string) error {
	return tx.auditAll(ctx, action, resource, []target{{id: resourceID, orgID: orgID}})
}

// auditChunk bounds the rows of one multi-row insert, well inside every
// database's limit on bound parameters.
const auditChunk = 500

// auditAll records that the actor of ctx (none for background work) did
// action to each of targets, in one multi-row insert per auditChunk.
func (tx *Tx) auditAll(ctx context.Context, action, resource string, targets []target) error {
	return tx.auditDetailed(ctx, action, resource, targets, "")
}

// auditDetailed is auditAll with details, the JSON of the events' details
// ("" for none).
func (tx *Tx) auditDetailed(ctx context.Context, action, resource string, targets []target, details string) error {
	a := invited.ActorFromContext(ctx)
	const row = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	for len(targets) > 0 {
		n := min(len(targets), auditChunk)
		args := make([]any, 0, 10*n)
		for _, t := range targets[:n] {
			args = append(args, invited.NewID(invited.PrefixAuditEvent, tx.now), nullText(t.orgID), nullText(a.UserID()),
				nullText(a.APIKeyID), action, resource, t.id, a.RemoteAddr, ms(tx.now), nullText(details))
		}
		err := tx.hold(ctx, `INSERT INTO audit_events (id, org_id, actor_user_id, actor_api_key_id, action, resource,
	resource_id, remote_addr, created_at, details) VALUES `+strings.Repeat(row+", ", n-1)+row, args...)
		if err != nil {
			return err
		}
		targets = targets[n:]
	}
	return nil
}

// FindAuditEvents lists the events the actor may read, newest first: all
// for an admin key, else those of the organizations where the actor holds
// org:manage.
func (db *DB) FindAuditEvents(ctx context.Context, f invited.AuditFilter) ([]*invited.AuditEvent, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	return findManaged(ctx, db, f.OrgID, invited.PermOrgManage, f.Page, invited.PrefixAuditEvent, func(tx *Tx, orgIDs []string, k keyset) ([]*invited.AuditEvent, error) {
		query, args := auditListQuery(orgIDs, f, k)
		return queryList(ctx, tx, scanAuditEvent, query, args...)
	}, func(e *invited.AuditEvent) string { return e.ID })
}

// auditListQuery builds the list query of the events of orgIDs (nil for
// all) under a valid filter. It depends on its arguments alone, so that the
// query-plan test checks exactly what runs.
func auditListQuery(orgIDs []string, f invited.AuditFilter, k keyset) (string, []any) {
	var w where
	if orgIDs != nil {
		w.in("e.org_id", orgIDs)
	}
	if f.Resource != "" {
		w.add("e.resource = ?", f.Resource)
	}
	switch {
	case strings.HasPrefix(f.Actor, invited.PrefixUser):
		w.add("e.actor_user_id = ?", f.Actor)
	case f.Actor != "":
		w.add("e.actor_api_key_id = ?", f.Actor)
	}
	tail := k.seek(&w, "e.id")
	return `SELECT ` + auditColumns + ` FROM audit_events e` + w.String() + tail, w.args
}
