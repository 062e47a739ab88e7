package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/xtest"
)

const campaignContent = "Spring sale: 20% off everything until Sunday."

// customerID returns the X user id of the i-th test customer.
func customerID(i int) string {
	return strconv.FormatInt(1480000000000000000+int64(i), 10)
}

// campaignHarness is a harness with the demo account connected for
// merchant m1, n customers known to the fake X, and a frozen clock. It
// returns the account id and the customers' ids.
func campaignHarness(t *testing.T, n int) (*harness, string, []string) {
	t.Helper()
	h := newHarness(t)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = customerID(i)
		if _, err := h.fake.AddUser(h.app.ID, xtest.User{ID: ids[i], Username: fmt.Sprint("customer_", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Frozen first, so that the account is not newer than the deliveries.
	h.clock.freeze()
	acct := h.connect("m1")
	return h, acct, ids
}

// createCampaign posts a campaign of the account as merchant m1 and fails
// the test unless it is created.
func (h *harness) createCampaign(accountID string, recipients []string) campaignView {
	h.t.Helper()
	r := h.do(http.MethodPost, apiBase+"/campaigns", h.token("m1"), map[string]any{
		"accountId": accountID, "name": "spring sale",
		"message": map[string]any{"content": campaignContent}, "recipients": recipients,
	})
	if r.Status != http.StatusCreated {
		h.t.Fatalf("create campaign: status %d: %s", r.Status, r.Raw)
	}
	var v campaignView
	decode(h.t, r.Data, &v)
	return v
}

// campaign returns the campaign as GET /campaigns/{id} shows it to m1.
func (h *harness) campaign(id string) campaignView {
	h.t.Helper()
	r := h.do(http.MethodGet, apiBase+"/campaigns/"+id, h.token("m1"), nil)
	if r.Status != http.StatusOK {
		h.t.Fatalf("get campaign: status %d: %s", r.Status, r.Raw)
	}
	var v campaignView
	decode(h.t, r.Data, &v)
	return v
}

// runCampaign runs the campaign worker and the outbox until the campaign
// is no longer running. When neither has anything to do, it moves the
// frozen clock to the next time a queued DM or the daily contact limit
// allows more. betweenRounds, when set, runs before each round.
func (h *harness) runCampaign(id string, betweenRounds func()) {
	h.t.Helper()
	ctx := context.Background()
	for rounds := 0; ; rounds++ {
		if rounds > 20000 {
			h.t.Fatalf("campaign %s still running after %d rounds", id, rounds)
		}
		if betweenRounds != nil {
			betweenRounds()
		}
		changed, capNext, err := h.srv.startCampaigns(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		sent, err := h.srv.sender.sendDue(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		c, err := h.srv.store.Campaign(ctx, "m1", id)
		if err != nil {
			h.t.Fatal(err)
		}
		if c.Status != store.CampaignRunning {
			return
		}
		if changed+sent > 0 {
			continue
		}
		p, err := h.srv.store.CampaignProgress(ctx, "m1", id)
		if err != nil {
			h.t.Fatal(err)
		}
		next := p.NextSendAt
		if next.IsZero() || (!capNext.IsZero() && capNext.Before(next)) {
			next = capNext
		}
		if !next.After(h.clock.now()) {
			h.t.Fatalf("campaign %s is stuck at %v with totals %v", id, h.clock.now(), p.Totals)
		}
		h.clock.set(next)
	}
}

// campaignDMs returns the DMs the fake accepted whose text starts with
// content, by recipient.
func campaignDMs(h *harness, content string) map[string][]xtest.SentDM {
	out := map[string][]xtest.SentDM{}
	for _, dm := range h.fake.SentDMs() {
		if strings.HasPrefix(dm.Text, content) {
			out[dm.RecipientID] = append(out[dm.RecipientID], dm)
		}
	}
	return out
}

// TestCampaignTakesThreeDaysAtDailyLimit runs a campaign of 1,200
// recipients against the fake X with a limit of 500 DMs per day, both in
// the service and at X, under a simulated clock, and restarts the service
// halfway. The campaign must take three days, 500, 500 and 200 DMs, and
// send each recipient one DM that ends with the unsubscribe hint.
func TestCampaignTakesThreeDaysAtDailyLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 1,200 DMs; skipped with -short")
	}
	h, acct, ids := campaignHarness(t, 1200)
	h.fake.SetLimits(xtest.GroupDMSend, xtest.Limits{PerUser15m: 15, PerUser24h: 500})
	start := h.clock.now()
	// Repeated ids are stored once.
	created := h.createCampaign(acct, append(slices.Clone(ids), ids[:10]...))
	if created.Recipients != 1200 || created.Totals == nil || created.Totals.Pending != 1200 || created.Status != "running" {
		t.Fatalf("created campaign %+v, want 1,200 pending recipients", created)
	}
	if created.EstimatedCompletionAt == nil {
		t.Fatal("created campaign has no estimated completion time")
	}
	estimate := time.Time(*created.EstimatedCompletionAt).Sub(start)
	if estimate < 48*time.Hour || estimate > 72*time.Hour {
		t.Errorf("estimated completion %v after the start, want in the third day", estimate)
	}

	restarted := false
	h.runCampaign(created.ID, func() {
		if restarted || len(h.fake.SentDMs()) < 700 {
			return
		}
		h.restart()
		restarted = true
		v := h.campaign(created.ID)
		if v.Totals.Sent != len(h.fake.SentDMs()) || v.Totals.Sent+v.Totals.Queued+v.Totals.Pending != 1200 {
			t.Errorf("totals after the restart %+v, want %d sent and the rest queued or pending", *v.Totals, len(h.fake.SentDMs()))
		}
	})
	if !restarted {
		t.Error("the campaign finished before the restart")
	}

	dms := campaignDMs(h, campaignContent)
	days := make([]int, 4)
	var last time.Time
	for _, id := range ids {
		if len(dms[id]) != 1 {
			t.Fatalf("recipient %s got %d campaign DMs, want 1", id, len(dms[id]))
		}
		dm := dms[id][0]
		if !strings.HasSuffix(dm.Text, "\n\nReply STOP to unsubscribe.") {
			t.Fatalf("DM to %s is %q, want it to end with the unsubscribe hint", id, dm.Text)
		}
		days[min(3, int(dm.Time.Sub(start)/(24*time.Hour)))]++
		if dm.Time.After(last) {
			last = dm.Time
		}
	}
	if len(h.fake.SentDMs()) != 1200 {
		t.Errorf("fake recorded %d DMs, want 1,200", len(h.fake.SentDMs()))
	}
	if want := []int{500, 500, 200, 0}; !slices.Equal(days, want) {
		t.Errorf("DMs per simulated day = %v, want %v", days, want)
	}
	if took := last.Sub(start); took < 48*time.Hour || took > 72*time.Hour {
		t.Errorf("last DM sent %v after the start, want in the third day", took)
	}
	t.Logf("estimate %v, last %v", estimate, last.Sub(start))
	if diff := time.Time(*created.EstimatedCompletionAt).Sub(last).Abs(); diff > time.Minute {
		t.Errorf("estimated completion differs from the last send by %v, want at most a minute", diff)
	}
	if strings.Contains(h.logs.String(), "X rate limit reached") {
		t.Error("the fake answered 429 at least once")
	}

	v := h.campaign(created.ID)
	want := campaignTotals{Sent: 1200}
	if v.Status != "completed" || *v.Totals != want || v.FinishedAt == nil || v.EstimatedCompletionAt != nil {
		t.Errorf("finished campaign %+v with totals %+v, want completed with 1,200 sent", v, *v.Totals)
	}
}

// inboundDM returns the delivery of a DM from a customer to the shop.
func inboundDM(eventID, senderID, text string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"for_user_id":"%s","direct_message_events":[{"type":"message_create","id":"%s",`+
		`"created_timestamp":"%d","message_create":{"target":{"recipient_id":"%s"},"sender_id":"%s",`+
		`"message_data":{"text":%q}}}]}`, shopID, eventID, at.UnixMilli(), shopID, senderID, text)
}

// receive delivers a customer's DM to the service and processes it.
func (h *harness) receive(eventID, senderID, text string) {
	h.t.Helper()
	if status := h.deliver(inboundDM(eventID, senderID, text, h.clock.now())); status != http.StatusOK {
		h.t.Fatalf("delivery of DM %s: status %d", eventID, status)
	}
	h.process()
}

// TestCampaignStopBeforeTurn checks opt-outs: a customer who replies STOP
// (in any case, with spaces around it) before their campaign DM is queued,
// or while it waits in the outbox, receives no campaign DM and exactly one
// confirmation, however often STOP arrives. START opts them back in.
func TestCampaignStopBeforeTurn(t *testing.T) {
	h, acct, ids := campaignHarness(t, 10)
	const confirmation = "You are unsubscribed and will receive no more campaign messages from this account. Reply START to subscribe again."
	c := h.createCampaign(acct, ids)

	// ids[7] opts out before anything started; X delivers the DM twice and
	// they send STOP again.
	h.receive("1900000000000000101", ids[7], "  stop ")
	h.receive("1900000000000000101", ids[7], "  stop ")
	h.receive("1900000000000000102", ids[7], "STOP")

	// ids[1] opts out while their DM waits in the outbox.
	if _, _, err := h.srv.startCampaigns(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v := h.campaign(c.ID); v.Totals.Queued != campaignMaxQueued {
		t.Fatalf("totals after the first start %+v, want %d queued", *v.Totals, campaignMaxQueued)
	}
	h.receive("1900000000000000103", ids[1], "Unsubscribe")
	h.runCampaign(c.ID, nil)

	dms := campaignDMs(h, campaignContent)
	confirmations := campaignDMs(h, confirmation)
	for i, id := range ids {
		wantCampaign, wantConfirmations := 1, 0
		if i == 1 || i == 7 {
			wantCampaign, wantConfirmations = 0, 1
		}
		if len(dms[id]) != wantCampaign || len(confirmations[id]) != wantConfirmations {
			t.Errorf("customer %d got %d campaign DMs and %d confirmations, want %d and %d",
				i, len(dms[id]), len(confirmations[id]), wantCampaign, wantConfirmations)
		}
		for _, dm := range dms[id] {
			if !strings.HasSuffix(dm.Text, "Reply STOP to unsubscribe.") {
				t.Errorf("campaign DM to customer %d is %q, want it to end with the unsubscribe hint", i, dm.Text)
			}
		}
	}
	v := h.campaign(c.ID)
	if want := (campaignTotals{Sent: 8, OptedOut: 2}); v.Status != "completed" || *v.Totals != want {
		t.Errorf("campaign %s with totals %+v, want completed with %+v", v.Status, *v.Totals, want)
	}

	// A later campaign skips ids[1] and ids[7] until ids[7] sends START.
	h.receive("1900000000000000104", ids[7], "start")
	next := h.createCampaign(acct, []string{ids[1], ids[7]})
	h.runCampaign(next.ID, nil)
	if v := h.campaign(next.ID); *v.Totals != (campaignTotals{Sent: 1, OptedOut: 1}) {
		t.Errorf("second campaign totals %+v, want 1 sent and 1 opted out", *v.Totals)
	}
	if got := len(campaignDMs(h, campaignContent)[ids[7]]); got != 1 {
		t.Errorf("customer 7 got %d campaign DMs after START, want 1", got)
	}
	if got := len(campaignDMs(h, confirmation)[ids[7]]); got != 1 {
		t.Errorf("customer 7 got %d confirmations after START, want still 1", got)
	}
}

// TestCampaignSkipsUndeliverable checks that a customer whose DMs X rejects
// for good is marked, so the next campaign skips them, and that a customer
// the account blocked is skipped too.
func TestCampaignSkipsUndeliverable(t *testing.T) {
	h, acct, ids := campaignHarness(t, 3)
	if err := h.fake.SetDMRefusal(ids[0], xtest.DMRefused); err != nil {
		t.Fatal(err)
	}
	first := h.createCampaign(acct, ids)
	h.runCampaign(first.ID, nil)
	if v := h.campaign(first.ID); *v.Totals != (campaignTotals{Sent: 2, Failed: 1}) {
		t.Errorf("first campaign totals %+v, want 2 sent and 1 failed", *v.Totals)
	}
	sup, err := h.srv.store.Suppression(context.Background(), acct, ids[0])
	if err != nil || sup.Undeliverable == "" {
		t.Fatalf("suppression of the rejected customer = %+v, %v; want it undeliverable", sup, err)
	}

	err = h.srv.store.ApplyContactChange(context.Background(), store.ContactChange{
		AccountID: acct, XUserID: ids[1], Field: store.ContactBlocked, Value: true, At: h.clock.now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	second := h.createCampaign(acct, ids)
	h.runCampaign(second.ID, nil)
	if v := h.campaign(second.ID); *v.Totals != (campaignTotals{Sent: 1, Skipped: 2}) {
		t.Errorf("second campaign totals %+v, want 1 sent and 2 skipped", *v.Totals)
	}
	if got := len(h.fake.SentDMs()); got != 3 {
		t.Errorf("fake accepted %d DMs, want 3", got)
	}
}

// TestCampaignDailyContacts checks MKTX__CAMPAIGN_DAILY_CONTACTS: a
// campaign larger than a day's contacts goes on the next day, and its
// estimated completion time is a day later.
func TestCampaignDailyContacts(t *testing.T) {
	h, acct, ids := campaignHarness(t, 5)
	h.srv.settings.CampaignContacts = 3
	start := h.clock.now()
	c := h.createCampaign(acct, ids)
	if at := time.Time(*c.EstimatedCompletionAt); !at.Equal(start.Add(24 * time.Hour)) {
		t.Errorf("estimated completion %v after the start, want 24h", at.Sub(start))
	}
	h.runCampaign(c.ID, nil)
	sent := h.fake.SentDMs()
	if len(sent) != 5 {
		t.Fatalf("fake accepted %d DMs, want 5", len(sent))
	}
	for i, dm := range sent {
		want := start
		if i >= 3 {
			want = start.Add(24 * time.Hour)
		}
		if !dm.Time.Equal(want) {
			t.Errorf("DM %d sent %v after the start, want %v", i, dm.Time.Sub(start), want.Sub(start))
		}
	}
	metrics := string(h.do(http.MethodGet, "/metrics", "", nil).Raw)
	for _, line := range []string{
		`mktx_campaign_messages_total{status="started"} 5`,
		`mktx_campaigns_total{status="created"} 1`,
		`mktx_campaigns_total{status="completed"} 1`,
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
}

func TestCampaignRequestsValidated(t *testing.T) {
	h, acct, ids := campaignHarness(t, 2)
	token := h.token("m1")
	hint := "\n\nReply STOP to unsubscribe."
	room := 10000 - len(hint)
	body := func(change func(map[string]any)) map[string]any {
		b := map[string]any{
			"accountId": acct, "name": "sale", "message": map[string]any{"content": "hi"}, "recipients": ids,
		}
		change(b)
		return b
	}
	many := make([]string, maxCampaignRecipients+1)
	for i := range many {
		many[i] = customerID(i + 10)
	}
	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"no account", body(func(b map[string]any) { delete(b, "accountId") }), 400, "invalid_request"},
		{"blank name", body(func(b map[string]any) { b["name"] = "  " }), 400, "invalid_request"},
		{"long name", body(func(b map[string]any) { b["name"] = strings.Repeat("n", 101) }), 400, "invalid_request"},
		{"no content", body(func(b map[string]any) { b["message"] = map[string]any{} }), 400, "invalid_request"},
		{"content without room for the hint", body(func(b map[string]any) {
			b["message"] = map[string]any{"content": strings.Repeat("x", room+1)}
		}), 400, "invalid_request"},
		{"media type", body(func(b map[string]any) { b["message"] = map[string]any{"content": "hi", "type": "media"} }), 400, "invalid_request"},
		{"long quick reply label", body(func(b map[string]any) {
			b["message"] = map[string]any{"content": "hi", "quickReplies": []map[string]string{{"label": strings.Repeat("l", 37)}}}
		}), 400, "invalid_request"},
		{"no recipients", body(func(b map[string]any) { b["recipients"] = []string{} }), 400, "invalid_request"},
		{"name as recipient", body(func(b map[string]any) { b["recipients"] = []string{"@ana"} }), 400, "invalid_request"},
		{"zero recipient", body(func(b map[string]any) { b["recipients"] = []string{"0"} }), 400, "invalid_request"},
		{"leading zero", body(func(b map[string]any) { b["recipients"] = []string{"0123"} }), 400, "invalid_request"},
		{"negative recipient", body(func(b map[string]any) { b["recipients"] = []string{"-5"} }), 400, "invalid_request"},
		{"too large recipient", body(func(b map[string]any) { b["recipients"] = []string{"18446744073709551616"} }), 400, "invalid_request"},
		{"number recipient", body(func(b map[string]any) { b["recipients"] = []int{5} }), 400, "invalid_request"},
		{"too many recipients", body(func(b map[string]any) { b["recipients"] = many }), 400, "invalid_request"},
		{"the account itself", body(func(b map[string]any) { b["recipients"] = []string{ids[0], shopID} }), 400, "invalid_request"},
		{"unknown account", body(func(b map[string]any) { b["accountId"] = "999999" }), 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(http.MethodPost, apiBase+"/campaigns", token, tt.body)
			if r.Status != tt.status || r.Error.Code != tt.code {
				t.Errorf("status %d code %q (%s), want %d %s", r.Status, r.Error.Code, r.Error.Message, tt.status, tt.code)
			}
		})
	}
	full := body(func(b map[string]any) { b["message"] = map[string]any{"content": strings.Repeat("x", room)} })
	if r := h.do(http.MethodPost, apiBase+"/campaigns", token, full); r.Status != http.StatusCreated {
		t.Errorf("content of %d characters: status %d: %s", room, r.Status, r.Raw)
	}
	if r := h.do(http.MethodPost, apiBase+"/campaigns", h.token("m2"), body(func(map[string]any) {})); r.Status != http.StatusNotFound {
		t.Errorf("another merchant's account: status %d, want 404", r.Status)
	}
	if _, err := h.srv.store.RevokeAccount(context.Background(), shopID); err != nil {
		t.Fatal(err)
	}
	r := h.do(http.MethodPost, apiBase+"/campaigns", token, body(func(map[string]any) {}))
	if r.Status != http.StatusConflict || r.Error.Code != "account_revoked" {
		t.Errorf("revoked account: status %d code %q, want 409 account_revoked", r.Status, r.Error.Code)
	}
}

func TestCampaignRoutesTenancyListAndCancel(t *testing.T) {
	h, acct, ids := campaignHarness(t, 6)
	var created []campaignView
	for range 3 {
		created = append(created, h.createCampaign(acct, ids))
		h.clock.advance(time.Second)
	}
	r := h.do(http.MethodGet, apiBase+"/campaigns?limit=2", h.token("m1"), nil)
	var page []campaignView
	decode(t, r.Data, &page)
	if r.Status != http.StatusOK || len(page) != 2 || page[0].ID != created[2].ID || r.NextCursor == "" {
		t.Fatalf("first page: status %d, %d items, cursor %q: %s", r.Status, len(page), r.NextCursor, r.Raw)
	}
	r = h.do(http.MethodGet, apiBase+"/campaigns?limit=2&cursor="+r.NextCursor, h.token("m1"), nil)
	decode(t, r.Data, &page)
	if len(page) != 1 || page[0].ID != created[0].ID || r.NextCursor != "" {
		t.Errorf("second page: %d items, cursor %q: %s", len(page), r.NextCursor, r.Raw)
	}
	for _, q := range []string{"limit=0", "limit=x", "cursor=%25%25"} {
		if r := h.do(http.MethodGet, apiBase+"/campaigns?"+q, h.token("m1"), nil); r.Status != http.StatusBadRequest {
			t.Errorf("list with %s: status %d, want 400", q, r.Status)
		}
	}

	// Another merchant gets none of them.
	other := h.token("m2")
	r = h.do(http.MethodGet, apiBase+"/campaigns", other, nil)
	if r.Status != http.StatusOK || string(r.Data) != "[]" {
		t.Errorf("m2's list: status %d data %s, want an empty list", r.Status, r.Data)
	}
	for _, req := range []struct{ method, path string }{
		{http.MethodGet, "/campaigns/" + created[0].ID},
		{http.MethodPost, "/campaigns/" + created[0].ID + "/cancel"},
		{http.MethodGet, "/campaigns/abc"},
	} {
		if r := h.do(req.method, apiBase+req.path, other, nil); r.Status != http.StatusNotFound || strings.Contains(string(r.Raw), "spring") {
			t.Errorf("%s %s as m2: status %d: %s, want 404 without data", req.method, req.path, r.Status, r.Raw)
		}
	}
	if r := h.do(http.MethodDelete, apiBase+"/campaigns/"+created[0].ID, h.token("m1"), nil); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: status %d, want 405", r.Status)
	}
	if r := h.do(http.MethodGet, apiBase+"/campaigns", "", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("no token: status %d, want 401", r.Status)
	}

	// Cancel one campaign after its first DMs were queued and one sent.
	ctx := context.Background()
	if _, _, err := h.srv.startCampaigns(ctx); err != nil {
		t.Fatal(err)
	}
	items, err := h.srv.store.ClaimOutbox(ctx, "test", 1, time.Minute)
	if err != nil || len(items) != 1 {
		t.Fatalf("ClaimOutbox = %d items, %v", len(items), err)
	}
	r = h.do(http.MethodPost, apiBase+"/campaigns/"+created[0].ID+"/cancel", h.token("m1"), nil)
	var cancelled campaignView
	decode(t, r.Data, &cancelled)
	if r.Status != http.StatusOK || cancelled.Status != "cancelled" || cancelled.FinishedAt == nil || cancelled.EstimatedCompletionAt != nil {
		t.Fatalf("cancel: status %d: %s", r.Status, r.Raw)
	}
	// The DM being sent is left to its sender; the others are cancelled.
	if want := (campaignTotals{Queued: 1, Cancelled: 5}); *cancelled.Totals != want {
		t.Errorf("cancelled totals %+v, want %+v", *cancelled.Totals, want)
	}
	if _, err := h.srv.store.MarkSent(ctx, items[0].Lease, "1990000000000000001", h.clock.now()); err != nil {
		t.Fatal(err)
	}
	r = h.do(http.MethodPost, apiBase+"/campaigns/"+created[0].ID+"/cancel", h.token("m1"), nil)
	decode(t, r.Data, &cancelled)
	if want := (campaignTotals{Sent: 1, Cancelled: 5}); r.Status != http.StatusOK || cancelled.Status != "cancelled" || *cancelled.Totals != want {
		t.Errorf("second cancel: status %d, totals %+v, want 200 with %+v", r.Status, *cancelled.Totals, want)
	}
	h.runCampaign(created[1].ID, nil)
	if r := h.do(http.MethodPost, apiBase+"/campaigns/"+created[1].ID+"/cancel", h.token("m1"), nil); r.Status != http.StatusConflict || r.Error.Code != "campaign_completed" {
		t.Errorf("cancel of a completed campaign: status %d code %q, want 409 campaign_completed", r.Status, r.Error.Code)
	}
}

// detailFailingStore is a store whose CampaignProgress and CampaignStarts
// fail while the matching flag is set.
type detailFailingStore struct {
	store.Store
	progressFails, startsFail atomic.Bool
}

var errDetailStoreDown = errors.New("read timed out")

func (s *detailFailingStore) CampaignProgress(ctx context.Context, merchantID, id string) (store.CampaignProgress, error) {
	if s.progressFails.Load() {
		return store.CampaignProgress{}, errDetailStoreDown
	}
	return s.Store.CampaignProgress(ctx, merchantID, id)
}

func (s *detailFailingStore) CampaignStarts(ctx context.Context, accountID string, since time.Time) ([]time.Time, error) {
	if s.startsFail.Load() {
		return nil, errDetailStoreDown
	}
	return s.Store.CampaignStarts(ctx, accountID, since)
}

// TestCreateCampaignDetailFailure checks that POST /campaigns responds
// 201 with the stored campaign, without totals, when reading its progress
// or estimating its completion fails after it was created, so that a
// client has no reason to retry and create it twice.
func TestCreateCampaignDetailFailure(t *testing.T) {
	h, acct, ids := campaignHarness(t, 2)
	st := &detailFailingStore{Store: h.srv.store}
	h.srv.store = st
	for i, fail := range []*atomic.Bool{&st.progressFails, &st.startsFail} {
		fail.Store(true)
		v := h.createCampaign(acct, ids)
		fail.Store(false)
		if v.ID == "" || v.Status != "running" || v.Recipients != 2 {
			t.Errorf("case %d: created campaign %+v, want a running campaign of 2 recipients", i, v)
		}
		if v.Totals != nil || v.EstimatedCompletionAt != nil {
			t.Errorf("case %d: created campaign has totals %+v and estimate %v, want neither", i, v.Totals, v.EstimatedCompletionAt)
		}
		if got := h.campaign(v.ID); got.Totals == nil || got.Totals.Pending != 2 {
			t.Errorf("case %d: GET of the campaign = %+v, want 2 pending recipients", i, got)
		}
	}
	page, err := h.srv.store.Campaigns(context.Background(), store.CampaignQuery{MerchantID: "m1", Limit: 10})
	if err != nil || len(page.Items) != 2 {
		t.Errorf("stored campaigns = %d, %v; want 2, one per request", len(page.Items), err)
	}
	if got := strings.Count(h.logs.String(), "reading a new campaign's progress failed"); got != 2 {
		t.Errorf("%d log lines for the failed progress reads, want 2:\n%s", got, h.logs)
	}
	if strings.Contains(h.logs.String(), `msg="request failed"`) {
		t.Errorf("a request failed:\n%s", h.logs)
	}
}

// TestReplicasRunCampaignOnce has two replicas on one PostgreSQL schema
// run the campaign worker and the outbox of one campaign at the same
// time, as fast as they can. Each recipient must get exactly one DM, and
// the campaign must complete with every recipient sent.
func TestReplicasRunCampaignOnce(t *testing.T) {
	a, b := newReplicas(t)
	const recipients = 60
	ids := make([]string, recipients)
	for i := range ids {
		ids[i] = customerID(i)
		if _, err := a.fake.AddUser(a.app.ID, xtest.User{ID: ids[i], Username: fmt.Sprint("customer_", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// v1.1 lets the account send 1,000 DMs a day; v2 would pause the
	// campaign for 15 minutes after 15 DMs.
	for _, h := range []*harness{a, b} {
		h.srv.settings.APIVersion = "1.1-enterprise"
		h.srv.sender = newSender(h.srv)
	}
	c := a.createCampaign(a.connect("m1"), ids)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	loop := func(step func() error) {
		defer wg.Done()
		for ctx.Err() == nil {
			if err := step(); err != nil && ctx.Err() == nil {
				errs <- err
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	for _, h := range []*harness{a, b} {
		wg.Add(2)
		go loop(func() error {
			_, _, err := h.srv.startCampaigns(ctx)
			return err
		})
		go loop(func() error {
			_, err := h.srv.sender.sendDue(ctx)
			return err
		})
	}
	waitFor(t, 60*time.Second, "campaign completed", func() (bool, string) {
		select {
		case err := <-errs:
			return true, err.Error()
		default:
		}
		got, err := a.srv.store.Campaign(context.Background(), "m1", c.ID)
		return err == nil && got.Status == store.CampaignCompleted, fmt.Sprint(got.Status, err)
	})
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("replica worker: %v", err)
	}

	dms := campaignDMs(a, campaignContent)
	for i, id := range ids {
		if len(dms[id]) != 1 {
			t.Errorf("recipient %d got %d campaign DMs, want 1", i, len(dms[id]))
		}
	}
	if got := len(a.fake.SentDMs()); got != recipients {
		t.Errorf("fake X accepted %d DMs, want %d", got, recipients)
	}
	if v := a.campaign(c.ID); v.Status != "completed" || *v.Totals != (campaignTotals{Sent: recipients}) {
		t.Errorf("campaign %s with totals %+v, want completed with %d sent", v.Status, *v.Totals, recipients)
	}
	t.Logf("calls that started recipients: %d on replica a, %d on replica b",
		strings.Count(a.logs.String(), "campaign recipients started"), strings.Count(b.logs.String(), "campaign recipients started"))
}
