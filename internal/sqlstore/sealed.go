package sqlstore

import (
	"context"
	"fmt"

	"github.com/invitedhq/invited/internal/secretbox"
)

// Secrets the service must read back to use, and that a copy of the
// database must not give away: the private keys acceptance tickets are
// signed with, and webhook endpoints' signing secrets. With encryption keys
// configured (INVITED_ENCRYPTION_KEYS) each is sealed, in its column's
// _sealed twin; without, it stays in the plain column, since the
// quickstart runs without keys and tickets and webhooks must work there
// too. Open seals what is still plain once keys are configured.

// plainColumn is such a secret: table.name plain, or sealed in the
// sealedColumn. text says the plain column is TEXT, not BLOB.
type plainColumn struct {
	sealedColumn
	text bool
}

var (
	privateKeyColumn = plainColumn{sealedColumn{"signing_keys", "private_key",
		func(id string) string { return "signing_key:" + id + ":private_key" }}, false}
	webhookSecretColumn = plainColumn{sealedColumn{"webhooks", "secret",
		func(id string) string { return "webhook:" + id + ":secret" }}, true}
)

// plainColumns are all the secrets kept plain without keys.
var plainColumns = []plainColumn{privateKeyColumn, webhookSecretColumn}

// store returns the arguments for the plain and the sealed column of c in
// row id that hold secret: sealed when keys are configured, plain
// otherwise.
func (db *DB) store(c plainColumn, id string, secret []byte) (plain, sealed any, err error) {
	if !db.secrets.Configured() {
		if c.text {
			return string(secret), nil, nil
		}
		return secret, nil, nil
	}
	s, err := db.secrets.Seal(secret, c.context(id))
	return nil, s, err
}

// load returns the secret of row id from c's plain and sealed columns as
// read.
func (db *DB) load(c plainColumn, id string, plain []byte, sealed string) ([]byte, error) {
	if sealed == "" {
		return plain, nil
	}
	secret, err := db.secrets.Open(sealed, c.context(id))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s of %s is sealed under the encryption key %q, which INVITED_ENCRYPTION_KEYS does not hold: %w",
			c, id, secretbox.KeyOf(sealed), err)
	}
	return secret, nil
}

// sealPlain seals every value of plainColumns still stored plain, when
// keys are configured, and returns how many it sealed. Each is written
// only if it is still plain, so that instances starting together seal it
// once.
func (db *DB) sealPlain(ctx context.Context) (int, error) {
	if !db.secrets.Configured() {
		return 0, nil
	}
	var n int
	for _, c := range plainColumns {
		err := db.writeTx(ctx, func(tx *Tx) error {
			type row struct {
				id    string
				plain []byte
			}
			rows, err := queryList(ctx, tx, func(s scanner) (r row, err error) { return r, s.Scan(&r.id, &r.plain) },
				`SELECT id, `+c.name+` FROM `+c.table+` WHERE `+c.name+` IS NOT NULL`)
			if err != nil {
				return err
			}
			for _, r := range rows {
				_, sealed, err := db.store(c, r.id, r.plain)
				if err != nil {
					return err
				}
				res, err := tx.exec(ctx, `UPDATE `+c.table+` SET `+c.column()+` = ?, `+c.name+` = NULL WHERE id = ? AND `+
					c.name+` IS NOT NULL`, sealed, r.id)
				if err != nil {
					return err
				}
				m, err := res.RowsAffected()
				if err != nil {
					return err
				}
				n += int(m)
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("sqlstore: sealing %s: %w", c, err)
		}
	}
	return n, nil
}
