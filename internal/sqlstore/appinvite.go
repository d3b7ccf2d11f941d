package sqlstore

import (
	"context"
	"slices"
	"time"

	"github.com/invitedhq/invited"
)

// App invites (issue 6): links that let a partner connect an external
// platform through an app. Their codes are link secrets like invitation
// tokens (newToken, linkHash): only the hash is stored.

const appInviteColumns = `ai.id, ai.app_id, ai.org_id, ai.status, ai.email, ai.note, ai.inviter_user_id,
ai.inviter_api_key_id, ai.inviter_name, ai.created_at, ai.updated_at, ai.expires_at, ai.activated_at, ai.revoked_at,
ai.archived_at, ai.locale`

func appInviteDest(ai *invited.AppInvite) []any {
	return []any{&ai.ID, &ai.AppID, &ai.OrgID, &ai.Status, &ai.Email, &ai.Note, textCol{&ai.Inviter.UserID},
		textCol{&ai.Inviter.APIKeyID}, &ai.Inviter.Name, timeCol{&ai.CreatedAt}, timeCol{&ai.UpdatedAt},
		timeCol{&ai.ExpiresAt}, nullTimeCol{&ai.ActivatedAt}, nullTimeCol{&ai.RevokedAt}, nullTimeCol{&ai.ArchivedAt}, &ai.Locale}
}

func scanAppInvite(s scanner) (*invited.AppInvite, error) {
	ai := &invited.AppInvite{}
	return ai, s.Scan(appInviteDest(ai)...)
}

// appInviteTarget is ai as the target of an event.
func appInviteTarget(ai *invited.AppInvite) target { return target{ai.ID, ai.OrgID, ai} }

const (
	insertAppInviteSQL = `INSERT INTO app_invites (id, app_id, org_id, code_hash, status, email, note, inviter_user_id,
	inviter_api_key_id, inviter_name, created_at, updated_at, expires_at, locale)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	appInviteByIDSQL = `SELECT ` + appInviteColumns + ` FROM app_invites ai WHERE ai.id = ?`

	// appInviteWithAppSQL loads an app invite with the app and the
	// organization that the partner's pages show; a WHERE clause follows.
	appInviteWithAppSQL = `SELECT ` + appInviteColumns + `, ` + appColumns + `, ` + orgColumns + `
FROM app_invites ai
JOIN apps a ON a.id = ai.app_id
JOIN organizations o ON o.id = ai.org_id`

	// appInviteByCodeSQL loads what a link opens.
	appInviteByCodeSQL = appInviteWithAppSQL + ` WHERE ai.code_hash = ?`

	// updateAppInviteSQL writes a transition; the row is locked since it
	// was read (on SQLite, the write transaction is the lock).
	updateAppInviteSQL = `UPDATE app_invites SET status = ?, activated_at = ?, revoked_at = ?, archived_at = ?, updated_at = ?
WHERE id = ?`
)

// CreateAppInvite needs connections:manage in the organization, and an app
// the actor can see that the organization may use.
func (db *DB) CreateAppInvite(ctx context.Context, appID string, c invited.AppInviteCreate) (*invited.AppInvite, string, error) {
	if c.OrgID == "" {
		return nil, "", invited.FieldErrors{"org_id": invited.Problemf("connection_org_required")}.Err()
	}
	a := invited.ActorFromContext(ctx)
	if err := a.Authorize(c.OrgID, invited.PermConnectionsManage); err != nil {
		return nil, "", err
	}
	var ai *invited.AppInvite
	code := newToken()
	err := db.writeTx(ctx, func(tx *Tx) error {
		app, err := tx.app(ctx, a, appID)
		if err != nil {
			return err
		}
		org, err := tx.organization(ctx, c.OrgID)
		if err != nil {
			return err
		}
		if ai, err = invited.NewAppInvite(app, org, c, inviterOf(a), tx.now); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, insertAppInviteSQL, ai.ID, ai.AppID, ai.OrgID, invited.HashSecret(code), ai.Status,
			ai.Email, ai.Note, nullText(ai.Inviter.UserID), nullText(ai.Inviter.APIKeyID), ai.Inviter.Name,
			ms(ai.CreatedAt), ms(ai.UpdatedAt), ms(ai.ExpiresAt), ai.Locale); err != nil {
			return err
		}
		return tx.record(ctx, invited.EventAppInviteCreated, invited.ResourceAppInvite, appInviteTarget(ai))
	})
	if err != nil {
		return nil, "", err
	}
	return ai, code, nil
}

// FindAppInvites lists the app invites of the organizations where the
// actor holds connections:manage, newest first.
func (db *DB) FindAppInvites(ctx context.Context, f invited.AppInviteFilter) ([]*invited.AppInvite, string, error) {
	if err := checkStatus(f.Status, invited.AppInviteStatuses); err != nil {
		return nil, "", err
	}
	return findManaged(ctx, db, f.OrgID, invited.PermConnectionsManage, f.Page, invited.PrefixAppInvite,
		func(tx *Tx, orgIDs []string, k keyset) ([]*invited.AppInvite, error) {
			query, args := appInviteListQuery(orgIDs, f, k, tx.now)
			invites, err := queryList(ctx, tx, scanAppInvite, query, args...)
			for _, ai := range invites {
				ai.Status = ai.StatusAt(tx.now)
			}
			return invites, err
		}, func(ai *invited.AppInvite) string { return ai.ID })
}

// appInviteListQuery builds the list query of the invites of orgIDs (nil
// for all) under a valid filter; the status filter honours read-time
// expiry. It depends on its arguments alone, so that the query-plan test
// checks exactly what runs.
func appInviteListQuery(orgIDs []string, f invited.AppInviteFilter, k keyset, now time.Time) (string, []any) {
	var w where
	if orgIDs != nil {
		w.in("ai.org_id", orgIDs)
	}
	if f.AppID != "" {
		w.add("ai.app_id = ?", f.AppID)
	}
	w.statusAt("ai", "pending", string(f.Status), now)
	tail := k.seek(&w, "ai.id")
	return `SELECT ` + appInviteColumns + ` FROM app_invites ai` + w.String() + tail, w.args
}

// FindAppInviteByID returns an app invite of an organization where the
// actor holds connections:manage.
func (db *DB) FindAppInviteByID(ctx context.Context, id string) (*invited.AppInvite, error) {
	a := invited.ActorFromContext(ctx)
	var ai *invited.AppInvite
	err := db.readTx(ctx, func(tx *Tx) (err error) {
		if ai, err = scanAppInvite(tx.queryRow(ctx, appInviteByIDSQL, id)); err != nil {
			return notFound(err, "app invite")
		}
		if !a.Can(ai.OrgID, invited.PermConnectionsManage) {
			return errNotFound("app invite")
		}
		ai.Status = ai.StatusAt(tx.now)
		return nil
	})
	return ai, err
}

// RevokeAppInvite needs connections:manage; only a pending invite can be
// revoked.
func (db *DB) RevokeAppInvite(ctx context.Context, id string) (*invited.AppInvite, error) {
	return db.moveAppInvite(ctx, id, invited.ActionRevoke, invited.EventAppInviteRevoked)
}

// ArchiveAppInvite needs connections:manage; it files away an invite that
// is active, revoked or expired.
func (db *DB) ArchiveAppInvite(ctx context.Context, id string) (*invited.AppInvite, error) {
	return db.moveAppInvite(ctx, id, invited.ActionArchive, invited.EventAppInviteArchived)
}

// moveAppInvite moves app invite id by action, which needs
// connections:manage, and records the change as event. The invite is
// locked from the read on, so that concurrent changes (and the sweeper)
// take turns. Archiving an active invite ends its connection: the profile
// is archived with it, its tokens deleted.
func (db *DB) moveAppInvite(ctx context.Context, id string, action invited.Action, event string) (*invited.AppInvite, error) {
	a := invited.ActorFromContext(ctx)
	var ai *invited.AppInvite
	err := db.writeTx(ctx, func(tx *Tx) (err error) {
		if ai, err = tx.lockAppInvite(ctx, id); err != nil {
			return err
		}
		if !a.CanSee(ai.OrgID) {
			return errNotFound("app invite")
		}
		if err := a.Authorize(ai.OrgID, invited.PermConnectionsManage); err != nil {
			return err
		}
		connected := ai.Status == invited.AppInviteActive
		if err := ai.Apply(action, tx.now); err != nil {
			return err
		}
		if err := tx.saveAppInvite(ctx, ai, event); err != nil {
			return err
		}
		if connected {
			_, err = tx.archiveProfile(ctx, ai.ID)
		}
		return err
	})
	return ai, err
}

// lockAppInvite loads app invite id about to change and locks it until the
// transaction ends. Where a change takes the invite's profile too, the
// invite is locked first, so that such changes cannot deadlock.
func (tx *Tx) lockAppInvite(ctx context.Context, id string) (*invited.AppInvite, error) {
	ai, err := scanAppInvite(tx.queryRow(ctx, appInviteByIDSQL+tx.lock("FOR UPDATE"), id))
	return ai, notFound(err, "app invite")
}

// saveAppInvite writes ai, locked, after a transition and records it as
// event. The invite is no longer pending, so the authorizations started
// for it are deleted: none of them could finish.
func (tx *Tx) saveAppInvite(ctx context.Context, ai *invited.AppInvite, event string) error {
	if _, err := tx.exec(ctx, updateAppInviteSQL, ai.Status, nullMS(ai.ActivatedAt), nullMS(ai.RevokedAt),
		nullMS(ai.ArchivedAt), ms(ai.UpdatedAt), ai.ID); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, deleteInviteStatesSQL, ai.ID); err != nil {
		return err
	}
	return tx.record(ctx, event, invited.ResourceAppInvite, appInviteTarget(ai))
}

// PreviewAppInvite shows the holder of a link what it would connect.
func (db *DB) PreviewAppInvite(ctx context.Context, code string) (*invited.AppInvitePreview, error) {
	hash, err := linkHash(code, "app invite")
	if err != nil {
		return nil, err
	}
	var p *invited.AppInvitePreview
	err = db.readTx(ctx, func(tx *Tx) error {
		au, err := tx.authorization(ctx, appInviteByCodeSQL, hash)
		if err == nil {
			p = au.Invite.Preview(au.App, au.Org, tx.now)
		}
		return err
	})
	return p, err
}

// authorization loads the app invite that query (appInviteWithAppSQL and
// a condition on arg) finds, with its app and organization; the app comes
// without its client secret.
func (tx *Tx) authorization(ctx context.Context, query string, arg any) (*invited.Authorization, error) {
	au := &invited.Authorization{Invite: &invited.AppInvite{}, App: &invited.App{}, Org: &invited.Organization{}}
	dest := slices.Concat(appInviteDest(au.Invite), appDest(au.App), orgDest(au.Org))
	if err := tx.queryRow(ctx, query, arg).Scan(dest...); err != nil {
		return nil, notFound(err, "app invite")
	}
	return au, nil
}

// appInvitesExpiring is how the sweeper expires app invites.
var appInvitesExpiring = expiring[*invited.AppInvite]{
	table: "app_invites", live: "pending", resource: invited.ResourceAppInvite, event: invited.EventAppInviteExpired,
	list: `SELECT ` + appInviteColumns + ` FROM app_invites ai`, idCol: "ai.id", scan: scanAppInvite,
	target: appInviteTarget,
	// The authorizations started from an expired link can no longer
	// finish (activation refuses the invite): they go with it.
	dependents: "oauth_states", dependentsCol: "app_invite_id",
}

// ExpireAppInvites persists the expiry of up to limit overdue app invites
// and records an app_invite.expired event, without an actor, for each.
func (db *DB) ExpireAppInvites(ctx context.Context, limit int) (int, error) {
	return expireDue(ctx, db, appInvitesExpiring, limit)
}
