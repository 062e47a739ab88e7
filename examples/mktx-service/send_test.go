package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/xactivity/internal/fixtures"
	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/xtest"
)

// sendHarness is a harness with the demo account connected, Ana known to
// the fake X, and the conversation with Ana created by her first DM.
func sendHarness(t *testing.T) (*harness, string) {
	t.Helper()
	h := newHarness(t)
	if _, err := h.fake.AddUser(h.app.ID, xtest.User{ID: anaID, Username: "ana_cliente"}); err != nil {
		t.Fatal(err)
	}
	h.connect("m1")
	if status := h.deliver(fixtures.LoadDelivery(t, "dm_received.json").Body); status != http.StatusOK {
		t.Fatal(status)
	}
	h.process()
	convs := h.conversations("m1")
	if len(convs) != 1 {
		t.Fatalf("conversations = %d, want 1", len(convs))
	}
	return h, convs[0].ID
}

// sentView is the response to POST /conversations/{id}/messages.
type sentView struct {
	messageView
	ScheduledAt *timeJSON `json:"scheduledAt"`
}

func (h *harness) sendDM(conversationID string, body any) (response, sentView) {
	h.t.Helper()
	r := h.do(http.MethodPost, apiBase+"/conversations/"+conversationID+"/messages", h.token("m1"), body)
	var v sentView
	if r.Success {
		decode(h.t, r.Data, &v)
	}
	return r, v
}

// echo returns the delivery X sends for a DM the shop sent to Ana.
func echo(eventID, text string) []byte {
	return fmt.Appendf(nil, `{"for_user_id":"%s","direct_message_events":[{"type":"message_create","id":"%s",`+
		`"created_timestamp":"%d","message_create":{"target":{"recipient_id":"%s"},"sender_id":"%s",`+
		`"message_data":{"text":%q}}}]}`, shopID, eventID, time.Now().UnixMilli(), anaID, shopID, text)
}

func TestSendMessageThenEchoStoredOnce(t *testing.T) {
	h, conv := sendHarness(t)
	r, sent := h.sendDM(conv, map[string]string{"content": "Yes, in blue and red."})
	if r.Status != http.StatusCreated || sent.Status != "sent" || sent.TwitterEventID == "" || sent.Direction != "outbound" {
		t.Fatalf("send: status %d, message %+v: %s", r.Status, sent, r.Raw)
	}
	dms := h.fake.SentDMs()
	if len(dms) != 1 || dms[0].RecipientID != anaID || dms[0].Text != "Yes, in blue and red." || dms[0].API != xtest.V2 {
		t.Fatalf("fake recorded %+v, want one v2 DM to Ana", dms)
	}
	if dms[0].EventID != sent.TwitterEventID {
		t.Errorf("event id = %s, fake says %s", sent.TwitterEventID, dms[0].EventID)
	}
	if status := h.deliver(echo(dms[0].EventID, dms[0].Text)); status != http.StatusOK {
		t.Fatal(status)
	}
	h.process()
	var outbound []messageView
	for _, m := range h.messages("m1", conv) {
		if m.Direction == "outbound" {
			outbound = append(outbound, m)
		}
	}
	if len(outbound) != 1 || outbound[0].ID != sent.ID || outbound[0].Status != "sent" {
		t.Errorf("outbound messages = %+v, want the one sent message", outbound)
	}
}

func TestSendMessageWithQuickRepliesUsesV11(t *testing.T) {
	h, conv := sendHarness(t)
	body := map[string]any{"content": "Which size?", "type": "text", "quickReplies": []map[string]string{
		{"label": "M", "metadata": "size_m"}, {"label": "L", "metadata": "size_l"},
	}}
	r, sent := h.sendDM(conv, body)
	if r.Status != http.StatusCreated || sent.Status != "sent" {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	dms := h.fake.SentDMs()
	if len(dms) != 1 || dms[0].API != xtest.V11 || len(dms[0].QuickReplies) != 2 || dms[0].QuickReplies[1].Metadata != "size_l" {
		t.Errorf("fake recorded %+v, want one v1.1 DM with two quick replies", dms)
	}
}

func TestSendMessageQueuedAtDailyLimit(t *testing.T) {
	h, conv := sendHarness(t)
	h.srv.settings.DMDailyLimit = 2
	h.srv.sender = newSender(h.srv)
	for i := range 2 {
		if r, _ := h.sendDM(conv, map[string]string{"content": fmt.Sprint("reply ", i)}); r.Status != http.StatusCreated {
			t.Fatalf("send %d: status %d: %s", i, r.Status, r.Raw)
		}
	}
	r, queued := h.sendDM(conv, map[string]string{"content": "third"})
	if r.Status != http.StatusAccepted || queued.Status != "queued" || queued.ScheduledAt == nil {
		t.Fatalf("third send: status %d, %+v, want 202 queued with scheduledAt", r.Status, queued)
	}
	wait := time.Time(*queued.ScheduledAt).Sub(h.clock.now())
	if wait < 23*time.Hour || wait > 24*time.Hour+time.Minute {
		t.Errorf("scheduled in %v, want about 24 h", wait)
	}
	ctx := context.Background()
	if n, err := h.srv.sender.sendDue(ctx); err != nil || n != 0 {
		t.Fatalf("sendDue before the window opens: %d rows, %v", n, err)
	}
	h.clock.advance(24*time.Hour + time.Second)
	if n, err := h.srv.sender.sendDue(ctx); err != nil || n != 1 {
		t.Fatalf("sendDue after the window opens: %d rows, %v", n, err)
	}
	dms := h.fake.SentDMs()
	if len(dms) != 3 || dms[2].Text != "third" {
		t.Errorf("fake recorded %d DMs, want 3 ending with the queued one", len(dms))
	}
}

func TestSendMessagePermanentRefusal(t *testing.T) {
	quick := []map[string]string{{"label": "Yes"}}
	tests := []struct {
		name   string
		setup  func(f *xtest.Server) error
		body   map[string]any
		reason string // expected in the stored message's reason
	}{
		{"v2 403 problem", func(f *xtest.Server) error { return f.SetDMRefusal(anaID, xtest.DMRefused) },
			map[string]any{"content": "hello"}, "403"},
		{"v1.1 code 150", func(f *xtest.Server) error { return f.SetDMRefusal(anaID, xtest.DMRefusedNotFollowing) },
			map[string]any{"content": "hello", "quickReplies": quick}, "150"},
		{"v1.1 code 349", func(f *xtest.Server) error { return f.SetDMRefusal(anaID, xtest.DMRefused) },
			map[string]any{"content": "hello", "quickReplies": quick}, "349"},
		{"v1.1 code 476", func(f *xtest.Server) error { return f.SetMessageRequestsBlocked(shopID, true) },
			map[string]any{"content": "hello", "quickReplies": quick}, "476"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, conv := sendHarness(t)
			if err := tt.setup(h.fake); err != nil {
				t.Fatal(err)
			}
			r, _ := h.sendDM(conv, tt.body)
			if r.Status != http.StatusBadRequest || r.Error.Code != "dm_refused" || !strings.Contains(r.Error.Message, tt.reason) {
				t.Fatalf("status %d code %q message %q, want 400 dm_refused naming %s", r.Status, r.Error.Code, r.Error.Message, tt.reason)
			}
			h.clock.advance(time.Hour)
			if n, _ := h.srv.sender.sendDue(context.Background()); n != 0 {
				t.Errorf("a refused DM was claimed again (%d rows)", n)
			}
			page, err := h.srv.store.Messages(context.Background(), store.MessageQuery{MerchantID: "m1", ConversationID: conv, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			refused := page.Items[0]
			if refused.Direction != store.Outbound || refused.Status != store.MessageFailed || !strings.Contains(refused.StatusReason, tt.reason) {
				t.Errorf("stored message = %s %s %q, want outbound failed with X's reason %s", refused.Direction, refused.Status, refused.StatusReason, tt.reason)
			}
			if n := len(h.fake.SentDMs()); n != 0 {
				t.Errorf("fake recorded %d DMs, want 0", n)
			}
		})
	}
}

func TestSendMessageUnknownThenEcho(t *testing.T) {
	h, conv := sendHarness(t)
	h.fake.DropResponseAfterSend()
	r, sent := h.sendDM(conv, map[string]string{"content": "did this arrive?"})
	if r.Status != http.StatusAccepted || sent.Status != "unknown" {
		t.Fatalf("status %d, %+v; want 202 unknown", r.Status, sent)
	}
	h.clock.advance(time.Hour)
	if n, _ := h.srv.sender.sendDue(context.Background()); n != 0 {
		t.Errorf("an unknown DM was claimed for another send (%d rows)", n)
	}
	dms := h.fake.SentDMs()
	if len(dms) != 1 {
		t.Fatalf("fake recorded %d DMs, want 1", len(dms))
	}
	h.deliver(echo(dms[0].EventID, dms[0].Text))
	h.process()
	var outbound []messageView
	for _, m := range h.messages("m1", conv) {
		if m.Direction == "outbound" {
			outbound = append(outbound, m)
		}
	}
	if len(outbound) != 1 || outbound[0].Status != "sent" || outbound[0].TwitterEventID != dms[0].EventID {
		t.Errorf("outbound = %+v, want one sent message with the echo's id", outbound)
	}
}

func TestSendMessageRateLimitedByX(t *testing.T) {
	h, conv := sendHarness(t)
	h.fake.SetLimits(xtest.GroupDMSend, xtest.Limits{PerUser15m: 1})
	if r, _ := h.sendDM(conv, map[string]string{"content": "one"}); r.Status != http.StatusCreated {
		t.Fatalf("first send: status %d: %s", r.Status, r.Raw)
	}
	r, queued := h.sendDM(conv, map[string]string{"content": "two"})
	if r.Status != http.StatusAccepted || queued.Status != "queued" || queued.ScheduledAt == nil {
		t.Fatalf("second send: status %d %+v, want 202 queued after X's 429", r.Status, queued)
	}
	if at := time.Time(*queued.ScheduledAt); at.Before(time.Now()) || at.After(time.Now().Add(16*time.Minute)) {
		t.Errorf("scheduledAt = %v, want within X's 15-minute window", at)
	}
	if n := len(h.fake.SentDMs()); n != 1 {
		t.Errorf("fake recorded %d DMs, want 1", n)
	}
}

func TestSendMessageRejections(t *testing.T) {
	h, conv := sendHarness(t)
	many := make([]map[string]string, 21)
	for i := range many {
		many[i] = map[string]string{"label": "x"}
	}
	tests := []struct {
		name string
		body any
	}{
		{"empty content", map[string]string{"content": ""}},
		{"image type", map[string]string{"content": "x", "type": "image"}},
		{"too long", map[string]string{"content": strings.Repeat("a", 10001)}},
		{"21 quick replies", map[string]any{"content": "x", "quickReplies": many}},
		{"long label", map[string]any{"content": "x", "quickReplies": []map[string]string{{"label": strings.Repeat("l", 37)}}}},
	}
	for _, tt := range tests {
		if r, _ := h.sendDM(conv, tt.body); r.Status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", tt.name, r.Status)
		}
	}
	other := h.do(http.MethodPost, apiBase+"/conversations/"+conv+"/messages", h.token("m2"), map[string]string{"content": "x"})
	if other.Status != http.StatusNotFound {
		t.Errorf("other merchant: status %d, want 404", other.Status)
	}
	if n := len(h.fake.SentDMs()); n != 0 {
		t.Errorf("fake recorded %d DMs, want 0", n)
	}
}

func TestSendToRevokedAccountRejected(t *testing.T) {
	h, conv := sendHarness(t)
	if _, err := h.srv.store.RevokeAccount(context.Background(), shopID); err != nil {
		t.Fatal(err)
	}
	r, _ := h.sendDM(conv, map[string]string{"content": "x"})
	if r.Status != http.StatusConflict || r.Error.Code != "account_revoked" {
		t.Errorf("status %d code %q, want 409 account_revoked", r.Status, r.Error.Code)
	}
}

// TestSenderCrashNeverResends covers a process that died while sending: its
// claim expires and the DM becomes unknown instead of being sent again.
func TestSenderCrashNeverResends(t *testing.T) {
	h, conv := sendHarness(t)
	ctx := context.Background()
	msg, err := h.srv.store.QueueMessage(ctx, "m1", conv, store.Message{Content: "in flight", Type: "text"}, nil, h.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	id, _ := parseRowID(msg.ID)
	if _, err := h.srv.store.ClaimOutboxItem(ctx, id, "dead-sender", sendLease); err != nil {
		t.Fatal(err)
	}
	h.clock.advance(sendLease + time.Second)
	if n, err := h.srv.sender.sendDue(ctx); err != nil || n != 0 {
		t.Fatalf("sendDue: %d rows, %v; want none", n, err)
	}
	if n := len(h.fake.SentDMs()); n != 0 {
		t.Errorf("fake recorded %d DMs, want 0", n)
	}
	for _, m := range h.messages("m1", conv) {
		if m.ID == msg.ID && m.Status != "unknown" {
			t.Errorf("status = %s, want unknown", m.Status)
		}
	}
}

func TestRevokeStopsQueuedSends(t *testing.T) {
	h, conv := sendHarness(t)
	h.srv.settings.DMDailyLimit = 1
	h.srv.sender = newSender(h.srv)
	if r, _ := h.sendDM(conv, map[string]string{"content": "first"}); r.Status != http.StatusCreated {
		t.Fatalf("first send: status %d: %s", r.Status, r.Raw)
	}
	r, queued := h.sendDM(conv, map[string]string{"content": "queued until tomorrow"})
	if r.Status != http.StatusAccepted {
		t.Fatalf("second send: status %d: %s, want 202", r.Status, r.Raw)
	}

	revoke := bytes.ReplaceAll(fixtures.LoadDelivery(t, "user_event_revoke.json").Body, []byte(baoID), []byte(shopID))
	if status := h.deliver(revoke); status != http.StatusOK {
		t.Fatalf("revoke delivery: status %d", status)
	}
	h.process()

	h.clock.advance(24*time.Hour + time.Second)
	if _, err := h.srv.sender.sendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if dms := h.fake.SentDMs(); len(dms) != 1 {
		t.Errorf("fake recorded %d DMs, want only the one sent before the revocation", len(dms))
	}
	found := false
	for _, m := range h.messages("m1", conv) {
		if m.ID != queued.ID {
			continue
		}
		found = true
		if m.Status != "failed" {
			t.Errorf("queued message status = %q after the revocation, want failed", m.Status)
		}
	}
	if !found {
		t.Errorf("queued message %s not listed", queued.ID)
	}
}
