package sqlstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// batchCase is a batch of deliveries together with the results that storing
// them one after another gives, which insertDeliveries must reproduce.
type batchCase struct {
	stored []string // keys in the inbox before the batch
	batch  []store.Delivery
	want   []store.EnqueueResult // DeliveryID left zero
	// newKeys are the keys the batch inserts, in the order their rows must
	// get ids, and owners the index of the delivery that inserts each one.
	newKeys []string
	owners  []int
}

// newBatchCase builds a batch of n deliveries from a fixed seed. Keys come
// from a small pool, so that a batch repeats keys within a delivery, across
// its deliveries and from the stored keys. Delivery 5 has 300 events, more
// than one INSERT holds, and delivery 7 has a nil body and no receive time.
func newBatchCase(n int) batchCase {
	rng := rand.New(rand.NewPCG(1, 2))
	key := func() string { return fmt.Sprintf("key %d", rng.IntN(3*n)) }
	var c batchCase
	seen := make(map[string]bool)
	for range n / 4 {
		k := key()
		if !seen[k] {
			seen[k] = true
			c.stored = append(c.stored, k)
		}
	}
	for i := range n {
		d := store.Delivery{
			Body:       fmt.Appendf(nil, `{"delivery":%d}`, i),
			ReceivedAt: time.UnixMilli(1764851234567 + int64(i)),
		}
		events := rng.IntN(4)
		switch i {
		case 5:
			events = 300
		case 7:
			d.Body, d.ReceivedAt = nil, time.Time{}
		}
		var res store.EnqueueResult
		for range events {
			ev := store.InboxEvent{Key: key(), Kind: "direct_message_events", ForUserID: fmt.Sprint(100 + i)}
			if rng.IntN(8) == 0 && len(d.Events) > 0 {
				ev = d.Events[rng.IntN(len(d.Events))] // a key twice in one delivery
			}
			d.Events = append(d.Events, ev)
			if seen[ev.Key] {
				res.Duplicates++
				continue
			}
			seen[ev.Key] = true
			res.Inserted++
			c.newKeys = append(c.newKeys, ev.Key)
			c.owners = append(c.owners, i)
		}
		c.batch = append(c.batch, d)
		c.want = append(c.want, res)
	}
	return c
}

// testInsertDeliveriesBatch stores a batch of 300 deliveries in one
// transaction and checks every result, each delivery's row, and the order
// and owner of the new event rows.
func testInsertDeliveriesBatch(t *testing.T, s *Store) {
	ctx := context.Background()
	c := newBatchCase(300)
	for _, k := range c.stored {
		if _, err := s.Enqueue(ctx, store.Delivery{Body: []byte("{}"), Events: []store.InboxEvent{{Key: k}}}); err != nil {
			t.Fatalf("Enqueue of stored key %q: %v", k, err)
		}
	}
	var lastEventID int64
	if err := s.db.QueryRow("SELECT COALESCE(MAX(id), 0) FROM inbox_events").Scan(&lastEventID); err != nil {
		t.Fatal(err)
	}

	unlock, err := s.lockWrites(ctx)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	results, err := s.insertDeliveries(ctx, c.batch)
	unlock()
	if err != nil {
		t.Fatalf("insertDeliveries: %v", err)
	}

	if len(results) != len(c.batch) {
		t.Fatalf("got %d results for %d deliveries", len(results), len(c.batch))
	}
	for i, res := range results {
		if i > 0 && res.DeliveryID <= results[i-1].DeliveryID {
			t.Errorf("delivery %d has id %d, not above the id %d of delivery %d", i, res.DeliveryID, results[i-1].DeliveryID, i-1)
		}
		got := store.EnqueueResult{Inserted: res.Inserted, Duplicates: res.Duplicates}
		if got != c.want[i] {
			t.Errorf("delivery %d: inserted, duplicates = %d, %d; want %d, %d",
				i, got.Inserted, got.Duplicates, c.want[i].Inserted, c.want[i].Duplicates)
		}
	}

	for i, d := range c.batch {
		var body []byte
		var received int64
		err := s.db.QueryRow(s.q("SELECT body, received_at FROM inbox_deliveries WHERE id = ?"), results[i].DeliveryID).Scan(&body, &received)
		if err != nil {
			t.Fatalf("read delivery %d (id %d): %v", i, results[i].DeliveryID, err)
		}
		if string(body) != string(d.Body) {
			t.Errorf("delivery %d (id %d) has body %q, want %q", i, results[i].DeliveryID, body, d.Body)
		}
		wantReceived := d.ReceivedAt.UnixMilli()
		if d.ReceivedAt.IsZero() {
			if received < started.UnixMilli() || received > time.Now().UnixMilli() {
				t.Errorf("delivery %d without a receive time got %d, want the time of the call", i, received)
			}
		} else if received != wantReceived {
			t.Errorf("delivery %d has received_at %d, want %d", i, received, wantReceived)
		}
	}

	type eventRow struct {
		key        string
		deliveryID int64
		forUserID  string
	}
	rows, err := queryList(ctx, s.db, s.q("SELECT event_key, delivery_id, for_user_id FROM inbox_events WHERE id > ? ORDER BY id"),
		[]any{lastEventID}, func(row rowScanner) (eventRow, error) {
			var r eventRow
			err := row.Scan(&r.key, &r.deliveryID, &r.forUserID)
			return r, err
		})
	if err != nil {
		t.Fatal(err)
	}
	var want []eventRow
	for i, k := range c.newKeys {
		want = append(want, eventRow{key: k, deliveryID: results[c.owners[i]].DeliveryID, forUserID: fmt.Sprint(100 + c.owners[i])})
	}
	if !slices.Equal(rows, want) {
		t.Errorf("new event rows in id order differ from the batch order of their first occurrence")
		for i := range max(len(rows), len(want)) {
			var got, w eventRow
			if i < len(rows) {
				got = rows[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if got != w {
				t.Fatalf("row %d: got %+v, want %+v (%d rows, want %d)", i, got, w, len(rows), len(want))
			}
		}
	}
}

func TestInsertDeliveriesBatch(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testInsertDeliveriesBatch(t, openStore(t))
	})
	t.Run("postgres", func(t *testing.T) {
		db, _ := openPostgres(t)
		testInsertDeliveriesBatch(t, openPostgresStore(t, db))
	})
}

// TestPostgresReplicasEnqueueSameKeys runs two stores over one schema, as
// two replicas that both receive the same events, and enqueues overlapping
// keys from many callers on each. Every key is inserted exactly once.
func TestPostgresReplicasEnqueueSameKeys(t *testing.T) {
	_, dsn := openPostgres(t)
	replicas := []*Store{
		openPostgresStore(t, openPostgresAt(t, dsn)),
		openPostgresStore(t, openPostgresAt(t, dsn)),
	}
	ctx := context.Background()
	const callers, keys = 64, 50
	var mu sync.Mutex
	inserted, duplicates := 0, 0
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			// Each caller sends three keys, in an order that differs
			// between callers, so batches of the two replicas lock keys in
			// different orders.
			d := store.Delivery{Body: []byte("{}")}
			for j := range 3 {
				d.Events = append(d.Events, store.InboxEvent{Key: fmt.Sprintf("key %d", (i*7+j*(1+i%5))%keys)})
			}
			res, err := replicas[i%2].Enqueue(ctx, d)
			if err != nil {
				t.Errorf("Enqueue %d: %v", i, err)
				return
			}
			mu.Lock()
			inserted += res.Inserted
			duplicates += res.Duplicates
			mu.Unlock()
		})
	}
	wg.Wait()
	counts, err := replicas[0].InboxCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if inserted != counts[store.InboxPending] {
		t.Errorf("callers were told of %d inserted rows, the inbox has %d", inserted, counts[store.InboxPending])
	}
	if inserted+duplicates != 3*callers {
		t.Errorf("inserted %d + duplicates %d = %d, want %d events", inserted, duplicates, inserted+duplicates, 3*callers)
	}
	var distinct int
	if err := replicas[0].db.QueryRow("SELECT COUNT(DISTINCT event_key) FROM inbox_events").Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	if distinct != inserted {
		t.Errorf("%d distinct keys stored, %d rows reported inserted", distinct, inserted)
	}
}
