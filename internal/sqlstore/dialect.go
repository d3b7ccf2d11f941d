package sqlstore

import (
	"database/sql"
	"errors"
	"strings"
)

// dialect is everything sqlstore needs to know about the database it runs
// on. Queries are written once, in SQL both databases understand, with ?
// placeholders; what truly differs between databases goes through here, in
// the manner of GoToSocial's per-backend error processing.
type dialect struct {
	// name selects the migrations in migrations/<name>.
	name string
	// rebind rewrites the ? placeholders of a query into the driver's own.
	rebind func(query string) string
	// uniqueViolation reports whether err is a unique-constraint violation,
	// which callers turn into the domain error the constraint stands for.
	uniqueViolation func(err error) bool
	// unavailable reports whether err says the database cannot be reached
	// or is refusing work for now: a condition to retry later, not a bug.
	unavailable func(err error) bool
	// rowLocks says that the database runs write transactions side by side
	// and offers SELECT … FOR UPDATE to make them take turns on a row.
	// Without it (SQLite) write transactions run one at a time, which makes
	// row locks unnecessary.
	rowLocks bool
	// setupLock starts the transactions of one-time setup (migrations, the
	// first admin key), so that instances starting together take turns; ""
	// where write transactions take turns anyway.
	setupLock string
	// nameLock takes a lock on a name until the transaction ends, its
	// arguments two 32-bit keys (a class of names, and a name's digest),
	// so that transactions about one name take turns where there is no row
	// to lock (Tx.lockName); "" where write transactions take turns anyway.
	nameLock string
	// fuseWrites says that several writes can share one statement, as
	// data-modifying WITH clauses (PostgreSQL): see Tx.hold.
	fuseWrites bool
	// detachReads says that a read of one row by its key never waits for
	// another connection, and so that cancelling it would interrupt
	// nothing: SQLite in WAL mode, where readers take no lock and a wait
	// for a busy file ends after busy_timeout anyway (Tx.detached). Not
	// PostgreSQL, where a statement is a round trip to a server that may
	// stall.
	detachReads bool
	// contains is the condition that the text or bytes of column col
	// hold the value of one placeholder.
	contains func(col string) string
}

// lock returns the locking clause, preceded by a space, for a query to end
// with where the database has row locks, and "" where it has none. The
// clause is written in PostgreSQL's syntax, the only one that has them.
func (d dialect) lock(clause string) string {
	if !d.rowLocks {
		return ""
	}
	return " " + clause
}

// errUnsupportedURL does not repeat the URL: a database URL may hold a
// password.
var errUnsupportedURL = errors.New("sqlstore: unsupported database URL: want sqlite:PATH or postgres://…")

// pools are the connection pools of a database: one for write
// transactions and one for read-only ones, which may be the same pool.
type pools struct {
	write, read *sql.DB
	// close closes the pools and whatever they are built on.
	close func() error
	// file is the SQLite database file; "" on PostgreSQL.
	file string
}

// openPools picks the dialect of dsn and opens its pools; mustExist
// refuses a SQLite file that does not exist (Options.MustExist).
func openPools(dsn string, mustExist bool) (dialect, pools, error) {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		p, err := openSQLite(path, mustExist)
		return sqliteDialect, p, err
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		p, err := openPostgres(dsn)
		return postgresDialect, p, err
	}
	return dialect{}, pools{}, errUnsupportedURL
}
