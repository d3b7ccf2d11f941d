package sqlstore

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"sync"
)

// stmtCacheSize bounds the statements one connection keeps prepared. The
// store's statements are constants, far fewer than this: the bound is a
// safety net against a caller that builds query text.
const stmtCacheSize = 128

// stmtCacheConnector opens SQLite connections through the driver's own
// connector, so that the DSN's pragmas and _txlock apply as they would
// with sql.Open, and wraps each in a stmtCacheConn.
//
// modernc.org/sqlite prepares, and so parses and plans, every statement
// that database/sql runs without an *sql.Stmt, and an *sql.Stmt is no cure
// here: preparing one on the single-connection writer pool while a
// transaction holds that connection waits for ever. The cache lives below
// database/sql instead, in the connection, where every statement of a
// transaction passes too.
type stmtCacheConnector struct {
	driver.Connector
	size int
}

func newStmtCacheConnector(c driver.Connector, size int) *stmtCacheConnector {
	return &stmtCacheConnector{Connector: c, size: size}
}

func (c *stmtCacheConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	conn, ok := dc.(sqliteConn)
	if !ok {
		dc.Close()
		return nil, errors.New("sqlstore: sqlite: the driver's connection lacks an interface the statement cache forwards")
	}
	return &stmtCacheConn{sqliteConn: conn, size: c.size, stmts: map[string]*cachedStmt{}, lru: list.New()}, nil
}

// sqliteConn is what database/sql uses of a modernc.org/sqlite connection
// (it implements no NamedValueChecker), forwarded unchanged by
// stmtCacheConn but for ExecContext, QueryContext and Close.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmtCacheConn is a driver connection that keeps the statements it runs
// prepared, keyed by query text, for the next run of the same text.
//
// SQLite runs one execution of a statement at a time, so a cached statement
// is taken while its execution lasts: until ExecContext returns, or until
// the rows of QueryContext are closed. A statement whose text is taken
// already, a query run while iterating rows of the same text, runs uncached
// through the driver, which prepares and finalizes it as it did without the
// cache. A statement that fails is dropped rather than trusted again.
//
// database/sql calls a connection from one goroutine at a time and closes
// rows under the same lock; mu guards the cache anyway, since rows can be
// closed from the goroutine that watches a context.
type stmtCacheConn struct {
	sqliteConn
	size int

	mu    sync.Mutex
	stmts map[string]*cachedStmt
	lru   *list.List // of *cachedStmt, most recently used first
}

// cachedStmt is one prepared statement of a stmtCacheConn.
type cachedStmt struct {
	query string
	stmt  statement
	elem  *list.Element // nil once no longer in the cache
	busy  bool          // an execution is under way
}

// statement is what the cache runs of the driver's statements.
type statement interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// take returns the cached statement for query, preparing it if need be, and
// marks it busy; it returns nil when the statement is busy already.
func (c *stmtCacheConn) take(ctx context.Context, query string) (*cachedStmt, error) {
	c.mu.Lock()
	s, ok := c.stmts[query]
	switch {
	case ok && s.busy:
		c.mu.Unlock()
		return nil, nil
	case ok:
		s.busy = true
		c.lru.MoveToFront(s.elem)
		c.mu.Unlock()
		return s, nil
	}
	c.mu.Unlock()

	ds, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(statement)
	if !ok {
		ds.Close()
		return nil, errors.New("sqlstore: sqlite: the driver's statement lacks ExecContext or QueryContext")
	}
	s = &cachedStmt{query: query, stmt: st, busy: true}

	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.stmts[query]; ok {
		// Cached meanwhile by a call from another goroutine, which
		// database/sql does not make: s runs once, uncached.
		return s, nil
	}
	c.stmts[query] = s
	s.elem = c.lru.PushFront(s)
	for c.lru.Len() > c.size {
		c.evictLocked(c.lru.Back().Value.(*cachedStmt))
	}
	return s, nil
}

// evictLocked takes s out of the cache, and closes it unless an execution
// is under way, which closes it when it ends (see release).
func (c *stmtCacheConn) evictLocked(s *cachedStmt) {
	if s.elem == nil {
		return
	}
	delete(c.stmts, s.query)
	c.lru.Remove(s.elem)
	s.elem = nil
	if !s.busy {
		s.stmt.Close()
	}
}

// release ends the execution of s; err is its outcome.
func (c *stmtCacheConn) release(s *cachedStmt, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.busy = false
	switch {
	case s.elem == nil:
		s.stmt.Close()
	case err != nil:
		c.evictLocked(s)
	}
}

func (c *stmtCacheConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	res, err := s.stmt.ExecContext(ctx, args)
	c.release(s, err)
	return res, err
}

func (c *stmtCacheConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		c.release(s, err)
		return nil, err
	}
	if t, ok := rows.(rowsColumnTypes); ok {
		return &cachedTypedRows{rowsColumnTypes: t, rows: cachedRows{Rows: rows, conn: c, stmt: s}}, nil
	}
	return &cachedRows{Rows: rows, conn: c, stmt: s}, nil
}

// Close closes the cached statements, then the connection. database/sql
// closes a connection only once its rows are closed, so none is busy; one
// that were would be left to the driver's close, which SQLite defers until
// its statements are finalized.
func (c *stmtCacheConn) Close() error {
	c.mu.Lock()
	var errs []error
	for _, s := range c.stmts {
		if !s.busy {
			errs = append(errs, s.stmt.Close())
		}
	}
	clear(c.stmts)
	c.lru.Init()
	c.mu.Unlock()
	return errors.Join(append(errs, c.sqliteConn.Close())...)
}

// cachedRows are the rows of a cached statement, which closing them
// releases.
type cachedRows struct {
	driver.Rows
	conn *stmtCacheConn
	stmt *cachedStmt // nil once released
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if r.stmt != nil {
		r.conn.release(r.stmt, err)
		r.stmt = nil
	}
	return err
}

// rowsColumnTypes is what the driver's rows tell of their columns, for
// sql.Rows.ColumnTypes.
type rowsColumnTypes interface {
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// cachedTypedRows are cachedRows whose driver rows describe their
// columns, in one allocation with them.
type cachedTypedRows struct {
	rowsColumnTypes
	rows cachedRows
}

func (r *cachedTypedRows) Close() error { return r.rows.Close() }
