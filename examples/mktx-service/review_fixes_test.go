package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/internal/fixtures"
	"github.com/goodgo/xactivity/store"
)

// TestUndecodableEventsAreStoredAsFailed checks that nothing X sends is
// lost to the decoder: a delivery whose envelope or one of whose events has
// a field of the wrong type is answered 200, its good events are processed,
// and every bad entry stays in the inbox as a failed row with the reason.
func TestUndecodableEventsAreStoredAsFailed(t *testing.T) {
	h := newHarness(t)
	h.connect("m1")
	good := `{"type":"message_create","id":"5000","created_timestamp":"1764851234567","message_create":` +
		`{"target":{"recipient_id":"` + shopID + `"},"sender_id":"` + anaID + `","message_data":{"text":"good"}}}`
	bad := `{"type":"message_create","id":"5001","created_timestamp":"1764851234568","message_create":` +
		`{"target":{"recipient_id":"` + shopID + `"},"sender_id":"` + anaID + `","message_data":{"text":"bad","quick_reply_response":{"type":"options","metadata":123}}}}`
	bodies := map[string]string{
		"ill-typed field": `{"for_user_id":"` + shopID + `","direct_message_events":[` + good + `,` + bad + `]}`,
		"bad envelope":    `{"data":{"event_type":"dm.received","tag":7}}`,
		"array body":      `[1,2,3]`,
	}
	for name, body := range bodies {
		if status := h.deliver([]byte(body)); status != http.StatusOK {
			t.Errorf("%s: status %d, want 200 (stored)", name, status)
		}
	}
	h.process()
	counts := h.inboxCounts()
	if counts[store.InboxFailed] != 3 || counts[store.InboxDone] != 1 {
		t.Errorf("inbox = %v, want 3 failed (one per bad entry) and 1 done", counts)
	}
	convs := h.conversations("m1")
	if len(convs) != 1 {
		t.Fatalf("conversations = %d, want 1", len(convs))
	}
	if msgs := h.messages("m1", convs[0].ID); len(msgs) != 1 || msgs[0].Content != "good" {
		t.Errorf("messages = %+v, want only the good DM", msgs)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "do not decode") || !strings.Contains(logs, "metadata") {
		t.Error("logs do not name the undecodable entry and its field")
	}
	if status := h.deliver([]byte(`not json`)); status != http.StatusBadRequest {
		t.Errorf("non-JSON body: status %d, want 400", status)
	}
}

func TestStaleRevokeKeepsReconnectedAccount(t *testing.T) {
	h := newHarness(t)
	id := h.connect("m1")
	revoke := bytes.ReplaceAll(fixtures.LoadDelivery(t, "user_event_revoke.json").Body, []byte(baoID), []byte(shopID))
	if status := h.deliver(revoke); status != http.StatusOK {
		t.Fatal(status)
	}
	h.clock.advance(time.Second)
	if again := h.connect("m1"); again != id {
		t.Fatalf("reconnect id = %s, want %s", again, id)
	}
	h.process()
	acct, err := h.srv.store.Account(context.Background(), "m1", id)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Status != store.AccountActive || len(acct.Credentials) == 0 {
		t.Errorf("account = %s with %d credential bytes; want active with its new tokens", acct.Status, len(acct.Credentials))
	}
}

func TestShutdownFinishesClaimedRows(t *testing.T) {
	h := newHarness(t)
	h.connect("m1")
	for i := range 5 {
		h.deliver(dmDelivery(6000 + i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Shutdown begins while the first claimed event is being processed.
	h.srv.worker.dispatcher.OnEvent(func(context.Context, *accountactivity.Delivery, accountactivity.Event) error {
		cancel()
		return nil
	})
	n, err := h.srv.worker.processBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Fatalf("claimed %d rows, want 5", n)
	}
	counts := h.inboxCounts()
	if counts[store.InboxDone] != 5 || counts[store.InboxProcessing] != 0 {
		t.Errorf("inbox = %v, want all 5 finished despite the cancellation", counts)
	}
}

func TestEventFailsAfterMaxAttempts(t *testing.T) {
	h := newHarness(t)
	h.connect("m1")
	h.deliver(dmDelivery(7000))
	h.srv.worker.dispatcher.OnEvent(func(context.Context, *accountactivity.Delivery, accountactivity.Event) error {
		return errors.New("database is locked")
	})
	for range maxEventAttempts {
		h.process()
		h.clock.advance(maxRetryDelay + time.Second)
	}
	h.process()
	counts := h.inboxCounts()
	if counts[store.InboxFailed] != 1 || counts[store.InboxPending] != 0 {
		t.Errorf("inbox = %v, want the row failed after %d attempts", counts, maxEventAttempts)
	}
}

func TestAccountsPagination(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for i, name := range []string{"first_shop", "second_shop", "third_shop"} {
		user, err := h.fake.AddUser(h.app.ID, xtestUser(i, name))
		if err != nil {
			t.Fatal(err)
		}
		r := h.do(http.MethodPost, apiBase+"/accounts", h.token("m1"), map[string]string{"oauthToken": user.Token, "oauthTokenSecret": user.TokenSecret})
		var acct accountView
		decode(t, r.Data, &acct)
		ids = append(ids, acct.ID)
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		r := h.do(http.MethodGet, apiBase+"/accounts?limit=2&cursor="+cursor, h.token("m1"), nil)
		var page []accountView
		decode(t, r.Data, &page)
		for _, a := range page {
			got = append(got, a.ID)
		}
		if r.NextCursor == "" || pages > 3 {
			break
		}
		cursor = r.NextCursor
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("paged ids = %v, want %v", got, ids)
	}
}
