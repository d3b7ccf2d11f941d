package sqlstore

import (
	"context"
	"time"
)

// spendRateSQL is internal/ratelimit.Shared's one statement per spend:
// the generic cell rate algorithm on the bucket's row, atomic with every
// other instance's spends by the row's lock. Its arguments: the key, and
// the row of a full bucket after the spend (its tat and granted, what a
// new key, or one whose tat has passed, becomes); then, for a bucket
// still filling (now <= tat), the spend is allowed if tat <= limit (now
// plus the slack), and takes cost plus as many extra intervals as fit
// below limit, up to extra. The arguments in the SET clauses, in order:
// now, limit, cost, then min(extra, room) as limit, interval, extra,
// limit, interval, extra, then the interval; now, limit, and min(extra,
// room) again.
const spendRateSQL = `INSERT INTO rate_limits (key, tat, granted) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET
	tat = CASE
		WHEN rate_limits.tat < ? THEN excluded.tat
		WHEN rate_limits.tat <= ? THEN rate_limits.tat + ?
			+ (CASE WHEN (? - rate_limits.tat) / ? < ? THEN (? - rate_limits.tat) / ? ELSE ? END) * ?
		ELSE rate_limits.tat END,
	granted = CASE
		WHEN rate_limits.tat < ? THEN excluded.granted
		WHEN rate_limits.tat <= ? THEN (CASE WHEN (? - rate_limits.tat) / ? < ? THEN (? - rate_limits.tat) / ? ELSE ? END)
		ELSE -1 END
RETURNING tat, granted`

// SpendRate implements internal/ratelimit.Store in one statement, outside
// a transaction where the database allows (writeOne): on PostgreSQL one
// round trip to an UNLOGGED table.
func (db *DB) SpendRate(ctx context.Context, key []byte, now time.Time, cost, slack, interval time.Duration, extra int) (ok bool, extras int, tat time.Time, err error) {
	at, limit, step, more := now.UnixNano(), now.UnixNano()+int64(slack), int64(interval), int64(extra)
	fresh := min(more, int64(slack)/step) // what a full bucket grants beyond cost
	var newTat, granted int64
	err = db.writeOne(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, spendRateSQL, key, at+int64(cost)+fresh*step, fresh,
			at, limit, int64(cost), limit, step, more, limit, step, more, step,
			at, limit, limit, step, more, limit, step, more,
		).Scan(&newTat, &granted)
	})
	if err != nil {
		return false, 0, time.Time{}, err
	}
	return granted >= 0, int(max(granted, 0)), time.Unix(0, newTat), nil
}

// PurgeRateLimits deletes the rate-limit buckets that are full again,
// which a new spend would start afresh anyway; background job.
func (db *DB) PurgeRateLimits(ctx context.Context) (int, error) {
	var n int64
	err := db.writeOne(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM rate_limits WHERE tat < ?`, tx.db.now().UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// SharedByInstances reports whether several instances may serve from the
// database at once (PostgreSQL), which then must keep what they share,
// such as rate limits (SpendRate).
func (db *DB) SharedByInstances() bool { return db.dialect.rowLocks }
