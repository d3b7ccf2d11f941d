package sqlstore

import (
	"context"
	"time"

	"github.com/invitedhq/invited"
)

// Join requests (issue 15): a person's request to join an organization,
// decided by one of its admins. A person has at most one pending request
// per organization (a partial unique index); asking again answers it.

const joinRequestColumns = `jr.id, jr.org_id, jr.user_id, jr.status, u.email, u.email_verified, u.name, jr.via,
jr.join_link_id, jr.domain, jr.roles, jr.message, jr.decision_note, jr.decided_by_user_id, jr.decided_by_api_key_id,
jr.decided_by_name, jr.created_at, jr.updated_at, jr.expires_at, jr.approved_at, jr.denied_at`

// joinRequestsFrom is the FROM of every read of requests: the requester's
// address and name come from their user.
const joinRequestsFrom = ` FROM join_requests jr JOIN users u ON u.id = jr.user_id`

func scanJoinRequest(s scanner) (*invited.JoinRequest, error) {
	r := &invited.JoinRequest{}
	err := s.Scan(&r.ID, &r.OrgID, &r.UserID, &r.Status, textCol{&r.Requester.Email}, &r.Requester.EmailVerified,
		&r.Requester.Name, &r.Via, textCol{&r.JoinLinkID}, &r.Domain, jsonCol{&r.Roles}, &r.Message, &r.DecisionNote,
		textCol{&r.DecidedBy.UserID}, textCol{&r.DecidedBy.APIKeyID}, &r.DecidedBy.Name, timeCol{&r.CreatedAt},
		timeCol{&r.UpdatedAt}, timeCol{&r.ExpiresAt}, nullTimeCol{&r.ApprovedAt}, nullTimeCol{&r.DeniedAt})
	return r, err
}

// joinRequestTarget is r as the target of an event.
func joinRequestTarget(r *invited.JoinRequest) target { return target{r.ID, r.OrgID, r} }

const (
	// insertJoinRequestSQL files a request unless the person has a
	// pending one in the organization.
	insertJoinRequestSQL = `INSERT INTO join_requests (id, org_id, user_id, status, via, join_link_id, domain, roles, message,
	created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (org_id, user_id) WHERE status = 'pending' DO NOTHING`

	pendingJoinRequestSQL = `SELECT ` + joinRequestColumns + joinRequestsFrom + ` WHERE jr.org_id = ? AND jr.user_id = ? AND jr.status = 'pending'`

	// expireOverdueRequestSQL expires the person's pending request when it
	// is overdue, so that they may ask again; its arguments are now, the
	// organization, the user and now.
	expireOverdueRequestSQL = `UPDATE join_requests SET status = 'expired', updated_at = ?
WHERE org_id = ? AND user_id = ? AND status = 'pending' AND expires_at <= ? RETURNING id, org_id`

	joinRequestByIDSQL = `SELECT ` + joinRequestColumns + joinRequestsFrom + ` WHERE jr.id = ?`

	updateJoinRequestSQL = `UPDATE join_requests SET status = ?, roles = ?, decision_note = ?, decided_by_user_id = ?,
	decided_by_api_key_id = ?, decided_by_name = ?, updated_at = ?, approved_at = ?, denied_at = ? WHERE id = ?`
)

// fileJoinRequest files u's request to join org, come about via (with the
// join link or the domain it came through), granting roles on approval.
// A pending request of u's in org is answered instead, unchanged.
func (tx *Tx) fileJoinRequest(ctx context.Context, org *invited.Organization, u *invited.User, via, linkID, domain string, roles []string, message string) (*invited.JoinRequest, error) {
	r, err := invited.NewJoinRequest(org, u, via, roles, message, tx.now)
	if err != nil {
		return nil, err
	}
	r.JoinLinkID, r.Domain = linkID, domain
	overdue, err := queryList(ctx, tx, func(s scanner) (t target, err error) {
		return t, s.Scan(&t.id, &t.orgID)
	}, expireOverdueRequestSQL, ms(tx.now), org.ID, u.ID, ms(tx.now))
	if err != nil {
		return nil, err
	}
	if len(overdue) > 0 {
		if err := tx.record(ctx, invited.EventJoinRequestExpired, invited.ResourceJoinRequest, overdue...); err != nil {
			return nil, err
		}
	}
	res, err := tx.exec(ctx, insertJoinRequestSQL, r.ID, r.OrgID, r.UserID, r.Status, r.Via, nullText(r.JoinLinkID), r.Domain,
		jsonText(r.Roles), r.Message, ms(r.CreatedAt), ms(r.UpdatedAt), ms(r.ExpiresAt))
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return nil, err
		}
		return scanJoinRequest(tx.queryRow(ctx, pendingJoinRequestSQL, org.ID, u.ID))
	}
	return r, tx.record(ctx, invited.EventJoinRequestCreated, invited.ResourceJoinRequest, joinRequestTarget(r))
}

// CreateJoinRequest files the calling user's own request. It needs a
// person: a user access token, or a key acting for a user.
func (db *DB) CreateJoinRequest(ctx context.Context, orgID string, c invited.JoinRequestCreate) (*invited.JoinRequest, error) {
	a := invited.ActorFromContext(ctx)
	if !a.IsUser() {
		return nil, invited.Errorf(invited.EFORBIDDEN, "a join request is made by the person who wants to join: use a user access token, or a key acting for the user")
	}
	acceptor, err := acceptorFor(a, invited.Acceptor{})
	if err != nil {
		return nil, err
	}
	var r *invited.JoinRequest
	err = db.writeTx(ctx, func(tx *Tx) error {
		org, roles, err := tx.orgWithRoles(ctx, orgID)
		if err != nil {
			return err
		}
		u, err := tx.acceptingUser(ctx, acceptor)
		if err != nil {
			return err
		}
		if err := tx.notMember(ctx, orgID, u.ID); err != nil {
			return err
		}
		f := invited.FieldErrors{}
		granted := org.Settings.ResolveRoles(f, "roles", nil, roles.exists)
		if err := f.Err(); err != nil {
			return err
		}
		r, err = tx.fileJoinRequest(acceptorContext(ctx, a, u), org, u, invited.JoinViaUser, "", "", granted, c.Message)
		return err
	})
	return r, err
}

// FindJoinRequests lists the requests of f.OrgID (of every organization
// where the actor holds members:manage when empty), newest first.
func (db *DB) FindJoinRequests(ctx context.Context, f invited.JoinRequestFilter) ([]*invited.JoinRequest, string, error) {
	if err := checkStatus(f.Status, invited.JoinRequestStatuses); err != nil {
		return nil, "", err
	}
	return findManaged(ctx, db, f.OrgID, invited.PermMembersManage, f.Page, invited.PrefixJoinRequest,
		func(tx *Tx, orgIDs []string, k keyset) ([]*invited.JoinRequest, error) {
			query, args := joinRequestListQuery(orgIDs, f, k, tx.now)
			requests, err := queryList(ctx, tx, scanJoinRequest, query, args...)
			for _, r := range requests {
				r.Status = r.StatusAt(tx.now)
			}
			return requests, err
		}, func(r *invited.JoinRequest) string { return r.ID })
}

// joinRequestListQuery builds the list query of the requests of orgIDs
// (nil for all) under a valid filter; the status filter honours read-time
// expiry.
func joinRequestListQuery(orgIDs []string, f invited.JoinRequestFilter, k keyset, now time.Time) (string, []any) {
	var w where
	if orgIDs != nil {
		w.in("jr.org_id", orgIDs)
	}
	w.statusAt("jr", string(invited.JoinRequestPending), string(f.Status), now)
	tail := k.seek(&w, "jr.id")
	return `SELECT ` + joinRequestColumns + joinRequestsFrom + w.String() + tail, w.args
}

// FindJoinRequestByID returns a request of an organization where the actor
// holds members:manage.
func (db *DB) FindJoinRequestByID(ctx context.Context, id string) (*invited.JoinRequest, error) {
	a := invited.ActorFromContext(ctx)
	var r *invited.JoinRequest
	err := db.readTx(ctx, func(tx *Tx) (err error) {
		if r, err = scanJoinRequest(tx.queryRow(ctx, joinRequestByIDSQL, id)); err != nil {
			return notFound(err, "join request")
		}
		if !a.Can(r.OrgID, invited.PermMembersManage) {
			return errNotFound("join request")
		}
		r.Status = r.StatusAt(tx.now)
		return nil
	})
	return r, err
}

// DecideJoinRequest approves or denies request id; it needs members:manage,
// and an approval grants only roles the approver may grant. The requester
// is told the decision by email (or text message, without an address).
func (db *DB) DecideJoinRequest(ctx context.Context, id string, action invited.Action, d invited.JoinDecision) (*invited.JoinRequest, *invited.Membership, error) {
	if action != invited.ActionApprove && action != invited.ActionDeny {
		return nil, nil, invited.Errorf(invited.EINVALID, "a join request is approved or denied, not %s", action)
	}
	a := invited.ActorFromContext(ctx)
	var r *invited.JoinRequest
	var m *invited.Membership
	err := db.writeTx(ctx, func(tx *Tx) (err error) {
		if r, err = scanJoinRequest(tx.queryRow(ctx, joinRequestByIDSQL+tx.lock("FOR UPDATE OF jr"), id)); err != nil {
			return notFound(err, "join request")
		}
		if !a.CanSee(r.OrgID) {
			return errNotFound("join request")
		}
		if err := a.Authorize(r.OrgID, invited.PermMembersManage); err != nil {
			return err
		}
		org, roles, err := tx.orgWithRoles(ctx, r.OrgID)
		if err != nil {
			return err
		}
		if err := r.Decide(action, d, inviterOf(a), tx.now); err != nil {
			return err
		}
		event, kind := invited.EventJoinRequestDenied, invited.KindJoinDenied
		if action == invited.ActionApprove {
			event, kind = invited.EventJoinRequestApproved, invited.KindJoinApproved
			if m, err = tx.admit(ctx, a, r, roles); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, updateJoinRequestSQL, r.Status, jsonText(r.Roles), r.DecisionNote, nullText(r.DecidedBy.UserID),
			nullText(r.DecidedBy.APIKeyID), r.DecidedBy.Name, ms(r.UpdatedAt), nullMS(r.ApprovedAt), nullMS(r.DeniedAt), r.ID); err != nil {
			return err
		}
		if err := tx.record(ctx, event, invited.ResourceJoinRequest, joinRequestTarget(r)); err != nil {
			return err
		}
		return tx.enqueue(ctx, tx.decisionLetter(ctx, r, org, kind))
	})
	if err != nil {
		return nil, nil, err
	}
	return r, m, nil
}

// admit makes the membership an approval of r grants, once a may grant its
// roles.
func (tx *Tx) admit(ctx context.Context, a *invited.Actor, r *invited.JoinRequest, roles roleSet) (*invited.Membership, error) {
	for _, name := range r.Roles {
		if !roles.exists(name) {
			return nil, invited.FieldErrors{"roles": invited.Problemf("unknown_role", "role", name)}.Err()
		}
	}
	if err := a.MayGrant(r.OrgID, roles.permissions(r.Roles)); err != nil {
		return nil, err
	}
	m, joined, err := tx.join(ctx, r.OrgID, r.UserID, r.Roles)
	if err != nil {
		return nil, err
	}
	event := invited.EventMembershipUpdated
	if joined {
		event = invited.EventMembershipCreated
	}
	return m, tx.record(ctx, event, invited.ResourceMembership, target{r.UserID, r.OrgID, m})
}

// decisionLetter tells the requester of r the decision of kind, by email,
// else by text message; none when they have neither.
func (tx *Tx) decisionLetter(ctx context.Context, r *invited.JoinRequest, org *invited.Organization, kind string) []*invited.Message {
	to, channel := r.Requester.Email, invited.ChannelEmail
	if to == "" {
		u, err := tx.userBy(ctx, "id", r.UserID)
		if err != nil || u.Phone == "" {
			return nil
		}
		to, channel = u.Phone, invited.ChannelSMS
	}
	m := tx.newMessage(channel, kind, r.OrgID, to, tx.now)
	m.Letter = &invited.Letter{Kind: kind, To: to, ToName: r.Requester.Name, Organization: org.DisplayName(),
		Roles: r.Roles, Note: r.DecisionNote, Locale: org.Settings.DefaultLocale}
	if kind == invited.KindJoinDenied {
		m.Letter.Roles = nil
	}
	return []*invited.Message{m}
}

// joinRequestsExpiring is how the sweeper expires join requests.
var joinRequestsExpiring = expiring[*invited.JoinRequest]{
	table: "join_requests", live: string(invited.JoinRequestPending), resource: invited.ResourceJoinRequest,
	event: invited.EventJoinRequestExpired, list: `SELECT ` + joinRequestColumns + joinRequestsFrom, idCol: "jr.id",
	scan: scanJoinRequest, target: joinRequestTarget,
}

// ExpireJoinRequests persists the expiry of up to limit overdue requests
// and records a join_request.expired event, without an actor, for each.
func (db *DB) ExpireJoinRequests(ctx context.Context, limit int) (int, error) {
	return expireDue(ctx, db, joinRequestsExpiring, limit)
}
