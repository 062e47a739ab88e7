package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/goodgo/xactivity/internal/pgtest"
	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/store/storetest"
)

// openPostgres opens a pool on a new schema of the test database, closed
// when the test ends. It skips the test when no PostgreSQL URL is set.
func openPostgres(t testing.TB) (*sql.DB, string) {
	t.Helper()
	dsn := pgtest.NewSchema(t, pgtest.URL(t))
	return openPostgresAt(t, dsn), dsn
}

// openPostgresAt opens another pool on the schema that dsn selects, as a
// second replica of a service would.
func openPostgresAt(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close db: %v", err)
		}
	})
	return db
}

func openPostgresStore(t testing.TB, db *sql.DB, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), db, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPostgresConformance(t *testing.T) {
	pgtest.URL(t)
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		db, _ := openPostgres(t)
		s, err := Open(context.Background(), db, WithClock(now))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}

func TestPostgresDetectedFromDriver(t *testing.T) {
	db, _ := openPostgres(t)
	s := openPostgresStore(t, db)
	if got := s.Dialect(); got != PostgreSQL {
		t.Errorf("Dialect() = %q, want %q", got, PostgreSQL)
	}
	var schema string
	if err := db.QueryRow("SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(schema, "test_") {
		t.Errorf("current_schema() = %q, want the test's own schema test_...", schema)
	}
}

// TestPostgresConcurrentOpenMigratesOnce opens stores on one new schema
// from several pools at once, as replicas that start together do, and
// checks that each migration was applied once.
func TestPostgresConcurrentOpenMigratesOnce(t *testing.T) {
	_, dsn := openPostgres(t)
	const replicas = 4
	var wg sync.WaitGroup
	stores := make([]*Store, replicas)
	for i := range replicas {
		db := openPostgresAt(t, dsn)
		wg.Go(func() {
			s, err := Open(context.Background(), db)
			if err != nil {
				t.Errorf("replica %d: Open: %v", i, err)
				return
			}
			stores[i] = s
		})
	}
	wg.Wait()

	for _, s := range stores {
		if s != nil {
			s.Close()
		}
	}

	list, err := loadMigrations(postgres)
	if err != nil {
		t.Fatal(err)
	}
	db := openPostgresAt(t, dsn)
	var rows, newest int
	if err := db.QueryRow("SELECT COUNT(*), MAX(version) FROM schema_migrations").Scan(&rows, &newest); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	if rows != len(list) || newest != len(list) {
		t.Errorf("schema_migrations has %d rows up to version %d, want %d up to %d", rows, newest, len(list), len(list))
	}
}

// TestPostgresReplicasShareWork runs two stores, each on its own pool, over
// one schema, as two replicas of a service. Their claims never share a
// row, a row whose claimer stopped is taken over once its lease expires,
// and their send reservations share one limit.
func TestPostgresReplicasShareWork(t *testing.T) {
	_, dsn := openPostgres(t)
	var clock atomic.Int64
	clock.Store(time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC).UnixMilli())
	now := func() time.Time { return time.UnixMilli(clock.Load()) }
	a := openPostgresStore(t, openPostgresAt(t, dsn), WithClock(now))
	b := openPostgresStore(t, openPostgresAt(t, dsn), WithClock(now))
	ctx := context.Background()

	const events = 60
	for i := range events {
		key := fmt.Sprintf("event %d", i)
		if _, err := a.Enqueue(ctx, store.Delivery{Body: []byte("{}"), Events: []store.InboxEvent{{Key: key}}}); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}

	t.Run("claims are disjoint", func(t *testing.T) {
		claimed := make(chan store.InboxItem, events)
		var wg sync.WaitGroup
		for w, s := range []*Store{a, b, a, b} {
			wg.Go(func() {
				for {
					items, err := s.Claim(ctx, fmt.Sprint("worker ", w), 3, time.Minute)
					if err != nil {
						t.Errorf("worker %d: Claim: %v", w, err)
						return
					}
					if len(items) == 0 {
						return
					}
					for _, it := range items {
						claimed <- it
					}
				}
			})
		}
		wg.Wait()
		close(claimed)
		seen := make(map[int64]bool)
		for it := range claimed {
			if seen[it.ID] {
				t.Errorf("row %d claimed twice", it.ID)
			}
			seen[it.ID] = true
		}
		if len(seen) != events {
			t.Errorf("%d rows claimed, want %d", len(seen), events)
		}
	})

	t.Run("expired leases are taken over", func(t *testing.T) {
		// Replica a stops without settling its rows; after the lease,
		// replica b claims every row once more, under new leases.
		clock.Add(time.Minute.Milliseconds())
		items, err := b.Claim(ctx, "replica b", events+1, time.Minute)
		if err != nil {
			t.Fatalf("Claim: %v", err)
		}
		if len(items) != events {
			t.Fatalf("replica b took over %d rows, want %d", len(items), events)
		}
		for _, it := range items {
			if it.Attempts != 2 || it.Lease.Owner != "replica b" {
				t.Fatalf("row %d taken over as attempt %d of %q, want attempt 2 of replica b", it.ID, it.Attempts, it.Lease.Owner)
			}
			if err := b.Complete(ctx, it.Lease); err != nil {
				t.Fatalf("Complete: %v", err)
			}
		}
		counts, err := a.InboxCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[store.InboxDone] != events {
			t.Errorf("done rows = %d, want %d", counts[store.InboxDone], events)
		}
	})

	t.Run("send limit is shared", func(t *testing.T) {
		const limit, callers = 7, 24
		limits := []store.SendLimit{{Max: limit, Per: 24 * time.Hour}}
		var reserved atomic.Int64
		var wg sync.WaitGroup
		for i := range callers {
			s := []*Store{a, b}[i%2]
			wg.Go(func() {
				ok, _, err := s.ReserveSend(ctx, "account 1", now(), limits)
				if err != nil {
					t.Errorf("ReserveSend: %v", err)
				}
				if ok {
					reserved.Add(1)
				}
			})
		}
		wg.Wait()
		if got := reserved.Load(); got != limit {
			t.Errorf("%d sends reserved by two replicas, want the limit %d", got, limit)
		}
	})
}

// TestPostgresDeadlockRetried makes two transactions lock two account rows
// in opposite orders. PostgreSQL aborts one of them with deadlock_detected,
// and inTx runs it again, so both succeed.
func TestPostgresDeadlockRetried(t *testing.T) {
	db, _ := openPostgres(t)
	s := openPostgresStore(t, db)
	ctx := context.Background()
	var ids [2]int64
	for i := range ids {
		a, _, err := s.ConnectAccount(ctx, store.Account{MerchantID: "m", XUserID: fmt.Sprint(100 + i)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i], _ = parseID(a.ID)
	}

	var firstLocks sync.WaitGroup // both transactions hold their first lock
	firstLocks.Add(2)
	var runs atomic.Int64
	lockBoth := func(first, second int64) func(tx *sql.Tx) error {
		var attempt int
		return func(tx *sql.Tx) error {
			attempt++
			runs.Add(1)
			lock := "UPDATE accounts SET updated_at = updated_at + 1 WHERE id = $1"
			if _, err := tx.ExecContext(ctx, lock, first); err != nil {
				return err
			}
			if attempt == 1 {
				firstLocks.Done()
				firstLocks.Wait()
			}
			_, err := tx.ExecContext(ctx, lock, second)
			return err
		}
	}
	var wg sync.WaitGroup
	for i, order := range [][2]int64{{ids[0], ids[1]}, {ids[1], ids[0]}} {
		wg.Go(func() {
			if err := s.inTx(ctx, lockBoth(order[0], order[1])); err != nil {
				t.Errorf("transaction %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	// A retry can deadlock again when it takes its first lock before the
	// other transaction does, so more than one retry is possible.
	if got := runs.Load(); got < 3 {
		t.Errorf("transactions ran %d times, want at least 3: two, and one again after the deadlock", got)
	}
}

// TestTxConflictRetried checks which errors make inTx run a transaction
// again, and that it gives up after maxTxAttempts.
func TestTxConflictRetried(t *testing.T) {
	s := openStore(t)
	tests := []struct {
		name string
		err  error
		runs int
	}{
		{"serialization failure", &pgconn.PgError{Code: "40001"}, maxTxAttempts},
		{"deadlock", fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "40P01"}), maxTxAttempts},
		{"unique violation", &pgconn.PgError{Code: "23505"}, 1},
		{"other error", errors.New("disk full"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := 0
			err := s.inTx(context.Background(), func(*sql.Tx) error {
				runs++
				return tt.err
			})
			if !errors.Is(err, tt.err) {
				t.Errorf("inTx error = %v, want %v", err, tt.err)
			}
			if runs != tt.runs {
				t.Errorf("fn ran %d times, want %d", runs, tt.runs)
			}
		})
	}
	t.Run("success after conflicts", func(t *testing.T) {
		runs := 0
		err := s.inTx(context.Background(), func(*sql.Tx) error {
			runs++
			if runs < 3 {
				return &pgconn.PgError{Code: "40P01"}
			}
			return nil
		})
		if err != nil || runs != 3 {
			t.Errorf("inTx = %v after %d runs, want nil after 3", err, runs)
		}
	})
}

func TestDialectOption(t *testing.T) {
	db := openDB(t, tempDSN(t))
	if _, err := Open(context.Background(), db, WithDialect("oracle")); err == nil {
		t.Error("Open with an unknown dialect succeeded, want an error")
	}
	s, err := Open(context.Background(), db, WithDialect(SQLite))
	if err != nil {
		t.Fatalf("Open with WithDialect(SQLite): %v", err)
	}
	defer s.Close()
	if got := s.Dialect(); got != SQLite {
		t.Errorf("Dialect() = %q, want %q", got, SQLite)
	}
}
