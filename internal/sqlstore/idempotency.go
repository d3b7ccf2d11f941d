package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/invitedhq/invited"
)

// An idempotency key row with status 0 is a request in flight; any other
// status is the HTTP status of the stored answer. Rows older than
// invited.IdempotencyKeyTTL count as absent.

// BeginIdempotent reserves (scope, key) for the request with hash, or
// returns the answer stored for it.
func (db *DB) BeginIdempotent(ctx context.Context, scope, key, hash string) (*invited.IdempotentResponse, error) {
	var stored *invited.IdempotentResponse
	err := db.writeTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND created_at <= ?`,
			scope, key, ms(tx.idempotencyCutoff())); err != nil {
			return err
		}
		// The insert is the reservation: of concurrent requests with one
		// key, the unique index lets exactly one insert, and on PostgreSQL
		// makes the others wait until that one's transaction ends. The
		// reservation they then read can be gone again, abandoned by its
		// request where writers run side by side; the key is free then, so
		// they try again.
		for range 3 {
			res, err := tx.exec(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, status, created_at)
				VALUES (?, ?, ?, 0, ?) ON CONFLICT DO NOTHING`, scope, key, hash, ms(tx.now))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 1 {
				return err // reserved
			}
			var storedHash string
			var r invited.IdempotentResponse
			err = tx.queryRow(ctx, `SELECT request_hash, status, body FROM idempotency_keys WHERE scope = ? AND key = ?`,
				scope, key).Scan(&storedHash, &r.Status, &r.Body)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				continue
			case err != nil:
				return err
			case storedHash != hash:
				return invited.Errorf(invited.ECONFLICT, "Idempotency-Key was used with a different request")
			case r.Status == 0:
				return errInProgress()
			}
			stored = &r
			return nil
		}
		return errInProgress() // others keep taking and dropping the key
	})
	return stored, err
}

// FinishIdempotent stores the answer of a reserved key.
func (db *DB) FinishIdempotent(ctx context.Context, scope, key string, r invited.IdempotentResponse) error {
	return db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE idempotency_keys SET status = ?, body = ? WHERE scope = ? AND key = ? AND status = 0`,
			r.Status, r.Body, scope, key)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		return errors.New("finishing an idempotency key that is not reserved")
	})
}

// AbandonIdempotent releases a reservation, so that the request can be
// retried.
func (db *DB) AbandonIdempotent(ctx context.Context, scope, key string) error {
	return db.writeTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status = 0`, scope, key)
		return err
	})
}

// PurgeIdempotencyKeys deletes the keys past their TTL; background job.
func (db *DB) PurgeIdempotencyKeys(ctx context.Context) (int, error) {
	var n int64
	err := db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM idempotency_keys WHERE created_at <= ?`, ms(tx.idempotencyCutoff()))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

func errInProgress() error {
	return invited.Errorf(invited.ECONFLICT, "a request with this Idempotency-Key is in progress")
}

func (tx *Tx) idempotencyCutoff() time.Time { return tx.now.Add(-invited.IdempotencyKeyTTL) }
