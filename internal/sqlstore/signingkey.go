package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/invitedhq/invited"
)

// The private key is sealed with the encryption keys when they are
// configured, and plain without (sealed.go).
const signingKeyColumns = `id, algorithm, private_key, private_key_sealed, created_at, retired_at`

// scanSigningKey reads a key, opening its private key.
func (db *DB) scanSigningKey(s scanner) (*invited.SigningKey, error) {
	k := &invited.SigningKey{}
	var sealed string
	if err := s.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, textCol{&sealed}, timeCol{&k.CreatedAt}, nullTimeCol{&k.RetiredAt}); err != nil {
		return nil, err
	}
	var err error
	k.PrivateKey, err = db.load(privateKeyColumn, k.ID, k.PrivateKey, sealed)
	return k, err
}

const (
	// signingKeysSQL lists the active key and the keys retired since a
	// time: the active one first, then the newest first.
	signingKeysSQL = `SELECT ` + signingKeyColumns + ` FROM signing_keys WHERE retired_at IS NULL OR retired_at >= ?
ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, created_at DESC, id DESC`

	activeSigningKeySQL = `SELECT ` + signingKeyColumns + ` FROM signing_keys WHERE retired_at IS NULL`
)

// SigningKeys returns the active key first, then the keys retired at or
// after since, newest first.
func (db *DB) SigningKeys(ctx context.Context, since time.Time) ([]*invited.SigningKey, error) {
	var keys []*invited.SigningKey
	err := db.readTx(ctx, func(tx *Tx) (err error) {
		keys, err = queryList(ctx, tx, db.scanSigningKey, signingKeysSQL, ms(since))
		return err
	})
	return keys, err
}

// AddSigningKey makes k the active key, retiring the active one at
// k.CreatedAt when rotate is set, and otherwise keeps an active key there
// is. Instances starting together take turns on the setup lock, where
// writers run side by side, so that all of them return the one key that
// got in; the partial unique index signing_keys_active backs that up.
func (db *DB) AddSigningKey(ctx context.Context, k *invited.SigningKey, rotate bool) (*invited.SigningKey, error) {
	if !invited.ValidID(k.ID, invited.PrefixSigningKey) || k.Algorithm == "" || len(k.PrivateKey) == 0 || k.CreatedAt.IsZero() {
		return nil, errors.New("sqlstore: a signing key needs an id (sig_…), an algorithm, a private key and its creation time")
	}
	// Milliseconds, as stored, so that the key returned equals the key
	// read back.
	key := &invited.SigningKey{ID: k.ID, Algorithm: k.Algorithm, PrivateKey: k.PrivateKey,
		CreatedAt: k.CreatedAt.UTC().Truncate(time.Millisecond)}
	var active *invited.SigningKey
	err := db.writeTx(ctx, func(tx *Tx) error {
		if err := tx.lockSetup(ctx); err != nil {
			return err
		}
		if rotate {
			if _, err := tx.exec(ctx, `UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL`, ms(key.CreatedAt)); err != nil {
				return err
			}
		} else {
			var err error
			active, err = db.scanSigningKey(tx.queryRow(ctx, activeSigningKeySQL))
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		active = key
		plain, sealed, err := db.store(privateKeyColumn, key.ID, key.PrivateKey)
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`) VALUES (?, ?, ?, ?, ?, NULL)`,
			key.ID, key.Algorithm, plain, sealed, ms(key.CreatedAt))
		return err
	})
	if err != nil {
		return nil, err
	}
	return active, nil
}
