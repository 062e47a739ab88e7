package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/goodgo/xactivity/store"
)

// Store implements store.Store over a *sql.DB. Create it with Open. Its
// methods are safe for concurrent use.
type Store struct {
	db       *sql.DB
	dialect  *dialect
	now      func() time.Time
	writeSem chan struct{} // held during write transactions; nil when the database runs them concurrently
	inbox    *committer
}

var _ store.Store = (*Store)(nil)

// Option configures Open.
type Option func(*config)

type config struct {
	now        func() time.Time
	maxBatch   int
	batchBytes int
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
// it. The database must be SQLite; see the package documentation for the
// data source name to open it with. The caller keeps ownership of db: Close
// stops the store but does not close db.
func Open(ctx context.Context, db *sql.DB, opts ...Option) (*Store, error) {
	cfg := config{now: time.Now, maxBatch: defaultMaxBatch, batchBytes: defaultBatchBytes}
	for _, opt := range opts {
		opt(&cfg)
	}
	s := &Store{db: db, dialect: sqlite, now: cfg.now}
	if s.dialect.serializeWrites {
		s.writeSem = make(chan struct{}, 1)
	}
	if err := migrate(ctx, db, s.dialect, s.nowMillis()); err != nil {
		return nil, err
	}
	s.inbox = newCommitter(s, cfg.maxBatch, cfg.batchBytes)
	return s, nil
}

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

// inTx runs fn in a transaction and commits it when fn returns nil. A
// caller that writes must hold the right that lockWrites grants.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
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
