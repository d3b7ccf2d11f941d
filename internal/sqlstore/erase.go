package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/invitedhq/invited"
)

// Erasing a person (issue 16) deletes the rows that are about them alone:
// the user, memberships, join requests and join link uses, acceptance
// tickets, console sessions, join confirmations, the messages to them or
// quoting them (letters, webhook deliveries and their attempts) and the
// stored idempotent answers that quote them. It blanks what is also someone
// else's record: invitations addressed to them keep their organization,
// roles and times but lose every address, name, message and metadata, and
// their links, and the open ones are revoked; what they invited, decided or
// claimed keeps the fact without their id or name, and the letters to
// others that name them lose the name. Their audit events stay, so that
// counts add up, naming a pseudonym instead of them, without the addresses
// they came from. Docs: "Erasing a person" in docs/security.md.

// Erase erases the user userID, if not "", and everything tied to them or
// their addresses, and r's addresses: an admin key only.
func (db *DB) Erase(ctx context.Context, userID string, r invited.EraseRequest) (*invited.Erasure, error) {
	if !invited.ActorFromContext(ctx).Admin {
		return nil, invited.Errorf(invited.EFORBIDDEN, "erasing a person needs an admin key")
	}
	r = invited.EraseRequest{Email: strings.ToLower(strings.TrimSpace(r.Email)), Phone: strings.TrimSpace(r.Phone)}
	if userID == "" && r.Email == "" && r.Phone == "" {
		return nil, &invited.Error{Code: invited.EINVALID, Message: "give the email or phone of the person to erase",
			Fields: map[string]string{"email": "required without phone", "phone": "required without email"}}
	}
	var out *invited.Erasure
	err := db.writeTx(ctx, func(tx *Tx) error {
		p, err := tx.erasedPerson(ctx, userID, r)
		if err != nil {
			return err
		}
		out, err = tx.erase(ctx, p)
		return err
	})
	return out, err
}

// erasee is who an erasure is about: their user, if they became one, and
// every address they are known by, emails in lower case.
type erasee struct {
	userIDs, externalIDs, emails, phones []string
	// name is the user's name, which letters to others may give.
	name string
}

// erasedPerson finds the user userID, or else the user of r's email if
// there is one, and gathers their addresses with r's.
func (tx *Tx) erasedPerson(ctx context.Context, userID string, r invited.EraseRequest) (*erasee, error) {
	col, val := "u.id", userID
	if userID == "" {
		col, val = "lower(u.email)", r.Email
	}
	p := &erasee{}
	p.addEmail(r.Email)
	p.phones = appendAddress(p.phones, r.Phone)
	u := &invited.User{}
	err := tx.queryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE `+col+` = ?`, val).Scan(userDest(u)...)
	if userID == "" && errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return nil, notFound(err, "user")
	}
	p.userIDs, p.name = []string{u.ID}, u.Name
	p.externalIDs = appendAddress(nil, u.ExternalID)
	p.addEmail(u.Email)
	p.phones = appendAddress(p.phones, u.Phone)
	return p, nil
}

func (p *erasee) addEmail(email string) { p.emails = appendAddress(p.emails, strings.ToLower(email)) }

// appendAddress appends s to list unless it is empty or there already.
func appendAddress(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// quoted is every value p is known by as JSON writes it, quotes included,
// so that "ext-1" finds neither "ext-10" nor a word of a message.
func (p *erasee) quoted() []string {
	var out []string
	for _, list := range [][]string{p.userIDs, p.externalIDs, p.emails, p.phones} {
		for _, v := range list {
			out = append(out, jsonText(v))
		}
	}
	return out
}

// An erasure's conditions are alternatives: a row goes when any of them
// holds. They are built as wheres and joined by OR (where.any).

// inList is the condition that col is one of vals; none for no vals.
func inList(col string, vals []string) where {
	var w where
	if len(vals) > 0 {
		w.in(col, vals)
	}
	return w
}

// anyOf gathers the alternatives of parts into one.
func anyOf(parts ...where) where {
	var w where
	for _, p := range parts {
		w.conds = append(w.conds, p.conds...)
		w.args = append(w.args, p.args...)
	}
	return w
}

// mentions is the condition that column col holds one of vals.
func (tx *Tx) mentions(col string, vals ...any) where {
	var w where
	for _, v := range vals {
		w.add(tx.db.dialect.contains(col), v)
	}
	return w
}

// erase erases p, in the order the foreign keys need, counting each kind.
func (tx *Tx) erase(ctx context.Context, p *erasee) (*invited.Erasure, error) {
	e := &invited.Erasure{Pseudonym: invited.NewID(invited.PseudonymPrefix, tx.now)}
	invitationIDs, err := tx.erasedInvitations(ctx, p)
	if err != nil {
		return nil, err
	}
	var quoted, quotedBytes []any
	for _, q := range p.quoted() {
		quoted, quotedBytes = append(quoted, q), append(quotedBytes, []byte(q))
	}
	ofInvitations := inList("invitation_id", invitationIDs)
	ofUser := inList("user_id", p.userIDs)
	messages := anyOf(ofInvitations, inList("lower(recipient)", p.emails), inList("recipient", p.phones),
		tx.mentions("letter", quoted...), tx.mentions("payload", quoted...))
	var inMessages where
	inMessages.add("message_id IN (SELECT id FROM messages WHERE "+messages.any()+")", messages.args...)
	steps := []struct {
		n     *int
		query string
		where where
	}{
		{&e.JoinConfirmations, `DELETE FROM join_confirmations`, anyOf(inList("lower(email)", p.emails), inMessages)},
		{nil, `DELETE FROM message_attempts`, inMessages},
		{&e.Messages, `DELETE FROM messages`, messages},
		{&e.Tickets, `DELETE FROM acceptance_tickets`, anyOf(ofInvitations, ofUser, inList("lower(email)", p.emails))},
		{nil, `DELETE FROM invitation_tokens`, anyOf(ofInvitations)},
		{&e.Memberships, `DELETE FROM memberships`, anyOf(ofUser)},
		{&e.JoinRequests, `DELETE FROM join_requests`, anyOf(ofUser)},
		{&e.JoinLinkUses, `DELETE FROM join_link_uses`, anyOf(ofUser)},
		{&e.ConsoleSessions, `DELETE FROM console_sessions`,
			anyOf(inList("user_external_id", p.externalIDs), tx.mentions("identity", quoted...))},
		{&e.Other, `DELETE FROM idempotency_keys`, tx.mentions("body", quotedBytes...)},
		{&e.Other, `UPDATE app_invites SET email = ''`, anyOf(inList("lower(email)", p.emails))},
		{&e.Other, `UPDATE invitations SET inviter_user_id = NULL, inviter_name = ''`, anyOf(inList("inviter_user_id", p.userIDs))},
		{&e.Other, `UPDATE join_links SET inviter_user_id = NULL, inviter_name = ''`, anyOf(inList("inviter_user_id", p.userIDs))},
		{&e.Other, `UPDATE app_invites SET inviter_user_id = NULL, inviter_name = ''`, anyOf(inList("inviter_user_id", p.userIDs))},
		{&e.Other, `UPDATE join_requests SET decided_by_user_id = NULL, decided_by_name = ''`,
			anyOf(inList("decided_by_user_id", p.userIDs))},
		{&e.Other, `UPDATE domains SET created_by_user_id = NULL, created_by_name = ''`,
			anyOf(inList("created_by_user_id", p.userIDs))},
		{&e.Users, `DELETE FROM users`, anyOf(inList("id", p.userIDs))},
	}
	if e.Invitations, err = tx.blankInvitations(ctx, invitationIDs); err != nil {
		return nil, err
	}
	for _, s := range steps {
		res, err := tx.exec(ctx, s.query+` WHERE `+s.where.any(), s.where.args...)
		if err != nil {
			return nil, err
		}
		if s.n == nil {
			continue
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		*s.n += int(n)
	}
	n, err := tx.forgetInLetters(ctx, p.name)
	if err != nil {
		return nil, err
	}
	e.Messages += n
	if e.AuditEvents, err = tx.pseudonymize(ctx, p, e.Pseudonym); err != nil {
		return nil, err
	}
	return e, tx.audit(ctx, invited.EventUserErased, invited.ResourceUser, e.Pseudonym, "")
}

// blankInvitations keeps the invitations ids with their organization,
// roles and times but no trace of whom they were for, marked cleared, and
// revokes the open ones: an invitation to nobody must not be sent again.
// Retention clears ended invitations with it too.
func (tx *Tx) blankInvitations(ctx context.Context, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	where := inList("id", ids)
	res, err := tx.exec(ctx, `UPDATE invitations SET email = NULL, phone = NULL, user_id = NULL, accepted_user_id = NULL,
	invitee_key = 'erased:' || id, first_name = '', last_name = '', message = '', metadata = NULL, cleared_at = ?,
	revoked_at = CASE WHEN status IN ('draft', 'pending') THEN ? ELSE revoked_at END,
	status = CASE WHEN status IN ('draft', 'pending') THEN 'revoked' ELSE status END
WHERE `+where.any(), append([]any{ms(tx.now), ms(tx.now)}, where.args...)...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// erasedInvitations lists the invitations addressed to p.
func (tx *Tx) erasedInvitations(ctx context.Context, p *erasee) ([]string, error) {
	where := anyOf(inList("user_id", p.userIDs), inList("accepted_user_id", p.userIDs), inList("lower(email)", p.emails),
		inList("phone", p.phones))
	return queryList(ctx, tx, func(s scanner) (id string, err error) {
		return id, s.Scan(&id)
	}, `SELECT id FROM invitations WHERE `+where.any(), where.args...)
}

// forgetInLetters blanks name where the letters to other people give it,
// as their inviter or as who accepted, and answers how many it changed.
// The letters stay: their recipients still get their invitation.
func (tx *Tx) forgetInLetters(ctx context.Context, name string) (int, error) {
	if name == "" {
		return 0, nil
	}
	where := tx.mentions("letter", jsonText(name))
	type letter struct {
		id string
		l  invited.Letter
	}
	letters, err := queryList(ctx, tx, func(s scanner) (m letter, err error) {
		return m, s.Scan(&m.id, jsonCol{&m.l})
	}, `SELECT id, letter FROM messages WHERE `+where.any(), where.args...)
	if err != nil {
		return 0, err
	}
	for _, m := range letters {
		id, l := m.id, &m.l
		for _, field := range []*string{&l.Inviter, &l.Acceptor, &l.ToName} {
			if *field == name {
				*field = ""
			}
		}
		if _, err := tx.exec(ctx, `UPDATE messages SET letter = ? WHERE id = ?`, jsonText(l), id); err != nil {
			return 0, err
		}
	}
	return len(letters), nil
}

// pseudonymize makes the audit events by or about p's user name pseudonym
// instead, and forgets the addresses p acted from.
func (tx *Tx) pseudonymize(ctx context.Context, p *erasee, pseudonym string) (int, error) {
	if len(p.userIDs) == 0 {
		return 0, nil
	}
	id := p.userIDs[0]
	res, err := tx.exec(ctx, `UPDATE audit_events SET
	actor_user_id = CASE WHEN actor_user_id = ? THEN ? ELSE actor_user_id END,
	remote_addr = CASE WHEN actor_user_id = ? THEN '' ELSE remote_addr END,
	resource_id = CASE WHEN resource_id = ? THEN ? ELSE resource_id END
WHERE actor_user_id = ? OR resource_id = ?`, id, pseudonym, id, id, pseudonym, id, id)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
