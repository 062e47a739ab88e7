package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/xactivity/internal/fixtures"
	"github.com/goodgo/xactivity/store"
)

// dmDelivery returns a one-DM delivery from Ana to the shop with the given
// event id.
func dmDelivery(eventID int) []byte {
	return fmt.Appendf(nil, `{"for_user_id":"%s","direct_message_events":[{"type":"message_create","id":"%d",`+
		`"created_timestamp":"%d","message_create":{"target":{"recipient_id":"%s"},"sender_id":"%s",`+
		`"message_data":{"text":"message %d"}}}]}`, shopID, eventID, 1764851234567+eventID, shopID, anaID, eventID)
}

func TestRestartResumesUnprocessedInbox(t *testing.T) {
	h := newHarness(t)
	h.connect("m1")
	for i := range 20 {
		if status := h.deliver(dmDelivery(2000 + i)); status != http.StatusOK {
			t.Fatalf("delivery %d: status %d", i, status)
		}
	}
	// Acknowledged but not processed: the process stops here.
	h.restart()
	if n := h.inboxCounts()[store.InboxPending]; n != 20 {
		t.Fatalf("pending rows after restart = %d, want 20", n)
	}
	h.process()
	convs := h.conversations("m1")
	if len(convs) != 1 {
		t.Fatalf("conversations = %d, want 1", len(convs))
	}
	if msgs := h.messages("m1", convs[0].ID); len(msgs) != 20 {
		t.Errorf("messages = %d, want 20", len(msgs))
	}
}

// TestCrashAfterProcessingBeforeDone covers the worst moment for a crash:
// a worker claimed rows and applied some of them, then died before marking
// them done. After its lease expires another worker takes the rows over,
// and nothing is stored twice.
func TestCrashAfterProcessingBeforeDone(t *testing.T) {
	h := newHarness(t)
	h.connect("m1")
	for i := range 10 {
		h.deliver(dmDelivery(3000 + i))
	}
	ctx := context.Background()
	dead := newWorker(h.srv)
	items, err := h.srv.store.Claim(ctx, "crashed-worker", 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 10 {
		t.Fatalf("claimed %d rows, want 10", len(items))
	}
	for _, item := range items[:6] {
		if err := dead.process(ctx, item, decodeStored(item.Body)); err != nil {
			t.Fatal(err)
		}
	}
	h.restart()
	h.process()
	if n := h.inboxCounts()[store.InboxProcessing]; n != 10 {
		t.Fatalf("rows in processing before the lease expired = %d, want 10", n)
	}
	h.clock.advance(time.Minute + time.Second)
	h.process()

	counts := h.inboxCounts()
	if counts[store.InboxDone] != 10 {
		t.Errorf("inbox = %v, want 10 done", counts)
	}
	convs := h.conversations("m1")
	if len(convs) != 1 {
		t.Fatalf("conversations = %d, want 1", len(convs))
	}
	if msgs := h.messages("m1", convs[0].ID); len(msgs) != 10 {
		t.Errorf("messages = %d, want 10", len(msgs))
	}
	// The six rows the dead worker had applied run their handler a second
	// time; the handler must see the DM as already stored.
	if n := strings.Count(h.logs.String(), "new=false"); n != 6 {
		t.Errorf("%d handler runs found their DM already stored, want 6", n)
	}
}

// TestFailedEventRetried shows that an event whose processing fails stays
// in the inbox and is retried after its delay.
func TestFailedEventRetried(t *testing.T) {
	h := newHarness(t)
	h.connect("m1")
	d := fixtures.LoadDelivery(t, "dm_received.json")
	h.deliver(d.Body)
	ctx := context.Background()
	items, err := h.srv.store.Claim(ctx, "w", 1, time.Minute)
	if err != nil || len(items) != 1 {
		t.Fatalf("claim: %v, %d rows", err, len(items))
	}
	h.srv.worker.finish(ctx, items[0], fmt.Errorf("database is locked"))
	h.process()
	if n := h.inboxCounts()[store.InboxPending]; n != 1 {
		t.Fatalf("pending rows = %d, want the failed row waiting for its retry time", n)
	}
	h.clock.advance(time.Hour)
	h.process()
	if n := h.inboxCounts()[store.InboxDone]; n != 1 {
		t.Errorf("done rows = %d, want 1 after the retry", n)
	}
	if len(h.conversations("m1")) != 1 {
		t.Error("the retried DM was not stored")
	}
}
