package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/invitedhq/invited"
)

const consoleSessionColumns = `s.id, s.api_key_id, s.created_at, s.last_seen_at, s.expires_at`

func scanConsoleSession(sc scanner) (*invited.ConsoleSession, error) {
	s := &invited.ConsoleSession{}
	return s, sc.Scan(&s.ID, &s.APIKeyID, timeCol{&s.CreatedAt}, timeCol{&s.LastSeenAt}, timeCol{&s.ExpiresAt})
}

// sessionKey is the API key of the actor in ctx, whose sessions the
// console's session methods act on.
func sessionKey(ctx context.Context) (string, error) {
	a := invited.ActorFromContext(ctx)
	if a == nil || a.APIKeyID == "" || a.IsUser() {
		return "", invited.Errorf(invited.EUNAUTHENTICATED, "console sessions are for API keys")
	}
	return a.APIKeyID, nil
}

// CreateConsoleSession starts a session for the actor's key, storing the
// hash of its secret, and deletes the key's expired sessions.
func (db *DB) CreateConsoleSession(ctx context.Context) (*invited.ConsoleSession, string, error) {
	keyID, err := sessionKey(ctx)
	if err != nil {
		return nil, "", err
	}
	var s *invited.ConsoleSession
	var secret string
	err = db.writeTx(ctx, func(tx *Tx) error {
		s, secret = invited.NewConsoleSession(keyID, tx.now)
		if _, err := tx.exec(ctx, `DELETE FROM console_sessions WHERE api_key_id = ? AND (expires_at <= ? OR last_seen_at <= ?)`,
			keyID, ms(tx.now), ms(tx.now.Add(-invited.ConsoleSessionIdle))); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `INSERT INTO console_sessions (id, api_key_id, secret_hash, created_at, last_seen_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, s.ID, s.APIKeyID, invited.HashSecret(secret), ms(s.CreatedAt), ms(s.LastSeenAt), ms(s.ExpiresAt))
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return s, secret, nil
}

// AuthenticateConsoleSession returns the actor of the key of a session
// secret. A session found expired is deleted; one last seen more than
// ConsoleSessionTouch ago is seen again.
func (db *DB) AuthenticateConsoleSession(ctx context.Context, secret string) (*invited.Actor, *invited.ConsoleSession, error) {
	if !invited.ValidSecretShape(secret, invited.SecretPrefixConsoleSession) {
		return nil, nil, errBadSession()
	}
	var s *invited.ConsoleSession
	var key *invited.APIKey
	var now time.Time
	err := db.readTx(ctx, func(tx *Tx) error {
		now = tx.now
		var err error
		s, err = scanConsoleSession(tx.queryRow(ctx, `SELECT `+consoleSessionColumns+` FROM console_sessions s WHERE s.secret_hash = ?`,
			invited.HashSecret(secret)))
		if errors.Is(err, sql.ErrNoRows) {
			return errBadSession()
		}
		if err != nil {
			return err
		}
		key, err = scanAPIKey(tx.queryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k WHERE k.id = ?`, s.APIKeyID))
		return err
	})
	switch {
	case err != nil:
		return nil, nil, err
	case key.RevokedAt != nil:
		return nil, nil, errBadSession()
	case !s.Active(now):
		db.deleteConsoleSession(ctx, s.ID)
		return nil, nil, errBadSession()
	case now.Sub(s.LastSeenAt) >= invited.ConsoleSessionTouch:
		db.touchConsoleSession(ctx, s)
	}
	return db.keyActor(ctx, key, now), s, nil
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

// FindConsoleSessions lists the active sessions of the actor's key, newest
// first.
func (db *DB) FindConsoleSessions(ctx context.Context) ([]*invited.ConsoleSession, error) {
	keyID, err := sessionKey(ctx)
	if err != nil {
		return nil, err
	}
	var sessions []*invited.ConsoleSession
	err = db.readTx(ctx, func(tx *Tx) (err error) {
		sessions, err = queryList(ctx, tx, scanConsoleSession, `SELECT `+consoleSessionColumns+` FROM console_sessions s
			WHERE s.api_key_id = ? AND s.expires_at > ? AND s.last_seen_at > ? ORDER BY s.id DESC`,
			keyID, ms(tx.now), ms(tx.now.Add(-invited.ConsoleSessionIdle)))
		return err
	})
	return sessions, err
}

// EndConsoleSession ends a session of the actor's key; another key's
// sessions are not found.
func (db *DB) EndConsoleSession(ctx context.Context, id string) error {
	keyID, err := sessionKey(ctx)
	if err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM console_sessions WHERE id = ? AND api_key_id = ?`, id, keyID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, errNotFound("console session"))
		}
		return nil
	})
}
