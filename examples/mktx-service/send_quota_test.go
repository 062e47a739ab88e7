package main

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
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

// putBackFailingStore is a store whose DM quota checks and Reschedule
// calls fail while failing is set, as when the database is unreachable.
// Each failed Reschedule records the store clock's time and then calls
// onFailure, when set, with the number of failures so far.
type putBackFailingStore struct {
	store.Store
	now       func() time.Time
	failing   atomic.Bool
	onFailure func(n int)

	mu       sync.Mutex
	failedAt []time.Time
}

func (s *putBackFailingStore) ReserveSend(ctx context.Context, key string, now time.Time, limits []store.SendLimit) (bool, time.Time, error) {
	if s.failing.Load() && strings.HasPrefix(key, sendQuotaKey("")) {
		return false, time.Time{}, errQuotaStoreDown
	}
	return s.Store.ReserveSend(ctx, key, now, limits)
}

func (s *putBackFailingStore) Reschedule(ctx context.Context, lease store.Lease, at time.Time, reason string) error {
	if !s.failing.Load() {
		return s.Store.Reschedule(ctx, lease, at, reason)
	}
	s.mu.Lock()
	s.failedAt = append(s.failedAt, s.now())
	n := len(s.failedAt)
	s.mu.Unlock()
	if s.onFailure != nil {
		s.onFailure(n)
	}
	return errQuotaStoreDown
}

func (s *putBackFailingStore) failures() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.failedAt)
}

// putBackHarness queues one DM to Ana, due now, behind a store that fails
// DM quota checks and Reschedule calls.
func putBackHarness(t *testing.T) (*harness, *putBackFailingStore, string) {
	t.Helper()
	h, conv := sendHarness(t)
	h.clock.freeze()
	st := &putBackFailingStore{Store: h.srv.store, now: h.clock.now}
	h.srv.store = st
	h.srv.sender.putBackDelay = time.Millisecond
	msg, err := st.QueueMessage(context.Background(), "m1", conv, store.Message{Content: "queued during the outage", Type: "text"}, nil, h.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	st.failing.Store(true)
	return h, st, msg.ID
}

// outboundStatus returns the status of the conversation's outbound
// message with the id.
func (h *harness) outboundStatus(conv, id string) string {
	h.t.Helper()
	for _, m := range h.messages("m1", conv) {
		if m.ID == id {
			return m.Status
		}
	}
	h.t.Fatalf("message %s not found", id)
	return ""
}

// TestSendDuePutBackRetried has the store fail while the outbox checks a
// claimed DM against the account's limits and puts it back. The DM must
// go back to the queue once the store recovers, so that it does not become
// unknown when its lease expires, and it must then be sent.
func TestSendDuePutBackRetried(t *testing.T) {
	h, st, msgID := putBackHarness(t)
	st.onFailure = func(n int) {
		if n == 3 {
			st.failing.Store(false)
		}
	}
	ctx := context.Background()
	if n, err := h.srv.sender.sendDue(ctx); err != nil || n != 1 {
		t.Fatalf("sendDue during the outage: %d rows, %v; want the queued one", n, err)
	}
	if got := len(st.failures()); got != 3 {
		t.Errorf("Reschedule failed %d times, want 3 before the store recovered", got)
	}
	pending, sending, err := h.srv.store.OutboxCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pending != 1 || sending != 0 {
		t.Errorf("outbox = %d pending and %d sending, want the DM pending again", pending, sending)
	}

	// Past the end of the claim's lease, the DM is still queued, not
	// unknown, and the next round sends it.
	h.clock.advance(sendLease + time.Second)
	if n, err := h.srv.sender.sendDue(ctx); err != nil || n != 1 {
		t.Fatalf("sendDue after the outage: %d rows, %v; want the queued DM", n, err)
	}
	sent := h.fake.SentDMs()
	if len(sent) != 1 || sent[0].Text != "queued during the outage" {
		t.Errorf("fake X accepted %+v, want the queued DM once", sent)
	}
	convs := h.conversations("m1")
	if got := h.outboundStatus(convs[0].ID, msgID); got != "sent" {
		t.Errorf("message status = %s, want sent", got)
	}
}

// TestSendDuePutBackGivesUp checks that the outbox stops trying to put a
// DM back before the claim's lease ends, and when its context ends.
func TestSendDuePutBackGivesUp(t *testing.T) {
	t.Run("lease ends", func(t *testing.T) {
		h, st, _ := putBackHarness(t)
		st.onFailure = func(int) { h.clock.advance(30 * time.Second) }
		claimedAt := h.clock.now()
		if n, err := h.srv.sender.sendDue(context.Background()); err != nil || n != 1 {
			t.Fatalf("sendDue: %d rows, %v; want the queued one", n, err)
		}
		failures := st.failures()
		if len(failures) < 3 {
			t.Errorf("Reschedule tried %d times, want retries until shortly before the lease ends", len(failures))
		}
		for i, at := range failures {
			if !at.Before(claimedAt.Add(sendLease)) {
				t.Errorf("attempt %d at %v after the claim, at or after the lease's end %v", i+1, at.Sub(claimedAt), sendLease)
			}
		}
		if !strings.Contains(h.logs.String(), "putting a DM back to the queue failed; giving up") {
			t.Errorf("no log line for giving up:\n%s", h.logs)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		h, st, _ := putBackHarness(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		st.onFailure = func(int) { cancel() }
		h.srv.sender.putBackDelay = time.Hour
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.srv.sender.sendDue(ctx)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("sendDue still retrying 10 s after its context was cancelled")
		}
		if got := len(st.failures()); got != 1 {
			t.Errorf("Reschedule tried %d times, want 1 before the cancellation", got)
		}
	})
}
