package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/invitedhq/invited"
)

const orgColumns = `o.id, o.name, o.slug, o.settings, o.created_at, o.updated_at`

// orgDest scans an organization row into o. Its settings are read over the
// defaults, so that a setting added since the row was written (such as
// default_roles) reads as its default.
func orgDest(o *invited.Organization) []any {
	o.Settings = invited.DefaultOrgSettings()
	return []any{&o.ID, &o.Name, &o.Slug, jsonCol{&o.Settings}, timeCol{&o.CreatedAt}, timeCol{&o.UpdatedAt}}
}

func scanOrganization(s scanner) (*invited.Organization, error) {
	o := &invited.Organization{}
	return o, s.Scan(orgDest(o)...)
}

// CreateOrganization needs an admin key.
func (db *DB) CreateOrganization(ctx context.Context, c invited.OrganizationCreate) (*invited.Organization, error) {
	if !invited.ActorFromContext(ctx).Admin {
		return nil, invited.Errorf(invited.EFORBIDDEN, "creating organizations needs an admin key")
	}
	var org *invited.Organization
	err := db.writeTx(ctx, func(tx *Tx) error {
		var err error
		if org, err = invited.NewOrganization(c, tx.now); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO organizations (id, name, slug, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			org.ID, org.Name, org.Slug, jsonText(org.Settings), ms(org.CreatedAt), ms(org.UpdatedAt))
		if db.dialect.uniqueViolation(err) {
			// The id is fresh, so the slug is what clashed.
			return invited.FieldErrors{"slug": invited.Problemf("taken")}.Errorf(invited.ECONFLICT, "an organization with this slug exists")
		}
		if err != nil {
			return err
		}
		return tx.audit(ctx, "organization.created", invited.ResourceOrganization, org.ID, org.ID)
	})
	return org, err
}

// FindOrganizationByID returns an organization the actor can see.
func (db *DB) FindOrganizationByID(ctx context.Context, id string) (*invited.Organization, error) {
	if !invited.ActorFromContext(ctx).CanSee(id) {
		return nil, errNotFound("organization")
	}
	var org *invited.Organization
	err := db.readTx(ctx, func(tx *Tx) (err error) {
		org, err = tx.organization(ctx, id)
		return err
	})
	return org, err
}

// FindOrganizations lists the organizations the actor can see.
func (db *DB) FindOrganizations(ctx context.Context, f invited.OrganizationFilter) ([]*invited.Organization, string, error) {
	k, err := newKeyset(f.Page, invited.PrefixOrganization)
	if err != nil {
		return nil, "", err
	}
	var w where
	ids, all := invited.ActorFromContext(ctx).VisibleOrgIDs()
	switch {
	case all:
	case len(ids) == 0:
		return []*invited.Organization{}, "", nil
	default:
		w.in("o.id", ids)
	}
	tail := k.seek(&w, "o.id")
	var orgs []*invited.Organization
	err = db.readTx(ctx, func(tx *Tx) (err error) {
		orgs, err = queryList(ctx, tx, scanOrganization, `SELECT `+orgColumns+` FROM organizations o`+w.String()+tail, w.args...)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	orgs, next := page(k, orgs, func(o *invited.Organization) string { return o.ID })
	return orgs, next, nil
}

// UpdateOrganization needs org:manage. Default roles must be roles of the
// organization.
func (db *DB) UpdateOrganization(ctx context.Context, id string, u invited.OrganizationUpdate) (*invited.Organization, error) {
	if err := invited.ActorFromContext(ctx).Authorize(id, invited.PermOrgManage); err != nil {
		return nil, err
	}
	var org *invited.Organization
	err := db.writeTx(ctx, func(tx *Tx) error {
		var roles roleSet
		var err error
		if org, roles, err = tx.orgWithRoles(ctx, id); err != nil {
			return err
		}
		if err := org.Apply(u, roles.exists, tx.now); err != nil {
			return err
		}
		if _, err = tx.exec(ctx, `UPDATE organizations SET name = ?, settings = ?, updated_at = ? WHERE id = ?`,
			org.Name, jsonText(org.Settings), ms(org.UpdatedAt), org.ID); err != nil {
			return err
		}
		return tx.audit(ctx, "organization.updated", invited.ResourceOrganization, org.ID, org.ID)
	})
	return org, err
}

func (tx *Tx) organization(ctx context.Context, id string) (*invited.Organization, error) {
	org, err := scanOrganization(tx.queryRow(ctx, `SELECT `+orgColumns+` FROM organizations o WHERE o.id = ?`, id))
	return org, notFound(err, "organization")
}

// lockOrganization makes the transactions that change who belongs to an
// organization, and with which roles, take turns where writers run side by
// side: "the first member becomes owner" and "an organization keeps an
// owner" read the memberships before they write them. NO KEY UPDATE is the
// weakest lock that excludes itself; unlike FOR UPDATE it does not hold up
// inserts that merely reference the organization (invitations, roles,
// keys), whose foreign-key checks take KEY SHARE.
func (tx *Tx) lockOrganization(ctx context.Context, id string) error {
	if !tx.db.dialect.rowLocks {
		return nil // write transactions take turns already
	}
	var locked string
	err := tx.queryRow(ctx, `SELECT id FROM organizations WHERE id = ? FOR NO KEY UPDATE`, id).Scan(&locked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // nothing to guard; what follows reports it missing
	}
	return err
}
