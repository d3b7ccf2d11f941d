package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/invitedhq/invited"
)

const invitationColumns = `i.id, i.org_id, i.status, i.email, i.phone, i.user_id, i.first_name, i.last_name, i.roles,
i.message, i.redirect_url, i.audience, i.metadata, i.channel, i.inviter_user_id, i.inviter_api_key_id, i.inviter_name,
i.created_at, i.updated_at, i.expires_at, i.sent_at, i.accepted_at, i.accepted_user_id, i.revoked_at, i.declined_at, i.locale`

func invitationDest(inv *invited.Invitation) []any {
	return []any{&inv.ID, &inv.OrgID, &inv.Status, textCol{&inv.Email}, textCol{&inv.Phone}, textCol{&inv.UserID},
		&inv.FirstName, &inv.LastName, jsonCol{&inv.Roles}, &inv.Message, &inv.RedirectURL, &inv.Audience,
		jsonCol{&inv.Metadata}, &inv.Channel, textCol{&inv.Inviter.UserID}, textCol{&inv.Inviter.APIKeyID}, &inv.Inviter.Name,
		timeCol{&inv.CreatedAt}, timeCol{&inv.UpdatedAt}, timeCol{&inv.ExpiresAt}, nullTimeCol{&inv.SentAt},
		nullTimeCol{&inv.AcceptedAt}, textCol{&inv.AcceptedUserID}, nullTimeCol{&inv.RevokedAt}, nullTimeCol{&inv.DeclinedAt}, &inv.Locale}
}

func scanInvitation(s scanner) (*invited.Invitation, error) {
	inv := &invited.Invitation{}
	return inv, s.Scan(invitationDest(inv)...)
}

// The statements below are the hot paths; they are constants so that the
// query-plan test checks the very text that runs.
const (
	insertInvitationSQL = insertInvitationsSQL + invitationValues

	// insertInvitationsSQL starts an insert of invitations, a row of
	// invitationValues each; skipOpenInviteeSQL ends one that skips an
	// invitee who has an open invitation (the partial unique index) and
	// names the rows it stored (insertInvitations).
	insertInvitationsSQL = `INSERT INTO invitations (id, org_id, status, email, phone, user_id, invitee_key,
	first_name, last_name, roles, message, redirect_url, audience, metadata, channel, inviter_user_id,
	inviter_api_key_id, inviter_name, created_at, updated_at, expires_at, sent_at, locale) VALUES `
	invitationValues   = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	skipOpenInviteeSQL = ` ON CONFLICT (org_id, invitee_key) WHERE status IN ('draft', 'pending') DO NOTHING RETURNING id`

	// The status guard makes a transition that lost a race to another one
	// change nothing, where writers can run concurrently.
	updateInvitationSQL = `UPDATE invitations SET status = ?, expires_at = ?, sent_at = ?, accepted_at = ?,
	accepted_user_id = ?, revoked_at = ?, declined_at = ?, updated_at = ?
WHERE id = ? AND status = ?`

	selectInvitationRowSQL = `SELECT ` + invitationColumns + `, ` + orgColumns + `, iu.email
FROM invitations i
JOIN organizations o ON o.id = i.org_id
LEFT JOIN users iu ON iu.id = i.inviter_user_id`
	invitationByIDSQL = selectInvitationRowSQL + ` WHERE i.id = ?`
	// invitationByTokenSQL finds the invitation one of whose links has the
	// hash: a primary key lookup in invitation_tokens, then one in
	// invitations.
	invitationByTokenSQL = selectInvitationRowSQL + ` WHERE i.id = (SELECT invitation_id FROM invitation_tokens WHERE hash = ?)`

	// previewByTokenSQL reads what PreviewInvitation shows of the
	// invitation a link opens, the same way as invitationByTokenSQL.
	previewByTokenSQL = `SELECT i.status, i.expires_at, i.roles, i.message, i.inviter_name, i.first_name, o.id, o.name
FROM invitations i JOIN organizations o ON o.id = i.org_id
WHERE i.id = (SELECT invitation_id FROM invitation_tokens WHERE hash = ?)`

	// lockInvitationSQL locks the invitation of a row query where writers
	// run side by side (lockInvitationRow).
	lockInvitationSQL = "FOR NO KEY UPDATE OF i"

	// insertLinkSQL starts a multi-row insert of links (addLinks).
	insertLinkSQL = `INSERT INTO invitation_tokens (hash, invitation_id, created_at) VALUES `

	// dropLinksSQL deletes every link of an invitation, for a resend.
	dropLinksSQL = `DELETE FROM invitation_tokens WHERE invitation_id = ?`

	// openInvitationSQL names the open invitation of an invitee.
	openInvitationSQL = `SELECT id FROM invitations WHERE org_id = ? AND invitee_key = ? AND status IN ('draft', 'pending')`

	// expireOverdueInviteeSQL persists the expiry of an invitee's overdue
	// invitation. Its status IN term repeats the predicate of the partial
	// unique index, which lets SQLite search that index.
	expireOverdueInviteeSQL = `UPDATE invitations SET status = 'expired', updated_at = ?
WHERE org_id = ? AND invitee_key = ? AND status IN ('draft', 'pending') AND status = 'pending' AND expires_at <= ? AND id <> ?`
)

func invitationInsertArgs(inv *invited.Invitation) []any {
	return []any{inv.ID, inv.OrgID, inv.Status, nullText(inv.Email), nullText(inv.Phone), nullText(inv.UserID),
		inv.InviteeKey(), inv.FirstName, inv.LastName, jsonText(inv.Roles), inv.Message, inv.RedirectURL, inv.Audience,
		nullText(string(inv.Metadata)), inv.Channel, nullText(inv.Inviter.UserID), nullText(inv.Inviter.APIKeyID),
		inv.Inviter.Name, ms(inv.CreatedAt), ms(inv.UpdatedAt), ms(inv.ExpiresAt), nullMS(inv.SentAt), inv.Locale}
}

// newToken mints the secret of a link (an invitation's token, an app
// invite's code): 256 bits, without a prefix because it lives in a URL.
// Only its hash is stored; the plaintext leaves in the answer and the
// delivery alone.
func newToken() string { return invited.NewSecret("") }

// An invitation has any number of links, each a token whose hash is a row
// of invitation_tokens: the one its create (or send, or resend) answers,
// and one for each letter, minted when the letter is claimed for delivery
// (ClaimMessages). Any of them opens the invitation while it is pending;
// accepting through one ends it for all. No plaintext token is stored
// anywhere, so a copy of the database opens nothing.

// linkChunk bounds the rows of one multi-row insert of links.
const linkChunk = 200

// addLinks stores the hashes of new tokens of invitations: tokens maps
// each plaintext token to its invitation's id.
func (tx *Tx) addLinks(ctx context.Context, tokens map[string]string) error {
	const row = `(?, ?, ?)`
	args := make([]any, 0, 3*min(len(tokens), linkChunk))
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		n := len(args) / 3
		err := tx.hold(ctx, insertLinkSQL+strings.Repeat(row+", ", n-1)+row, args...)
		args = args[:0]
		return err
	}
	for token, invitationID := range tokens {
		args = append(args, invited.HashSecret(token), invitationID, ms(tx.now))
		if len(args) == 3*linkChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// addLink mints a new link of invitation id and stores its hash.
func (tx *Tx) addLink(ctx context.Context, id string) (string, error) {
	token := newToken()
	return token, tx.addLinks(ctx, map[string]string{token: id})
}

// linkHash is what a link's secret is looked up by. A secret that could
// not have been minted is not_found (as what) at once, without a query.
func linkHash(secret, what string) ([]byte, error) {
	if !invited.ValidSecretShape(secret, "") {
		return nil, errNotFound(what)
	}
	return invited.HashSecret(secret), nil
}

// invitationRow is an invitation with what its operations need besides:
// its organization and the inviter's email.
type invitationRow struct {
	inv          *invited.Invitation
	org          *invited.Organization
	inviterEmail string
}

// lockInvitationRow loads, as invitationRow does, an invitation about to
// change, and locks it until the transaction ends: concurrent changes of
// one invitation then take turns, each seeing the outcome of the one
// before. Of N concurrent accepts, the losers find it accepted and say so,
// instead of tripping over the status guard of saveInvitation. The
// transaction's now is taken then (see Tx.locked), so that the invitation's
// events are recorded at times in the order of its changes.
//
// NO KEY UPDATE, like lockOrganization's, excludes itself but not the
// KEY SHARE that inserts referring to the invitation take: a dispatcher
// storing a letter's new link (ClaimMessages), which holds the letter's
// row, must not wait for a resend or renew that holds the invitation and
// waits for that letter's row in turn, a deadlock.
func (tx *Tx) lockInvitationRow(ctx context.Context, query string, arg any) (*invitationRow, error) {
	r, err := tx.invitationRow(ctx, query+tx.lock(lockInvitationSQL), arg)
	if err != nil {
		return nil, err
	}
	tx.locked(r.inv.UpdatedAt)
	return r, nil
}

func (tx *Tx) invitationRow(ctx context.Context, query string, arg any) (*invitationRow, error) {
	r := &invitationRow{inv: &invited.Invitation{}, org: &invited.Organization{}}
	dest := slices.Concat(invitationDest(r.inv), orgDest(r.org), []any{textCol{&r.inviterEmail}})
	if err := tx.queryRow(ctx, query, arg).Scan(dest...); err != nil {
		return nil, notFound(err, "invitation")
	}
	return r, nil
}

// invitationFor loads and locks invitation id for an operation that needs
// p. It is not_found to an actor who cannot see its organization and, for
// the operations that need invitations:create, to one whose read scope does
// not hold it: someone who may only create touches only their own
// invitations.
func (tx *Tx) invitationFor(ctx context.Context, a *invited.Actor, id string, p invited.Permission) (*invitationRow, error) {
	r, err := tx.lockInvitationRow(ctx, invitationByIDSQL, id)
	if err != nil {
		return nil, err
	}
	if !a.CanSee(r.inv.OrgID) || (p == invited.PermInvitationsCreate && !a.InvitationScope().Allows(r.inv)) {
		return nil, errNotFound("invitation")
	}
	return r, a.Authorize(r.inv.OrgID, p)
}

// saveInvitation writes inv after a transition from status from.
func (tx *Tx) saveInvitation(ctx context.Context, inv *invited.Invitation, from invited.Status) error {
	write := func() error {
		res, err := tx.exec(ctx, updateInvitationSQL, inv.Status, ms(inv.ExpiresAt), nullMS(inv.SentAt),
			nullMS(inv.AcceptedAt), nullText(inv.AcceptedUserID), nullMS(inv.RevokedAt), nullMS(inv.DeclinedAt),
			ms(inv.UpdatedAt), inv.ID, from)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		return invited.Errorf(invited.EINVALIDSTATE, "the invitation was changed by another request; try again")
	}
	if from.Open() || !inv.Status.Open() {
		return write()
	}
	// Reopening (renewing an expired invitation) is bound by the
	// one-open-invitation rule like a create.
	return tx.claimInvitee(ctx, inv, write)
}

// claimInvitee runs write, which makes inv the open invitation of its
// invitee, in a savepoint. An overdue pending invitation to the same
// invitee reads as expired already; storing that first keeps it from
// blocking. Another open invitation makes the unique index refuse the
// write, and the answer names it.
func (tx *Tx) claimInvitee(ctx context.Context, inv *invited.Invitation, write func() error) error {
	key := inv.InviteeKey()
	err := tx.savepoint(ctx, func() error {
		if _, err := tx.exec(ctx, expireOverdueInviteeSQL, ms(tx.now), inv.OrgID, key, ms(tx.now), inv.ID); err != nil {
			return err
		}
		return write()
	})
	if !tx.db.dialect.uniqueViolation(err) {
		return err
	}
	var existing string
	if err := tx.queryRow(ctx, openInvitationSQL, inv.OrgID, key).Scan(&existing); err != nil {
		return err
	}
	return &invited.Error{Code: invited.EINVITATIONEXISTS, Message: "an open invitation to this invitee exists", ExistingID: existing}
}

// CreateInvitation needs invitations:create. It is a batch of one, so that
// single and batch creates cannot drift apart.
func (db *DB) CreateInvitation(ctx context.Context, orgID string, c invited.InvitationCreate) (*invited.Invitation, string, error) {
	results, err := db.CreateInvitations(ctx, orgID, []invited.InvitationCreate{c})
	if err != nil {
		return nil, "", err
	}
	return results[0].Invitation, results[0].Token, results[0].Err
}

// CreateInvitations creates up to MaxBatchSize invitations in one write
// transaction, each item in a savepoint of its own so that a failing one
// is rolled back alone. Results are in input order.
func (db *DB) CreateInvitations(ctx context.Context, orgID string, cs []invited.InvitationCreate) ([]invited.BatchResult, error) {
	a := invited.ActorFromContext(ctx)
	if err := a.Authorize(orgID, invited.PermInvitationsCreate); err != nil {
		return nil, err
	}
	if len(cs) == 0 || len(cs) > invited.MaxBatchSize {
		return nil, invited.FieldErrors{"invitations": invited.Problemf("batch_size", "max", invited.MaxBatchSize)}.Errorf(invited.EINVALID, "a batch holds 1 to 1000 invitations")
	}
	inviter := inviterOf(a)
	results := make([]invited.BatchResult, len(cs))
	err := db.writeTx(ctx, func(tx *Tx) error {
		org, roles, err := tx.orgWithRoles(ctx, orgID)
		if err != nil {
			return err
		}
		var valid []*invited.Invitation
		for i, c := range cs {
			results[i].Invitation, results[i].Err = invited.NewInvitation(c, org, roles.exists, inviter, tx.now)
			if results[i].Err == nil {
				results[i].Err = a.MayGrant(orgID, roles.permissions(results[i].Invitation.Roles))
			}
			if results[i].Err == nil {
				valid = append(valid, results[i].Invitation)
			}
		}
		who, err := tx.invitees(ctx, orgID, valid)
		if err != nil {
			return err
		}
		order := writeOrder(results)
		var candidates []*invited.Invitation
		for _, i := range order {
			r := &results[i]
			if r.Err = who.check(r.Invitation); r.Err != nil {
				r.Invitation = nil
				continue
			}
			candidates = append(candidates, r.Invitation)
		}
		stored, err := tx.insertInvitations(ctx, candidates)
		if err != nil {
			return err
		}
		var created []target
		var letters []*invited.Message
		links := map[string]string{} // the first link of each, by token
		for _, i := range order {
			r := &results[i]
			if r.Err != nil {
				continue
			}
			if !stored[r.Invitation.ID] {
				if err := tx.claimInvitee(ctx, r.Invitation, tx.insertInvitation(ctx, r.Invitation)); err != nil {
					if _, ok := errors.AsType[*invited.Error](err); !ok {
						return err // the database failed, not the item
					}
					r.Invitation, r.Err = nil, err
					continue
				}
			}
			var token string
			if r.Invitation.Status == invited.StatusPending {
				token = newToken()
			}
			r.Token = token
			created = append(created, target{r.Invitation.ID, orgID, r.Invitation})
			if token != "" {
				links[token] = r.Invitation.ID
				msgs, err := tx.linkLetters(ctx, r.Invitation, org, invited.KindInvitation)
				if err != nil {
					return err
				}
				letters = append(letters, msgs...)
			}
		}
		if err := tx.addLinks(ctx, links); err != nil {
			return err
		}
		if err := tx.enqueue(ctx, letters); err != nil {
			return err
		}
		return tx.record(ctx, invited.EventInvitationCreated, invited.ResourceInvitation, created...)
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// inviterOf names the actor as the inviter of what it creates.
func inviterOf(a *invited.Actor) invited.Inviter {
	inviter := invited.Inviter{UserID: a.UserID(), APIKeyID: a.APIKeyID}
	if a.User != nil {
		inviter.Name = a.User.Name
	}
	return inviter
}

// writeOrder returns the indexes of the valid items of a batch in the order
// of their invitees. Concurrent batches that share invitees then wait for
// each other's index entries in one order, never in a cycle, which
// PostgreSQL would break by failing one of them. The sort is stable, so
// that of an invitee named twice in a batch the first item still wins.
func writeOrder(results []invited.BatchResult) []int {
	keys := make([]string, len(results))
	order := make([]int, 0, len(results))
	for i, r := range results {
		if r.Err == nil {
			keys[i] = r.Invitation.InviteeKey()
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
	return order
}

// check refuses inv, valid in itself, for what the batch's lookup of its
// invitees found: a user id that names nobody, a member already.
func (who invitees) check(inv *invited.Invitation) error {
	key := inv.InviteeKey()
	switch {
	case inv.UserID != "" && !who.known[key]:
		return invited.FieldErrors{"user_id": invited.Problemf("no_such_user")}.Err()
	case who.member[key]:
		return invited.Errorf(invited.EALREADYMEMBER, "the invitee is already a member of the organization")
	}
	return nil
}

// invitationChunk bounds the rows of one multi-row insert of invitations,
// within SQLite's 32,766 variables.
const invitationChunk = 200

// insertInvitations stores invs, in their order, with multi-row inserts
// that skip every invitee who has an open invitation, and says which it
// stored, by id. The invitees it skipped take the slow way of claimInvitee:
// an overdue invitation of theirs to be expired first, or the open one to
// be named. So a batch of new invitees costs one statement per chunk, not
// four per item.
func (tx *Tx) insertInvitations(ctx context.Context, invs []*invited.Invitation) (map[string]bool, error) {
	stored := make(map[string]bool, len(invs))
	for rest := invs; len(rest) > 0; {
		n := min(len(rest), invitationChunk)
		args := make([]any, 0, 23*n)
		for _, inv := range rest[:n] {
			args = append(args, invitationInsertArgs(inv)...)
		}
		ids, err := queryList(ctx, tx, func(s scanner) (id string, err error) { return id, s.Scan(&id) },
			insertInvitationsSQL+strings.Repeat(invitationValues+", ", n-1)+invitationValues+skipOpenInviteeSQL, args...)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			stored[id] = true
		}
		rest = rest[n:]
	}
	return stored, nil
}

// insertInvitation is the write of claimInvitee that stores inv.
func (tx *Tx) insertInvitation(ctx context.Context, inv *invited.Invitation) func() error {
	return func() error {
		_, err := tx.exec(ctx, insertInvitationSQL, invitationInsertArgs(inv)...)
		return err
	}
}

// invitees says, by invitee key, which invitees are existing users and
// which are members already.
type invitees struct{ known, member map[string]bool }

// invitees looks up the invitees of a whole batch in one query.
func (tx *Tx) invitees(ctx context.Context, orgID string, invs []*invited.Invitation) (invitees, error) {
	who := invitees{known: map[string]bool{}, member: map[string]bool{}}
	var ids, emails, phones []string
	for _, inv := range invs {
		switch {
		case inv.Email != "":
			emails = append(emails, inv.Email)
		case inv.Phone != "":
			phones = append(phones, inv.Phone)
		default:
			ids = append(ids, inv.UserID)
		}
	}
	var ors where
	for _, by := range []struct {
		col  string
		vals []string
	}{{"u.id", ids}, {"u.email", emails}, {"u.phone", phones}} {
		if len(by.vals) > 0 {
			ors.in(by.col, by.vals)
		}
	}
	if len(ors.conds) == 0 {
		return who, nil
	}
	rows, err := tx.query(ctx, `SELECT u.id, u.email, u.phone, m.user_id IS NOT NULL
FROM users u LEFT JOIN memberships m ON m.org_id = ? AND m.user_id = u.id
WHERE `+ors.join("OR"), append([]any{orgID}, ors.args...)...)
	if err != nil {
		return who, err
	}
	defer rows.Close()
	for rows.Next() {
		var u invited.User
		var member bool
		if err := rows.Scan(&u.ID, textCol{&u.Email}, textCol{&u.Phone}, &member); err != nil {
			return who, err
		}
		// The keys come from the domain, so they match InviteeKey exactly.
		keys := []invited.Invitation{{UserID: u.ID}}
		if u.Email != "" {
			keys = append(keys, invited.Invitation{Email: u.Email})
		}
		if u.Phone != "" {
			keys = append(keys, invited.Invitation{Phone: u.Phone})
		}
		for _, k := range keys {
			who.known[k.InviteeKey()] = true
			who.member[k.InviteeKey()] = who.member[k.InviteeKey()] || member
		}
	}
	return who, rows.Err()
}

// FindInvitationByID returns an invitation within the actor's read scope.
func (db *DB) FindInvitationByID(ctx context.Context, id string) (*invited.Invitation, error) {
	var inv *invited.Invitation
	err := db.readTx(ctx, func(tx *Tx) error {
		r, err := tx.invitationRow(ctx, invitationByIDSQL, id)
		if err != nil {
			return err
		}
		if !invited.ActorFromContext(ctx).InvitationScope().Allows(r.inv) {
			return errNotFound("invitation")
		}
		inv = r.inv
		inv.Status = inv.StatusAt(tx.now)
		return nil
	})
	return inv, err
}

// FindInvitations lists the invitations in the actor's read scope, newest
// first.
func (db *DB) FindInvitations(ctx context.Context, f invited.InvitationFilter) ([]*invited.Invitation, string, error) {
	if err := checkStatus(f.Status, invited.Statuses); err != nil {
		return nil, "", err
	}
	k, err := newKeyset(f.Page, invited.PrefixInvitation)
	if err != nil {
		return nil, "", err
	}
	scope, err := listScope(invited.ActorFromContext(ctx), f)
	if err != nil {
		return nil, "", err
	}
	if scope.Empty() {
		return []*invited.Invitation{}, "", nil
	}
	var invs []*invited.Invitation
	err = db.readTx(ctx, func(tx *Tx) error {
		query, args := invitationListQuery(scope, f, k, tx.now)
		var err error
		if invs, err = queryList(ctx, tx, scanInvitation, query, args...); err != nil {
			return err
		}
		for _, inv := range invs {
			inv.Status = inv.StatusAt(tx.now)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	invs, next := page(k, invs, func(inv *invited.Invitation) string { return inv.ID })
	return invs, next, nil
}

// listScope is what a's list of invitations with f searches.
func listScope(a *invited.Actor, f invited.InvitationFilter) (invited.InvitationScope, error) {
	scope := a.InvitationScope()
	if f.OrgID == "" {
		return scope, nil
	}
	if !a.CanSee(f.OrgID) {
		return scope, errNotFound("organization")
	}
	if scope = narrowScope(scope, f.OrgID); scope.Empty() {
		return scope, invited.Errorf(invited.EFORBIDDEN, "this needs the %s permission in the organization", invited.PermInvitationsRead)
	}
	return scope, nil
}

// narrowScope is the part of s within one organization.
func narrowScope(s invited.InvitationScope, orgID string) invited.InvitationScope {
	switch {
	case s.All || slices.Contains(s.OrgIDs, orgID):
		return invited.InvitationScope{OrgIDs: []string{orgID}}
	case slices.Contains(s.CreatorOrgIDs, orgID):
		return invited.InvitationScope{CreatorOrgIDs: []string{orgID}, CreatorUserID: s.CreatorUserID}
	}
	return invited.InvitationScope{}
}

// invitationListQuery builds the list query for a non-empty scope and a
// valid filter. The query depends on the arguments alone, so that the
// query-plan test checks exactly what runs.
func invitationListQuery(s invited.InvitationScope, f invited.InvitationFilter, k keyset, now time.Time) (string, []any) {
	w := invitationListWhere(s, f, now)
	tail := k.seek(&w, "i.id")
	return `SELECT ` + invitationColumns + ` FROM invitations i` + w.String() + tail, w.args
}

// invitationListWhere is the condition of the list, on invitations aliased
// i, before any page: the benchmark counts the rows it selects. The status
// filter honours read-time expiry: what is overdue counts as expired, not
// pending.
func invitationListWhere(s invited.InvitationScope, f invited.InvitationFilter, now time.Time) where {
	var w where
	if !s.All {
		var ors where
		if len(s.OrgIDs) > 0 {
			ors.in("i.org_id", s.OrgIDs)
		}
		if len(s.CreatorOrgIDs) > 0 {
			var own where
			own.in("i.org_id", s.CreatorOrgIDs)
			own.add("i.inviter_user_id = ?", s.CreatorUserID)
			ors.add(own.join("AND"), own.args...)
		}
		w.add(ors.join("OR"), ors.args...)
	}
	w.statusAt("i", "pending", string(f.Status), now)
	if f.Email != "" {
		w.add(`i.email = ?`, strings.ToLower(strings.TrimSpace(f.Email)))
	}
	return w
}

// transition runs one lifecycle operation on invitation id, which needs p,
// in a write transaction. step changes the invitation and reports whether
// it issues a new link (send, resend): then the invitation's old links
// stop working, its letters still waiting are cancelled, the new link is
// returned and new letters go into the outbox, each to get a link of its
// own when it is delivered. The change is recorded as action.
func (db *DB) transition(ctx context.Context, id string, p invited.Permission, action string, step func(*Tx, *invitationRow) (bool, error)) (*invited.Invitation, string, error) {
	a := invited.ActorFromContext(ctx)
	var r *invitationRow
	var token string
	err := db.writeTx(ctx, func(tx *Tx) error {
		var err error
		if r, err = tx.invitationFor(ctx, a, id, p); err != nil {
			return err
		}
		from := r.inv.Status
		link, err := step(tx, r)
		if err != nil {
			return err
		}
		if err := tx.saveRecorded(ctx, r.inv, from, action); err != nil {
			return err
		}
		if !link {
			return nil
		}
		if err := tx.dropLinks(ctx, r.inv.ID); err != nil {
			return err
		}
		if token, err = tx.addLink(ctx, r.inv.ID); err != nil {
			return err
		}
		kind := invited.KindResend
		if from == invited.StatusDraft {
			kind = invited.KindInvitation
		}
		msgs, err := tx.linkLetters(ctx, r.inv, r.org, kind)
		if err != nil {
			return err
		}
		return tx.enqueue(ctx, msgs)
	})
	if err != nil {
		return nil, "", err
	}
	return r.inv, token, nil
}

// dropLinks ends every link of invitation id, and cancels its letters that
// wait to carry one. The letters go first: on PostgreSQL a dispatcher that
// claimed one of them holds its row until its claim commits, with the new
// link, and the delete that follows then sees that link too.
func (tx *Tx) dropLinks(ctx context.Context, id string) error {
	if err := tx.cancelLetters(ctx, id, invited.LinkKinds...); err != nil {
		return err
	}
	_, err := tx.exec(ctx, dropLinksSQL, id)
	return err
}

// saveRecorded is saveInvitation that records action as well.
func (tx *Tx) saveRecorded(ctx context.Context, inv *invited.Invitation, from invited.Status, action string) error {
	if err := tx.saveInvitation(ctx, inv, from); err != nil {
		return err
	}
	return tx.record(ctx, action, invited.ResourceInvitation, target{inv.ID, inv.OrgID, inv})
}

// apply is a step that only moves the invitation by action.
func apply(action invited.Action) func(*Tx, *invitationRow) (bool, error) {
	return func(tx *Tx, r *invitationRow) (bool, error) {
		return false, r.inv.Apply(action, tx.now)
	}
}

// SendInvitation moves a draft to pending and returns its first token.
func (db *DB) SendInvitation(ctx context.Context, id string) (*invited.Invitation, string, error) {
	return db.transition(ctx, id, invited.ActionSend.Permission(), invited.EventInvitationSent, func(tx *Tx, r *invitationRow) (bool, error) {
		return true, r.inv.Apply(invited.ActionSend, tx.now)
	})
}

// resentSinceSQL lists when an invitation was resent since a time, from the
// audit log.
const resentSinceSQL = `SELECT created_at FROM audit_events
WHERE resource_id = ? AND action = 'invitation.resent' AND created_at > ? ORDER BY created_at`

// ResendInvitation issues a new token; every older link stops working,
// because their hashes are deleted, and the letters that would have
// carried one are cancelled. Resends are limited by invited.ResendDelay.
func (db *DB) ResendInvitation(ctx context.Context, id string) (*invited.Invitation, string, error) {
	return db.transition(ctx, id, invited.ActionResend.Permission(), invited.EventInvitationResent, func(tx *Tx, r *invitationRow) (bool, error) {
		sent := r.inv.SentAt
		if err := r.inv.Apply(invited.ActionResend, tx.now); err != nil {
			return false, err
		}
		resends, err := queryList(ctx, tx, func(s scanner) (t time.Time, err error) {
			return t, s.Scan(timeCol{&t})
		}, resentSinceSQL, r.inv.ID, ms(tx.now.Add(-24*time.Hour)))
		if err != nil {
			return false, err
		}
		if wait := invited.ResendDelay(sent, resends, tx.now); wait > 0 {
			return false, invited.RateLimited("the invitation was resent too often; wait before resending", wait)
		}
		return true, nil
	})
}

// RenewInvitation sets a new expiry and keeps the links.
func (db *DB) RenewInvitation(ctx context.Context, id string, rn invited.Renewal) (*invited.Invitation, error) {
	inv, _, err := db.transition(ctx, id, invited.ActionRenew.Permission(), invited.EventInvitationRenewed, func(tx *Tx, r *invitationRow) (bool, error) {
		if err := r.inv.Renew(rn, r.org.Settings.TTL(), tx.now); err != nil {
			return false, err
		}
		return false, tx.rescheduleReminder(ctx, r.inv)
	})
	return inv, err
}

// RevokeInvitation needs what invited.ActionRevoke declares.
func (db *DB) RevokeInvitation(ctx context.Context, id string) (*invited.Invitation, error) {
	inv, _, err := db.transition(ctx, id, invited.ActionRevoke.Permission(), invited.EventInvitationRevoked, apply(invited.ActionRevoke))
	return inv, err
}

// ArchiveInvitation files away an accepted invitation; it needs what
// invited.ActionArchive declares (invitations:revoke, like every other way
// of closing one).
func (db *DB) ArchiveInvitation(ctx context.Context, id string) (*invited.Invitation, error) {
	inv, _, err := db.transition(ctx, id, invited.ActionArchive.Permission(), "invitation.archived", apply(invited.ActionArchive))
	return inv, err
}

// PreviewInvitation shows the holder of a link what they were offered.
//
// It reads only what the preview shows, in one statement of its own: the
// public lookup is the hottest path, and decoding an organization's
// settings or an invitation's metadata only to drop them was a tenth of
// its time.
func (db *DB) PreviewInvitation(ctx context.Context, token string) (*invited.InvitationPreview, error) {
	hash, err := linkHash(token, "invitation")
	if err != nil {
		return nil, err
	}
	var p *invited.InvitationPreview
	err = db.readOne(ctx, func(tx *Tx) error {
		inv, org := &invited.Invitation{}, &invited.Organization{}
		err := tx.queryRow(ctx, previewByTokenSQL, hash).Scan(&inv.Status, timeCol{&inv.ExpiresAt}, jsonCol{&inv.Roles},
			&inv.Message, &inv.Inviter.Name, &inv.FirstName, &org.ID, &org.Name)
		if err != nil {
			return notFound(err, "invitation")
		}
		p = inv.Preview(org, tx.now)
		return nil
	})
	return p, err
}

// readLink loads, in one statement, the invitation that the link token
// opens, with its organization, and hands it to use.
func (db *DB) readLink(ctx context.Context, token string, use func(*Tx, *invitationRow)) error {
	hash, err := linkHash(token, "invitation")
	if err != nil {
		return err
	}
	return db.readOne(ctx, func(tx *Tx) error {
		r, err := tx.invitationRow(ctx, invitationByTokenSQL, hash)
		if err != nil {
			return err
		}
		use(tx, r)
		return nil
	})
}

// DeclineInvitation is authorized by the token alone.
func (db *DB) DeclineInvitation(ctx context.Context, token string) (*invited.Invitation, error) {
	hash, err := linkHash(token, "invitation")
	if err != nil {
		return nil, err
	}
	var inv *invited.Invitation
	err = db.writeTx(ctx, func(tx *Tx) error {
		r, err := tx.lockInvitationRow(ctx, invitationByTokenSQL, hash)
		if err != nil {
			return err
		}
		inv = r.inv
		from := inv.Status
		if err := inv.Apply(invited.ActionDecline, tx.now); err != nil {
			return err
		}
		return tx.saveRecorded(ctx, inv, from, invited.EventInvitationDeclined)
	})
	return inv, err
}

// AcceptInvitation accepts for the calling user, or for the person an API
// key vouches for, on the one accept path (see accept).
func (db *DB) AcceptInvitation(ctx context.Context, token string, body invited.Acceptor) (*invited.Acceptance, error) {
	a := invited.ActorFromContext(ctx)
	acceptor, err := acceptorFor(a, body)
	if err != nil {
		return nil, err
	}
	return db.accept(ctx, token, acceptRoute{admit: func(r *invitationRow) (invited.Acceptor, error) {
		if !keyReaches(a, r.inv.OrgID) {
			return invited.Acceptor{}, errNotFound("invitation")
		}
		return acceptor, nil
	}})
}

// acceptRoute is what differs between the ways of accepting: through the
// API (AcceptInvitation) and on the hosted page (AcceptInvitationByLink).
type acceptRoute struct {
	// admit checks, before anything changes, that the caller may accept
	// the invitation r holds, and says who is accepting.
	admit func(r *invitationRow) (invited.Acceptor, error)
	// ticket issues an acceptance ticket for the host application.
	ticket bool
}

// accept is atomic and single-use: the token lookup, the checks, the user,
// the membership, the status change, the audit events, the webhook and
// letter messages and the ticket happen in one write transaction, which
// holds the invitation's row lock (on SQLite: the one write transaction)
// from the lookup on.
func (db *DB) accept(ctx context.Context, token string, route acceptRoute) (*invited.Acceptance, error) {
	hash, err := linkHash(token, "invitation")
	if err != nil {
		return nil, err
	}
	a := invited.ActorFromContext(ctx)
	var acc *invited.Acceptance
	err = db.writeTx(ctx, func(tx *Tx) error {
		r, err := tx.lockInvitationRow(ctx, invitationByTokenSQL, hash)
		if err != nil {
			return err
		}
		acceptor, err := route.admit(r)
		if err != nil {
			return err
		}
		from := r.inv.Status
		if err := r.inv.Apply(invited.ActionAccept, tx.now); err != nil {
			return err
		}
		u, err := tx.acceptingUser(ctx, acceptor)
		if err != nil {
			return err
		}
		if err := invited.CheckAcceptor(r.inv, r.org.Settings, u); err != nil {
			return err
		}
		m, joined, err := tx.join(ctx, r.inv.OrgID, u.ID, r.inv.Roles)
		if err != nil {
			return err
		}
		r.inv.AcceptedUserID = u.ID
		actx := acceptorContext(ctx, a, u)
		if err := tx.saveRecorded(actx, r.inv, from, invited.EventInvitationAccepted); err != nil {
			return err
		}
		event := invited.EventMembershipUpdated
		if joined {
			event = invited.EventMembershipCreated
		}
		if err := tx.record(actx, event, invited.ResourceMembership, target{u.ID, m.OrgID, m}); err != nil {
			return err
		}
		acc = &invited.Acceptance{Invitation: r.inv, Membership: m, User: u, RedirectURL: r.org.Settings.LandingURL(r.inv.RedirectURL)}
		if route.ticket {
			t := &invited.AcceptanceTicket{InvitationID: r.inv.ID, Audience: r.inv.Audience}
			if acc.Ticket, err = tx.issueTicket(ctx, t, u, m); err != nil {
				return err
			}
		}
		return tx.enqueue(ctx, tx.acceptedLetter(r, u))
	})
	return acc, err
}

// acceptorContext is ctx with the accepting user as the actor's user when
// the actor is a user token of someone who had no account until now, so
// that the audit log names who accepted.
func acceptorContext(ctx context.Context, a *invited.Actor, u *invited.User) context.Context {
	if !a.IsUser() || a.UserID() != "" {
		return ctx
	}
	b := *a
	b.User = u
	return invited.NewContextWithActor(ctx, &b)
}

// acceptorFor says who is accepting: the calling user, or the person an API
// key vouches for in the request body.
func acceptorFor(a *invited.Actor, body invited.Acceptor) (invited.Acceptor, error) {
	switch {
	case a.IsUser():
		u := a.User
		acc := invited.Acceptor{ID: u.ID, ExternalID: u.ExternalID, Phone: u.Phone, Name: u.Name, EmailVerified: u.EmailVerified}
		// An unverified email claim proves nothing: it neither matches an
		// invitation nor gets stored.
		if u.EmailVerified {
			acc.Email = strings.ToLower(u.Email)
		}
		return acc, nil
	case a.APIKeyID != "":
		if err := body.Validate(); err != nil {
			return body, err
		}
		body.EmailVerified = true // the host application vouches for the person
		return body, nil
	}
	return body, invited.Errorf(invited.EUNAUTHENTICATED, "accepting needs a user access token or an API key")
}

// keyReaches reports whether the credential behind a may act on an
// invitation of orgID: a user token anywhere, an admin key anywhere, an
// organization key only in its organization.
func keyReaches(a *invited.Actor, orgID string) bool {
	switch {
	case a.Admin:
		return true
	case a.KeyOrgID != "":
		return a.KeyOrgID == orgID
	}
	return a.IsUser()
}

// acceptedLetter tells the inviter, when they have an email address, that
// u accepted.
func (tx *Tx) acceptedLetter(r *invitationRow, u *invited.User) []*invited.Message {
	if r.inviterEmail == "" {
		return nil
	}
	m := tx.newMessage(invited.ChannelEmail, invited.KindAccepted, r.inv.OrgID, r.inviterEmail, tx.now)
	m.InvitationID = r.inv.ID
	m.Letter = &invited.Letter{Kind: invited.KindAccepted, To: r.inviterEmail, ToName: r.inv.Inviter.Name,
		Organization: r.org.Name, Roles: r.inv.Roles, ExpiresAt: r.inv.ExpiresAt, Acceptor: cmp.Or(u.Name, u.Email, u.Phone),
		Locale: r.org.Settings.DefaultLocale}
	return []*invited.Message{m}
}

// join gives the user roles in orgID, merging them into an existing
// membership, and reports whether the membership is new. The first member
// of an organization also becomes its owner, so that someone can manage
// it: while an organization has no member, joins take the organization's
// lock, so that exactly one of them is first. An organization never loses
// its last member (keepAnOwner), so once it has one, a join adds the new
// membership without the lock, and accepts into a busy organization do not
// queue behind each other; only a user who is a member already (say,
// accepting two invitations at once) takes the lock to merge the roles.
func (tx *Tx) join(ctx context.Context, orgID, userID string, roles []string) (*invited.Membership, bool, error) {
	mem := &invited.Membership{OrgID: orgID, UserID: userID, Roles: roles, CreatedAt: tx.now, UpdatedAt: tx.now}
	args := []any{mem.OrgID, mem.UserID, jsonText(mem.Roles), ms(mem.CreatedAt), ms(mem.UpdatedAt)}
	// One statement for the common case: a new member of an organization
	// that has members. Nothing inserted means that it has none yet, or
	// that the user is a member already.
	res, err := tx.exec(ctx, joinBusySQL, append(args, orgID)...)
	if err != nil {
		return nil, false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return mem, true, err
	}
	if err := tx.lockOrganization(ctx, orgID); err != nil {
		return nil, false, err
	}
	m, err := tx.member(ctx, orgID, userID)
	if err == nil {
		m.Roles = invited.MergeRoles(m.Roles, roles)
		return &m.Membership, false, tx.setRoles(ctx, &m.Membership)
	}
	if !isNotFound(err) {
		return nil, false, err
	}
	// Under the lock, whether this join is the first is settled.
	var others bool
	if err := tx.queryRow(ctx, hasMembersSQL, orgID).Scan(&others); err != nil {
		return nil, false, err
	}
	if !others {
		mem.Roles = invited.MergeRoles(roles, []string{invited.RoleOwner})
		args[2] = jsonText(mem.Roles)
	}
	_, err = tx.exec(ctx, insertMembershipSQL, args...)
	return mem, true, err
}

// The statements of join.
const (
	hasMembers          = `EXISTS (SELECT 1 FROM memberships WHERE org_id = ?)`
	hasMembersSQL       = `SELECT ` + hasMembers
	insertMembership    = `INSERT INTO memberships (org_id, user_id, roles, created_at, updated_at)`
	insertMembershipSQL = insertMembership + ` VALUES (?, ?, ?, ?, ?)`
	// joinBusySQL inserts a membership only while the organization has
	// another member and the user is not one; its last argument is the
	// organization again. (SQLite needs the WHERE to read ON CONFLICT as
	// the upsert's.)
	joinBusySQL = insertMembership + ` SELECT ?, ?, ?, ?, ? WHERE ` + hasMembers + ` ON CONFLICT (org_id, user_id) DO NOTHING`
)

// invitationsExpiring is how the sweeper expires invitations.
var invitationsExpiring = expiring[*invited.Invitation]{
	table: "invitations", live: "pending", resource: invited.ResourceInvitation, event: invited.EventInvitationExpired,
	list: `SELECT ` + invitationColumns + ` FROM invitations i`, idCol: "i.id", scan: scanInvitation,
	target: func(inv *invited.Invitation) target { return target{inv.ID, inv.OrgID, inv} },
}

// ExpireInvitations persists the expiry of up to limit overdue invitations
// and records an invitation.expired event, without an actor, for each.
func (db *DB) ExpireInvitations(ctx context.Context, limit int) (int, error) {
	return expireDue(ctx, db, invitationsExpiring, limit)
}
