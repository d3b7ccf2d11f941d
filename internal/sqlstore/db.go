// Package sqlstore implements the service interfaces of package invited over
// database/sql with hand-written SQL. One implementation serves every
// database; what differs between them lives in dialect.go and in the
// per-dialect migrations.
package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/secretbox"
	"go.opentelemetry.io/otel/trace"
)

// Compile-time checks that *DB implements the services.
var (
	_ invited.OrganizationService = (*DB)(nil)
	_ invited.MemberService       = (*DB)(nil)
	_ invited.RoleService         = (*DB)(nil)
	_ invited.InvitationService   = (*DB)(nil)
	_ invited.APIKeyService       = (*DB)(nil)
	_ invited.Authenticator       = (*DB)(nil)
	_ invited.IdempotencyService  = (*DB)(nil)
	_ invited.AuditService        = (*DB)(nil)
	_ invited.WebhookService      = (*DB)(nil)
	_ invited.OutboxService       = (*DB)(nil)
	_ invited.Outbox              = (*DB)(nil)
	_ invited.TicketService       = (*DB)(nil)
	_ invited.SigningKeyService   = (*DB)(nil)
	_ invited.AppService          = (*DB)(nil)
	_ invited.ProfileService      = (*DB)(nil)
	_ invited.ConnectionStore     = (*DB)(nil)
)

//go:embed migrations
var migrations embed.FS

// Options configure a DB. The zero value is ready to use.
type Options struct {
	// Now is the clock; tests move it. Default time.Now.
	Now func() time.Time
	// ReminderBefore is how long before its expiry an invitee is reminded
	// of an invitation, once (see invited.ReminderAt); zero sends no
	// reminders.
	ReminderBefore time.Duration
	// Enqueued, if set, is called after a transaction that wrote outbox
	// messages commits: the dispatcher's cue to look now.
	Enqueued func()
	// Logger receives what the store has to report outside a request's
	// error: migrations, failed bookkeeping. Default: discarded.
	Logger *slog.Logger
	// SkipMigrate leaves the schema as it is; Migrate applies it.
	SkipMigrate bool
	// MustExist refuses a SQLite database file that does not exist, where
	// Open would create it: for commands that only read a database, such
	// as invited backup, which must not leave an empty file behind.
	MustExist bool
	// Secrets seals what the store must read back, such as apps' client
	// secrets. Without keys, creating anything that holds such a secret is
	// refused.
	Secrets *secretbox.Keyring
	// Outbound judges the addresses of the webhook endpoints and apps'
	// OAuth endpoints being registered. The zero value refuses the
	// service's own network.
	Outbound invited.OutboundPolicy
	// APIKeyCache is how long an API key, once verified, is trusted
	// without reading it again: a key revoked by another instance keeps
	// working on this one for up to this long (one revoked here stops at
	// once). Zero reads the key on every request.
	APIKeyCache time.Duration
	// Tracer, when set, makes the spans of transactions, statements and
	// group commits inside a traced request (trace.go); nil makes none.
	Tracer trace.Tracer
}

// DB is the store. All its methods are safe for concurrent use.
type DB struct {
	write      *sql.DB // write transactions only
	read       *sql.DB // read-only transactions; on PostgreSQL the same pool
	closePools func() error
	file       string // the SQLite database file; "" on PostgreSQL
	dialect    dialect
	group      *committer // group commit, where write transactions take turns
	now        func() time.Time
	logger     *slog.Logger

	reminderBefore time.Duration
	enqueued       func()
	secrets        *secretbox.Keyring
	outbound       invited.OutboundPolicy
	keys           *keyCache // nil: no cache
	tracer         trace.Tracer

	// roundTrips counts what the database is asked: every statement, and
	// the BEGIN and COMMIT of every transaction. TestRoundTrips holds the
	// hot paths to their counts.
	roundTrips atomic.Int64
}

// Open opens the database named by dsn ("sqlite:PATH", or a PostgreSQL URL
// "postgres://…") and, unless opts.SkipMigrate, brings its schema up to
// date.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	d, p, err := openPools(dsn, opts.MustExist)
	if err != nil {
		return nil, err
	}
	db := &DB{write: p.write, read: p.read, closePools: p.close, file: p.file, dialect: d,
		now: opts.Now, logger: opts.Logger,
		reminderBefore: opts.ReminderBefore, enqueued: opts.Enqueued, secrets: opts.Secrets,
		outbound: opts.Outbound, keys: newKeyCache(opts.APIKeyCache), tracer: opts.Tracer}
	if db.now == nil {
		db.now = time.Now
	}
	if db.logger == nil {
		db.logger = slog.New(slog.DiscardHandler)
	}
	if !d.rowLocks {
		db.group = newCommitter(db, db.write)
	}
	// The writer connects first: on SQLite it sets the persistent journal
	// mode that the read-only connections rely on.
	if err := db.connect(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if !opts.SkipMigrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
		// Secrets stored plain while no encryption key was configured are
		// sealed as soon as one is (sealed.go).
		n, err := db.sealPlain(ctx)
		if err != nil {
			db.Close()
			return nil, err
		}
		if n > 0 {
			db.logger.InfoContext(ctx, "sealed secrets stored before encryption keys were configured", "count", n)
		}
	}
	return db, nil
}

// connectPatience is how long Open waits for a database that is busy or
// not yet reachable: as long as SQLite's busy_timeout.
const connectPatience = 5 * time.Second

// connect pings until the database answers, retrying for connectPatience
// while it says it is busy or unreachable. A new SQLite file's switch to
// WAL does not wait on the busy handler, so a process opening the same new
// file at the same moment is told "database is locked" at once; and
// instances often start alongside their PostgreSQL.
func (db *DB) connect(ctx context.Context) error {
	deadline := time.Now().Add(connectPatience)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 250*time.Millisecond) {
		err := db.Ping(ctx)
		if err == nil || !db.dialect.unavailable(err) || time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// Close finishes the write group in progress and closes the pools.
func (db *DB) Close() error {
	if db.group != nil {
		db.group.close()
	}
	return db.closePools()
}

// Ping checks that the pools can reach the database.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore: ping writer: %w", err)
	}
	if db.read == db.write {
		return nil
	}
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore: ping reader: %w", err)
	}
	return nil
}

// Ready checks what serving needs of the database: both pools answer, and
// every embedded migration is applied (an instance of a newer release on
// an older schema is not ready until that schema is migrated).
func (db *DB) Ready(ctx context.Context) error {
	if err := db.Ping(ctx); err != nil {
		return err
	}
	files, err := db.migrationFiles()
	if err != nil {
		return fmt.Errorf("sqlstore: ready: %w", err)
	}
	var applied int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("sqlstore: ready: %w", err)
	}
	if applied < len(files) {
		return fmt.Errorf("sqlstore: %d of %d migrations applied", applied, len(files))
	}
	return nil
}

// Migrate applies the embedded migrations of the dialect that have not been
// applied yet, each in its own transaction, recording each by file name.
// Running it again, or from two processes at once, changes nothing: each
// transaction takes the setup lock before it looks at schema_migrations.
func (db *DB) Migrate(ctx context.Context) error {
	files, err := db.migrationFiles()
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	for _, file := range files {
		if err := db.migrateFile(ctx, file); err != nil {
			return fmt.Errorf("sqlstore: migration %s: %w", path.Base(file), err)
		}
	}
	return nil
}

// migrationFiles are the embedded migrations of the dialect, in the order
// they apply (NNNN_ names sort so).
func (db *DB) migrationFiles() ([]string, error) {
	return fs.Glob(migrations, "migrations/"+db.dialect.name+"/*.sql")
}

func (db *DB) migrateFile(ctx context.Context, file string) error {
	name := path.Base(file)
	return db.writeTx(ctx, func(tx *Tx) error {
		if err := tx.lockSetup(ctx); err != nil {
			return err
		}
		// Under the lock: concurrent CREATE TABLE IF NOT EXISTS can fail
		// on PostgreSQL. BIGINT is INTEGER to SQLite, and holds
		// milliseconds on PostgreSQL.
		if _, err := tx.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
			return err
		}
		var applied bool
		if err := tx.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = ?)`, name).Scan(&applied); err != nil || applied {
			return err
		}
		body, err := fs.ReadFile(migrations, file)
		if err != nil {
			return err
		}
		// Not rebound: migration files are written for their dialect.
		if _, err := tx.tx.ExecContext(ctx, string(body)); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, ms(tx.now)); err != nil {
			return err
		}
		db.logger.InfoContext(ctx, "applied migration", "name", name)
		return nil
	})
}

// Tx is a transaction with "now" fixed, so that every time it writes and
// every expiry it judges agree (the WTF Dial way): read when it begins, and
// moved forward once, by locked, when it holds the row it changes. Exported
// methods open one and hand it to lower-case helpers.
type Tx struct {
	tx          statements
	db          *DB
	now         time.Time
	afterCommit []func()
	// shared marks a transaction of a write group: its statements ignore
	// the caller's cancellation, because on SQLite an interrupted write
	// rolls back the whole transaction, the other requests' writes included.
	shared bool
	// detached marks a read of one row by its key on SQLite (readOne): its
	// statement ignores the caller's cancellation, which there is nothing
	// to interrupt (see dialect.detachReads) and which would cost the
	// statement two goroutines watching the context, database/sql's and
	// the driver's.
	detached bool
	// endpointsOf keeps the webhook endpoints read by the transaction, by
	// their organizations (Tx.endpoints).
	endpointsOf map[string][]endpoint
	// held and heldArgs are the writes hold keeps back for the next
	// statement, with their arguments in order.
	held     []string
	heldArgs []any
	// span is the transaction's span, the parent of its statements'; nil
	// when it has none (trace.go).
	span trace.Span
}

// statements is what a Tx runs its statements on: a transaction, or, for
// a read of one statement (readOne), the read pool itself or one of its
// connections.
type statements interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readTx runs fn in a read-only transaction on the read pool.
func (db *DB) readTx(ctx context.Context, fn func(*Tx) error) error {
	return db.runTx(ctx, db.read, &sql.TxOptions{ReadOnly: true}, fn)
}

// readOne runs fn, which reads with one statement, on the read pool
// without a transaction: one statement sees one snapshot anyway, and BEGIN
// and COMMIT would double the round trips of the hottest reads (the
// public link lookup, the API key of every request).
func (db *DB) readOne(ctx context.Context, fn func(*Tx) error) error {
	return db.one(ctx, db.read, db.dialect.detachReads, fn)
}

// writeOne runs fn, which writes with one statement, without a
// transaction where writes run side by side (PostgreSQL): one statement is
// atomic anyway. Where they take turns (SQLite) it is a writeTx, which
// shares a commit with the writes waiting beside it.
func (db *DB) writeOne(ctx context.Context, fn func(*Tx) error) error {
	if db.group != nil {
		return db.writeTx(ctx, fn)
	}
	return db.one(ctx, db.write, false, fn)
}

// one runs fn, which runs one statement, on pool without a transaction.
// Detached (Tx.detached), it waits for a connection of the pool as long as
// ctx allows, and then runs the statement on it whatever becomes of ctx.
func (db *DB) one(ctx context.Context, pool *sql.DB, detached bool, fn func(*Tx) error) error {
	tx := &Tx{tx: pool, db: db, now: db.clock(), detached: detached}
	if detached {
		conn, err := pool.Conn(ctx)
		if err != nil {
			return db.edgeError(ctx, err)
		}
		defer conn.Close()
		tx.tx = conn
	}
	if err := fn(tx); err != nil {
		return db.edgeError(ctx, err)
	}
	return nil
}

// writeTx runs fn in a write transaction and commits if fn returns nil;
// then it runs the hooks fn registered with onCommit. Where writes take
// turns (SQLite), fn shares its transaction with the other writes waiting
// at the time, inside a savepoint of its own (see committer): its outcome is
// the same as alone, at a fraction of the fsyncs.
func (db *DB) writeTx(ctx context.Context, fn func(*Tx) error) error {
	if db.group != nil {
		return db.group.do(ctx, fn)
	}
	return db.runTx(ctx, db.write, nil, fn)
}

func (db *DB) runTx(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(*Tx) error) (err error) {
	span := db.startTx(ctx, opts != nil && opts.ReadOnly)
	defer func() { endSpan(span, err) }()
	db.roundTrips.Add(2) // BEGIN, and COMMIT or ROLLBACK
	stx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return db.edgeError(ctx, fmt.Errorf("begin: %w", err))
	}
	// After a commit this does nothing; after a panic in fn it frees the
	// connection, which for the writer is the only one.
	defer stx.Rollback()
	tx := &Tx{tx: stx, db: db, now: db.clock(), span: span}
	if err := tx.run(ctx, fn); err != nil {
		return db.edgeError(ctx, err)
	}
	if err := stx.Commit(); err != nil {
		return db.edgeError(ctx, fmt.Errorf("commit: %w", err))
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

// clock reads the time in milliseconds, the stored precision, so that what
// a method returns equals what a later read returns.
func (db *DB) clock() time.Time { return db.now().UTC().Truncate(time.Millisecond) }

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// locked moves now, once the transaction holds the lock of the row it is
// about to change, to the present, and to no earlier than last, when that
// row last changed. A transaction may have waited for the lock since it
// began, while the one before it wrote a later time, or run on an instance
// whose clock lags: the times one resource's changes record then still
// follow the order in which they held its row. Nothing may read now before.
func (tx *Tx) locked(last time.Time) {
	tx.now = later(later(tx.now, tx.db.clock()), last)
}

// edgeError is where driver errors stop: domain errors pass as they are,
// a database that cannot be reached becomes unavailable (which the caller
// may retry), and anything else is internal and says it came from here.
func (db *DB) edgeError(ctx context.Context, err error) error {
	if _, ok := errors.AsType[*invited.Error](err); ok {
		return err
	}
	if db.dialect.unavailable(err) {
		// The answer hides the cause; the operator needs it.
		db.logger.WarnContext(ctx, "database unavailable", "err", err)
		return &invited.Error{Code: invited.EUNAVAILABLE, Message: "the database is unavailable"}
	}
	return fmt.Errorf("sqlstore: %w", err)
}

// onCommit runs f once the transaction has committed, so that nobody is
// told about a change that was rolled back.
func (tx *Tx) onCommit(f func()) { tx.afterCommit = append(tx.afterCommit, f) }

// lock returns the row-locking clause for a query to end with, or "" where
// the database needs none; see dialect.lock.
func (tx *Tx) lock(clause string) string { return tx.db.dialect.lock(clause) }

// lockSetup makes the one-time setup done by concurrently starting
// instances take turns, where write transactions do not take turns anyway.
func (tx *Tx) lockSetup(ctx context.Context) error {
	if tx.db.dialect.setupLock == "" {
		return nil
	}
	_, err := tx.exec(ctx, tx.db.dialect.setupLock)
	return err
}

// Classes of the names that Tx.lockName locks.
const (
	lockJoinConfirmations int32 = iota + 1 // an address asking for join confirmation letters
)

// lockName makes the write transactions that lock the same name of class
// take turns until they end, where write transactions run side by side:
// for a check of rows that are not there yet, such as a count of recent
// ones, which no row lock can cover.
func (tx *Tx) lockName(ctx context.Context, class int32, name string) error {
	if tx.db.dialect.nameLock == "" {
		return nil
	}
	h := sha256.Sum256([]byte(name))
	_, err := tx.exec(ctx, tx.db.dialect.nameLock, class, int32(binary.BigEndian.Uint32(h[:])))
	return err
}

// run runs fn and then sends the writes it left held.
func (tx *Tx) run(ctx context.Context, fn func(*Tx) error) error {
	if err := fn(tx); err != nil {
		return err
	}
	return tx.flush(ctx)
}

// Every statement first sends the writes held before it, so that it sees
// them.

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := tx.flush(ctx); err != nil {
		return nil, err
	}
	query, span := tx.send(ctx, query)
	res, err := tx.tx.ExecContext(tx.context(ctx), query, args...)
	endSpan(span, err)
	return res, err
}

func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := tx.flush(ctx); err != nil {
		return nil, err
	}
	return tx.queryBeside(ctx, query, args...)
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) scanner {
	if err := tx.flush(ctx); err != nil {
		return errRow{err}
	}
	query, span := tx.send(ctx, query)
	row := tx.tx.QueryRowContext(tx.context(ctx), query, args...)
	endSpan(span, row.Err())
	return row
}

// send readies query to go to the database as one statement: it counts
// the round trip, writes the query in the dialect's placeholders, and
// starts its span (trace.go), which the caller ends with the statement's
// error (endSpan).
func (tx *Tx) send(ctx context.Context, query string) (string, trace.Span) {
	tx.db.roundTrips.Add(1)
	query = tx.db.dialect.rebind(query)
	return query, tx.startStatement(ctx, query)
}

// errRow is the row of a statement that could not be sent.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// A held write is one whose outcome the transaction never reads and that
// cannot fail but for a bug or a broken connection: an audit event, an
// outbox message, a link's hash. Where the database runs several writes as
// one statement (dialect.fuseWrites), such writes are held and sent
// together, with the transaction's next statement or before its commit:
// one round trip instead of one each. Elsewhere (SQLite, in process, where
// a statement costs no round trip) a held write runs at once.

// maxHeldArgs bounds the arguments of the held writes, well inside
// PostgreSQL's limit of 65,535 on one statement's: a batch create holds
// the letters, links and audit events of a thousand invitations.
const maxHeldArgs = 30_000

// hold runs a write whose outcome the transaction never reads, or holds it
// for the next statement. Held writes must not depend on one another: sent
// together, none sees the others' rows. A held write's error, if any, is
// that of the statement it went with.
func (tx *Tx) hold(ctx context.Context, query string, args ...any) error {
	if !tx.db.dialect.fuseWrites {
		_, err := tx.exec(ctx, query, args...)
		return err
	}
	if len(tx.heldArgs)+len(args) > maxHeldArgs {
		if err := tx.flush(ctx); err != nil {
			return err
		}
	}
	tx.held = append(tx.held, query)
	tx.heldArgs = append(tx.heldArgs, args...)
	return nil
}

// flush sends the held writes, if any, as one statement: the last one,
// with the others as its WITH clauses.
func (tx *Tx) flush(ctx context.Context) error {
	n := len(tx.held)
	if n == 0 {
		return nil
	}
	query, args := withClauses(tx.held[:n-1])+tx.held[n-1], tx.heldArgs
	tx.held, tx.heldArgs = nil, nil
	query, span := tx.send(ctx, query)
	_, err := tx.tx.ExecContext(tx.context(ctx), query, args...)
	endSpan(span, err)
	return err
}

// queryBeside is query for a read that cannot depend on the writes held
// before it: they go with it, as its WITH clauses, which run beside it and
// whose rows it does not see. It suits reads of what a transaction never
// holds a write to (webhook endpoints), and saves the held writes their
// round trip. query must not have a WITH clause of its own.
func (tx *Tx) queryBeside(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query, args = withClauses(tx.held)+query, append(tx.heldArgs, args...)
	tx.held, tx.heldArgs = nil, nil
	query, span := tx.send(ctx, query)
	rows, err := tx.tx.QueryContext(tx.context(ctx), query, args...)
	endSpan(span, err)
	return rows, err
}

// withClauses returns writes as the WITH clauses of a statement, or "".
func withClauses(writes []string) string {
	var b strings.Builder
	for i, w := range writes {
		if i == 0 {
			b.WriteString("WITH ")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "held%d AS (%s)", i, w)
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	return b.String()
}

// context is the context statements run under; see Tx.shared and
// Tx.detached.
func (tx *Tx) context(ctx context.Context) context.Context {
	if tx.shared || tx.detached {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// savepoint runs fn so that, when it fails, its writes alone are undone and
// the transaction goes on: one bad item of a batch does not sink the rest.
// It returns fn's error as it is, for the caller to inspect.
func (tx *Tx) savepoint(ctx context.Context, fn func() error) error {
	return tx.savepointNamed(ctx, "item", fn)
}

// savepointNamed is savepoint with a name of the caller's, so that
// savepoints can nest.
func (tx *Tx) savepointNamed(ctx context.Context, name string, fn func() error) error {
	if _, err := tx.exec(ctx, `SAVEPOINT `+name); err != nil {
		return err
	}
	if err := fn(); err != nil {
		// RELEASE after ROLLBACK TO pops the savepoint, so that a batch of
		// failures does not pile them up.
		if _, rbErr := tx.exec(ctx, `ROLLBACK TO SAVEPOINT `+name); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		if _, rbErr := tx.exec(ctx, `RELEASE SAVEPOINT `+name); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	_, err := tx.exec(ctx, `RELEASE SAVEPOINT `+name)
	return err
}
