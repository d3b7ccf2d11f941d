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
}

// errUnsupportedURL does not repeat the URL: a database URL may hold a
// password.
var errUnsupportedURL = errors.New("sqlstore: unsupported database URL: want sqlite:PATH")

// openPools picks the dialect of dsn and opens its write and read pools.
func openPools(dsn string) (dialect, *sql.DB, *sql.DB, error) {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		w, r, err := openSQLite(path)
		return sqliteDialect, w, r, err
	}
	return dialect{}, nil, nil, errUnsupportedURL
}
