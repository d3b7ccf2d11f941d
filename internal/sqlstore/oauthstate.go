package sqlstore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"time"

	"github.com/invitedhq/invited"
)

// The partner's side of an app invite link (issue 6): opening it, and the
// authorizations it starts at the platform. Each started authorization is
// a row of oauth_states, keyed by the hash of the OAuth state and bound to
// the hash of a secret the starting browser keeps, so that the platform's
// redirect completes the authorization only in that browser, once.

// maxFlowSecretLen bounds the state and the browser secret: both arrive
// from outside (a redirect's query, a cookie) and are hashed as they are.
const maxFlowSecretLen = 512

// flowSecretHash is what a state or a browser secret is stored and looked
// up by; ok is false for a value that cannot be one.
func flowSecretHash(secret string) (hash []byte, ok bool) {
	if secret == "" || len(secret) > maxFlowSecretLen {
		return nil, false
	}
	return invited.HashSecret(secret), true
}

const (
	insertStateSQL = `INSERT INTO oauth_states (state_hash, app_invite_id, browser_hash, created_at, expires_at)
VALUES (?, ?, ?, ?, ?)`

	// deleteExpiredStatesSQL clears an invite's expired authorizations;
	// its arguments are the invite's id and now.
	deleteExpiredStatesSQL = `DELETE FROM oauth_states WHERE app_invite_id = ? AND expires_at <= ?`

	// openStatesSQL counts an invite's open authorizations and says when
	// the first of them expires.
	openStatesSQL = `SELECT COUNT(*), MIN(expires_at) FROM oauth_states WHERE app_invite_id = ?`

	// takeStateSQL uses a state up: it is deleted whether or not what it
	// returns then passes.
	takeStateSQL = `DELETE FROM oauth_states WHERE state_hash = ? RETURNING app_invite_id, browser_hash, expires_at`

	// deleteInviteStatesSQL drops all of an invite's authorizations.
	deleteInviteStatesSQL = `DELETE FROM oauth_states WHERE app_invite_id = ?`

	// appInviteWithAppByIDSQL loads the invite a taken state names.
	appInviteWithAppByIDSQL = appInviteWithAppSQL + ` WHERE ai.id = ?`
)

// OpenAppInviteLink returns what code opens, its status as of now.
func (db *DB) OpenAppInviteLink(ctx context.Context, code string) (*invited.Authorization, error) {
	hash, err := linkHash(code, "app invite")
	if err != nil {
		return nil, err
	}
	var au *invited.Authorization
	err = db.readTx(ctx, func(tx *Tx) (err error) {
		if au, err = tx.authorization(ctx, appInviteByCodeSQL, hash); err == nil {
			au.Invite.Status = au.Invite.StatusAt(tx.now)
		}
		return err
	})
	return au, err
}

// StartAuthorization records state for the pending app invite code opens,
// bound to browser, until expiresAt. The invite is locked, so that
// concurrent starts count each other against MaxOpenAuthorizations.
func (db *DB) StartAuthorization(ctx context.Context, code, state, browser string, expiresAt time.Time) error {
	// Checked first: without keys the connection could not be stored, and
	// the partner would authorize at the platform for nothing.
	if !db.secrets.Configured() {
		return errNoTokenKeys()
	}
	hash, err := linkHash(code, "app invite")
	if err != nil {
		return err
	}
	stateHash, okState := flowSecretHash(state)
	browserHash, okBrowser := flowSecretHash(browser)
	if !okState || !okBrowser {
		return invited.Errorf(invited.EINVALID, "the state and the browser secret are 1-%d bytes", maxFlowSecretLen)
	}
	return db.writeTx(ctx, func(tx *Tx) error {
		au, err := tx.authorization(ctx, appInviteByCodeSQL+tx.lock("FOR UPDATE OF ai"), hash)
		if err != nil {
			return err
		}
		ai := au.Invite
		if s := ai.StatusAt(tx.now); s != invited.AppInvitePending {
			return invited.Errorf(invited.EINVALIDSTATE, "this app invite is %s", s)
		}
		if _, err := tx.exec(ctx, deleteExpiredStatesSQL, ai.ID, ms(tx.now)); err != nil {
			return err
		}
		var started int
		var first *time.Time
		if err := tx.queryRow(ctx, openStatesSQL, ai.ID).Scan(&started, nullTimeCol{&first}); err != nil {
			return err
		}
		if started >= invited.MaxOpenAuthorizations {
			return invited.RateLimited("too many authorizations of this app invite are under way; wait for one to finish or expire",
				first.Sub(tx.now))
		}
		_, err = tx.exec(ctx, insertStateSQL, stateHash, ai.ID, browserHash, ms(tx.now), ms(expiresAt))
		return err
	})
}

// TakeAuthorization uses state up and returns the authorization it
// started, with the app's client secret, if it has not expired and
// browser started it. Every refusal is the same not_found, so that the
// answer tells nothing about someone else's state.
func (db *DB) TakeAuthorization(ctx context.Context, state, browser string) (*invited.Authorization, error) {
	stateHash, okState := flowSecretHash(state)
	browserHash, okBrowser := flowSecretHash(browser)
	if !okState || !okBrowser {
		return nil, errUnknownState()
	}
	var au *invited.Authorization
	err := db.writeTx(ctx, func(tx *Tx) error {
		var inviteID string
		var stored []byte
		var expiresAt time.Time
		err := tx.queryRow(ctx, takeStateSQL, stateHash).Scan(&inviteID, &stored, timeCol{&expiresAt})
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil // au stays nil: not_found
		case err != nil:
			return err
		case !tx.now.Before(expiresAt) || subtle.ConstantTimeCompare(stored, browserHash) != 1:
			// Used up all the same: the deletion commits, and au stays nil.
			return nil
		}
		if au, err = tx.authorization(ctx, appInviteWithAppByIDSQL, inviteID); err != nil {
			return err
		}
		au.Invite.Status = au.Invite.StatusAt(tx.now)
		return tx.openClientSecret(ctx, au.App)
	})
	if err == nil && au == nil {
		return nil, errUnknownState()
	}
	return au, err
}

// errUnknownState is the one answer to a state that cannot be taken.
func errUnknownState() error {
	return invited.Errorf(invited.ENOTFOUND,
		"authorization not found: it is unknown, was used already, has expired, or was started in another browser")
}
