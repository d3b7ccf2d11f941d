package sqlstore

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/invitedhq/invited"
)

// The hosted pages' side of invitation links (DESIGN.md §5): opening a
// link and accepting on the page. Both are authorized by possession of the
// token alone.

// OpenInvitationLink returns the invitation a link opens, as of now (an
// overdue one reads as expired), with its organization.
func (db *DB) OpenInvitationLink(ctx context.Context, token string) (*invited.Invitation, *invited.Organization, error) {
	var r *invitationRow
	err := db.readLink(ctx, token, func(tx *Tx, row *invitationRow) {
		r = row
		r.inv.Status = r.inv.StatusAt(tx.now)
	})
	if err != nil {
		return nil, nil, err
	}
	return r.inv, r.org, nil
}

// AcceptInvitationByLink accepts an email invitation on the hosted page,
// on the accept path of the API, and issues the acceptance ticket in the
// same transaction. name names the user if one is created.
func (db *DB) AcceptInvitationByLink(ctx context.Context, token, name string) (*invited.Acceptance, error) {
	name, err := linkAcceptorName(name)
	if err != nil {
		return nil, err
	}
	// The token is the only credential, so the audit log names no actor,
	// whatever else the context carries: only where the request came from.
	ctx = invited.NewContextWithActor(ctx, &invited.Actor{RemoteAddr: invited.ActorFromContext(ctx).RemoteAddr})
	return db.accept(ctx, token, acceptRoute{ticket: true, admit: func(r *invitationRow) (invited.Acceptor, error) {
		if r.inv.Email == "" {
			return invited.Acceptor{}, invited.Errorf(invited.EINVALIDSTATE,
				"only invitations sent to an email address can be accepted here; sign in to the app you were invited to and accept there")
		}
		// Following the emailed link proves control of the address: the
		// user with it is found and their address marked verified, or
		// created with it verified.
		return invited.Acceptor{Email: r.inv.Email, Name: name, EmailVerified: true}, nil
	}})
}

// linkAcceptorName checks the name given on the hosted page, which names
// the user created for someone the service does not know yet.
func linkAcceptorName(name string) (string, error) {
	f := invited.FieldErrors{}
	name = checkLinkName(f, name)
	return name, f.Err()
}

// checkLinkName is linkAcceptorName, adding the problem to f as "name".
func checkLinkName(f invited.FieldErrors, name string) string {
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n == 0 || n > invited.MaxNameRunes || !utf8.ValidString(name) {
		f.Add("name", invited.Problemf("join_name", "max", invited.MaxNameRunes))
	}
	return name
}
