package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/invitedhq/invited/internal/sqlstore"
)

// insertCeiling is the sqlite-insert scenario: for cfg.duration, one row
// per transaction into a fresh file at cfg.db, through the store's own
// writer setup (synchronous=FULL in WAL mode, the statement cache), with
// cfg.conns workers that take turns on its one connection as requests do.
// It is the "raw durable single-row insert" the design targets measure
// SQLite creates and accepts against.
func insertCeiling(ctx context.Context, cfg config) (*result, error) {
	if cfg.db == "" {
		return nil, errors.New("sqlite-insert needs -db, a file that does not exist yet")
	}
	if _, err := os.Stat(cfg.db); !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("-db %s: must not exist yet", cfg.db)
	}
	db, err := sqlstore.OpenSQLiteWriter(cfg.db)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE ceiling (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		return nil, err
	}
	return timeCalls(ctx, cfg, func(ctx context.Context, _, i int) (int, error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `INSERT INTO ceiling (v) VALUES (?)`, fmt.Sprintf("row %d", i)); err != nil {
			return 0, err
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
		return 200, nil // a committed row, counted as a request is
	}), nil
}
