package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/goodgo/xactivity/store"
)

// Store implements store.Store over a *sql.DB. Create it with Open. Its
// methods are safe for concurrent use.
type Store struct {
	db       *sql.DB
	dialect  *sqlDialect
	now      func() time.Time
	writeSem chan struct{} // held during write transactions; nil when the database runs them concurrently
	inbox    *committer
	// reserveCalls counts ReserveSend calls, every pruneEvery-th of which
	// deletes idle send quota keys.
	reserveCalls atomic.Uint64
}

var _ store.Store = (*Store)(nil)

// Option configures Open.
type Option func(*config)

type config struct {
	now        func() time.Time
	maxBatch   int
	batchBytes int
	dialect    Dialect
}

// WithDialect sets the database that db talks to, for a driver that Open
// does not recognize. Without it, Open detects the database from the
// driver's package: modernc.org/sqlite and github.com/mattn/go-sqlite3 are
// SQLite, github.com/jackc/pgx (v4 and v5 stdlib) and github.com/lib/pq
// are PostgreSQL.
func WithDialect(d Dialect) Option {
	return func(c *config) { c.dialect = d }
}

// WithClock sets the time source for lease expiry, retry times and the
// timestamps the store records. The default, also used when now is nil, is
// time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithMaxBatch sets the largest number of deliveries that Enqueue commits
// in one transaction. The default is 256. A value below 1 is treated as 1,
// which turns group commit off.
func WithMaxBatch(n int) Option {
	return func(c *config) { c.maxBatch = max(n, 1) }
}

// Default group commit limits. A batch also stops growing once its bodies
// add up to defaultBatchBytes, so that a burst of large deliveries does not
// build one huge transaction.
const (
	defaultMaxBatch   = 256
	defaultBatchBytes = 8 << 20
)

// Open applies the schema migrations that db lacks and returns a store over
// it. The database is SQLite or PostgreSQL, detected from db's driver or
// set with WithDialect. The package documentation shows how to open each.
// The caller keeps ownership of db: Close stops the store but does not
// close db.
func Open(ctx context.Context, db *sql.DB, opts ...Option) (*Store, error) {
	cfg := config{now: time.Now, maxBatch: defaultMaxBatch, batchBytes: defaultBatchBytes}
	for _, opt := range opts {
		opt(&cfg)
	}
	d, err := openDialect(db, cfg.dialect)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, dialect: d, now: cfg.now}
	if s.dialect.serializeWrites {
		s.writeSem = make(chan struct{}, 1)
	}
	if err := migrate(ctx, db, s.dialect, s.nowMillis()); err != nil {
		return nil, err
	}
	s.inbox = newCommitter(s, cfg.maxBatch, cfg.batchBytes)
	return s, nil
}

// openDialect returns the dialect that name selects, or the one detected
// from db's driver when name is empty.
func openDialect(db *sql.DB, name Dialect) (*sqlDialect, error) {
	if name == "" {
		return detectDialect(db)
	}
	d, ok := dialects[name]
	if !ok {
		return nil, fmt.Errorf("sqlstore: unknown dialect %q; use SQLite or PostgreSQL", name)
	}
	return d, nil
}

// Dialect returns the database the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect.name }

// Ping reports whether the database is reachable.
func (s *Store) Ping(ctx context.Context) error {
	return wrap("ping", s.db.PingContext(ctx))
}

// Close commits the deliveries already passed to Enqueue and stops the
// group commit goroutine; later Enqueue calls return store.ErrClosed. The
// other methods keep working until the caller closes the *sql.DB. Calling
// Close again returns nil.
func (s *Store) Close() error {
	s.inbox.close()
	return nil
}

// nowMillis returns the current time in Unix milliseconds.
func (s *Store) nowMillis() int64 { return s.now().UnixMilli() }

// q returns query in the dialect's placeholder form.
func (s *Store) q(query string) string { return s.dialect.rebind(query) }

// lockWrites waits until the caller may start a write transaction and
// returns the function that ends that right.
func (s *Store) lockWrites(ctx context.Context) (unlock func(), err error) {
	if s.writeSem == nil {
		return func() {}, nil
	}
	select {
	case s.writeSem <- struct{}{}:
		return func() { <-s.writeSem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// writeTx runs fn in a write transaction and commits it when fn returns nil.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return s.inTx(ctx, fn)
}

// maxTxAttempts bounds how often inTx runs a transaction that the database
// aborted to resolve a conflict with another one.
const maxTxAttempts = 5

// inTx runs fn in a transaction and commits it when fn returns nil. A
// caller that writes must hold the right that lockWrites grants.
//
// PostgreSQL aborts a transaction that deadlocked with another one or
// that it could not serialize (SQLSTATE 40P01 or 40001). inTx then rolls
// it back and runs fn again in a new transaction, up to maxTxAttempts
// times in all, so fn must set its results anew on every run.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.inTxOnce(ctx, fn)
		if attempt == maxTxAttempts || !isTxConflict(err) {
			return err
		}
		// A short pause that grows with the attempts lets the other
		// transaction finish first.
		select {
		case <-time.After(time.Duration(attempt) * time.Millisecond):
		case <-ctx.Done():
			return err
		}
	}
}

// inTxOnce runs fn in one transaction and commits it when fn returns nil.
func (s *Store) inTxOnce(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error from fn is the one to report
		return err
	}
	return tx.Commit()
}

// isTxConflict reports whether err is a database error with SQLSTATE
// 40001 (serialization_failure) or 40P01 (deadlock_detected): the database
// aborted the transaction, and running it again may succeed. The pgx
// driver's *pgconn.PgError reports the SQLSTATE through its SQLState
// method; an error without that method is not a conflict.
func isTxConflict(err error) bool {
	var coded interface{ SQLState() string }
	if !errors.As(err, &coded) {
		return false
	}
	switch coded.SQLState() {
	case "40001", "40P01":
		return true
	}
	return false
}

// wrap prefixes a database error with the failed operation. It returns the
// store's sentinel errors and context errors unchanged.
func wrap(op string, err error) error {
	switch {
	case err == nil,
		errors.Is(err, store.ErrNotFound),
		errors.Is(err, store.ErrConflict),
		errors.Is(err, store.ErrInvalid),
		errors.Is(err, store.ErrClosed),
		errors.Is(err, store.ErrNotClaimed),
		errors.Is(err, context.Canceled),
		errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

// parseID returns the row id in s, or false when s is not the decimal form
// of a positive id.
func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0 && strconv.FormatInt(id, 10) == s
}

func formatID(id int64) string { return strconv.FormatInt(id, 10) }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// nonEmpty returns b, or nil when b is empty, so that an empty byte string
// reads back the same way from every driver.
func nonEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
