package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// pacedSleep is a wait of the worker's pace under a simulated clock: the
// worker blocks until the test moves the clock and closes done.
type pacedSleep struct {
	d    time.Duration
	done chan struct{}
}

// runPacedWorker starts the inbox worker of h at eventsPerMinute with
// every pace wait sent to the returned channel, and stops it when the
// test ends.
func runPacedWorker(t *testing.T, h *harness, eventsPerMinute int) <-chan pacedSleep {
	t.Helper()
	h.srv.settings.EventsPerMinute = eventsPerMinute
	h.srv.worker = newWorker(h.srv)
	sleeps := make(chan pacedSleep)
	h.srv.worker.sleep = func(ctx context.Context, d time.Duration) error {
		s := pacedSleep{d: d, done: make(chan struct{})}
		select {
		case sleeps <- s:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case <-s.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	startWorker(t, h)
	return sleeps
}

// startWorker runs the inbox worker of h until the test ends.
func startWorker(t *testing.T, h *harness) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.srv.worker.run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// deliverBurst posts n distinct one-DM deliveries from 8 concurrent
// clients and fails the test unless each gets status 200.
func deliverBurst(t *testing.T, h *harness, firstEventID, n int) {
	t.Helper()
	var wg sync.WaitGroup
	ids := make(chan int, n)
	for i := range n {
		ids <- firstEventID + i
	}
	close(ids)
	for range 8 {
		wg.Go(func() {
			for id := range ids {
				r := h.send(signedRequest(t, h, dmDelivery(id)))
				if r.Status != http.StatusOK {
					t.Errorf("delivery of event %d: status %d: %s", id, r.Status, r.Raw)
				}
			}
		})
	}
	wg.Wait()
}

// TestWebhookBurstStoredAtOnceProcessedAtPace posts 200 deliveries at
// once to a service that processes 60 events per minute, under a
// simulated clock that moves only when the test moves it. Every delivery
// must get status 200 and be stored before any time passes, and the worker
// must then process exactly one event per simulated second, with the lag
// of each event in mktx_inbox_processing_lag_seconds.
func TestWebhookBurstStoredAtOnceProcessedAtPace(t *testing.T) {
	const total = 200
	h := newHarness(t)
	// Frozen first: deliveries received before the account was connected
	// would not be turned into messages.
	h.clock.freeze()
	start := h.clock.now()
	h.connect("m1")
	sleeps := runPacedWorker(t, h, 60)

	deliverBurst(t, h, 7000, total)
	counts := h.inboxCounts()
	stored := 0
	for _, n := range counts {
		stored += n
	}
	if stored != total {
		t.Fatalf("inbox rows after the burst = %d (%v), want %d", stored, counts, total)
	}
	if got := scrape(t, h)["mktx_webhook_deliveries_received_total"]; got != total {
		t.Errorf("mktx_webhook_deliveries_received_total = %v, want %d", got, total)
	}

	// nextSleep returns the worker's next pace wait. While the worker
	// waits, every event it claimed is processed, so counts are stable.
	nextSleep := func(done int) pacedSleep {
		t.Helper()
		select {
		case s := <-sleeps:
			return s
		case <-time.After(30 * time.Second):
			t.Fatalf("worker stalled after %d events", done)
			return pacedSleep{}
		}
	}
	s := nextSleep(0)
	// Before the clock moves, the limiter allows one event at most.
	done := h.inboxCounts()[store.InboxDone]
	if done > 1 {
		t.Fatalf("events processed before the clock moved = %d, want at most 1", done)
	}
	// Each event finishes at the simulated time the worker was released
	// at. Every delivery was received at start, so that is its lag.
	var lags []float64
	for range done {
		lags = append(lags, 0)
	}
	for done < total {
		if s.d != time.Second {
			t.Fatalf("pace wait after %d events = %v, want 1s at 60 events per minute", done, s.d)
		}
		h.clock.advance(s.d)
		close(s.done)
		s = nextSleep(done)
		done++
		if got := h.inboxCounts()[store.InboxDone]; got != done {
			t.Fatalf("events processed at %v = %d, want %d: one per second", h.clock.now().Sub(start), got, done)
		}
		lags = append(lags, h.clock.now().Sub(start).Seconds())
	}
	first, last := lags[0], lags[len(lags)-1]
	if got := last - first; got != total-1 {
		t.Errorf("simulated time from the first to the last event = %vs, want %ds at 60 per minute", got, total-1)
	}

	samples := scrape(t, h)
	if got := samples["mktx_inbox_processing_lag_seconds_count"]; got != total {
		t.Errorf("lag count = %v, want %d", got, total)
	}
	var sum float64
	within60 := 0
	for _, lag := range lags {
		sum += lag
		if lag <= 60 {
			within60++
		}
	}
	if got := samples["mktx_inbox_processing_lag_seconds_sum"]; got != sum {
		t.Errorf("lag sum = %v s, want %v s", got, sum)
	}
	if got := samples[`mktx_inbox_processing_lag_seconds_bucket{le="60"}`]; got != float64(within60) {
		t.Errorf("events with a lag of at most 60 s = %v, want %d", got, within60)
	}
	if got := samples[`mktx_inbox_processing_lag_seconds_bucket{le="300"}`]; got != total {
		t.Errorf("events with a lag of at most 300 s = %v, want %d", got, total)
	}

	r := h.do(http.MethodGet, apiBase+"/conversations", h.token("m1"), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list conversations: status %d: %s", r.Status, r.Raw)
	}
	var convs []conversationView
	decode(t, r.Data, &convs)
	if len(convs) != 1 {
		t.Fatalf("conversations = %d, want 1", len(convs))
	}
	r = h.do(http.MethodGet, fmt.Sprintf("%s/conversations/%s/messages?limit=200", apiBase, convs[0].ID), h.token("m1"), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list messages: status %d: %s", r.Status, r.Raw)
	}
	var msgs []messageView
	decode(t, r.Data, &msgs)
	if len(msgs) != total {
		t.Errorf("messages stored = %d, want %d", len(msgs), total)
	}
}

// TestWebhookPaceRealClock runs the worker on the real clock at 6,000
// events per minute, one per 10 ms, through the timer that production
// uses: 50 stored events must take at least the 490 ms that the pace
// allows after the first one.
func TestWebhookPaceRealClock(t *testing.T) {
	const total = 50
	h := newHarness(t)
	h.connect("m1")
	h.srv.settings.EventsPerMinute = 6000
	h.srv.worker = newWorker(h.srv)
	deliverBurst(t, h, 8000, total)

	begin := time.Now()
	startWorker(t, h)
	for h.inboxCounts()[store.InboxDone] < total {
		if time.Since(begin) > 30*time.Second {
			t.Fatalf("%d of %d events processed after 30 s", h.inboxCounts()[store.InboxDone], total)
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(begin)
	if floor := (total - 1) * 10 * time.Millisecond; elapsed < floor {
		t.Errorf("%d events processed in %v, faster than the pace allows (%v)", total, elapsed, floor)
	}
	t.Logf("%d events processed in %v: %.0f per minute", total, elapsed, float64(total-1)/elapsed.Minutes())
}
