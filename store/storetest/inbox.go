package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// delivery returns a delivery whose events have the given keys.
func delivery(body string, keys ...string) store.Delivery {
	d := store.Delivery{Body: []byte(body), ReceivedAt: startTime}
	for _, k := range keys {
		d.Events = append(d.Events, store.InboxEvent{Key: k, Kind: "direct_message_events", ForUserID: "100"})
	}
	return d
}

func (f *fixture) enqueue(d store.Delivery) store.EnqueueResult {
	f.t.Helper()
	res, err := f.s.Enqueue(f.ctx, d)
	mustNoError(f.t, "Enqueue", err)
	return res
}

func (f *fixture) claim(limit int, lease time.Duration) []store.InboxItem {
	f.t.Helper()
	return f.claimAs("worker", limit, lease)
}

func (f *fixture) claimAs(owner string, limit int, lease time.Duration) []store.InboxItem {
	f.t.Helper()
	items, err := f.s.Claim(f.ctx, owner, limit, lease)
	mustNoError(f.t, "Claim", err)
	return items
}

func (f *fixture) wantCounts(pending, processing, done, failed int) {
	f.t.Helper()
	got, err := f.s.InboxCounts(f.ctx)
	mustNoError(f.t, "InboxCounts", err)
	want := map[store.InboxStatus]int{
		store.InboxPending: pending, store.InboxProcessing: processing,
		store.InboxDone: done, store.InboxFailed: failed,
	}
	wantEqual(f.t, "InboxCounts", got, want)
}

func keysOf(items []store.InboxItem) []string {
	keys := []string{}
	for _, it := range items {
		keys = append(keys, it.Key)
	}
	return keys
}

func runInbox(t *testing.T, open Opener) {
	t.Run("enqueue deduplicates keys", func(t *testing.T) {
		f := newFixture(t, open)
		first := f.enqueue(delivery("one", "a", "b"))
		second := f.enqueue(delivery("two", "b", "c"))
		third := f.enqueue(delivery("three", "c", "c"))
		wantEqual(t, "first", [2]int{first.Inserted, first.Duplicates}, [2]int{2, 0})
		wantEqual(t, "second", [2]int{second.Inserted, second.Duplicates}, [2]int{1, 1})
		wantEqual(t, "third", [2]int{third.Inserted, third.Duplicates}, [2]int{0, 2})
		if first.DeliveryID == second.DeliveryID || second.DeliveryID == third.DeliveryID || first.DeliveryID == 0 {
			t.Errorf("delivery ids %d, %d, %d; want distinct and non-zero", first.DeliveryID, second.DeliveryID, third.DeliveryID)
		}
		f.wantCounts(3, 0, 0, 0)
		items := f.claim(10, time.Minute)
		wantEqual(t, "claimed keys", keysOf(items), []string{"a", "b", "c"})
		wantEqual(t, "body of c", string(items[2].Body), "two")
	})

	t.Run("delivery without events stored", func(t *testing.T) {
		f := newFixture(t, open)
		first := f.enqueue(store.Delivery{Body: []byte("{}"), ReceivedAt: startTime})
		second := f.enqueue(store.Delivery{Body: []byte("{}")})
		if first.DeliveryID == 0 || first.DeliveryID == second.DeliveryID {
			t.Errorf("delivery ids %d, %d; want distinct and non-zero", first.DeliveryID, second.DeliveryID)
		}
		wantEqual(t, "result", first, store.EnqueueResult{DeliveryID: first.DeliveryID})
		f.wantCounts(0, 0, 0, 0)
	})

	t.Run("enqueue rejects empty key", func(t *testing.T) {
		f := newFixture(t, open)
		_, err := f.s.Enqueue(f.ctx, delivery("x", "a", ""))
		wantError(t, "Enqueue", err, store.ErrInvalid)
		f.wantCounts(0, 0, 0, 0)
	})

	t.Run("claimed item", func(t *testing.T) {
		f := newFixture(t, open)
		d := delivery("body", "k1")
		d.Events[0].Kind = "follow_events"
		res := f.enqueue(d)
		later := f.enqueue(store.Delivery{Body: []byte("b2"), Events: []store.InboxEvent{{Key: "k2"}}})
		items := f.claim(5, time.Minute)
		want := []store.InboxItem{
			{ID: items[0].ID, DeliveryID: res.DeliveryID, InboxEvent: d.Events[0], Body: []byte("body"), ReceivedAt: millis(startTime), Attempts: 1,
				Lease: store.Lease{ID: items[0].ID, Owner: "worker", Attempt: 1}},
			{ID: items[1].ID, DeliveryID: later.DeliveryID, InboxEvent: store.InboxEvent{Key: "k2"}, Body: []byte("b2"), ReceivedAt: millis(startTime), Attempts: 1,
				Lease: store.Lease{ID: items[1].ID, Owner: "worker", Attempt: 1}},
		}
		wantEqual(t, "claimed items", items, want)
		f.wantCounts(0, 2, 0, 0)
	})

	t.Run("claim oldest first within limit", func(t *testing.T) {
		f := newFixture(t, open)
		f.enqueue(delivery("1", "e1", "e2"))
		f.enqueue(delivery("2", "e3"))
		f.enqueue(delivery("3", "e4", "e5"))
		wantEqual(t, "first claim", keysOf(f.claim(2, time.Minute)), []string{"e1", "e2"})
		wantEqual(t, "second claim", keysOf(f.claim(10, time.Minute)), []string{"e3", "e4", "e5"})
		wantEqual(t, "third claim", keysOf(f.claim(10, time.Minute)), []string{})
		for _, limit := range []int{0, -1} {
			_, err := f.s.Claim(f.ctx, "w", limit, time.Minute)
			wantError(t, "Claim limit "+show(limit), err, store.ErrInvalid)
		}
		_, err := f.s.Claim(f.ctx, "w", 1, 0)
		wantError(t, "Claim lease 0", err, store.ErrInvalid)
	})

	t.Run("expired lease claimable", testLeaseExpiry(open))
	t.Run("complete", testComplete(open))
	t.Run("fail with retry", testFailRetry(open))
	t.Run("fail final", testFailFinal(open))
}

func testLeaseExpiry(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		f.enqueue(delivery("1", "a"))
		first := f.claim(1, time.Minute)
		f.clock.Advance(59 * time.Second)
		wantEqual(t, "claim during lease", keysOf(f.claim(1, time.Minute)), []string{})
		f.clock.Advance(time.Second)
		again := f.claim(1, time.Minute)
		wantEqual(t, "claim after lease", keysOf(again), []string{"a"})
		wantEqual(t, "id", again[0].ID, first[0].ID)
		wantEqual(t, "attempts", again[0].Attempts, 2)
		f.wantCounts(0, 1, 0, 0)
	}
}

func testComplete(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		f.enqueue(delivery("1", "a", "b"))
		items := f.claim(2, time.Minute)
		mustNoError(t, "Complete", f.s.Complete(f.ctx, items[0].Lease))
		mustNoError(t, "Complete again", f.s.Complete(f.ctx, items[0].Lease))
		f.wantCounts(0, 1, 1, 0)
		f.clock.Advance(time.Hour)
		wantEqual(t, "claim after completion", keysOf(f.claim(10, time.Minute)), []string{"b"})
		unknown := store.Lease{ID: items[1].ID + 1000, Owner: "worker", Attempt: 1}
		wantError(t, "Complete unknown", f.s.Complete(f.ctx, unknown), store.ErrNotFound)
		err := f.s.Fail(f.ctx, items[0].Lease, "late", startTime, false)
		wantError(t, "Fail of a done row", err, store.ErrNotClaimed)
		f.wantCounts(0, 1, 1, 0)
		wantError(t, "Fail unknown", f.s.Fail(f.ctx, unknown, "x", startTime, false), store.ErrNotFound)
	}
}

func testFailRetry(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		f.enqueue(delivery("1", "a", "b"))
		items := f.claim(1, time.Minute)
		retryAt := f.clock.Now().Add(time.Minute)
		mustNoError(t, "Fail", f.s.Fail(f.ctx, items[0].Lease, "x api unavailable", retryAt, false))
		f.wantCounts(2, 0, 0, 0)
		wantEqual(t, "claim before retry time", keysOf(f.claim(10, time.Hour)), []string{"b"})
		f.clock.Advance(time.Minute)
		again := f.claim(10, time.Hour)
		wantEqual(t, "claim at retry time", keysOf(again), []string{"a"})
		wantEqual(t, "attempts", again[0].Attempts, 2)
	}
}

func testFailFinal(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		f.enqueue(delivery("1", "a"))
		items := f.claim(1, time.Minute)
		mustNoError(t, "Fail", f.s.Fail(f.ctx, items[0].Lease, "bad event", time.Time{}, true))
		f.wantCounts(0, 0, 0, 1)
		f.clock.Advance(24 * time.Hour)
		wantEqual(t, "claim after final failure", keysOf(f.claim(10, time.Minute)), []string{})
	}
}

func runInboxConcurrency(t *testing.T, open Opener) {
	t.Run("claimers never share a row", func(t *testing.T) {
		f := newFixture(t, open)
		const events = 120
		for i := range events / 4 {
			k := fmt.Sprintf("d%d-", i)
			f.enqueue(delivery("body", k+"a", k+"b", k+"c", k+"d"))
		}

		claimed := make(chan []store.InboxItem, events)
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() {
				for {
					items, err := f.s.Claim(f.ctx, fmt.Sprint("worker", w), 7, time.Hour)
					if err != nil {
						t.Errorf("Claim: %v", err)
						return
					}
					if len(items) == 0 {
						return
					}
					claimed <- items
				}
			})
		}
		wg.Wait()
		close(claimed)

		seen := make(map[int64]int)
		for items := range claimed {
			for _, it := range items {
				seen[it.ID]++
			}
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("row %d claimed %d times, want 1", id, n)
			}
		}
		wantEqual(t, "rows claimed", len(seen), events)
		f.wantCounts(0, events, 0, 0)
	})

	t.Run("concurrent enqueue of one key", func(t *testing.T) {
		f := newFixture(t, open)
		const callers = 40
		results := make(chan store.EnqueueResult, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				res, err := f.s.Enqueue(f.ctx, delivery("body", "shared", fmt.Sprint("own", i)))
				if err != nil {
					t.Errorf("Enqueue: %v", err)
				}
				results <- res
			})
		}
		wg.Wait()
		close(results)
		inserted, duplicates := 0, 0
		for res := range results {
			inserted += res.Inserted
			duplicates += res.Duplicates
		}
		wantEqual(t, "inserted", inserted, callers+1)
		wantEqual(t, "duplicates", duplicates, callers-1)
		f.wantCounts(callers+1, 0, 0, 0)
	})
}

func runLifecycle(t *testing.T, open Opener) {
	t.Run("ping", func(t *testing.T) {
		f := newFixture(t, open)
		mustNoError(t, "Ping", f.s.Ping(f.ctx))
	})

	t.Run("canceled context", func(t *testing.T) {
		f := newFixture(t, open)
		ctx, cancel := context.WithCancel(f.ctx)
		cancel()
		_, err := f.s.Enqueue(ctx, delivery("1", "a"))
		wantError(t, "Enqueue", err, context.Canceled)
		f.wantCounts(0, 0, 0, 0)
	})

	t.Run("enqueue after close", func(t *testing.T) {
		f := newFixture(t, open)
		f.enqueue(delivery("1", "a"))
		mustNoError(t, "Close", f.s.Close())
		_, err := f.s.Enqueue(f.ctx, delivery("2", "b"))
		wantError(t, "Enqueue after Close", err, store.ErrClosed)
	})
}
