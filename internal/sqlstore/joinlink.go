package sqlstore

import (
	"context"
	"time"

	"github.com/invitedhq/invited"
)

// Join links (issue 15): multi-use links into one organization. Their
// tokens are link secrets like invitation tokens (newToken, linkHash):
// only the hash is stored. Each use is a row of join_link_uses, one per
// person, and the link's row is locked from its lookup to the commit, so
// that no more than max_uses people join however many try at once.

const joinLinkColumns = `jl.id, jl.org_id, jl.status, jl.roles, jl.max_uses, jl.uses, jl.allowed_email_domains, jl.require_approval, jl.note,
jl.redirect_url, jl.audience, jl.inviter_user_id, jl.inviter_api_key_id, jl.inviter_name, jl.created_at, jl.updated_at,
jl.expires_at, jl.last_used_at, jl.rotated_at, jl.revoked_at, jl.exhausted_at, jl.locale`

func joinLinkDest(l *invited.JoinLink) []any {
	return []any{&l.ID, &l.OrgID, &l.Status, jsonCol{&l.Roles}, nullIntCol{&l.MaxUses}, &l.Uses, jsonCol{&l.AllowedEmailDomains},
		&l.RequireApproval, &l.Note, &l.RedirectURL, &l.Audience, textCol{&l.Inviter.UserID}, textCol{&l.Inviter.APIKeyID}, &l.Inviter.Name,
		timeCol{&l.CreatedAt}, timeCol{&l.UpdatedAt}, timeCol{&l.ExpiresAt}, nullTimeCol{&l.LastUsedAt},
		nullTimeCol{&l.RotatedAt}, nullTimeCol{&l.RevokedAt}, nullTimeCol{&l.ExhaustedAt}, &l.Locale}
}

func scanJoinLink(s scanner) (*invited.JoinLink, error) {
	l := &invited.JoinLink{}
	return l, s.Scan(joinLinkDest(l)...)
}

// joinLinkTarget is l as the target of an event.
func joinLinkTarget(l *invited.JoinLink) target { return target{l.ID, l.OrgID, l} }

const (
	insertJoinLinkSQL = `INSERT INTO join_links (id, org_id, token_hash, status, roles, max_uses, allowed_email_domains,
	require_approval, note, redirect_url, audience, inviter_user_id, inviter_api_key_id, inviter_name, created_at, updated_at,
	expires_at, locale) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	joinLinkByIDSQL = `SELECT ` + joinLinkColumns + ` FROM join_links jl WHERE jl.id = ?`

	// joinLinkByTokenSQL loads what a link opens, with its organization.
	joinLinkByTokenSQL = `SELECT ` + joinLinkColumns + `, ` + orgColumns + `
FROM join_links jl JOIN organizations o ON o.id = jl.org_id WHERE jl.token_hash = ?`

	// updateJoinLinkSQL writes a change of a link locked since it was read
	// (on SQLite, the write transaction is the lock).
	updateJoinLinkSQL = `UPDATE join_links SET status = ?, uses = ?, last_used_at = ?, rotated_at = ?, revoked_at = ?,
	exhausted_at = ?, updated_at = ? WHERE id = ?`

	rotateJoinLinkSQL = `UPDATE join_links SET token_hash = ? WHERE id = ?`

	// insertJoinLinkUseSQL records that a person used a link, unless they
	// had: then it inserts nothing.
	insertJoinLinkUseSQL = `INSERT INTO join_link_uses (link_id, user_id, created_at) VALUES (?, ?, ?)
ON CONFLICT (link_id, user_id) DO NOTHING`
)

// CreateJoinLink needs invitations:create in orgID, and the link may grant
// nothing its creator could not (Actor.MayGrant).
func (db *DB) CreateJoinLink(ctx context.Context, orgID string, c invited.JoinLinkCreate) (*invited.JoinLink, string, error) {
	a := invited.ActorFromContext(ctx)
	if err := a.Authorize(orgID, invited.PermInvitationsCreate); err != nil {
		return nil, "", err
	}
	var l *invited.JoinLink
	token := newToken()
	err := db.writeTx(ctx, func(tx *Tx) error {
		org, roles, err := tx.orgWithRoles(ctx, orgID)
		if err != nil {
			return err
		}
		if l, err = invited.NewJoinLink(c, org, roles.exists, roles.permissions, inviterOf(a), tx.now); err != nil {
			return err
		}
		if err := a.MayGrant(orgID, roles.permissions(l.Roles)); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, insertJoinLinkSQL, l.ID, l.OrgID, invited.HashSecret(token), l.Status, jsonText(l.Roles),
			l.MaxUses, jsonText(l.AllowedEmailDomains), l.RequireApproval, l.Note, l.RedirectURL, l.Audience, nullText(l.Inviter.UserID),
			nullText(l.Inviter.APIKeyID), l.Inviter.Name, ms(l.CreatedAt), ms(l.UpdatedAt), ms(l.ExpiresAt), l.Locale); err != nil {
			return err
		}
		return tx.record(ctx, invited.EventJoinLinkCreated, invited.ResourceJoinLink, joinLinkTarget(l))
	})
	if err != nil {
		return nil, "", err
	}
	return l, token, nil
}

// FindJoinLinks lists the links of f.OrgID (of every organization where
// the actor holds invitations:read when empty), newest first.
func (db *DB) FindJoinLinks(ctx context.Context, f invited.JoinLinkFilter) ([]*invited.JoinLink, string, error) {
	if err := checkStatus(f.Status, invited.JoinLinkStatuses); err != nil {
		return nil, "", err
	}
	return findManaged(ctx, db, f.OrgID, invited.PermInvitationsRead, f.Page, invited.PrefixJoinLink,
		func(tx *Tx, orgIDs []string, k keyset) ([]*invited.JoinLink, error) {
			query, args := joinLinkListQuery(orgIDs, f, k, tx.now)
			links, err := queryList(ctx, tx, scanJoinLink, query, args...)
			for _, l := range links {
				l.Status = l.StatusAt(tx.now)
			}
			return links, err
		}, func(l *invited.JoinLink) string { return l.ID })
}

// joinLinkListQuery builds the list query of the links of orgIDs (nil for
// all) under a valid filter; the status filter honours read-time expiry.
func joinLinkListQuery(orgIDs []string, f invited.JoinLinkFilter, k keyset, now time.Time) (string, []any) {
	var w where
	if orgIDs != nil {
		w.in("jl.org_id", orgIDs)
	}
	w.statusAt("jl", string(invited.JoinLinkActive), string(f.Status), now)
	tail := k.seek(&w, "jl.id")
	return `SELECT ` + joinLinkColumns + ` FROM join_links jl` + w.String() + tail, w.args
}

// FindJoinLinkByID returns a link of an organization where the actor holds
// invitations:read.
func (db *DB) FindJoinLinkByID(ctx context.Context, id string) (*invited.JoinLink, error) {
	a := invited.ActorFromContext(ctx)
	var l *invited.JoinLink
	err := db.readTx(ctx, func(tx *Tx) (err error) {
		if l, err = scanJoinLink(tx.queryRow(ctx, joinLinkByIDSQL, id)); err != nil {
			return notFound(err, "join link")
		}
		if !a.Can(l.OrgID, invited.PermInvitationsRead) {
			return errNotFound("join link")
		}
		l.Status = l.StatusAt(tx.now)
		return nil
	})
	return l, err
}

// RevokeJoinLink needs what invited.ActionRevoke declares.
func (db *DB) RevokeJoinLink(ctx context.Context, id string) (*invited.JoinLink, error) {
	l, _, err := db.moveJoinLink(ctx, id, invited.ActionRevoke, invited.EventJoinLinkRevoked)
	return l, err
}

// RotateJoinLink needs what invited.ActionRotate declares. The old token's
// hash is overwritten, so it opens nothing from the commit on.
func (db *DB) RotateJoinLink(ctx context.Context, id string) (*invited.JoinLink, string, error) {
	return db.moveJoinLink(ctx, id, invited.ActionRotate, invited.EventJoinLinkRotated)
}

// moveJoinLink moves link id by action and records the change as event;
// a rotation answers the new token. The link is locked from the read on,
// so that changes, uses and the sweeper take turns.
func (db *DB) moveJoinLink(ctx context.Context, id string, action invited.Action, event string) (*invited.JoinLink, string, error) {
	a := invited.ActorFromContext(ctx)
	var l *invited.JoinLink
	var token string
	err := db.writeTx(ctx, func(tx *Tx) (err error) {
		l, err = scanJoinLink(tx.queryRow(ctx, joinLinkByIDSQL+tx.lock("FOR UPDATE"), id))
		if err != nil {
			return notFound(err, "join link")
		}
		if !a.Can(l.OrgID, invited.PermInvitationsRead) && !a.Can(l.OrgID, action.Permission()) {
			return errNotFound("join link")
		}
		if err := a.Authorize(l.OrgID, action.Permission()); err != nil {
			return err
		}
		if err := l.Apply(action, tx.now); err != nil {
			return err
		}
		if action == invited.ActionRotate {
			token = newToken()
			if _, err := tx.exec(ctx, rotateJoinLinkSQL, invited.HashSecret(token), l.ID); err != nil {
				return err
			}
		}
		return tx.saveJoinLink(ctx, l, event)
	})
	if err != nil {
		return nil, "", err
	}
	return l, token, nil
}

// saveJoinLink writes l, locked, after a change and records it as event.
func (tx *Tx) saveJoinLink(ctx context.Context, l *invited.JoinLink, event string) error {
	if _, err := tx.exec(ctx, updateJoinLinkSQL, l.Status, l.Uses, nullMS(l.LastUsedAt), nullMS(l.RotatedAt),
		nullMS(l.RevokedAt), nullMS(l.ExhaustedAt), ms(l.UpdatedAt), l.ID); err != nil {
		return err
	}
	return tx.record(ctx, event, invited.ResourceJoinLink, joinLinkTarget(l))
}

// joinLinkByToken loads the link a token's hash opens, with its
// organization; lock keeps the link's row until the transaction ends.
func (tx *Tx) joinLinkByToken(ctx context.Context, hash []byte, lock bool) (*invited.JoinLink, *invited.Organization, error) {
	l, org := &invited.JoinLink{}, &invited.Organization{}
	query := joinLinkByTokenSQL
	if lock {
		query += tx.lock("FOR UPDATE OF jl")
	}
	if err := tx.queryRow(ctx, query, hash).Scan(append(joinLinkDest(l), orgDest(org)...)...); err != nil {
		return nil, nil, notFound(err, "join link")
	}
	return l, org, nil
}

// OpenJoinLink returns the link a token opens, with its organization.
func (db *DB) OpenJoinLink(ctx context.Context, token string) (*invited.JoinLink, *invited.Organization, error) {
	hash, err := linkHash(token, "join link")
	if err != nil {
		return nil, nil, err
	}
	var l *invited.JoinLink
	var org *invited.Organization
	err = db.readOne(ctx, func(tx *Tx) (err error) {
		l, org, err = tx.joinLinkByToken(ctx, hash, false)
		return err
	})
	return l, org, err
}

// PreviewJoinLink shows the holder of a link where it leads.
func (db *DB) PreviewJoinLink(ctx context.Context, token string) (*invited.JoinLinkPreview, error) {
	l, org, err := db.OpenJoinLink(ctx, token)
	if err != nil {
		return nil, err
	}
	return l.Preview(org, db.clock()), nil
}

// AcceptJoinLink uses the link for the calling user, or for the person an
// API key vouches for. In one write transaction, holding the link's row
// from the lookup on: the person (created if new), whether they used the
// link before (then nothing changes), the use and the link's count, the
// membership, the events. A use the link refuses rolls everything back,
// the new user too.
func (db *DB) AcceptJoinLink(ctx context.Context, token string, body invited.Acceptor) (*invited.JoinLinkAcceptance, error) {
	a := invited.ActorFromContext(ctx)
	acceptor, err := acceptorFor(a, body)
	if err != nil {
		return nil, err
	}
	hash, err := linkHash(token, "join link")
	if err != nil {
		return nil, err
	}
	var acc *invited.JoinLinkAcceptance
	err = db.writeTx(ctx, func(tx *Tx) error {
		l, org, err := tx.joinLinkByToken(ctx, hash, true)
		if err != nil {
			return err
		}
		if !keyReaches(a, l.OrgID) {
			return errNotFound("join link")
		}
		acc, err = tx.useJoinLink(ctx, a, l, org, acceptor)
		return err
	})
	return acc, err
}

// useJoinLink uses l, a link into org locked by the caller, for the
// person acceptor describes, on behalf of a: the AcceptJoinLink path,
// which the hosted join page's ConfirmJoin takes too.
func (tx *Tx) useJoinLink(ctx context.Context, a *invited.Actor, l *invited.JoinLink, org *invited.Organization, acceptor invited.Acceptor) (*invited.JoinLinkAcceptance, error) {
	u, err := tx.acceptingUser(ctx, acceptor)
	if err != nil {
		return nil, err
	}
	acc := &invited.JoinLinkAcceptance{JoinLink: l, User: u, RedirectURL: org.Settings.LandingURL(l.RedirectURL)}
	res, err := tx.exec(ctx, insertJoinLinkUseSQL, l.ID, u.ID, ms(tx.now))
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = tx.formerUse(ctx, acc)
		}
		return acc, err
	}
	exhausted, err := l.Use(tx.now)
	if err != nil {
		return nil, err
	}
	if err := l.Admits(u, org.Settings); err != nil {
		return nil, err
	}
	actx := acceptorContext(ctx, a, u)
	if err := tx.saveJoinLink(actx, l, invited.EventJoinLinkUsed); err != nil {
		return nil, err
	}
	if exhausted {
		if err := tx.record(actx, invited.EventJoinLinkExhausted, invited.ResourceJoinLink, joinLinkTarget(l)); err != nil {
			return nil, err
		}
	}
	if l.RequireApproval {
		acc.Request, err = tx.fileJoinRequest(actx, org, u, invited.JoinViaJoinLink, l.ID, "", l.Roles, "")
		return acc, err
	}
	m, joined, err := tx.join(ctx, l.OrgID, u.ID, l.Roles)
	if err != nil {
		return nil, err
	}
	acc.Membership, acc.Joined = m, true
	event := invited.EventMembershipUpdated
	if joined {
		event = invited.EventMembershipCreated
	}
	return acc, tx.record(actx, event, invited.ResourceMembership, target{u.ID, m.OrgID, m})
}

// formerUse answers a second use of a link by the same person: their
// membership, unchanged, or the join request the link filed while it
// waits; a conflict when they have left the organization since (or were
// refused), because a link lets a person in once.
func (tx *Tx) formerUse(ctx context.Context, acc *invited.JoinLinkAcceptance) error {
	l, u := acc.JoinLink, acc.User
	m, err := tx.member(ctx, l.OrgID, u.ID)
	if err == nil {
		acc.Membership = &m.Membership
		return nil
	}
	if !isNotFound(err) {
		return err
	}
	if l.RequireApproval {
		r, err := scanJoinRequest(tx.queryRow(ctx, pendingJoinRequestSQL, l.OrgID, u.ID))
		if err == nil {
			acc.Request = r
			return nil
		}
		if !isNotFound(notFound(err, "join request")) {
			return err
		}
	}
	return invited.Errorf(invited.ECONFLICT, "you used this link before and are not a member; ask for an invitation")
}

// joinLinksExpiring is how the sweeper expires join links.
var joinLinksExpiring = expiring[*invited.JoinLink]{
	table: "join_links", live: string(invited.JoinLinkActive), resource: invited.ResourceJoinLink, event: invited.EventJoinLinkExpired,
	list: `SELECT ` + joinLinkColumns + ` FROM join_links jl`, idCol: "jl.id", scan: scanJoinLink, target: joinLinkTarget,
}

// ExpireJoinLinks persists the expiry of up to limit overdue join links
// and records a join_link.expired event, without an actor, for each.
func (db *DB) ExpireJoinLinks(ctx context.Context, limit int) (int, error) {
	return expireDue(ctx, db, joinLinksExpiring, limit)
}
