package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/invitedhq/invited"
)

// Joining through a link on the hosted page (issue 15): the page asks for
// an address, RequestJoinConfirmation writes to it, and ConfirmJoin, when
// the letter's link is followed, uses the join link for that address on
// the AcceptJoinLink path (useJoinLink) and issues the acceptance ticket,
// in one transaction. Like AcceptInvitationByLink, both are authorized by
// possession of a secret alone, so the audit log names no actor: only
// where the request came from.
//
// The confirmation's secret is minted when its letter is claimed for
// delivery (mintConfirmation), and only its hash is stored.

const (
	joinConfirmationColumns = `c.id, c.link_id, c.email, c.name, c.created_at, c.expires_at, c.confirmed_at`

	insertJoinConfirmationSQL = `INSERT INTO join_confirmations (id, link_id, link_token_hash, message_id, email, name,
	created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

	// recentJoinConfirmationsSQL counts the letters an address was sent
	// since a moment, through any link.
	recentJoinConfirmationsSQL = `SELECT COUNT(*), MIN(created_at) FROM join_confirmations WHERE email = ? AND created_at > ?`

	// joinConfirmationBySecretSQL loads a confirmation by its secret's
	// hash, with the token hash of its link as it was asked for.
	joinConfirmationBySecretSQL = `SELECT ` + joinConfirmationColumns + `, c.link_token_hash
FROM join_confirmations c WHERE c.secret_hash = ?`

	confirmJoinSQL = `UPDATE join_confirmations SET confirmed_at = ? WHERE id = ?`

	// mintConfirmationSQL gives the confirmation of a letter the hash of a
	// new secret while it can still be confirmed; its arguments are the
	// hash, the letter's id and now.
	mintConfirmationSQL = `UPDATE join_confirmations SET secret_hash = ?
WHERE message_id = ? AND confirmed_at IS NULL AND expires_at > ?`
)

func joinConfirmationDest(c *invited.JoinConfirmation) []any {
	return []any{&c.ID, &c.LinkID, &c.Email, &c.Name, timeCol{&c.CreatedAt}, timeCol{&c.ExpiresAt}, nullTimeCol{&c.ConfirmedAt}}
}

// RequestJoinConfirmation asks the holder of email to confirm that they,
// named name, join through the link of token: it checks the link is live
// and admits the address, and queues the letter, whose link ConfirmJoin
// takes. An address is sent at most MaxJoinConfirmationsPerHour letters an
// hour, through any link (rate_limited).
func (db *DB) RequestJoinConfirmation(ctx context.Context, token, email, name string) (*invited.JoinConfirmation, error) {
	hash, err := linkHash(token, "join link")
	if err != nil {
		return nil, err
	}
	f := invited.FieldErrors{}
	email, ok := invited.NormalizeEmail(strings.TrimSpace(email))
	if !ok {
		f.Add("email", invited.Problemf("join_email"))
	}
	name = checkLinkName(f, name)
	if err := f.Err(); err != nil {
		return nil, err
	}
	var c *invited.JoinConfirmation
	err = db.writeTx(ctx, func(tx *Tx) error {
		l, org, err := tx.joinLinkByToken(ctx, hash, false)
		if err != nil {
			return err
		}
		if err := l.Usable(tx.now); err != nil {
			return err
		}
		// The letter proves the address: it is judged as verified.
		if err := l.Admits(&invited.User{Email: email, EmailVerified: true}, org.Settings); err != nil {
			return err
		}
		if err := tx.limitConfirmations(ctx, email); err != nil {
			return err
		}
		c = &invited.JoinConfirmation{ID: invited.NewID(invited.PrefixJoinConfirmation, tx.now), LinkID: l.ID,
			Email: email, Name: name, CreatedAt: tx.now, ExpiresAt: tx.now.Add(invited.JoinConfirmationTTL)}
		m := tx.newMessage(invited.ChannelEmail, invited.KindJoinConfirmation, l.OrgID, email, tx.now)
		m.Letter = c.ConfirmationLetter(l, org)
		if err := tx.enqueue(ctx, []*invited.Message{m}); err != nil {
			return err
		}
		_, err = tx.exec(ctx, insertJoinConfirmationSQL, c.ID, c.LinkID, hash, m.ID, c.Email, c.Name,
			ms(c.CreatedAt), ms(c.ExpiresAt))
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// limitConfirmations refuses a confirmation letter to an address that had
// MaxJoinConfirmationsPerHour in the last hour, until the oldest of them
// is an hour old.
func (tx *Tx) limitConfirmations(ctx context.Context, email string) error {
	// Requests for one address take turns, so that each counts the
	// letters of those before it.
	if err := tx.lockName(ctx, lockJoinConfirmations, email); err != nil {
		return err
	}
	var n int
	var oldest *time.Time
	since := tx.now.Add(-invited.JoinConfirmationTTL)
	if err := tx.queryRow(ctx, recentJoinConfirmationsSQL, email, ms(since)).Scan(&n, nullTimeCol{&oldest}); err != nil {
		return err
	}
	if n < invited.MaxJoinConfirmationsPerHour {
		return nil
	}
	return invited.RateLimited("this address was sent several confirmation emails in the last hour; use one of those, or try again later",
		oldest.Sub(since))
}

// openJoinConfirmation loads the confirmation of secret with its link and
// the link's organization, the link locked when lock is set. A
// confirmation whose link was rotated since it was asked for opens
// nothing, as the old token does.
func (tx *Tx) openJoinConfirmation(ctx context.Context, hash []byte, lock bool) (*invited.JoinConfirmation, *invited.JoinLink, *invited.Organization, error) {
	c := &invited.JoinConfirmation{}
	var tokenHash []byte
	query := joinConfirmationBySecretSQL
	if lock {
		query += tx.lock("FOR UPDATE")
	}
	if err := tx.queryRow(ctx, query, hash).Scan(append(joinConfirmationDest(c), &tokenHash)...); err != nil {
		return nil, nil, nil, notFound(err, "join confirmation")
	}
	l, org, err := tx.joinLinkByToken(ctx, tokenHash, lock)
	if err != nil {
		return nil, nil, nil, notFound(err, "join confirmation")
	}
	return c, l, org, nil
}

// OpenJoinConfirmation returns the confirmation of secret, with its link
// and the link's organization, for the page that asks to confirm.
func (db *DB) OpenJoinConfirmation(ctx context.Context, secret string) (*invited.JoinConfirmation, *invited.JoinLink, *invited.Organization, error) {
	hash, err := linkHash(secret, "join confirmation")
	if err != nil {
		return nil, nil, nil, err
	}
	var c *invited.JoinConfirmation
	var l *invited.JoinLink
	var org *invited.Organization
	err = db.readOne(ctx, func(tx *Tx) (err error) {
		c, l, org, err = tx.openJoinConfirmation(ctx, hash, false)
		return err
	})
	return c, l, org, err
}

// ConfirmJoin confirms the confirmation of secret, once and within its
// hour, and uses its join link for the address it was sent to, which it
// proves: the user with it is found and their address marked verified, or
// created with it verified, and joins on the AcceptJoinLink path, with all
// of its rules (max_uses exactly, one use per person, the link's
// lifecycle, the email domains). In the same transaction it issues the
// acceptance ticket, of the join link. Whatever refuses the use leaves the
// confirmation unused.
func (db *DB) ConfirmJoin(ctx context.Context, secret string) (*invited.JoinConfirmed, error) {
	hash, err := linkHash(secret, "join confirmation")
	if err != nil {
		return nil, err
	}
	a := &invited.Actor{RemoteAddr: invited.ActorFromContext(ctx).RemoteAddr}
	ctx = invited.NewContextWithActor(ctx, a)
	var out *invited.JoinConfirmed
	err = db.writeTx(ctx, func(tx *Tx) error {
		c, l, org, err := tx.openJoinConfirmation(ctx, hash, true)
		if err != nil {
			return err
		}
		if err := c.Confirm(tx.now); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, confirmJoinSQL, ms(tx.now), c.ID); err != nil {
			return err
		}
		acc, err := tx.useJoinLink(ctx, a, l, org, invited.Acceptor{Email: c.Email, Name: c.Name, EmailVerified: true})
		if err != nil {
			return err
		}
		out = &invited.JoinConfirmed{JoinLinkAcceptance: acc, Organization: org}
		if acc.Membership == nil {
			return nil // a link that requires approval filed a join request: nobody joined yet
		}
		out.Ticket, err = tx.issueTicket(ctx, &invited.AcceptanceTicket{JoinLinkID: l.ID, Audience: l.Audience}, acc.User, acc.Membership)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// mintConfirmation gives the join confirmation letter m, being claimed,
// its link: a new secret in m.Token, whose hash replaces the
// confirmation's, so that the link of the letter delivered last is the
// one that works. It reports false, minting nothing, when the
// confirmation was confirmed or has expired: the letter is not worth
// sending.
func (tx *Tx) mintConfirmation(ctx context.Context, m *invited.Message) (bool, error) {
	secret := newToken()
	res, err := tx.exec(ctx, mintConfirmationSQL, invited.HashSecret(secret), m.ID, ms(tx.now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	m.Token = secret
	return true, nil
}
