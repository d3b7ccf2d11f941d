package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/invitedhq/invited"
)

const consoleSessionColumns = `s.id, s.api_key_id, s.identity, s.created_at, s.last_seen_at, s.expires_at`

func scanConsoleSession(sc scanner) (*invited.ConsoleSession, error) {
	s := &invited.ConsoleSession{}
	return s, sc.Scan(&s.ID, textCol{&s.APIKeyID}, jsonCol{&s.User}, timeCol{&s.CreatedAt}, timeCol{&s.LastSeenAt},
		timeCol{&s.ExpiresAt})
}

// sessionOwner is the credential of the actor in ctx, whose sessions the
// console's session methods act on, as a condition on console_sessions.
func sessionOwner(ctx context.Context) (where, error) {
	var w where
	a := invited.ActorFromContext(ctx)
	if err := invited.CheckConsoleActor(a); err != nil {
		return w, err
	}
	if a.User != nil {
		w.add("s.user_external_id = ?", a.User.ExternalID)
	} else {
		w.add("s.api_key_id = ?", a.APIKeyID)
	}
	return w, nil
}

// CreateConsoleSession starts a session for the actor's credential,
// storing the hash of its secret.
func (db *DB) CreateConsoleSession(ctx context.Context, notAfter time.Time) (*invited.ConsoleSession, string, error) {
	var s *invited.ConsoleSession
	var secret string
	err := db.writeTx(ctx, func(tx *Tx) (err error) {
		s, secret, err = invited.NewConsoleSession(invited.ActorFromContext(ctx), tx.now, notAfter)
		if err != nil {
			return err
		}
		var subject, identity any
		if s.User != nil {
			subject, identity = s.User.ExternalID, jsonText(s.User)
		}
		_, err = tx.exec(ctx, `INSERT INTO console_sessions (id, api_key_id, user_external_id, identity, secret_hash,
	created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.ID, nullText(s.APIKeyID), subject, identity,
			invited.HashSecret(secret), ms(s.CreatedAt), ms(s.LastSeenAt), ms(s.ExpiresAt))
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return s, secret, nil
}

// AuthenticateConsoleSession returns the actor of a session secret: its
// key's, or its user's with the grants they hold now. A session found
// expired is deleted; one last seen more than ConsoleSessionTouch ago is
// seen again.
func (db *DB) AuthenticateConsoleSession(ctx context.Context, secret string) (*invited.Actor, *invited.ConsoleSession, error) {
	if !invited.ValidSecretShape(secret, invited.SecretPrefixConsoleSession) {
		return nil, nil, errBadSession()
	}
	var s *invited.ConsoleSession
	var key *invited.APIKey
	var user *invited.Actor
	var now time.Time
	err := db.readTx(ctx, func(tx *Tx) error {
		now = tx.now
		var err error
		s, err = scanConsoleSession(tx.queryRow(ctx, `SELECT `+consoleSessionColumns+` FROM console_sessions s WHERE s.secret_hash = ?`,
			invited.HashSecret(secret)))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return errBadSession()
		case err != nil:
			return err
		case s.User != nil:
			user, err = tx.identityActor(ctx, *s.User)
			return err
		}
		key, err = scanAPIKey(tx.queryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k WHERE k.id = ?`, s.APIKeyID))
		return err
	})
	switch {
	case err != nil:
		return nil, nil, err
	case key != nil && key.RevokedAt != nil:
		return nil, nil, errBadSession()
	case !s.Active(now):
		db.deleteConsoleSession(ctx, s.ID)
		return nil, nil, errBadSession()
	case now.Sub(s.LastSeenAt) >= invited.ConsoleSessionTouch:
		db.touchConsoleSession(ctx, s)
	}
	if user != nil {
		return user, s, nil
	}
	return db.keyActor(ctx, key, now), s, nil
}

// PurgeConsoleSessions deletes the sessions that have ended, idle or at
// their absolute expiry, in one statement: they are few, a sign-in each.
func (db *DB) PurgeConsoleSessions(ctx context.Context) (int, error) {
	var n int64
	err := db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM console_sessions WHERE expires_at <= ? OR last_seen_at <= ?`,
			ms(tx.now), ms(tx.now.Add(-invited.ConsoleSessionIdle)))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// errBadSession is the same for every session that does not work.
func errBadSession() error {
	return invited.Errorf(invited.EUNAUTHENTICATED, "the console session has ended")
}

// touchConsoleSession records that s was used, which puts off its idle
// expiry. As with touchAPIKey, a failure is logged, not answered.
func (db *DB) touchConsoleSession(ctx context.Context, s *invited.ConsoleSession) {
	err := db.writeTx(ctx, func(tx *Tx) error {
		s.LastSeenAt = tx.now
		_, err := tx.exec(ctx, `UPDATE console_sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?`, ms(tx.now), s.ID, ms(tx.now))
		return err
	})
	if err != nil {
		db.logger.WarnContext(ctx, "recording console session use failed", "session_id", s.ID, "err", err)
	}
}

// deleteConsoleSession deletes an expired session: it would be refused
// anyway, so a failure is logged, not answered.
func (db *DB) deleteConsoleSession(ctx context.Context, id string) {
	err := db.writeTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `DELETE FROM console_sessions WHERE id = ?`, id)
		return err
	})
	if err != nil {
		db.logger.WarnContext(ctx, "deleting an expired console session failed", "session_id", id, "err", err)
	}
}

// FindConsoleSessions lists the active sessions of the actor's
// credential, newest first.
func (db *DB) FindConsoleSessions(ctx context.Context) ([]*invited.ConsoleSession, error) {
	w, err := sessionOwner(ctx)
	if err != nil {
		return nil, err
	}
	var sessions []*invited.ConsoleSession
	err = db.readTx(ctx, func(tx *Tx) (err error) {
		w.add("s.expires_at > ?", ms(tx.now))
		w.add("s.last_seen_at > ?", ms(tx.now.Add(-invited.ConsoleSessionIdle)))
		sessions, err = queryList(ctx, tx, scanConsoleSession, `SELECT `+consoleSessionColumns+` FROM console_sessions s`+
			w.String()+` ORDER BY s.id DESC`, w.args...)
		return err
	})
	return sessions, err
}

// EndConsoleSession ends a session of the actor's credential; another
// credential's sessions are not found.
func (db *DB) EndConsoleSession(ctx context.Context, id string) error {
	w, err := sessionOwner(ctx)
	if err != nil {
		return err
	}
	w.add("s.id = ?", id)
	return db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM console_sessions AS s`+w.String(), w.args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, errNotFound("console session"))
		}
		return nil
	})
}
