package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/store/storetest"

	_ "modernc.org/sqlite"
)

// openDB opens a SQLite database file in a temporary folder, closed when
// the test ends.
func openDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	db.SetMaxOpenConns(4)
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close db: %v", err)
		}
	})
	return db
}

func tempDSN(t testing.TB) string {
	return SQLiteDSN(filepath.Join(t.TempDir(), "store.db"))
}

// openStore opens a store over a new database and closes it when the test
// ends.
func openStore(t testing.TB, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), openDB(t, tempDSN(t)), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		s, err := Open(context.Background(), openDB(t, tempDSN(t)), WithClock(now))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}

func TestSQLiteDSNPragmas(t *testing.T) {
	tests := []struct {
		name        string
		dsn         func(path string) string
		synchronous string
	}{
		{"SQLiteDSN", SQLiteDSN, "1"},         // NORMAL
		{"SQLiteDSNFull", SQLiteDSNFull, "2"}, // FULL
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t, tt.dsn(filepath.Join(t.TempDir(), "store.db")))
			wantPragmas(t, db, map[string]string{
				"journal_mode": "wal",
				"synchronous":  tt.synchronous,
				"foreign_keys": "1",
				"busy_timeout": "5000",
			})
		})
	}
}

// wantPragmas checks the pragmas on several connections of db at once, so
// that each query runs on a different connection and every connection is
// checked.
func wantPragmas(t *testing.T, db *sql.DB, want map[string]string) {
	t.Helper()
	ctx := context.Background()
	var conns []*sql.Conn
	for range 3 {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatalf("db.Conn: %v", err)
		}
		defer conn.Close()
		conns = append(conns, conn)
	}
	for i, conn := range conns {
		for pragma, value := range want {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("connection %d: PRAGMA %s: %v", i, pragma, err)
			}
			if got != value {
				t.Errorf("connection %d: PRAGMA %s = %q, want %q", i, pragma, got, value)
			}
		}
	}
}

func TestSQLiteDSNEscapesPath(t *testing.T) {
	dir := t.TempDir()
	name := "odd %41 name?x=1#frag.db"
	db := openDB(t, SQLiteDSN(filepath.Join(dir, name)))
	if _, err := db.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("database file %q not created (%v); the folder has %q", name, err, names)
	}
}

func TestOpenIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, tempDSN(t))
	first, err := Open(ctx, db)
	if err != nil {
		t.Fatalf("first Open: %v", err)
	}
	a, _, err := first.ConnectAccount(ctx, store.Account{MerchantID: "m1", XUserID: "100", Username: "shop"})
	if err != nil {
		t.Fatalf("ConnectAccount: %v", err)
	}
	first.Close()

	second, err := Open(ctx, db)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer second.Close()
	got, err := second.Account(ctx, "m1", a.ID)
	if err != nil {
		t.Fatalf("Account after reopening: %v", err)
	}
	if got.Username != "shop" {
		t.Errorf("Username = %q, want %q", got.Username, "shop")
	}

	list, err := loadMigrations(sqlite)
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	var rows int
	if err := db.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&rows); err != nil {
		t.Fatalf("count schema_migrations: %v", err)
	}
	if rows != len(list) {
		t.Errorf("schema_migrations has %d rows, want %d", rows, len(list))
	}
}

func TestOpenRejectsNewerSchema(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, tempDSN(t))
	s, err := Open(ctx, db)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	s.Close()
	if _, err := db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future.sql', 0)"); err != nil {
		t.Fatalf("insert version: %v", err)
	}
	_, err = Open(ctx, db)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema: got error %v, want one about a newer version", err)
	}
}

func TestRebind(t *testing.T) {
	numbered := &sqlDialect{numbered: true}
	tests := []struct {
		d     *sqlDialect
		query string
		want  string
	}{
		{sqlite, "SELECT ? WHERE a = ?", "SELECT ? WHERE a = ?"},
		{numbered, "SELECT ? WHERE a = ?", "SELECT $1 WHERE a = $2"},
		{numbered, "IN (" + placeholders(3) + ")", "IN ($1, $2, $3)"},
		{numbered, "SELECT 1", "SELECT 1"},
	}
	for _, tt := range tests {
		if got := tt.d.rebind(tt.query); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.query, got, tt.want)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	tests := []cursor{
		{millis: 1764851234567, id: 42},
		{millis: -5, key: "1234567890123456789"},
		{millis: 0, key: "a:b:c"},
	}
	for _, want := range tests {
		got, err := decodeCursor(encodeCursor(want.millis, want.id, want.key))
		if err != nil || got != want {
			t.Errorf("decodeCursor(encodeCursor(%+v)) = %+v, %v; want the same cursor", want, got, err)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(1, 2, ""))
	f.Add(encodeCursor(1, 0, "99"))
	f.Add("")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			return
		}
		again, err := decodeCursor(encodeCursor(c.millis, c.id, c.key))
		if err != nil || again != c {
			t.Errorf("cursor %+v does not survive a round trip: %+v, %v", c, again, err)
		}
	})
}

// holdWrites takes the store's write lock, so that the committer queues
// requests without taking them, and returns the function that releases it.
func holdWrites(t *testing.T, s *Store) func() {
	t.Helper()
	unlock, err := s.lockWrites(context.Background())
	if err != nil {
		t.Fatalf("lockWrites: %v", err)
	}
	return unlock
}

// enqueueTogether runs one Enqueue per delivery while holding the write
// lock, so that the requests queue in delivery order, then releases the
// lock and returns the results in delivery order.
func enqueueTogether(t *testing.T, s *Store, deliveries []store.Delivery) ([]store.EnqueueResult, []error) {
	t.Helper()
	release := holdWrites(t, s)
	queued := make(chan struct{})
	s.inbox.afterQueue = func() { queued <- struct{}{} }
	defer func() { s.inbox.afterQueue = nil }()
	results := make([]store.EnqueueResult, len(deliveries))
	errs := make([]error, len(deliveries))
	var finished sync.WaitGroup
	for i, d := range deliveries {
		finished.Go(func() { results[i], errs[i] = s.Enqueue(context.Background(), d) })
		<-queued // keeps the queue in delivery order
	}
	release()
	finished.Wait()
	return results, errs
}

func delivery(keys ...string) store.Delivery {
	d := store.Delivery{Body: []byte(`{"for_user_id":"100"}`), ReceivedAt: time.UnixMilli(1764851234567)}
	for _, k := range keys {
		d.Events = append(d.Events, store.InboxEvent{Key: k, Kind: "follow_events"})
	}
	return d
}

func TestGroupCommitBatches(t *testing.T) {
	s := openStore(t, WithMaxBatch(4))
	deliveries := []store.Delivery{
		delivery("a"), delivery("b", "a"), delivery("c"), delivery("a", "c", "d"),
		delivery("e"), delivery(), delivery("e", "f"), delivery("f"), delivery("g"),
	}
	before := s.inbox.batches.Load()
	results, errs := enqueueTogether(t, s, deliveries)
	if got := s.inbox.batches.Load() - before; got != 3 {
		t.Errorf("committed %d batches for 9 deliveries at 4 per batch, want 3", got)
	}
	inserted, duplicates := 0, 0
	for i := range deliveries {
		if errs[i] != nil {
			t.Fatalf("Enqueue %d: %v", i, errs[i])
		}
		inserted += results[i].Inserted
		duplicates += results[i].Duplicates
	}
	if inserted != 7 || duplicates != 5 {
		t.Errorf("inserted %d, duplicates %d; want 7 keys inserted once and 5 duplicates", inserted, duplicates)
	}
}

func TestGroupCommitDedupWithinBatch(t *testing.T) {
	s := openStore(t)
	results, errs := enqueueTogether(t, s, []store.Delivery{delivery("k", "x"), delivery("k", "y")})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Enqueue %d: %v", i, err)
		}
	}
	got := [2]int{results[0].Inserted + results[1].Inserted, results[0].Duplicates + results[1].Duplicates}
	if got != [2]int{3, 1} {
		t.Errorf("inserted, duplicates = %v; want [3 1]", got)
	}
	counts, err := s.InboxCounts(context.Background())
	if err != nil {
		t.Fatalf("InboxCounts: %v", err)
	}
	if counts[store.InboxPending] != 3 {
		t.Errorf("pending rows = %d, want 3", counts[store.InboxPending])
	}
}

// TestGroupCommitErrorFailsBatch makes one event of a batch fail inside the
// database and checks that every caller of that batch gets the error, that
// nothing of the batch is stored, and that the next batch succeeds.
func TestGroupCommitErrorFailsBatch(t *testing.T) {
	s := openStore(t, WithMaxBatch(3))
	_, err := s.db.Exec(`CREATE TRIGGER poison BEFORE INSERT ON inbox_events
		WHEN NEW.event_key = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned event'); END`)
	if err != nil {
		t.Fatalf("create trigger: %v", err)
	}
	deliveries := []store.Delivery{delivery("a"), delivery("poison"), delivery("b"), delivery("c"), delivery("d")}
	results, errs := enqueueTogether(t, s, deliveries)
	for i := range 3 {
		if errs[i] == nil || !strings.Contains(errs[i].Error(), "poisoned event") {
			t.Errorf("Enqueue %d in the failed batch: got error %v, want the trigger's", i, errs[i])
		}
	}
	for i := 3; i < 5; i++ {
		if errs[i] != nil || results[i].Inserted != 1 {
			t.Errorf("Enqueue %d in the next batch: got %+v, %v; want one row inserted", i, results[i], errs[i])
		}
	}
	counts, err := s.InboxCounts(context.Background())
	if err != nil {
		t.Fatalf("InboxCounts: %v", err)
	}
	if counts[store.InboxPending] != 2 {
		t.Errorf("pending rows = %d, want 2 (the failed batch rolled back)", counts[store.InboxPending])
	}
	res, err := s.Enqueue(context.Background(), delivery("a"))
	if err != nil || res.Inserted != 1 {
		t.Errorf("Enqueue of a key from the failed batch: got %+v, %v; want it inserted", res, err)
	}
}

func TestEnqueueHonoursContextWhileQueued(t *testing.T) {
	s := openStore(t)
	release := holdWrites(t, s)
	queued := make(chan struct{})
	s.inbox.afterQueue = func() { close(queued) }
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := s.Enqueue(ctx, delivery("late"))
		errc <- err
	}()
	<-queued
	s.inbox.afterQueue = nil
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Enqueue after cancel: got error %v, want context.Canceled", err)
	}
	release()
	res, err := s.Enqueue(context.Background(), delivery("late"))
	if err != nil || res.Inserted != 1 {
		t.Errorf("Enqueue of the canceled key: got %+v, %v; want it inserted, as the canceled request was skipped", res, err)
	}
}

func TestCloseDrainsQueue(t *testing.T) {
	s := openStore(t)
	release := holdWrites(t, s)
	var queued, finished sync.WaitGroup
	queued.Add(3)
	s.inbox.afterQueue = queued.Done
	errs := make([]error, 3)
	for i := range 3 {
		finished.Go(func() { _, errs[i] = s.Enqueue(context.Background(), delivery(string(rune('a'+i)))) })
	}
	queued.Wait()

	closed := make(chan struct{})
	go func() {
		s.Close()
		close(closed)
	}()
	release()
	<-closed
	finished.Wait()

	for i, err := range errs {
		if err != nil {
			t.Errorf("Enqueue %d queued before Close: %v", i, err)
		}
	}
	counts, err := s.InboxCounts(context.Background())
	if err != nil {
		t.Fatalf("InboxCounts after Close: %v", err)
	}
	if counts[store.InboxPending] != 3 {
		t.Errorf("pending rows = %d, want 3", counts[store.InboxPending])
	}
	if _, err := s.Enqueue(context.Background(), delivery("z")); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Enqueue after Close: got error %v, want store.ErrClosed", err)
	}
}
