package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/invitedhq/invited"
)

const ticketColumns = `id, invitation_id, org_id, user_id, email, name, roles, audience, issued_at, expires_at, redeemed_at`

func scanTicket(s scanner) (*invited.AcceptanceTicket, error) {
	t := &invited.AcceptanceTicket{}
	return t, s.Scan(&t.ID, &t.InvitationID, &t.OrgID, &t.UserID, &t.Email, &t.Name, jsonCol{&t.Roles}, &t.Audience,
		timeCol{&t.IssuedAt}, timeCol{&t.ExpiresAt}, nullTimeCol{&t.RedeemedAt})
}

const (
	insertTicketSQL = `INSERT INTO acceptance_tickets (` + ticketColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	// redeemTicketSQL redeems a ticket that is neither redeemed nor
	// expired; its arguments are now, the id and now again. Where writers
	// run side by side, concurrent redemptions wait for the first one's
	// row lock and then find the ticket redeemed, so exactly one changes
	// the row.
	redeemTicketSQL = `UPDATE acceptance_tickets SET redeemed_at = ?
WHERE id = ? AND redeemed_at IS NULL AND expires_at > ? RETURNING ` + ticketColumns

	ticketByIDSQL = `SELECT ` + ticketColumns + ` FROM acceptance_tickets WHERE id = ?`
)

// issueTicket stores the ticket that tells the host application of acc:
// who joined which organization, with the roles they now hold there, for
// which audience. It can be redeemed for invited.TicketTTL.
func (tx *Tx) issueTicket(ctx context.Context, acc *invited.Acceptance) (*invited.AcceptanceTicket, error) {
	t := &invited.AcceptanceTicket{
		ID:           invited.NewID(invited.PrefixTicket, tx.now),
		InvitationID: acc.Invitation.ID,
		OrgID:        acc.Invitation.OrgID,
		UserID:       acc.User.ID,
		Email:        acc.User.Email,
		Name:         acc.User.Name,
		Roles:        slices.Clone(acc.Membership.Roles),
		Audience:     acc.Invitation.Audience,
		IssuedAt:     tx.now,
		ExpiresAt:    tx.now.Add(invited.TicketTTL),
	}
	_, err := tx.exec(ctx, insertTicketSQL, t.ID, t.InvitationID, t.OrgID, t.UserID, t.Email, t.Name, jsonText(t.Roles),
		t.Audience, ms(t.IssuedAt), ms(t.ExpiresAt), nullMS(t.RedeemedAt))
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
