package sqlstore

import (
	"context"
	"slices"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/freemail"
)

// Verified domains (issue 15): an organization's claims to email domains
// and joining through them. The store makes no DNS query: the transport
// looks the challenge record up (internal/dnsverify) and the store records
// the outcome (MarkDomainVerified), so that no transaction waits on the
// network. One domain is verified by at most one organization: a partial
// unique index on the verified rows decides between two at once.

const domainColumns = `d.id, d.org_id, d.domain, d.status, d.policy, d.roles, d.allow_privileged, d.token,
d.verification_method, d.created_by_user_id, d.created_by_api_key_id, d.created_by_name, d.created_at, d.updated_at,
d.verified_at`

func scanDomain(s scanner) (*invited.Domain, error) {
	d := &invited.Domain{}
	return d, s.Scan(&d.ID, &d.OrgID, &d.Name, &d.Status, &d.Policy, jsonCol{&d.Roles}, &d.AllowPrivileged, &d.Token,
		&d.VerificationMethod, textCol{&d.CreatedBy.UserID}, textCol{&d.CreatedBy.APIKeyID}, &d.CreatedBy.Name,
		timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt}, nullTimeCol{&d.VerifiedAt})
}

// domainTarget is d as the target of an event.
func domainTarget(d *invited.Domain) target { return target{d.ID, d.OrgID, d} }

const (
	// insertDomainSQL claims a domain unless the organization has.
	insertDomainSQL = `INSERT INTO domains (id, org_id, domain, status, policy, roles, allow_privileged, token,
	created_by_user_id, created_by_api_key_id, created_by_name, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, domain) DO NOTHING`

	claimedDomainSQL = `SELECT d.id FROM domains d WHERE d.org_id = ? AND d.domain = ?`

	domainByIDSQL = `SELECT ` + domainColumns + ` FROM domains d WHERE d.id = ?`

	updateDomainSQL = `UPDATE domains SET status = ?, policy = ?, roles = ?, allow_privileged = ?, verification_method = ?,
	updated_at = ?, verified_at = ? WHERE id = ?`

	deleteDomainSQL = `DELETE FROM domains WHERE id = ?`

	// verifiedDomainSQL is the verified claim to a domain, if orgID's.
	verifiedDomainSQL = `SELECT ` + domainColumns + ` FROM domains d WHERE d.domain = ? AND d.status = 'verified' AND d.org_id = ?`

	// joinableOrgsSQL lists the organization that verified a domain, when
	// its policy lists it and the user is not a member; its arguments are
	// the domain and the user's id ("" for someone not stored yet).
	joinableOrgsSQL = `SELECT ` + orgColumns + `, d.domain, d.policy FROM domains d JOIN organizations o ON o.id = d.org_id
WHERE d.domain = ? AND d.status = 'verified' AND d.policy <> 'off'
AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = d.org_id AND m.user_id = ?)`
)

// CreateDomain claims a domain for orgID: org:manage, and roles the
// creator may grant. A second claim to the same domain by the same
// organization is a conflict naming the first.
func (db *DB) CreateDomain(ctx context.Context, orgID string, c invited.DomainCreate) (*invited.Domain, error) {
	a := invited.ActorFromContext(ctx)
	if err := a.Authorize(orgID, invited.PermOrgManage); err != nil {
		return nil, err
	}
	var d *invited.Domain
	err := db.writeTx(ctx, func(tx *Tx) error {
		org, roles, err := tx.orgWithRoles(ctx, orgID)
		if err != nil {
			return err
		}
		if d, err = invited.NewDomain(c, org, freemail.Blocked, roles.exists, roles.permissions, inviterOf(a), tx.now); err != nil {
			return err
		}
		if err := a.MayGrant(orgID, roles.permissions(d.Roles)); err != nil {
			return err
		}
		res, err := tx.exec(ctx, insertDomainSQL, d.ID, d.OrgID, d.Name, d.Status, d.Policy, jsonText(d.Roles), d.AllowPrivileged,
			d.Token, nullText(d.CreatedBy.UserID), nullText(d.CreatedBy.APIKeyID), d.CreatedBy.Name, ms(d.CreatedAt), ms(d.UpdatedAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			var existing string
			if err := tx.queryRow(ctx, claimedDomainSQL, orgID, d.Name).Scan(&existing); err != nil {
				return err
			}
			return &invited.Error{Code: invited.ECONFLICT, Message: "the organization has claimed " + d.Name + " already", ExistingID: existing}
		}
		return tx.record(ctx, invited.EventDomainCreated, invited.ResourceDomain, domainTarget(d))
	})
	return d, err
}

// FindDomains lists the domains of f.OrgID (of every organization where
// the actor holds org:manage when empty), newest first.
func (db *DB) FindDomains(ctx context.Context, f invited.DomainFilter) ([]*invited.Domain, string, error) {
	if err := checkStatus(f.Status, invited.DomainStatuses); err != nil {
		return nil, "", err
	}
	return findManaged(ctx, db, f.OrgID, invited.PermOrgManage, f.Page, invited.PrefixDomain,
		func(tx *Tx, orgIDs []string, k keyset) ([]*invited.Domain, error) {
			query, args := domainListQuery(orgIDs, f.Status, k)
			return queryList(ctx, tx, scanDomain, query, args...)
		}, func(d *invited.Domain) string { return d.ID })
}

// domainListQuery builds the list query of the domains of orgIDs (nil for
// all) in status ("" for any).
func domainListQuery(orgIDs []string, status invited.DomainStatus, k keyset) (string, []any) {
	var w where
	if orgIDs != nil {
		w.in("d.org_id", orgIDs)
	}
	if status != "" {
		w.add("d.status = ?", status)
	}
	tail := k.seek(&w, "d.id")
	return `SELECT ` + domainColumns + ` FROM domains d` + w.String() + tail, w.args
}

// FindDomainByID returns a domain of an organization where the actor
// holds org:manage.
func (db *DB) FindDomainByID(ctx context.Context, id string) (*invited.Domain, error) {
	var d *invited.Domain
	err := db.readTx(ctx, func(tx *Tx) (err error) {
		d, err = tx.managedDomain(ctx, id, false)
		return err
	})
	return d, err
}

// managedDomain reads domain id for the actor of ctx, who needs org:manage
// in its organization: not_found when they cannot see it, forbidden when
// they see it without the permission. lock holds the row until the
// transaction ends.
func (tx *Tx) managedDomain(ctx context.Context, id string, lock bool) (*invited.Domain, error) {
	query := domainByIDSQL
	if lock {
		query += tx.lock("FOR UPDATE")
	}
	d, err := scanDomain(tx.queryRow(ctx, query, id))
	if err != nil {
		return nil, notFound(err, "domain")
	}
	a := invited.ActorFromContext(ctx)
	if !a.CanSee(d.OrgID) {
		return nil, errNotFound("domain")
	}
	return d, a.Authorize(d.OrgID, invited.PermOrgManage)
}

// UpdateDomain changes a domain's policy, roles or consent: org:manage,
// and roles the caller may grant.
func (db *DB) UpdateDomain(ctx context.Context, id string, u invited.DomainUpdate) (*invited.Domain, error) {
	a := invited.ActorFromContext(ctx)
	var d *invited.Domain
	err := db.writeTx(ctx, func(tx *Tx) (err error) {
		if d, err = tx.managedDomain(ctx, id, true); err != nil {
			return err
		}
		org, roles, err := tx.orgWithRoles(ctx, d.OrgID)
		if err != nil {
			return err
		}
		if err := d.Update(u, org, roles.exists, roles.permissions, tx.now); err != nil {
			return err
		}
		if err := a.MayGrant(d.OrgID, roles.permissions(d.Roles)); err != nil {
			return err
		}
		return tx.saveDomain(ctx, d, invited.EventDomainUpdated)
	})
	return d, err
}

// saveDomain writes d, locked, after a change and records it as event.
func (tx *Tx) saveDomain(ctx context.Context, d *invited.Domain, event string) error {
	if _, err := tx.exec(ctx, updateDomainSQL, d.Status, d.Policy, jsonText(d.Roles), d.AllowPrivileged, d.VerificationMethod,
		ms(d.UpdatedAt), nullMS(d.VerifiedAt), d.ID); err != nil {
		return err
	}
	return tx.record(ctx, event, invited.ResourceDomain, domainTarget(d))
}

// DeleteDomain withdraws a claim, verified or not: org:manage. A verified
// domain is free for another organization to verify from then on.
func (db *DB) DeleteDomain(ctx context.Context, id string) error {
	return db.writeTx(ctx, func(tx *Tx) error {
		d, err := tx.managedDomain(ctx, id, true)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, deleteDomainSQL, id); err != nil {
			return err
		}
		return tx.record(ctx, invited.EventDomainDeleted, invited.ResourceDomain, domainTarget(d))
	})
}

// MarkDomainVerified records the verification of domain id by method.
// VerifyDNS needs org:manage and trusts that the caller found the record;
// VerifyAdmin needs an admin key. When another organization has verified
// the domain, the unique index refuses the write: a conflict.
func (db *DB) MarkDomainVerified(ctx context.Context, id, method string) (*invited.Domain, error) {
	a := invited.ActorFromContext(ctx)
	if !slices.Contains(invited.DomainVerifyMethods, method) {
		return nil, invited.FieldErrors{"method": invited.Problemf("verify_method")}.Err()
	}
	var d *invited.Domain
	err := db.writeTx(ctx, func(tx *Tx) (err error) {
		if d, err = tx.managedDomain(ctx, id, true); err != nil {
			return err
		}
		if method == invited.VerifyAdmin && !a.Admin {
			return invited.Errorf(invited.EFORBIDDEN, "only a system admin key marks a domain verified without DNS")
		}
		if err := d.Verify(method, tx.now); err != nil {
			return err
		}
		err = tx.savepoint(ctx, func() error { return tx.saveDomain(ctx, d, invited.EventDomainVerified) })
		if tx.db.dialect.uniqueViolation(err) {
			return invited.Errorf(invited.ECONFLICT, "%s is verified by another organization already", d.Name)
		}
		return err
	})
	return d, err
}

// JoinableOrgs lists what the calling user's verified address opens: at
// most one organization, as a domain is verified by one, and for an
// organization key acting for the user only its own.
func (db *DB) JoinableOrgs(ctx context.Context) ([]*invited.JoinableOrg, error) {
	a := invited.ActorFromContext(ctx)
	acceptor, err := domainJoiner(a)
	if err != nil || acceptor.Email == "" {
		return []*invited.JoinableOrg{}, err
	}
	var orgs []*invited.JoinableOrg
	err = db.readTx(ctx, func(tx *Tx) (err error) {
		orgs, err = queryList(ctx, tx, func(s scanner) (*invited.JoinableOrg, error) {
			j, o := &invited.JoinableOrg{}, &invited.Organization{}
			err := s.Scan(append(orgDest(o), &j.Domain, &j.Policy)...)
			j.Organization.ID, j.Organization.Name = o.ID, o.DisplayName()
			return j, err
		}, joinableOrgsSQL, invited.EmailDomain(acceptor.Email), acceptor.ID)
		return err
	})
	return slices.DeleteFunc(orgs, func(o *invited.JoinableOrg) bool { return !keyReaches(a, o.Organization.ID) }), err
}

// domainJoiner is who joins through a domain: the calling person, with
// their address only when it is verified (acceptorFor), or "" when not.
func domainJoiner(a *invited.Actor) (invited.Acceptor, error) {
	if !a.IsUser() {
		return invited.Acceptor{}, invited.Errorf(invited.EFORBIDDEN,
			"joining through a verified domain is for the person who joins: use a user access token, or a key acting for the user")
	}
	return acceptorFor(a, invited.Acceptor{})
}

// JoinByDomain joins orgID through the verified domain of the caller's
// verified address, by its policy.
func (db *DB) JoinByDomain(ctx context.Context, orgID string, c invited.JoinRequestCreate) (*invited.DomainJoin, error) {
	a := invited.ActorFromContext(ctx)
	acceptor, err := domainJoiner(a)
	if err != nil {
		return nil, err
	}
	if acceptor.Email == "" {
		return nil, invited.Errorf(invited.EFORBIDDEN, "joining through a verified domain needs a verified email address")
	}
	if !keyReaches(a, orgID) {
		return nil, errNotFound("organization")
	}
	var out *invited.DomainJoin
	err = db.writeTx(ctx, func(tx *Tx) error {
		org, err := tx.organization(ctx, orgID)
		if err != nil {
			return err
		}
		// An organization that did not verify the caller's domain is none
		// of theirs to know about.
		d, err := scanDomain(tx.queryRow(ctx, verifiedDomainSQL, invited.EmailDomain(acceptor.Email), orgID))
		if err != nil {
			return notFound(err, "organization")
		}
		u, err := tx.acceptingUser(ctx, acceptor)
		if err != nil {
			return err
		}
		if err := tx.notMember(ctx, orgID, u.ID); err != nil {
			return err
		}
		if !org.Settings.EmailDomainAllowed(u.Email) {
			return invited.Errorf(invited.EDOMAINNOTALLOWED, "the organization admits no addresses at %s", d.Name)
		}
		actx := acceptorContext(ctx, a, u)
		out = &invited.DomainJoin{User: u}
		switch d.Policy {
		case invited.DomainAuto:
			m, joined, err := tx.join(ctx, orgID, u.ID, d.Roles)
			if err != nil {
				return err
			}
			out.Membership, out.Joined = m, true
			event := invited.EventMembershipUpdated // they joined by another way meanwhile
			if joined {
				event = invited.EventMembershipCreated
			}
			return tx.record(actx, event, invited.ResourceMembership, target{u.ID, orgID, m})
		case invited.DomainRequest:
			out.Request, err = tx.fileJoinRequest(actx, org, u, invited.JoinViaDomain, "", d.Name, d.Roles, c.Message)
			return err
		case invited.DomainSuggest:
			return invited.Errorf(invited.EFORBIDDEN, "%s does not let people join through %s: ask its admins for an invitation, or send a join request", org.DisplayName(), d.Name)
		}
		return invited.Errorf(invited.EFORBIDDEN, "%s does not let people join through %s: ask its admins for an invitation", org.DisplayName(), d.Name)
	})
	return out, err
}
