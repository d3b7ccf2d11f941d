package sqlstore

import (
	"context"
	"slices"

	"github.com/invitedhq/invited"
)

const roleColumns = `r.id, r.org_id, r.name, r.description, r.permissions`

func scanRole(s scanner) (*invited.Role, error) {
	r := &invited.Role{}
	return r, s.Scan(&r.ID, &r.OrgID, &r.Name, &r.Description, jsonCol{&r.Permissions})
}

// FindRoles lists the built-in roles, then the organization's own. A
// custom role made before a built-in one of its name existed (guest) keeps
// its name and its permissions in its organization, as roleSet does: it is
// listed with the custom roles, and the built-in one not at all.
func (db *DB) FindRoles(ctx context.Context, orgID string) ([]*invited.Role, error) {
	if !invited.ActorFromContext(ctx).CanSee(orgID) {
		return nil, errNotFound("organization")
	}
	var customs []*invited.Role
	err := db.readTx(ctx, func(tx *Tx) error {
		if _, err := tx.organization(ctx, orgID); err != nil {
			return err
		}
		var err error
		customs, err = tx.customRoles(ctx, orgID)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]*invited.Role, 0, len(invited.BuiltInRoles)+len(customs))
	for _, r := range invited.BuiltInRoles {
		if slices.ContainsFunc(customs, func(c *invited.Role) bool { return c.Name == r.Name }) {
			continue
		}
		r.Permissions = slices.Clone(r.Permissions) // callers must not reach the shared definition
		out = append(out, &r)
	}
	return append(out, customs...), nil
}

// CreateRole needs roles:manage, and the role may hold no permission its
// creator could not grant (Actor.MayGrant).
func (db *DB) CreateRole(ctx context.Context, orgID string, c invited.RoleCreate) (*invited.Role, error) {
	a := invited.ActorFromContext(ctx)
	if err := a.Authorize(orgID, invited.PermRolesManage); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := a.MayGrant(orgID, invited.NewPermissionSet(c.Permissions...)); err != nil {
		return nil, err
	}
	var role *invited.Role
	err := db.writeTx(ctx, func(tx *Tx) error {
		if _, err := tx.organization(ctx, orgID); err != nil {
			return err
		}
		role = &invited.Role{
			ID:          invited.NewID(invited.PrefixRole, tx.now),
			OrgID:       orgID,
			Name:        c.Name,
			Description: c.Description,
			Permissions: invited.NewPermissionSet(c.Permissions...).List(),
		}
		_, err := tx.exec(ctx, `INSERT INTO roles (id, org_id, name, description, permissions, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			role.ID, role.OrgID, role.Name, role.Description, jsonText(role.Permissions), ms(tx.now))
		if db.dialect.uniqueViolation(err) {
			return invited.FieldErrors{"name": invited.Problemf("exists")}.Errorf(invited.ECONFLICT, "the organization has a role with this name")
		}
		if err != nil {
			return err
		}
		return tx.audit(ctx, "role.created", invited.ResourceRole, role.ID, orgID)
	})
	return role, err
}

func (tx *Tx) customRoles(ctx context.Context, orgID string) ([]*invited.Role, error) {
	return queryList(ctx, tx, scanRole, `SELECT `+roleColumns+` FROM roles r WHERE r.org_id = ? ORDER BY r.name`, orgID)
}

// roleSet maps the role names of one organization, built-in and custom, to
// their permissions.
type roleSet map[string]invited.PermissionSet

func newRoleSet() roleSet {
	rs := roleSet{}
	for _, r := range invited.BuiltInRoles {
		rs[r.Name] = invited.NewPermissionSet(r.Permissions...)
	}
	return rs
}

// orgRoles loads the roles of orgID once, for validating many names.
func (tx *Tx) orgRoles(ctx context.Context, orgID string) (roleSet, error) {
	customs, err := tx.customRoles(ctx, orgID)
	if err != nil {
		return nil, err
	}
	rs := newRoleSet()
	for _, r := range customs {
		rs[r.Name] = invited.NewPermissionSet(r.Permissions...)
	}
	return rs, nil
}

// orgWithRoles reads an organization and its roles in one statement, for
// a write that needs both (a create checks the roles it grants).
func (tx *Tx) orgWithRoles(ctx context.Context, id string) (*invited.Organization, roleSet, error) {
	rows, err := tx.query(ctx, `SELECT `+orgColumns+`, r.name, r.permissions FROM organizations o
	LEFT JOIN roles r ON r.org_id = o.id WHERE o.id = ?`, id)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var org *invited.Organization
	o, rs := &invited.Organization{}, newRoleSet()
	for rows.Next() {
		var name string
		var perms []invited.Permission
		if err := rows.Scan(append(orgDest(o), textCol{&name}, jsonCol{&perms})...); err != nil {
			return nil, nil, err
		}
		org = o
		if name != "" { // the organization has no custom role
			rs[name] = invited.NewPermissionSet(perms...)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if org == nil {
		return nil, nil, errNotFound("organization")
	}
	return org, rs, nil
}

func (rs roleSet) exists(name string) bool {
	_, ok := rs[name]
	return ok
}

// permissions is the union of the permissions of names.
func (rs roleSet) permissions(names []string) invited.PermissionSet {
	var s invited.PermissionSet
	for _, n := range names {
		s |= rs[n]
	}
	return s
}
