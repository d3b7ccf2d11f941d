package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/invitedhq/invited"
	"modernc.org/sqlite"
)

// stmtCounts counts the statements the cache prepares and closes, through
// a connector between the cache and the driver.
type stmtCounts struct{ prepared, closed atomic.Int64 }

type countingConnector struct {
	driver.Connector
	n *stmtCounts
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return countingConn{dc.(sqliteConn), c.n}, nil
}

type countingConn struct {
	sqliteConn
	n *stmtCounts
}

func (c countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.n.prepared.Add(1)
	return countingStmt{s.(statement), c.n}, nil
}

type countingStmt struct {
	statement
	n *stmtCounts
}

func (s countingStmt) Close() error {
	s.n.closed.Add(1)
	return s.statement.Close()
}

// openStmtCache opens a one-connection pool on a fresh database with a
// table t, its statements cached up to size; closing the pool must close
// every statement the cache prepared.
func openStmtCache(t *testing.T, size int) (*sql.DB, *stmtCounts) {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "cache.db") + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_txlock=immediate"
	schema, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer schema.Close()
	mustExec(t, schema, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)`)

	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		t.Fatal(err)
	}
	n := &stmtCounts{}
	db := sql.OpenDB(newStmtCacheConnector(countingConnector{c, n}, size))
	db.SetMaxOpenConns(1)
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
		if p, c := n.prepared.Load(), n.closed.Load(); p != c {
			t.Errorf("closed %d of the %d statements prepared", c, p)
		}
	})
	return db, n
}

// cached returns the query texts the connection of db has cached.
func cached(t *testing.T, db *sql.DB) []string {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var qs []string
	if err := conn.Raw(func(dc any) error {
		c := dc.(*stmtCacheConn)
		c.mu.Lock()
		defer c.mu.Unlock()
		for e := c.lru.Front(); e != nil; e = e.Next() {
			qs = append(qs, e.Value.(*cachedStmt).query)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return qs
}

func mustExec(t *testing.T, db interface {
	Exec(string, ...any) (sql.Result, error)
}, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

func values(t *testing.T, db interface {
	Query(string, ...any) (*sql.Rows, error)
}) []string {
	t.Helper()
	rows, err := db.Query(`SELECT v FROM t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestStmtCacheReuses(t *testing.T) {
	db, n := openStmtCache(t, stmtCacheSize)
	for i := range 3 {
		mustExec(t, db, `INSERT INTO t (v) VALUES (?)`, fmt.Sprint(i))
		if got := values(t, db); len(got) != i+1 {
			t.Fatalf("rows %q after %d inserts", got, i+1)
		}
	}
	if got := n.prepared.Load(); got != 2 {
		t.Errorf("prepared %d statements for 2 texts run 3 times each", got)
	}
	if got, want := cached(t, db), []string{`SELECT v FROM t ORDER BY id`, `INSERT INTO t (v) VALUES (?)`}; !slices.Equal(got, want) {
		t.Errorf("cached %q, want %q", got, want)
	}
	if got := n.closed.Load(); got != 0 {
		t.Errorf("closed %d statements while cached", got)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := n.closed.Load(); got != 2 {
		t.Errorf("closing the pool closed %d of 2 cached statements", got)
	}
}

// A query run while rows of the same text are open runs on a statement of
// its own; the outer rows go on from where they were.
func TestStmtCacheNested(t *testing.T) {
	db, n := openStmtCache(t, stmtCacheSize)
	for _, v := range []string{"a", "b", "c"} {
		mustExec(t, db, `INSERT INTO t (v) VALUES (?)`, v)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	q := func(query string, args ...any) (*sql.Rows, error) {
		return conn.QueryContext(context.Background(), query, args...)
	}
	rows, err := q(`SELECT v FROM t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var outer []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		if outer = append(outer, v); len(outer) > 3 {
			t.Fatalf("outer rows %q: the nested query restarted them", outer)
		}
		if inner := values(t, queryFunc(q)); !slices.Equal(inner, []string{"a", "b", "c"}) {
			t.Errorf("nested rows %q", inner)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if !slices.Equal(outer, []string{"a", "b", "c"}) {
		t.Errorf("outer rows %q", outer)
	}
	before := n.prepared.Load()
	if got := values(t, queryFunc(q)); len(got) != 3 {
		t.Errorf("rows %q after the nested run", got)
	}
	if n.prepared.Load() != before {
		t.Error("the cached statement was not reused once its rows closed")
	}
}

// queryFunc gives a function the Query method values takes.
type queryFunc func(string, ...any) (*sql.Rows, error)

func (f queryFunc) Query(query string, args ...any) (*sql.Rows, error) { return f(query, args...) }

func TestStmtCacheTx(t *testing.T) {
	for _, tc := range []struct {
		name   string
		end    func(*sql.Tx) error
		commit bool
	}{
		{"commit", (*sql.Tx).Commit, true},
		{"rollback", (*sql.Tx).Rollback, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, n := openStmtCache(t, stmtCacheSize)
			mustExec(t, db, `INSERT INTO t (v) VALUES (?)`, "before")
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			mustExec(t, tx, `INSERT INTO t (v) VALUES (?)`, "in tx")
			if got := values(t, tx); !slices.Equal(got, []string{"before", "in tx"}) {
				t.Errorf("rows in the transaction %q", got)
			}
			if err := tc.end(tx); err != nil {
				t.Fatal(err)
			}
			want := []string{"before"}
			if tc.commit {
				want = append(want, "in tx")
			}
			if got := values(t, db); !slices.Equal(got, want) {
				t.Errorf("rows %q, want %q", got, want)
			}
			if got := n.prepared.Load(); got != 2 {
				t.Errorf("prepared %d statements for 2 texts", got)
			}
		})
	}
}

// A statement that fails is dropped from the cache, and the next run of its
// text works.
func TestStmtCacheErrors(t *testing.T) {
	db, n := openStmtCache(t, stmtCacheSize)
	mustExec(t, db, `INSERT INTO t (v) VALUES ('taken')`)
	for _, tc := range []struct {
		name string
		run  func(arg any) error
		bad  any    // fails
		good [2]any // succeed
	}{
		{"exec", func(v any) error {
			_, err := db.Exec(`INSERT INTO t (v) VALUES (?)`, v)
			return err
		}, "taken", [2]any{"x", "y"}},
		{"query", func(x any) error {
			var abs int64
			return db.QueryRow(`SELECT abs(?)`, x).Scan(&abs)
		}, int64(math.MinInt64), [2]any{int64(-5), int64(-6)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := n.prepared.Load()
			if err := tc.run(tc.bad); err == nil {
				t.Fatalf("%v: no error", tc.bad)
			}
			for _, arg := range tc.good {
				if err := tc.run(arg); err != nil {
					t.Fatalf("%v after the failure: %v", arg, err)
				}
			}
			// One for the failing run, dropped, and one for both good runs.
			if got := n.prepared.Load() - before; got != 2 {
				t.Errorf("prepared %d statements, want 2", got)
			}
		})
	}
}

func TestStmtCacheEvicts(t *testing.T) {
	db, n := openStmtCache(t, 2)
	sel := func(i int) string { return fmt.Sprintf("SELECT %d", i) }
	for _, i := range []int{1, 2, 3, 1} {
		var got int
		if err := db.QueryRow(sel(i)).Scan(&got); err != nil || got != i {
			t.Fatalf("%s: %d, %v", sel(i), got, err)
		}
	}
	if got, want := cached(t, db), []string{sel(1), sel(3)}; !slices.Equal(got, want) {
		t.Errorf("cached %q, want %q", got, want)
	}
	if p, c := n.prepared.Load(), n.closed.Load(); p != 4 || c != 2 {
		t.Errorf("prepared %d and closed %d statements, want 4 and 2", p, c)
	}
}

// The store's pools cache statements, and concurrent writes, which group
// commit runs in one transaction, each in a savepoint, prepare no more
// statements than one write does.
func TestStmtCacheStore(t *testing.T) {
	e := newEnv(t, openSQLiteFile)
	for name, pool := range map[string]*sql.DB{"write": e.db.write, "read": e.db.read} {
		conn, err := pool.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.Raw(func(dc any) error {
			if _, ok := dc.(*stmtCacheConn); !ok {
				t.Errorf("%s pool: a %T, not a *stmtCacheConn", name, dc)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}

	org := e.org(nil)
	create := func(i int) {
		if _, _, err := e.db.CreateInvitation(e.admin, org.ID, invited.InvitationCreate{
			Email: fmt.Sprintf("c%d@example.com", i), Roles: []string{"member"}}); err != nil {
			t.Error(err)
		}
	}
	create(0)
	create(1)
	warm := len(cached(t, e.db.write))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() { create(2 + i) })
	}
	wg.Wait()
	if got := len(cached(t, e.db.write)); got != warm {
		t.Errorf("%d statements cached after concurrent creates, %d before", got, warm)
	}
	var n int
	if err := e.db.read.QueryRow(`SELECT count(*) FROM invitations`).Scan(&n); err != nil || n != 18 {
		t.Errorf("%d invitations (%v), want 18", n, err)
	}
}

// Rows of a cached statement describe their columns as the driver's do.
func TestStmtCacheColumnTypes(t *testing.T) {
	db, _ := openStmtCache(t, stmtCacheSize)
	rows, err := db.Query(`SELECT id, v FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ct := range types {
		got = append(got, ct.DatabaseTypeName())
	}
	if want := []string{"INTEGER", "TEXT"}; !slices.Equal(got, want) {
		t.Errorf("column types %q, want %q", got, want)
	}
}
