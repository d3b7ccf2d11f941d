package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var sqliteDialect = dialect{
	name:   "sqlite",
	rebind: func(query string) string { return query },
	uniqueViolation: func(err error) bool {
		e, ok := errors.AsType[*sqlite.Error](err)
		return ok && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
	},
	// SQLITE_BUSY reaches a caller only when another process held the
	// database for longer than busy_timeout: it is busy, not broken.
	unavailable: func(err error) bool {
		e, ok := errors.AsType[*sqlite.Error](err)
		return ok && e.Code()&0xff == sqlite3.SQLITE_BUSY
	},
	detachReads: true,
	contains:    func(col string) string { return "instr(" + col + ", ?) > 0" },
}

// openSQLite opens the database file at path as two pools, the way
// PocketBase runs SQLite. Writes go through a single connection whose
// transactions start with BEGIN IMMEDIATE: SQLite admits one writer at a
// time, and queuing writers for that one connection inside database/sql
// means "database is locked" never reaches a user. Reads go to a pool of
// query-only connections, which WAL lets run alongside the writer. Every
// connection of both keeps the statements it runs prepared (stmtcache.go).
// Unless mustExist, a file that does not exist is created.
func openSQLite(path string, mustExist bool) (pools, error) {
	switch {
	case path == "":
		return pools{}, errors.New("sqlstore: sqlite: empty database path")
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		// Every connection to :memory: is a database of its own, so the
		// two pools would not share data; tests use a temporary file.
		return pools{}, errors.New("sqlstore: sqlite: give a file path (in-memory and file: URIs are not supported)")
	case strings.ContainsAny(path, "?#"):
		// The driver takes its parameters after the first '?'.
		return pools{}, errors.New("sqlstore: sqlite: the database path may not contain '?' or '#'")
	}
	if mustExist {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return pools{}, fmt.Errorf("sqlstore: sqlite: no database file at %s", path)
		}
	}

	// The driver runs busy_timeout before any other pragma, so that the
	// others wait for a lock instead of failing. synchronous=FULL makes
	// every commit durable on its own: an accepted invitation must survive
	// a power cut. temp_store=MEMORY keeps the writer's sub-journal in
	// memory: every page a write changes is copied there first, so that its
	// savepoint in a group commit (and each multi-row statement's) can be
	// undone alone, and past 64 KiB SQLite would spill it to a temporary
	// file, a write(2) per page on the single writer. Nothing durable lives
	// there: it serves a rollback inside the open transaction only.
	common := []string{sqliteBusyTimeout, "foreign_keys(ON)"}
	w := url.Values{
		"_pragma": slices.Concat(common, []string{"journal_mode(WAL)", "synchronous(FULL)", "temp_store(MEMORY)"}),
		"_txlock": {"immediate"},
	}
	r := url.Values{"_pragma": slices.Concat(common, []string{"query_only(1)"})}

	write, err := openSQLitePool(path + "?" + w.Encode())
	if err != nil {
		return pools{}, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)

	read, err := openSQLitePool(path + "?" + r.Encode())
	if err != nil {
		write.Close()
		return pools{}, err
	}
	n := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	return pools{write: write, read: read, close: func() error { return errors.Join(write.Close(), read.Close()) }, file: path}, nil
}

// sqliteBusyTimeout is how long a connection waits for a lock that
// another holds before it answers SQLITE_BUSY.
const sqliteBusyTimeout = "busy_timeout(5000)"

// openSQLitePool opens a pool of connections to dsn, each keeping its
// statements prepared (see stmtCacheConn).
func openSQLitePool(dsn string) (*sql.DB, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: sqlite: %w", err)
	}
	return sql.OpenDB(newStmtCacheConnector(c, stmtCacheSize)), nil
}

// OpenSQLiteWriter opens the file at path as the store's writer pool is
// opened (the same driver, pragmas, statement cache and one connection),
// with no schema: for measuring the raw durable insert the store's writes
// are compared with (invited-load -scenario sqlite-insert).
func OpenSQLiteWriter(path string) (*sql.DB, error) {
	p, err := openSQLite(path, false)
	if err != nil {
		return nil, err
	}
	p.read.Close()
	return p.write, nil
}
