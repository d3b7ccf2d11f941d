package sqlstore

import (
	"context"
	"slices"

	"github.com/invitedhq/invited"
)

const userColumns = `u.id, u.external_id, u.email, u.email_verified, u.phone, u.name, u.created_at, u.updated_at`

func userDest(u *invited.User) []any {
	return []any{&u.ID, textCol{&u.ExternalID}, textCol{&u.Email}, &u.EmailVerified, textCol{&u.Phone}, &u.Name,
		timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}}
}

// userBy finds the user whose column col (id, external_id or email: all
// unique) equals val.
func (tx *Tx) userBy(ctx context.Context, col, val string) (*invited.User, error) {
	u := &invited.User{}
	err := tx.queryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.`+col+` = ?`, val).Scan(userDest(u)...)
	return u, notFound(err, "user")
}

// acceptingUser finds the user an acceptor describes, by id, else external
// id, else email, or creates them: accepting is the only way users come to
// exist, so that nobody is stored merely for having been invited.
func (tx *Tx) acceptingUser(ctx context.Context, a invited.Acceptor) (*invited.User, error) {
	if a.ID == "" && (a.ExternalID != "" || a.Email != "") && tx.db.dialect.fuseWrites {
		return tx.upsertAcceptor(ctx, a)
	}
	u, err := tx.findAcceptor(ctx, a)
	if !isNotFound(err) {
		return u, err
	}
	u, err = tx.insertAcceptor(ctx, a)
	if err != nil || u != nil {
		return u, err
	}
	// The same person accepted another invitation at the same moment
	// (into another organization, or into a busy one). The insert skips
	// their row only once that transaction committed, so the user is now
	// visible.
	return tx.findAcceptor(ctx, a)
}

// newAcceptor is the user a stores as, created now.
func (tx *Tx) newAcceptor(a invited.Acceptor) *invited.User {
	return &invited.User{
		ID:            invited.NewID(invited.PrefixUser, tx.now),
		ExternalID:    a.ExternalID,
		Email:         a.Email,
		EmailVerified: a.Email != "" && a.EmailVerified,
		Phone:         a.Phone,
		Name:          a.Name,
		CreatedAt:     tx.now,
		UpdatedAt:     tx.now,
	}
}

// insertUserSQL stores a new user unless one has its external id or email
// address already.
const insertUserSQL = `INSERT INTO users (id, external_id, email, email_verified, phone, name, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`

func userArgs(u *invited.User) []any {
	return []any{u.ID, nullText(u.ExternalID), nullText(u.Email), u.EmailVerified, nullText(u.Phone), u.Name,
		ms(u.CreatedAt), ms(u.UpdatedAt)}
}

// insertAcceptor stores a new user for a, or returns nil when someone has
// a's external id or email address already.
func (tx *Tx) insertAcceptor(ctx context.Context, a invited.Acceptor) (*invited.User, error) {
	u := tx.newAcceptor(a)
	res, err := tx.exec(ctx, insertUserSQL, userArgs(u)...)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return nil, err
	}
	return u, nil
}

// upsertAcceptor is acceptingUser in one statement where writes can be
// WITH clauses: it stores a new user, or, when someone has a's external
// id or email address, reads who (as findAcceptor, whose choice it
// makes). The read does not see a user inserted by a transaction that
// committed while the insert waited for it; then findAcceptor reads again.
func (tx *Tx) upsertAcceptor(ctx context.Context, a invited.Acceptor) (*invited.User, error) {
	u := tx.newAcceptor(a)
	rows, err := tx.query(ctx, `WITH u AS (`+insertUserSQL+` RETURNING *)
	SELECT true, `+userColumns+` FROM u
	UNION ALL SELECT false, `+userColumns+acceptorMatchesSQL,
		append(userArgs(u), nullText(a.ExternalID), nullText(a.Email))...)
	users, err := scanList(rows, err, func(s scanner) (*invited.User, error) {
		var inserted bool
		found := &invited.User{}
		err := s.Scan(append([]any{&inserted}, userDest(found)...)...)
		if inserted {
			return u, err // as stored
		}
		return found, err
	})
	switch {
	case err != nil:
		return nil, err
	case len(users) == 0:
		return tx.findAcceptor(ctx, a)
	case users[0] == u:
		return u, nil
	}
	return tx.matchAcceptor(ctx, users, a)
}

// acceptorMatchesSQL ends a read of the users an acceptor may be: the user
// of its external id and the user of its email address. Its arguments are
// the two.
const acceptorMatchesSQL = ` FROM users u WHERE u.external_id = ? OR u.email = ?`

// matchAcceptor completes the one of users, as acceptorMatchesSQL read
// them, that a is: the user of its external id if there is one, else the
// user of its email address.
func (tx *Tx) matchAcceptor(ctx context.Context, users []*invited.User, a invited.Acceptor) (*invited.User, error) {
	i := slices.IndexFunc(users, func(u *invited.User) bool { return a.ExternalID != "" && u.ExternalID == a.ExternalID })
	return tx.completeUser(ctx, users[max(i, 0)], a)
}

// findAcceptor finds an existing user for a and completes what is stored
// about them, or answers not_found.
func (tx *Tx) findAcceptor(ctx context.Context, a invited.Acceptor) (*invited.User, error) {
	if a.ID != "" {
		u, err := tx.userBy(ctx, "id", a.ID)
		if isNotFound(err) {
			// Ids are ours to give: an unknown one cannot name a new user.
			return nil, invited.FieldErrors{"user.id": invited.Problemf("no_such_user")}.Errorf(invited.EINVALID, "no such user")
		}
		if err != nil {
			return nil, err
		}
		return tx.completeUser(ctx, u, a)
	}
	if a.ExternalID == "" && a.Email == "" {
		return nil, invited.Errorf(invited.ENOTFOUND, "user not found")
	}
	// One query for both: the user of the external id if there is one,
	// else the user of the email address.
	users, err := queryList(ctx, tx, func(s scanner) (*invited.User, error) {
		u := &invited.User{}
		return u, s.Scan(userDest(u)...)
	}, `SELECT `+userColumns+acceptorMatchesSQL, nullText(a.ExternalID), nullText(a.Email))
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, invited.Errorf(invited.ENOTFOUND, "user not found")
	}
	return tx.matchAcceptor(ctx, users, a)
}

// completeUser fills in what a stored user lacks from what the acceptor
// vouches for, so that someone first known by phone can later accept an
// invitation sent to their email. It never overwrites what is stored.
func (tx *Tx) completeUser(ctx context.Context, u *invited.User, a invited.Acceptor) (*invited.User, error) {
	if a.ExternalID != "" && u.ExternalID != "" && a.ExternalID != u.ExternalID {
		return nil, invited.Errorf(invited.ECONFLICT, "this email address belongs to another user")
	}
	changed := false
	fill := func(dst *string, src string) {
		if *dst == "" && src != "" {
			*dst, changed = src, true
		}
	}
	fill(&u.ExternalID, a.ExternalID)
	fill(&u.Email, a.Email)
	fill(&u.Phone, a.Phone)
	fill(&u.Name, a.Name)
	if a.EmailVerified && a.Email != "" && a.Email == u.Email && !u.EmailVerified {
		u.EmailVerified, changed = true, true
	}
	if !changed {
		return u, nil
	}
	u.UpdatedAt = tx.now
	_, err := tx.exec(ctx, `UPDATE users SET external_id = ?, email = ?, email_verified = ?, phone = ?, name = ?, updated_at = ? WHERE id = ?`,
		nullText(u.ExternalID), nullText(u.Email), u.EmailVerified, nullText(u.Phone), u.Name, ms(u.UpdatedAt), u.ID)
	return u, tx.userConflict(err)
}

// userConflict turns a unique violation on users into the conflict it is:
// the email or external id is another user's.
func (tx *Tx) userConflict(err error) error {
	if tx.db.dialect.uniqueViolation(err) {
		return invited.Errorf(invited.ECONFLICT, "another user has this email address or external id")
	}
	return err
}

// grantsSQL reads a user's memberships together with every custom role of
// those organizations, in one query; built-in roles are resolved in Go.
const grantsSQL = `SELECT m.org_id, m.roles, r.name, r.permissions
FROM memberships m LEFT JOIN roles r ON r.org_id = m.org_id
WHERE m.user_id = ?`

// grants returns the user's permissions per organization. Every
// organization the user belongs to has an entry, even with no permission:
// membership alone makes an organization visible.
func (tx *Tx) grants(ctx context.Context, userID string) (map[string]invited.PermissionSet, error) {
	rows, err := tx.query(ctx, grantsSQL, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	held := map[string][]string{}
	roles := map[string]roleSet{}
	for rows.Next() {
		var orgID, custom string
		var names []string
		var perms []invited.Permission
		if err := rows.Scan(&orgID, jsonCol{&names}, textCol{&custom}, jsonCol{&perms}); err != nil {
			return nil, err
		}
		if roles[orgID] == nil {
			roles[orgID], held[orgID] = newRoleSet(), names
		}
		if custom != "" {
			roles[orgID][custom] = invited.NewPermissionSet(perms...)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	grants := make(map[string]invited.PermissionSet, len(roles))
	for orgID, rs := range roles {
		grants[orgID] = rs.permissions(held[orgID])
	}
	return grants, nil
}

// userActor is the actor of a known user, with their grants.
func (tx *Tx) userActor(ctx context.Context, u *invited.User) (*invited.Actor, error) {
	grants, err := tx.grants(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return &invited.Actor{User: u, Grants: grants}, nil
}
