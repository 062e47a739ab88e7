package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/xactivity/internal/fixtures"
	"github.com/goodgo/xactivity/store"
)

// BenchmarkEnqueueParallel measures Enqueue throughput with many concurrent
// callers, as a webhook server has them, on a SQLite file in a temporary
// folder. Each delivery is the sample DM delivery with one new event key.
// It runs with synchronous=NORMAL (SQLiteDSN) and synchronous=FULL
// (SQLiteDSNFull).
func BenchmarkEnqueueParallel(b *testing.B) {
	modes := []struct {
		name string
		dsn  func(path string) string
	}{
		{"NORMAL", SQLiteDSN},
		{"FULL", SQLiteDSNFull},
	}
	for _, mode := range modes {
		b.Run("synchronous="+mode.name, func(b *testing.B) {
			db := openDB(b, mode.dsn(filepath.Join(b.TempDir(), "store.db")))
			benchmarkEnqueue(b, openBenchStore(b, db), 32)
		})
	}
}

// BenchmarkEnqueueSerial measures one caller at a time, so every delivery
// is its own transaction.
func BenchmarkEnqueueSerial(b *testing.B) {
	benchmarkEnqueue(b, openBenchStore(b, openDB(b, tempDSN(b))), 0)
}

// BenchmarkPostgresEnqueueParallel measures Enqueue throughput with many
// concurrent callers on PostgreSQL, each run on a new schema: with group
// commit (batches of up to 256 deliveries, the default) and without it
// (WithMaxBatch(1), one transaction per delivery, still one at a time). It
// is skipped unless XACTIVITY_TEST_POSTGRES_URL is set.
func BenchmarkPostgresEnqueueParallel(b *testing.B) {
	for _, batch := range []int{defaultMaxBatch, 1} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			db, _ := openPostgres(b)
			benchmarkEnqueue(b, openBenchStore(b, db, WithMaxBatch(batch)), 32)
		})
	}
}

// BenchmarkPostgresEnqueueSerial measures one caller at a time on
// PostgreSQL, so every delivery is its own transaction.
func BenchmarkPostgresEnqueueSerial(b *testing.B) {
	db, _ := openPostgres(b)
	benchmarkEnqueue(b, openBenchStore(b, db), 0)
}

// openBenchStore opens a store over db and closes it when the benchmark
// ends.
func openBenchStore(b *testing.B, db *sql.DB, opts ...Option) *Store {
	b.Helper()
	s, err := Open(context.Background(), db, opts...)
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// benchmarkEnqueue runs Enqueue from parallelism×GOMAXPROCS goroutines, or
// from one when parallelism is 0, and reports deliveries/s. It then checks
// that every delivery left one pending row.
func benchmarkEnqueue(b *testing.B, s *Store, parallelism int) {
	ctx := context.Background()

	body := fixtures.LoadDelivery(b, "dm_received.json").Body
	var seq atomic.Int64
	enqueue := func() error {
		key := "dm:" + strconv.FormatInt(seq.Add(1), 10)
		_, err := s.Enqueue(ctx, store.Delivery{
			Body:       body,
			ReceivedAt: time.Now(),
			Events:     []store.InboxEvent{{Key: key, Kind: "direct_message_events", ForUserID: "100"}},
		})
		return err
	}

	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	if parallelism == 0 {
		for b.Loop() {
			if err := enqueue(); err != nil {
				b.Fatalf("Enqueue: %v", err)
			}
		}
	} else {
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := enqueue(); err != nil {
					b.Errorf("Enqueue: %v", err)
					return
				}
			}
		})
	}

	b.StopTimer()
	b.ReportMetric(float64(seq.Load())/b.Elapsed().Seconds(), "deliveries/s")
	counts, err := s.InboxCounts(ctx)
	if err != nil {
		b.Fatalf("InboxCounts: %v", err)
	}
	if got, want := counts[store.InboxPending], int(seq.Load()); got != want {
		b.Errorf("pending rows = %d, want one per delivery (%d)", got, want)
	}
}
