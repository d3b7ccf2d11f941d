package sqlstore

import (
	"context"
	"fmt"

	"github.com/invitedhq/invited/internal/secretbox"
)

// Resealing: after a new encryption key is put first, every value sealed
// under an older key is sealed again under the new one, so that the older
// keys can be dropped (docs/deployment.md#encryption-keys). It runs while
// the service serves: in batches, each value written only if it is still
// the one that was read, so that a token renewed or deleted meanwhile is
// never overwritten with the old one.

// resealBatch is how many rows are read, and written, at a time.
const resealBatch = 500

// sealedColumn is a column of values sealed with the encryption keys:
// table.name_sealed, each value bound to the context its row's id gives.
type sealedColumn struct {
	table, name string
	context     func(id string) string
}

func (c sealedColumn) column() string { return c.name + "_sealed" }

// String is how reports name the column.
func (c sealedColumn) String() string { return c.table + "." + c.name }

// sealedColumns are all the columns that hold sealed values.
var sealedColumns = []sealedColumn{
	{"apps", "client_secret", clientSecretContext},
	{"profiles", accessTokenColumn, func(id string) string { return profileTokenContext(id, accessTokenColumn) }},
	{"profiles", refreshTokenColumn, func(id string) string { return profileTokenContext(id, refreshTokenColumn) }},
	privateKeyColumn.sealedColumn,
	webhookSecretColumn.sealedColumn,
}

// ResealReport is what Reseal found and did.
type ResealReport struct {
	// Key is the sealing key, which every value is under once resealed.
	Key string
	// Columns are the counts of each sealed column, apps' first.
	Columns []ResealCount
	// Unopened are the values that open under none of the keys. They are
	// left as they are.
	Unopened []SealedValue
}

// ResealCount counts the values of one sealed column.
type ResealCount struct {
	Column   string // table.column, such as "profiles.access_token"
	Resealed int    // sealed again under the sealing key
	Current  int    // under the sealing key already
	// Changed were under another key when read, and replaced or deleted
	// by the service before they could be written: left to it.
	Changed int
}

// SealedValue names a sealed value without showing it.
type SealedValue struct {
	Column string // table.column
	ID     string // the row's id
	Key    string // the id of the key the value says it is sealed under
}

// Reseal seals every value under another key than the sealing one again,
// under the sealing one. It reports, and leaves alone, the values that open
// under none of the keys.
func (db *DB) Reseal(ctx context.Context) (*ResealReport, error) {
	return db.resealAll(ctx, resealBatch)
}

// resealAll is Reseal in batches of batch rows.
func (db *DB) resealAll(ctx context.Context, batch int) (*ResealReport, error) {
	if !db.secrets.Configured() {
		return nil, fmt.Errorf("sqlstore: reseal: %w: set INVITED_ENCRYPTION_KEYS, the new key first and the old ones after it",
			secretbox.ErrNoKeys)
	}
	r := &ResealReport{Key: db.secrets.SealingKey()}
	for _, c := range sealedColumns {
		count := ResealCount{Column: c.String()}
		for after := ""; ; {
			rows, err := db.sealedRows(ctx, c, after, batch)
			if err != nil {
				return nil, err
			}
			unopened, err := db.resealRows(ctx, c, rows, &count)
			if err != nil {
				return nil, err
			}
			r.Unopened = append(r.Unopened, unopened...)
			if len(rows) < batch {
				break
			}
			after = rows[len(rows)-1].id
		}
		r.Columns = append(r.Columns, count)
	}
	return r, nil
}

// sealedRow is a row's sealed value as read.
type sealedRow struct{ id, sealed string }

// sealedRows reads c's values in the first limit rows, by id, after id
// after.
func (db *DB) sealedRows(ctx context.Context, c sealedColumn, after string, limit int) ([]sealedRow, error) {
	var rows []sealedRow
	err := db.readTx(ctx, func(tx *Tx) (err error) {
		rows, err = queryList(ctx, tx, func(s scanner) (r sealedRow, err error) { return r, s.Scan(&r.id, &r.sealed) },
			`SELECT id, `+c.column()+` FROM `+c.table+` WHERE id > ? AND `+c.column()+` IS NOT NULL ORDER BY id LIMIT ?`,
			after, limit)
		return err
	})
	return rows, err
}

// resealRows seals rows, read from c, again under the sealing key and writes
// each back unless it changed since it was read. It adds what it did to
// count and returns the values that do not open.
func (db *DB) resealRows(ctx context.Context, c sealedColumn, rows []sealedRow, count *ResealCount) ([]SealedValue, error) {
	type change struct{ id, old, new string }
	var changes []change
	var unopened []SealedValue
	for _, row := range rows {
		key := secretbox.KeyOf(row.sealed)
		if key == db.secrets.SealingKey() {
			count.Current++
			continue
		}
		plain, err := db.secrets.Open(row.sealed, c.context(row.id))
		if err != nil {
			unopened = append(unopened, SealedValue{Column: c.String(), ID: row.id, Key: key})
			continue
		}
		sealed, err := db.secrets.Seal(plain, c.context(row.id))
		if err != nil {
			return nil, err
		}
		changes = append(changes, change{row.id, row.sealed, sealed})
	}
	if len(changes) == 0 {
		return unopened, nil
	}
	var resealed int
	err := db.writeTx(ctx, func(tx *Tx) error {
		for _, ch := range changes {
			res, err := tx.exec(ctx, `UPDATE `+c.table+` SET `+c.column()+` = ? WHERE id = ? AND `+c.column()+` = ?`,
				ch.new, ch.id, ch.old)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			resealed += int(n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	count.Resealed += resealed
	count.Changed += len(changes) - resealed
	return unopened, nil
}
