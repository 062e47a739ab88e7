package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// failingQuotaStore is a store whose ReserveSend fails for DM send quotas
// while failing is set, as when the database is unreachable. Other quotas,
// such as the API rate limit's, work.
type failingQuotaStore struct {
	store.Store
	failing atomic.Bool
}

var errQuotaStoreDown = errors.New("connection reset by peer")

func (s *failingQuotaStore) ReserveSend(ctx context.Context, key string, now time.Time, limits []store.SendLimit) (bool, time.Time, error) {
	if s.failing.Load() && strings.HasPrefix(key, sendQuotaKey("")) {
		return false, time.Time{}, errQuotaStoreDown
	}
	return s.Store.ReserveSend(ctx, key, now, limits)
}

// TestSendQuotaFailure checks what the service does when it cannot
// reserve a send: the API responds 500 and queues nothing, and the outbox
// puts a claimed DM back to the queue, unsent, and sends it once the
// store works again.
func TestSendQuotaFailure(t *testing.T) {
	h, conv := sendHarness(t)
	st := &failingQuotaStore{Store: h.srv.store}
	h.srv.store = st
	st.failing.Store(true)

	r, _ := h.sendDM(conv, map[string]string{"content": "during the outage"})
	if r.Status != http.StatusInternalServerError || r.Error.Code != "internal_error" {
		t.Errorf("send: status %d code %q, want 500 internal_error", r.Status, r.Error.Code)
	}
	if strings.Contains(string(r.Raw), errQuotaStoreDown.Error()) {
		t.Errorf("response shows the store's error: %s", r.Raw)
	}
	for _, m := range h.messages("m1", conv) {
		if m.Direction == "outbound" {
			t.Errorf("outbound message %+v stored for a rejected send", m)
		}
	}

	ctx := context.Background()
	if _, err := h.srv.store.QueueMessage(ctx, "m1", conv, store.Message{Content: "queued during the outage", Type: "text"}, nil, h.clock.now()); err != nil {
		t.Fatal(err)
	}
	if n, err := h.srv.sender.sendDue(ctx); err != nil || n != 1 {
		t.Fatalf("sendDue during the outage: %d rows, %v; want the queued one", n, err)
	}
	if n := len(h.fake.SentDMs()); n != 0 {
		t.Errorf("fake X accepted %d DMs during the outage, want 0", n)
	}
	pending, sending, err := h.srv.store.OutboxCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pending != 1 || sending != 0 {
		t.Errorf("outbox = %d pending and %d sending, want the DM pending again", pending, sending)
	}
	if !strings.Contains(h.logs.String(), "checking an account's DM limits failed") {
		t.Errorf("no log line for the failed quota check:\n%s", h.logs)
	}

	st.failing.Store(false)
	if n, err := h.srv.sender.sendDue(ctx); err != nil || n != 0 {
		t.Fatalf("sendDue before the retry time: %d rows, %v; want none", n, err)
	}
	h.clock.advance(quotaRetryDelay)
	if n, err := h.srv.sender.sendDue(ctx); err != nil || n != 1 {
		t.Fatalf("sendDue at the retry time: %d rows, %v; want the queued DM", n, err)
	}
	sent := h.fake.SentDMs()
	if len(sent) != 1 || sent[0].Text != "queued during the outage" {
		t.Errorf("fake X accepted %+v, want the queued DM once", sent)
	}
}
