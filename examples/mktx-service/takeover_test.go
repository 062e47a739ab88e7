package main

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// TestLateSettleAfterTakeover has a worker that claimed a row report its
// outcome after another worker took the row over: the row keeps the other
// worker's result and the late worker logs a warning.
func TestLateSettleAfterTakeover(t *testing.T) {
	for _, late := range []struct {
		name string
		err  error
	}{
		{"success", nil},
		{"retryable failure", fmt.Errorf("database is locked")},
		{"final failure", fmt.Errorf("bad event: %w", errPermanent)},
	} {
		t.Run(late.name, func(t *testing.T) {
			h := newHarness(t)
			h.connect("m1")
			h.deliver(dmDelivery(4000))
			ctx := context.Background()
			items, err := h.srv.store.Claim(ctx, "slow-worker", 1, time.Second)
			if err != nil || len(items) != 1 {
				t.Fatalf("claim: %v, %d rows", err, len(items))
			}
			h.clock.advance(2 * time.Second)
			h.process()
			want := map[store.InboxStatus]int{store.InboxPending: 0, store.InboxProcessing: 0, store.InboxDone: 1, store.InboxFailed: 0}
			if got := h.inboxCounts(); !maps.Equal(got, want) {
				t.Fatalf("inbox after the takeover = %v, want %v", got, want)
			}

			h.srv.worker.finish(ctx, items[0], late.err)
			if got := h.inboxCounts(); !maps.Equal(got, want) {
				t.Errorf("inbox after the late settle = %v, want %v", got, want)
			}
			if !strings.Contains(h.logs.String(), "inbox event was taken over by another worker") {
				t.Errorf("no takeover warning in the log:\n%s", h.logs.String())
			}
		})
	}
}
