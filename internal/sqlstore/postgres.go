package sqlstore

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

var postgresDialect = dialect{
	name:            "postgres",
	rebind:          pgRebinds.rebind,
	uniqueViolation: func(err error) bool { return pgState(err) == "23505" },
	unavailable:     pgUnavailable,
	rowLocks:        true,
	fuseWrites:      true,
	contains:        func(col string) string { return "position(? in " + col + ") > 0" },
	// A transaction-level advisory lock is released by the commit or
	// rollback, so a crashed instance cannot leave it held. The key is
	// "invited" in ASCII: any constant works as long as every instance
	// uses the same one.
	setupLock: `SELECT pg_advisory_xact_lock(` + strconv.FormatInt(0x696e7669746564, 10) + `)`,
	// The two-key form, whose keys never meet the one-key form's.
	nameLock: `SELECT pg_advisory_xact_lock(?, ?)`,
}

// Pool settings for when the URL does not give its own (pool_max_conns,
// connect_timeout).
const (
	// pgMaxConns is larger than pgx's default of max(4, NumCPU): our
	// transactions spend their time waiting on the network and on row
	// locks, not on the CPU. It is small enough that several instances
	// fit within PostgreSQL's default max_connections of 100.
	pgMaxConns = 10
	// pgConnectTimeout bounds each new connection, so that while the
	// database is down requests fail within seconds instead of hanging
	// on the operating system's TCP timeout.
	pgConnectTimeout = 3 * time.Second
)

// openPostgres opens a pgx pool for the URL and serves it to database/sql,
// so that the queries stay plain database/sql while pgxpool manages the
// connections. One pool serves reads and writes: unlike SQLite, PostgreSQL
// lets writers run side by side, with row locks where they must take
// turns. Read-only transactions still begin READ ONLY.
func openPostgres(dsn string) (pools, error) {
	cfg, err := postgresConfig(dsn)
	if err != nil {
		return pools{}, err
	}
	// Connections are made on demand, starting with Open's ping: this
	// cannot fail for want of a server.
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return pools{}, err
	}
	db := stdlib.OpenDBFromPool(pool)
	return pools{write: db, read: db, close: func() error {
		err := db.Close() // does not close the pgx pool beneath
		pool.Close()
		return err
	}}, nil
}

// postgresConfig parses the URL and fills in our defaults for what it
// leaves out.
func postgresConfig(dsn string) (*pgxpool.Config, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		// Neither error repeats the URL, which may hold a password; pgx
		// masks passwords on a best-effort basis only.
		return nil, errors.New("sqlstore: postgres: the database URL cannot be parsed")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("sqlstore: postgres: the database URL has an invalid setting")
	}
	q := u.Query()
	if !q.Has("pool_max_conns") {
		cfg.MaxConns = pgMaxConns
	}
	if !q.Has("connect_timeout") {
		cfg.ConnConfig.ConnectTimeout = pgConnectTimeout
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "invited" // for pg_stat_activity
	}
	return cfg, nil
}

// pgState is the SQLSTATE of a PostgreSQL error, or "".
func pgState(err error) string {
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		return e.Code
	}
	return ""
}

// pgUnavailable reports whether err means that PostgreSQL cannot be
// reached or is refusing connections: a failed connect, a broken
// connection, or the server saying so itself.
func pgUnavailable(err error) bool {
	// Whatever stopped a connection from being made, a wrong password
	// included, the request cannot be served until it is fixed.
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true // includes the connect timeout
	}
	if state := pgState(err); state != "" {
		switch state {
		case "57P01", // admin_shutdown
			"57P02", // crash_shutdown
			"57P03", // cannot_connect_now: starting up, shutting down, recovering
			"53300": // too_many_connections
			return true
		}
		return strings.HasPrefix(state, "08") // connection exception
	}
	// A caller that gave up (a client gone, a request deadline) is not an
	// outage. Checked before net.Error, which context.DeadlineExceeded
	// satisfies.
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	// The server vanished mid-conversation without a word.
	return errors.Is(err, io.ErrUnexpectedEOF)
}

// pgRebinds serves the PostgreSQL dialect.
var pgRebinds rebindCache

// maxRebinds bounds the cache. The queries are mostly constants, a few
// dozen texts; the rest vary only in the length of their IN lists. Past the
// bound a query is rewritten on every call, which is cheap, rather than
// remembered without limit.
const maxRebinds = 1024

// rebindCache rewrites each query text once and remembers the result.
type rebindCache struct {
	m sync.Map // query → rewritten query
	n atomic.Int64
}

func (c *rebindCache) rebind(query string) string {
	if v, ok := c.m.Load(query); ok {
		return v.(string)
	}
	out := pgPlaceholders(query)
	if c.n.Load() < maxRebinds {
		if _, loaded := c.m.LoadOrStore(query, out); !loaded {
			c.n.Add(1)
		}
	}
	return out
}

// pgPlaceholders numbers the ? placeholders of query as $1, $2, …, leaving
// alone a ? inside a quoted string or identifier. Our queries use no
// comments and no operators spelled with ?, so nothing else needs skipping.
func pgPlaceholders(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte // the quote we are inside of, or 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote { // a doubled quote closes and reopens: same result
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
