package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/invitedhq/invited"
)

const ticketColumns = `id, invitation_id, join_link_id, org_id, user_id, email, name, roles, audience, issued_at, expires_at,
redeemed_at`

func scanTicket(s scanner) (*invited.AcceptanceTicket, error) {
	t := &invited.AcceptanceTicket{}
	return t, s.Scan(&t.ID, textCol{&t.InvitationID}, textCol{&t.JoinLinkID}, &t.OrgID, &t.UserID, &t.Email, &t.Name,
		jsonCol{&t.Roles}, &t.Audience, timeCol{&t.IssuedAt}, timeCol{&t.ExpiresAt}, nullTimeCol{&t.RedeemedAt})
}

const (
	insertTicketSQL = `INSERT INTO acceptance_tickets (` + ticketColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	// redeemTicketSQL redeems a ticket that is neither redeemed nor
	// expired; its arguments are now, the id and now again. Where writers
	// run side by side, concurrent redemptions wait for the first one's
	// row lock and then find the ticket redeemed, so exactly one changes
	// the row.
	redeemTicketSQL = `UPDATE acceptance_tickets SET redeemed_at = ?
WHERE id = ? AND redeemed_at IS NULL AND expires_at > ? RETURNING ` + ticketColumns

	ticketByIDSQL = `SELECT ` + ticketColumns + ` FROM acceptance_tickets WHERE id = ?`
)

// issueTicket stores the ticket t that tells the host application that u
// joined, with membership m: t names the invitation or the join link it is
// of, and the audience. It can be redeemed for invited.TicketTTL.
func (tx *Tx) issueTicket(ctx context.Context, t *invited.AcceptanceTicket, u *invited.User, m *invited.Membership) (*invited.AcceptanceTicket, error) {
	t.ID, t.OrgID, t.UserID, t.Email, t.Name = invited.NewID(invited.PrefixTicket, tx.now), m.OrgID, u.ID, u.Email, u.Name
	t.Roles, t.IssuedAt, t.ExpiresAt = slices.Clone(m.Roles), tx.now, tx.now.Add(invited.TicketTTL)
	_, err := tx.exec(ctx, insertTicketSQL, t.ID, nullText(t.InvitationID), nullText(t.JoinLinkID), t.OrgID, t.UserID,
		t.Email, t.Name, jsonText(t.Roles), t.Audience, ms(t.IssuedAt), ms(t.ExpiresAt), nullMS(t.RedeemedAt))
	return t, err
}

// RedeemAcceptanceTicket redeems ticket id once, before it expires, for a
// caller who sees its organization. The redemption is one guarded UPDATE;
// only when it changes nothing is the ticket read to say why.
func (db *DB) RedeemAcceptanceTicket(ctx context.Context, id string) (*invited.AcceptanceTicket, error) {
	if !invited.ValidID(id, invited.PrefixTicket) {
		return nil, errNotFound("acceptance ticket")
	}
	a := invited.ActorFromContext(ctx)
	var t *invited.AcceptanceTicket
	err := db.writeTx(ctx, func(tx *Tx) error {
		var err error
		t, err = scanTicket(tx.queryRow(ctx, redeemTicketSQL, ms(tx.now), id, ms(tx.now)))
		redeemed := err == nil
		if errors.Is(err, sql.ErrNoRows) {
			t, err = scanTicket(tx.queryRow(ctx, ticketByIDSQL, id))
		}
		if err != nil {
			return notFound(err, "acceptance ticket")
		}
		switch {
		case !a.CanSee(t.OrgID):
			// The error rolls back the redemption: the ticket stays
			// for the host application it belongs to.
			return errNotFound("acceptance ticket")
		case redeemed:
			return tx.audit(ctx, "acceptance_ticket.redeemed", invited.ResourceAcceptanceTicket, t.ID, t.OrgID)
		case t.RedeemedAt != nil:
			return invited.Errorf(invited.ETICKETREDEEMED, "the acceptance ticket was redeemed already")
		}
		return invited.Errorf(invited.ETICKETEXPIRED, "the acceptance ticket has expired")
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}
