package sqlstore

import (
	"context"

	"github.com/invitedhq/invited"
)

const webhookColumns = `w.id, w.org_id, w.url, w.events, w.description, w.created_at`

func scanWebhook(s scanner) (*invited.Webhook, error) {
	w := &invited.Webhook{}
	return w, s.Scan(&w.ID, textCol{&w.OrgID}, &w.URL, jsonCol{&w.Events}, &w.Description, timeCol{&w.CreatedAt})
}

// authorizeOwned checks that a may create what belongs to orgID, which
// needs perm there, or to the system when orgID is "", which needs an admin
// key. what names the things in the refusal ("webhooks", "apps").
func authorizeOwned(a *invited.Actor, orgID string, perm invited.Permission, what string) error {
	if orgID != "" {
		return a.Authorize(orgID, perm)
	}
	if !a.Admin {
		return invited.Errorf(invited.EFORBIDDEN, "system-wide %s need an admin key; give org_id for an organization's", what)
	}
	return nil
}

// manages reports whether a governs what belongs to orgID (a webhook
// endpoint, a message): an admin key governs everything, system-wide
// things ("" orgID) included; anyone else needs org:manage there.
func manages(a *invited.Actor, orgID string) bool {
	return a.Admin || (orgID != "" && a.Can(orgID, invited.PermOrgManage))
}

// CreateWebhook needs org:manage in the organization, or an admin key for
// a system-wide endpoint.
func (db *DB) CreateWebhook(ctx context.Context, c invited.WebhookCreate) (*invited.Webhook, error) {
	if err := authorizeOwned(invited.ActorFromContext(ctx), c.OrgID, invited.PermOrgManage, "webhooks"); err != nil {
		return nil, err
	}
	var w *invited.Webhook
	err := db.writeTx(ctx, func(tx *Tx) (err error) {
		if c.OrgID != "" {
			if _, err := tx.organization(ctx, c.OrgID); err != nil {
				return err
			}
		}
		if w, err = invited.NewWebhook(c, db.outbound, tx.now); err != nil {
			return err
		}
		plain, sealed, err := db.store(webhookSecretColumn, w.ID, []byte(w.Secret))
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO webhooks (id, org_id, url, events, description, secret, secret_sealed, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, w.ID, nullText(w.OrgID), w.URL, jsonText(w.Events), w.Description, plain, sealed,
			ms(w.CreatedAt)); err != nil {
			return err
		}
		return tx.audit(ctx, "webhook.created", invited.ResourceWebhook, w.ID, w.OrgID)
	})
	return w, err
}

// FindWebhooks lists the live endpoints the actor manages, newest first.
func (db *DB) FindWebhooks(ctx context.Context, f invited.WebhookFilter) ([]*invited.Webhook, string, error) {
	return findManaged(ctx, db, f.OrgID, invited.PermOrgManage, f.Page, invited.PrefixWebhook, func(tx *Tx, orgIDs []string, k keyset) ([]*invited.Webhook, error) {
		var w where
		w.add("w.deleted_at IS NULL")
		if orgIDs != nil {
			w.in("w.org_id", orgIDs)
		}
		tail := k.seek(&w, "w.id")
		return queryList(ctx, tx, scanWebhook, `SELECT `+webhookColumns+` FROM webhooks w`+w.String()+tail, w.args...)
	}, func(w *invited.Webhook) string { return w.ID })
}

// FindWebhookByID returns a live endpoint the actor manages.
func (db *DB) FindWebhookByID(ctx context.Context, id string) (*invited.Webhook, error) {
	var w *invited.Webhook
	err := db.readTx(ctx, func(tx *Tx) (err error) {
		w, err = tx.webhook(ctx, invited.ActorFromContext(ctx), id)
		return err
	})
	return w, err
}

// webhook loads live endpoint id; it is not_found to an actor who may not
// manage it.
func (tx *Tx) webhook(ctx context.Context, a *invited.Actor, id string) (*invited.Webhook, error) {
	w, err := scanWebhook(tx.queryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = ? AND w.deleted_at IS NULL`, id))
	if err != nil {
		return nil, notFound(err, "webhook")
	}
	if !manages(a, w.OrgID) {
		return nil, errNotFound("webhook")
	}
	return w, nil
}

// DeleteWebhook removes the endpoint and cancels its pending deliveries.
// The row stays, marked deleted, so that its deliveries keep their
// history.
func (db *DB) DeleteWebhook(ctx context.Context, id string) error {
	a := invited.ActorFromContext(ctx)
	return db.writeTx(ctx, func(tx *Tx) error {
		w, err := tx.webhook(ctx, a, id)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE webhooks SET deleted_at = ? WHERE id = ?`, ms(tx.now), id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, cancelMessagesSQL+` WHERE webhook_id = ? AND status = 'pending'`, ms(tx.now), id); err != nil {
			return err
		}
		return tx.audit(ctx, "webhook.deleted", invited.ResourceWebhook, id, w.OrgID)
	})
}
