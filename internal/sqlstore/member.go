package sqlstore

import (
	"context"
	"slices"

	"github.com/invitedhq/invited"
)

const memberColumns = `m.org_id, m.user_id, m.roles, m.created_at, m.updated_at, ` + userColumns

func scanMember(s scanner) (*invited.Member, error) {
	m := &invited.Member{User: &invited.User{}}
	dest := append([]any{&m.OrgID, &m.UserID, jsonCol{&m.Roles}, timeCol{&m.CreatedAt}, timeCol{&m.UpdatedAt}}, userDest(m.User)...)
	return m, s.Scan(dest...)
}

// FindMembers needs members:read.
func (db *DB) FindMembers(ctx context.Context, f invited.MemberFilter) ([]*invited.Member, string, error) {
	if err := invited.ActorFromContext(ctx).Authorize(f.OrgID, invited.PermMembersRead); err != nil {
		return nil, "", err
	}
	k, err := newKeyset(f.Page, invited.PrefixUser)
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("m.org_id = ?", f.OrgID)
	tail := k.seek(&w, "m.user_id")
	var members []*invited.Member
	err = db.readTx(ctx, func(tx *Tx) (err error) {
		if _, err := tx.organization(ctx, f.OrgID); err != nil {
			return err // an admin may name any organization
		}
		members, err = queryList(ctx, tx, scanMember,
			`SELECT `+memberColumns+` FROM memberships m JOIN users u ON u.id = m.user_id`+w.String()+tail, w.args...)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	members, next := page(k, members, func(m *invited.Member) string { return m.UserID })
	return members, next, nil
}

// FindMember returns one member; needs members:read, unless the user asks
// for their own membership, which any role lets them see (guest too).
func (db *DB) FindMember(ctx context.Context, orgID, userID string) (*invited.Member, error) {
	if a := invited.ActorFromContext(ctx); a.UserID() != userID || !a.CanSee(orgID) {
		if err := a.Authorize(orgID, invited.PermMembersRead); err != nil {
			return nil, err
		}
	}
	var m *invited.Member
	err := db.readTx(ctx, func(tx *Tx) (err error) {
		m, err = tx.member(ctx, orgID, userID)
		return err
	})
	return m, err
}

// UpdateMember replaces a member's roles; needs members:manage.
func (db *DB) UpdateMember(ctx context.Context, orgID, userID string, u invited.MemberUpdate) (*invited.Member, error) {
	if err := invited.ActorFromContext(ctx).Authorize(orgID, invited.PermMembersManage); err != nil {
		return nil, err
	}
	var m *invited.Member
	err := db.writeTx(ctx, func(tx *Tx) error {
		if err := tx.lockOrganization(ctx, orgID); err != nil {
			return err
		}
		rs, err := tx.orgRoles(ctx, orgID)
		if err != nil {
			return err
		}
		f := invited.FieldErrors{}
		invited.CheckRoles(f, "roles", u.Roles, rs.exists)
		if err := f.Err(); err != nil {
			return err
		}
		if err := invited.ActorFromContext(ctx).MayGrant(orgID, rs.permissions(u.Roles)); err != nil {
			return err
		}
		if m, err = tx.member(ctx, orgID, userID); err != nil {
			return err
		}
		roles := invited.MergeRoles(u.Roles, nil)
		if err := tx.keepAnOwner(ctx, m, roles); err != nil {
			return err
		}
		m.Roles = roles
		if err := tx.setRoles(ctx, &m.Membership); err != nil {
			return err
		}
		return tx.record(ctx, invited.EventMembershipUpdated, invited.ResourceMembership, target{userID, orgID, &m.Membership})
	})
	return m, err
}

// DeleteMember needs members:manage.
func (db *DB) DeleteMember(ctx context.Context, orgID, userID string) error {
	if err := invited.ActorFromContext(ctx).Authorize(orgID, invited.PermMembersManage); err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx *Tx) error {
		if err := tx.lockOrganization(ctx, orgID); err != nil {
			return err
		}
		m, err := tx.member(ctx, orgID, userID)
		if err != nil {
			return err
		}
		if err := tx.keepAnOwner(ctx, m, nil); err != nil {
			return err
		}
		if _, err = tx.exec(ctx, `DELETE FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID); err != nil {
			return err
		}
		return tx.record(ctx, invited.EventMembershipDeleted, invited.ResourceMembership, target{userID, orgID, &m.Membership})
	})
}

func (tx *Tx) member(ctx context.Context, orgID, userID string) (*invited.Member, error) {
	m, err := scanMember(tx.queryRow(ctx, `SELECT `+memberColumns+` FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? AND m.user_id = ?`, orgID, userID))
	return m, notFound(err, "member")
}

// notMember refuses, with already_member, a person who is a member of
// orgID already: they ask to join, and have nothing to ask for.
func (tx *Tx) notMember(ctx context.Context, orgID, userID string) error {
	_, err := tx.member(ctx, orgID, userID)
	switch {
	case err == nil:
		return invited.Errorf(invited.EALREADYMEMBER, "you are a member of this organization already")
	case isNotFound(err):
		return nil
	}
	return err
}

// setRoles stores m's roles as of now.
func (tx *Tx) setRoles(ctx context.Context, m *invited.Membership) error {
	m.UpdatedAt = tx.now
	_, err := tx.exec(ctx, `UPDATE memberships SET roles = ?, updated_at = ? WHERE org_id = ? AND user_id = ?`,
		jsonText(m.Roles), ms(m.UpdatedAt), m.OrgID, m.UserID)
	return err
}

// otherOwnerSQL matches the owner role inside the JSON text of roles. The
// match is exact: role names cannot contain quotes, so "owner" in quotes is
// that one element and nothing else.
const otherOwnerSQL = `SELECT EXISTS (SELECT 1 FROM memberships
WHERE org_id = ? AND user_id <> ? AND roles LIKE '%"owner"%')`

// keepAnOwner refuses to leave the organization of m without an owner when
// m's roles become roles. The caller holds the organization's lock, so that
// two owners demoting each other at once cannot both succeed.
func (tx *Tx) keepAnOwner(ctx context.Context, m *invited.Member, roles []string) error {
	if !slices.Contains(m.Roles, invited.RoleOwner) || slices.Contains(roles, invited.RoleOwner) {
		return nil
	}
	var other bool
	if err := tx.queryRow(ctx, otherOwnerSQL, m.OrgID, m.UserID).Scan(&other); err != nil {
		return err
	}
	if !other {
		return invited.Errorf(invited.EINVALIDSTATE, "an organization keeps at least one owner: make someone else owner first")
	}
	return nil
}
