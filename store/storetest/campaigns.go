package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// Start limits of the campaign tests: no limit binds unless a test sets
// its own.
var (
	day         = 24 * time.Hour
	wideLimits  = store.StartLimits{MaxQueued: 1000, DailyContacts: store.SendLimit{Max: 10000, Per: day}}
	campaignDM  = "Spring sale: 20% off. Reply STOP to unsubscribe."
	shopReplies = []store.QuickReply{{Label: "Shop now", Metadata: "shop"}}
)

// createCampaign stores a campaign of the account to the recipients.
func (f *fixture) createCampaign(a store.Account, recipients ...string) store.Campaign {
	f.t.Helper()
	c, err := f.s.CreateCampaign(f.ctx, store.Campaign{
		MerchantID: a.MerchantID, AccountID: a.ID, Name: "spring", Content: campaignDM, QuickReplies: shopReplies,
	}, recipients)
	mustNoError(f.t, "CreateCampaign", err)
	return c
}

func (f *fixture) start(c store.Campaign, limits store.StartLimits) store.StartResult {
	f.t.Helper()
	res, err := f.s.StartRecipients(f.ctx, c.ID, limits)
	mustNoError(f.t, "StartRecipients "+c.ID, err)
	return res
}

// wantTotals checks the campaign's totals of the states in want; every
// other state must be zero.
func (f *fixture) wantTotals(c store.Campaign, want map[store.RecipientStatus]int) store.CampaignProgress {
	f.t.Helper()
	p, err := f.s.CampaignProgress(f.ctx, c.MerchantID, c.ID)
	mustNoError(f.t, "CampaignProgress", err)
	full := make(map[store.RecipientStatus]int)
	for _, s := range store.RecipientStatuses {
		full[s] = want[s]
	}
	wantEqual(f.t, "totals of campaign "+c.ID, p.Totals, full)
	return p
}

func recipientsOf(items []store.OutboxItem) []string {
	var ids []string
	for _, it := range items {
		ids = append(ids, it.RecipientID)
	}
	return ids
}

func users(n int) []string {
	list := make([]string, n)
	for i := range list {
		list[i] = fmt.Sprint(5000 + i)
	}
	return list
}

func runCampaigns(t *testing.T, open Opener) {
	t.Run("create, read and list", func(t *testing.T) { testCampaignCreate(t, open) })
	t.Run("pages", func(t *testing.T) { testCampaignPages(t, open) })
	t.Run("start queues DMs in order", testCampaignStart(open))
	t.Run("daily contacts", testDailyContacts(open))
	t.Run("suppressed recipients", testSuppressedRecipients(open))
	t.Run("opt-out withdraws recipients", testOptOut(open))
	t.Run("opt-out order", testOptOutOrder(open))
	t.Run("cancel", testCancelCampaign(open))
	t.Run("opt-out while sending", testOptOutWhileSending(open))
	t.Run("cancel while sending", testCancelWhileSending(open))
	t.Run("queue over MaxQueued", testQueueOverMaxQueued(open))
	t.Run("completion", testCampaignCompletion(open))
	t.Run("inactive account", testCampaignInactiveAccount(open))
	t.Run("delete account", testCampaignDeleteAccount(open))
	t.Run("concurrent starts", testConcurrentStarts(open))
}

func testCampaignCreate(t *testing.T, open Opener) {
	f := newFixture(t, open)
	a := f.connect("m1", "100", "shop")
	other := f.connect("m2", "200", "rival")
	c := f.createCampaign(a, "11", "12", "11", "13", "12")
	want := store.Campaign{
		ID: c.ID, MerchantID: "m1", AccountID: a.ID, Name: "spring", Content: campaignDM, QuickReplies: shopReplies,
		Status: store.CampaignRunning, Recipients: 3, CreatedAt: millis(startTime), UpdatedAt: millis(startTime),
	}
	wantEqual(t, "created campaign", c, want)
	got, err := f.s.Campaign(f.ctx, "m1", c.ID)
	mustNoError(t, "Campaign", err)
	wantEqual(t, "read campaign", got, want)
	f.wantTotals(c, map[store.RecipientStatus]int{store.RecipientPending: 3})

	_, err = f.s.Campaign(f.ctx, "m2", c.ID)
	wantError(t, "Campaign of another merchant", err, store.ErrNotFound)
	_, err = f.s.Campaign(f.ctx, "m1", "not-an-id")
	wantError(t, "Campaign with a malformed id", err, store.ErrNotFound)
	_, err = f.s.CampaignProgress(f.ctx, "m2", c.ID)
	wantError(t, "CampaignProgress of another merchant", err, store.ErrNotFound)
	_, _, err = f.s.CancelCampaign(f.ctx, "m2", c.ID)
	wantError(t, "CancelCampaign of another merchant", err, store.ErrNotFound)

	for name, tc := range map[string]struct {
		c          store.Campaign
		recipients []string
		want       error
	}{
		"account of another merchant": {store.Campaign{MerchantID: "m1", AccountID: other.ID, Content: "x"}, []string{"1"}, store.ErrNotFound},
		"unknown account":             {store.Campaign{MerchantID: "m1", AccountID: "999999", Content: "x"}, []string{"1"}, store.ErrNotFound},
		"no recipients":               {store.Campaign{MerchantID: "m1", AccountID: a.ID, Content: "x"}, nil, store.ErrInvalid},
		"empty recipient":             {store.Campaign{MerchantID: "m1", AccountID: a.ID, Content: "x"}, []string{"1", ""}, store.ErrInvalid},
		"no content":                  {store.Campaign{MerchantID: "m1", AccountID: a.ID}, []string{"1"}, store.ErrInvalid},
	} {
		_, err := f.s.CreateCampaign(f.ctx, tc.c, tc.recipients)
		wantError(t, "CreateCampaign with "+name, err, tc.want)
	}
}

func testCampaignPages(t *testing.T, open Opener) {
	f := newFixture(t, open)
	a := f.connect("m1", "100", "shop")
	b := f.connect("m2", "200", "rival")
	var ids []string
	for range 3 {
		ids = append(ids, f.createCampaign(a, "11").ID)
		f.clock.Advance(time.Second)
	}
	ids = append(ids, f.createCampaign(a, "12").ID) // same time as the next one
	ids = append(ids, f.createCampaign(a, "13").ID)
	f.createCampaign(b, "11")
	slices.Reverse(ids)

	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		p, err := f.s.Campaigns(f.ctx, store.CampaignQuery{MerchantID: "m1", Limit: 2, Cursor: cursor})
		mustNoError(t, "Campaigns", err)
		for _, c := range p.Items {
			got = append(got, c.ID)
		}
		if p.NextCursor == "" {
			break
		}
		if pages > len(ids) {
			t.Fatal("Campaigns kept returning a next cursor")
		}
		cursor = p.NextCursor
	}
	wantEqual(t, "campaign ids, newest first", got, ids)

	_, err := f.s.Campaigns(f.ctx, store.CampaignQuery{MerchantID: "m1", Limit: 0})
	wantError(t, "Campaigns with limit 0", err, store.ErrInvalid)
	_, err = f.s.Campaigns(f.ctx, store.CampaignQuery{MerchantID: "m1", Limit: 2, Cursor: "%%%"})
	wantError(t, "Campaigns with a malformed cursor", err, store.ErrInvalid)

	running, err := f.s.RunningCampaigns(f.ctx, "", 100)
	mustNoError(t, "RunningCampaigns", err)
	if len(running) != 6 {
		t.Errorf("RunningCampaigns = %d campaigns, want 6", len(running))
	}
	after, err := f.s.RunningCampaigns(f.ctx, running[1].ID, 2)
	mustNoError(t, "RunningCampaigns after", err)
	wantEqual(t, "running campaigns after the second", []string{after[0].ID, after[1].ID},
		[]string{running[2].ID, running[3].ID})
	_, err = f.s.RunningCampaigns(f.ctx, "x", 2)
	wantError(t, "RunningCampaigns after a malformed id", err, store.ErrInvalid)
	_, err = f.s.RunningCampaigns(f.ctx, "", 0)
	wantError(t, "RunningCampaigns with limit 0", err, store.ErrInvalid)
}

func testCampaignStart(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		f.conversation(a, "12") // an existing conversation is reused
		c := f.createCampaign(a, "13", "12", "11", "14")
		limits := store.StartLimits{MaxQueued: 2, DailyContacts: wideLimits.DailyContacts}

		res := f.start(c, limits)
		wantEqual(t, "first start", res, store.StartResult{Started: 2})
		res = f.start(c, limits)
		wantEqual(t, "start with the queue full", res, store.StartResult{})
		p := f.wantTotals(c, map[store.RecipientStatus]int{store.RecipientQueued: 2, store.RecipientPending: 2})
		wantEqual(t, "NextSendAt", p.NextSendAt, millis(startTime))

		items := f.claimOutbox(10, time.Minute)
		wantEqual(t, "recipients of the claimed DMs", recipientsOf(items), []string{"13", "12"})
		for _, it := range items {
			if it.Content != campaignDM || !slices.Equal(it.QuickReplies, shopReplies) || it.MerchantID != "m1" || it.AccountID != a.ID {
				t.Errorf("claimed item %+v, want the campaign's DM from account %s", it, a.ID)
			}
		}
		p = f.wantTotals(c, map[store.RecipientStatus]int{store.RecipientQueued: 2, store.RecipientPending: 2})
		wantEqual(t, "NextSendAt while sending", p.NextSendAt, time.Time{})

		_, err := f.s.MarkSent(f.ctx, items[0].Lease, "900", startTime)
		mustNoError(t, "MarkSent", err)
		_, err = f.s.MarkFailed(f.ctx, items[1].Lease, "349: you cannot send messages to this user")
		mustNoError(t, "MarkFailed", err)
		f.wantTotals(c, map[store.RecipientStatus]int{store.RecipientSent: 1, store.RecipientFailed: 1, store.RecipientPending: 2})

		res = f.start(c, limits)
		wantEqual(t, "start after the DMs left the queue", res, store.StartResult{Started: 2})
		items = f.claimOutbox(10, time.Minute)
		wantEqual(t, "recipients of the next DMs", recipientsOf(items), []string{"11", "14"})
		_, err = f.s.MarkUnknown(f.ctx, items[0].Lease, "timeout")
		mustNoError(t, "MarkUnknown", err)
		f.wantTotals(c, map[store.RecipientStatus]int{
			store.RecipientSent: 1, store.RecipientFailed: 1, store.RecipientUnknown: 1, store.RecipientQueued: 1,
		})

		// The DM sits in the conversation with the recipient, created
		// for it with the DM as its last message.
		convs, err := f.s.Conversations(f.ctx, store.ConversationQuery{MerchantID: "m1", Limit: 10})
		mustNoError(t, "Conversations", err)
		if len(convs.Items) != 4 {
			t.Fatalf("conversations = %d, want 4", len(convs.Items))
		}
		for _, conv := range convs.Items {
			if conv.LastMessagePreview != campaignDM {
				t.Errorf("conversation with %s has preview %q, want the campaign's DM", conv.ParticipantID, conv.LastMessagePreview)
			}
		}

		starts, err := f.s.CampaignStarts(f.ctx, a.ID, startTime.Add(-time.Hour))
		mustNoError(t, "CampaignStarts", err)
		wantEqual(t, "start times", starts, []time.Time{millis(startTime), millis(startTime), millis(startTime), millis(startTime)})

		_, err = f.s.StartRecipients(f.ctx, c.ID, store.StartLimits{MaxQueued: 0, DailyContacts: wideLimits.DailyContacts})
		wantError(t, "StartRecipients with MaxQueued 0", err, store.ErrInvalid)
		_, err = f.s.StartRecipients(f.ctx, c.ID, store.StartLimits{MaxQueued: 1})
		wantError(t, "StartRecipients without DailyContacts", err, store.ErrInvalid)
		_, err = f.s.StartRecipients(f.ctx, "999999", wideLimits)
		wantError(t, "StartRecipients of an unknown campaign", err, store.ErrNotFound)
	}
}

func testDailyContacts(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		first := f.createCampaign(a, users(4)...)
		second := f.createCampaign(a, users(3)...)
		limits := store.StartLimits{MaxQueued: 100, DailyContacts: store.SendLimit{Max: 3, Per: day}}

		res := f.start(first, limits)
		wantEqual(t, "first start", res, store.StartResult{Started: 3, NextAt: millis(startTime.Add(day))})
		f.clock.Advance(time.Hour)
		res = f.start(second, limits)
		wantEqual(t, "start of another campaign of the account", res, store.StartResult{NextAt: millis(startTime.Add(day))})

		f.clock.Advance(day - time.Hour - time.Millisecond)
		res = f.start(first, limits)
		wantEqual(t, "start a millisecond early", res, store.StartResult{NextAt: millis(startTime.Add(day))})
		f.clock.Advance(time.Millisecond)
		res = f.start(second, limits)
		wantEqual(t, "start a day later", res, store.StartResult{Started: 3})
		res = f.start(first, limits)
		wantEqual(t, "start after the second campaign took the day", res,
			store.StartResult{NextAt: millis(startTime.Add(2 * day))})
	}
}

func testSuppressedRecipients(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		_, err := f.s.ApplyOptOut(f.ctx, store.OptOutChange{AccountID: a.ID, XUserID: "11", OptedOut: true, At: startTime})
		mustNoError(t, "ApplyOptOut", err)
		mustNoError(t, "MarkUndeliverable", f.s.MarkUndeliverable(f.ctx, a.ID, "12", "349: you cannot send messages to this user"))
		f.relate(a, "13", store.ContactBlocked, true)
		f.relate(a, "14", store.ContactMuted, true) // muted contacts still get campaigns
		c := f.createCampaign(a, "11", "12", "13", "14")

		res := f.start(c, store.StartLimits{MaxQueued: 1, DailyContacts: store.SendLimit{Max: 1, Per: day}})
		wantEqual(t, "start", res, store.StartResult{Started: 1, OptedOut: 1, Skipped: 2})
		f.wantTotals(c, map[store.RecipientStatus]int{
			store.RecipientOptedOut: 1, store.RecipientSkipped: 2, store.RecipientQueued: 1,
		})
		wantEqual(t, "recipients of the DMs", recipientsOf(f.claimOutbox(10, time.Minute)), []string{"14"})

		sup, err := f.s.Suppression(f.ctx, a.ID, "12")
		mustNoError(t, "Suppression", err)
		wantEqual(t, "suppression of an undeliverable contact", sup, store.Suppression{
			AccountID: a.ID, XUserID: "12", Undeliverable: "349: you cannot send messages to this user",
			UndeliverableAt: millis(startTime),
		})
		_, err = f.s.Suppression(f.ctx, a.ID, "14")
		wantError(t, "Suppression of a contact without one", err, store.ErrNotFound)
		wantError(t, "MarkUndeliverable without a reason", f.s.MarkUndeliverable(f.ctx, a.ID, "12", ""), store.ErrInvalid)
		wantError(t, "MarkUndeliverable of an unknown account", f.s.MarkUndeliverable(f.ctx, "999999", "12", "x"), store.ErrNotFound)
	}
}

// relate sets a relation of a contact as of startTime.
func (f *fixture) relate(a store.Account, user string, field store.ContactField, value bool) {
	f.t.Helper()
	err := f.s.ApplyContactChange(f.ctx, store.ContactChange{AccountID: a.ID, XUserID: user, Field: field, Value: value, At: startTime})
	mustNoError(f.t, "ApplyContactChange", err)
}

func testOptOut(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		queuedFor := f.createCampaign(a, "11", "12")
		pendingFor := f.createCampaign(a, "12", "11")
		f.start(queuedFor, wideLimits) // 11 and 12 queued in the first campaign only

		stop := store.OptOutChange{AccountID: a.ID, XUserID: "11", OptedOut: true, At: startTime, Confirmation: "You are unsubscribed."}
		res, err := f.s.ApplyOptOut(f.ctx, stop)
		mustNoError(t, "ApplyOptOut", err)
		if !res.Changed || res.Withdrawn != 2 || res.Confirmation.ID == "" || res.Confirmation.Content != stop.Confirmation ||
			res.Confirmation.Status != store.MessageQueued {
			t.Fatalf("ApplyOptOut = %+v, want a change that withdrew 2 recipients and queued the confirmation", res)
		}
		f.wantTotals(queuedFor, map[store.RecipientStatus]int{store.RecipientOptedOut: 1, store.RecipientQueued: 1})
		f.wantTotals(pendingFor, map[store.RecipientStatus]int{store.RecipientOptedOut: 1, store.RecipientPending: 1})

		// 11's campaign DM left the queue as failed; the confirmation is
		// the only DM to 11 that remains.
		items := f.claimOutbox(10, time.Minute)
		wantEqual(t, "contents of the claimable DMs", contentsOf(items), []string{campaignDM, stop.Confirmation})
		wantEqual(t, "recipients of the claimable DMs", recipientsOf(items), []string{"12", "11"})
		conv := f.conversationOf(a, "11")
		var statuses []string
		for _, m := range f.messages("m1", conv) {
			statuses = append(statuses, string(m.Status)+": "+m.StatusReason)
		}
		wantEqual(t, "messages to 11, newest first", statuses, []string{"queued: ", "failed: " + store.ReasonOptedOut})

		res, err = f.s.ApplyOptOut(f.ctx, stop)
		mustNoError(t, "repeated ApplyOptOut", err)
		wantEqual(t, "repeated opt-out", res, store.OptOutResult{})
		sup, err := f.s.Suppression(f.ctx, a.ID, "11")
		mustNoError(t, "Suppression", err)
		wantEqual(t, "suppression", sup, store.Suppression{AccountID: a.ID, XUserID: "11", OptedOut: true, OptOutAt: millis(startTime)})

		// An opt-in changes no recipient, and later campaigns reach the
		// contact again.
		f.clock.Advance(time.Minute)
		res, err = f.s.ApplyOptOut(f.ctx, store.OptOutChange{AccountID: a.ID, XUserID: "11", At: startTime.Add(time.Minute)})
		mustNoError(t, "opt-in", err)
		wantEqual(t, "opt-in", res, store.OptOutResult{Changed: true})
		f.wantTotals(pendingFor, map[store.RecipientStatus]int{store.RecipientOptedOut: 1, store.RecipientPending: 1})
		again := f.createCampaign(a, "11")
		wantEqual(t, "start after the opt-in", f.start(again, wideLimits), store.StartResult{Started: 1})

		_, err = f.s.ApplyOptOut(f.ctx, store.OptOutChange{AccountID: "999999", XUserID: "11", OptedOut: true, At: startTime})
		wantError(t, "ApplyOptOut of an unknown account", err, store.ErrNotFound)
		_, err = f.s.ApplyOptOut(f.ctx, store.OptOutChange{AccountID: a.ID, OptedOut: true, At: startTime})
		wantError(t, "ApplyOptOut without an X user", err, store.ErrInvalid)
	}
}

// testOptOutWhileSending opts out a recipient whose DM is being sent. The
// DM stays with its sender, but when the sender returns it to the queue,
// Reschedule settles it as failed and the recipient becomes opted out.
func testOptOutWhileSending(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		c := f.createCampaign(a, "11", "12")
		f.start(c, wideLimits)
		items := f.claimOutbox(10, time.Minute)
		wantEqual(t, "recipients being sent", recipientsOf(items), []string{"11", "12"})

		res, err := f.s.ApplyOptOut(f.ctx, store.OptOutChange{AccountID: a.ID, XUserID: "11", OptedOut: true, At: startTime})
		mustNoError(t, "ApplyOptOut", err)
		wantEqual(t, "opt-out while sending", res, store.OptOutResult{Changed: true})
		f.wantTotals(c, map[store.RecipientStatus]int{store.RecipientQueued: 2})

		f.clock.Advance(time.Second)
		for _, it := range items {
			err := f.s.Reschedule(f.ctx, it.Lease, f.clock.Now(), "429: rate limited")
			mustNoError(t, "Reschedule to "+it.RecipientID, err)
		}
		f.wantTotals(c, map[store.RecipientStatus]int{store.RecipientOptedOut: 1, store.RecipientQueued: 1})
		f.wantOutboxCounts(1, 0)
		wantEqual(t, "recipients claimable again", recipientsOf(f.claimOutbox(10, time.Minute)), []string{"12"})
		var statuses []string
		for _, m := range f.messages("m1", f.conversationOf(a, "11")) {
			statuses = append(statuses, string(m.Status)+": "+m.StatusReason)
		}
		wantEqual(t, "messages to 11", statuses, []string{"failed: " + store.ReasonOptedOut})
		err = f.s.Reschedule(f.ctx, items[0].Lease, f.clock.Now(), "429: rate limited")
		wantError(t, "second Reschedule of the withdrawn DM", err, store.ErrNotClaimed)
	}
}

// testCancelWhileSending cancels a campaign while one of its DMs is being
// sent, and the sender then returns that DM to the queue.
func testCancelWhileSending(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		c := f.createCampaign(a, "11", "12", "13")
		f.start(c, store.StartLimits{MaxQueued: 2, DailyContacts: wideLimits.DailyContacts})
		sending := f.claimOutbox(1, time.Minute) // 11's DM
		_, cancelled, err := f.s.CancelCampaign(f.ctx, "m1", c.ID)
		mustNoError(t, "CancelCampaign", err)
		if !cancelled {
			t.Fatal("CancelCampaign did not cancel the running campaign")
		}
		f.wantTotals(c, map[store.RecipientStatus]int{store.RecipientCancelled: 2, store.RecipientQueued: 1})

		err = f.s.Reschedule(f.ctx, sending[0].Lease, f.clock.Now(), "connection reset before the request was sent")
		mustNoError(t, "Reschedule", err)
		f.wantTotals(c, map[store.RecipientStatus]int{store.RecipientCancelled: 3})
		f.wantOutboxCounts(0, 0)
		if items := f.claimOutbox(10, time.Minute); len(items) != 0 {
			t.Errorf("claimable DMs after the cancellation = %v, want none", recipientsOf(items))
		}
		msgs := f.messages("m1", f.conversationOf(a, "11"))
		if len(msgs) != 1 || msgs[0].Status != store.MessageFailed || msgs[0].StatusReason != store.ReasonCancelled {
			t.Errorf("messages to 11 = %+v, want the DM failed with %q", msgs, store.ReasonCancelled)
		}
	}
}

// testQueueOverMaxQueued starts a campaign with fewer DMs allowed in the
// queue than it has there already: nothing starts.
func testQueueOverMaxQueued(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		c := f.createCampaign(a, users(5)...)
		res := f.start(c, store.StartLimits{MaxQueued: 3, DailyContacts: wideLimits.DailyContacts})
		wantEqual(t, "start with MaxQueued 3", res, store.StartResult{Started: 3})
		res = f.start(c, store.StartLimits{MaxQueued: 1, DailyContacts: wideLimits.DailyContacts})
		wantEqual(t, "start with 3 queued and MaxQueued 1", res, store.StartResult{})
		f.wantTotals(c, map[store.RecipientStatus]int{store.RecipientQueued: 3, store.RecipientPending: 2})
	}
}

// conversationOf returns the id of the account's conversation with user.
func (f *fixture) conversationOf(a store.Account, user string) string {
	f.t.Helper()
	p, err := f.s.Conversations(f.ctx, store.ConversationQuery{MerchantID: a.MerchantID, AccountID: a.ID, Limit: 1000})
	mustNoError(f.t, "Conversations", err)
	for _, c := range p.Items {
		if c.ParticipantID == user {
			return c.ID
		}
	}
	f.t.Fatalf("no conversation with %s", user)
	return ""
}

func testOptOutOrder(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		change := func(optedOut bool, at time.Duration) store.OptOutResult {
			t.Helper()
			res, err := f.s.ApplyOptOut(f.ctx, store.OptOutChange{
				AccountID: a.ID, XUserID: "11", OptedOut: optedOut, At: startTime.Add(at), Confirmation: "unsubscribed",
			})
			mustNoError(t, "ApplyOptOut", err)
			return res
		}
		if res := change(false, 2*time.Minute); res.Changed {
			t.Errorf("opt-in of a contact never opted out = %+v, want no change", res)
		}
		if res := change(true, time.Minute); res.Changed || res.Confirmation.ID != "" {
			t.Errorf("opt-out older than the opt-in = %+v, want no change", res)
		}
		if res := change(true, 2*time.Minute); !res.Changed || res.Confirmation.ID == "" {
			t.Errorf("opt-out as old as the opt-in = %+v, want a change with a confirmation", res)
		}
		sup, err := f.s.Suppression(f.ctx, a.ID, "11")
		mustNoError(t, "Suppression", err)
		if !sup.OptedOut || !sup.OptOutAt.Equal(millis(startTime.Add(2*time.Minute))) {
			t.Errorf("suppression = %+v, want opted out as of 2 minutes", sup)
		}
	}
}

func testCancelCampaign(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		c := f.createCampaign(a, "11", "12", "13", "14")
		f.start(c, store.StartLimits{MaxQueued: 2, DailyContacts: wideLimits.DailyContacts})
		sending := f.claimOutbox(1, time.Minute) // 11's DM is being sent

		f.clock.Advance(time.Second)
		got, cancelled, err := f.s.CancelCampaign(f.ctx, "m1", c.ID)
		mustNoError(t, "CancelCampaign", err)
		if !cancelled || got.Status != store.CampaignCancelled || !got.FinishedAt.Equal(millis(f.clock.Now())) {
			t.Errorf("CancelCampaign = %+v, %v, want it cancelled now", got, cancelled)
		}
		f.wantTotals(c, map[store.RecipientStatus]int{store.RecipientCancelled: 3, store.RecipientQueued: 1})
		f.wantOutboxCounts(0, 1)
		_, err = f.s.MarkSent(f.ctx, sending[0].Lease, "900", f.clock.Now())
		mustNoError(t, "MarkSent", err)
		f.wantTotals(c, map[store.RecipientStatus]int{store.RecipientCancelled: 3, store.RecipientSent: 1})

		again, cancelled, err := f.s.CancelCampaign(f.ctx, "m1", c.ID)
		mustNoError(t, "second CancelCampaign", err)
		if cancelled || again.Status != store.CampaignCancelled {
			t.Errorf("second CancelCampaign = %+v, %v, want the cancelled campaign unchanged", again, cancelled)
		}
		wantEqual(t, "start of a cancelled campaign", f.start(c, wideLimits), store.StartResult{})
		running, err := f.s.RunningCampaigns(f.ctx, "", 10)
		mustNoError(t, "RunningCampaigns", err)
		if len(running) != 0 {
			t.Errorf("RunningCampaigns = %+v, want none", running)
		}
	}
}

func testCampaignCompletion(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		_, err := f.s.ApplyOptOut(f.ctx, store.OptOutChange{AccountID: a.ID, XUserID: "12", OptedOut: true, At: startTime})
		mustNoError(t, "ApplyOptOut", err)
		c := f.createCampaign(a, "11", "12")
		wantEqual(t, "start", f.start(c, wideLimits), store.StartResult{Started: 1, OptedOut: 1})
		items := f.claimOutbox(10, time.Minute)
		wantEqual(t, "start while a DM is being sent", f.start(c, wideLimits), store.StartResult{})
		f.clock.Advance(time.Minute)
		_, err = f.s.MarkSent(f.ctx, items[0].Lease, "900", f.clock.Now())
		mustNoError(t, "MarkSent", err)
		wantEqual(t, "start after the last DM was sent", f.start(c, wideLimits), store.StartResult{Completed: true})
		got, err := f.s.Campaign(f.ctx, "m1", c.ID)
		mustNoError(t, "Campaign", err)
		if got.Status != store.CampaignCompleted || !got.FinishedAt.Equal(millis(f.clock.Now())) {
			t.Errorf("campaign = %+v, want it completed now", got)
		}
		f.wantTotals(c, map[store.RecipientStatus]int{store.RecipientSent: 1, store.RecipientOptedOut: 1})
		_, cancelled, err := f.s.CancelCampaign(f.ctx, "m1", c.ID)
		mustNoError(t, "CancelCampaign", err)
		if cancelled {
			t.Error("CancelCampaign cancelled a completed campaign")
		}
	}
}

func testCampaignInactiveAccount(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		c := f.createCampaign(a, "11")
		_, err := f.s.RevokeAccount(f.ctx, "100")
		mustNoError(t, "RevokeAccount", err)
		wantEqual(t, "start while revoked", f.start(c, wideLimits), store.StartResult{AccountInactive: true})
		f.wantRunning("while revoked")
		f.connect("m1", "100", "shop")
		f.wantRunning("after reconnecting", c.ID)
		wantEqual(t, "start after reconnecting", f.start(c, wideLimits), store.StartResult{Started: 1})
	}
}

// wantRunning checks the ids of RunningCampaigns.
func (f *fixture) wantRunning(when string, ids ...string) {
	f.t.Helper()
	running, err := f.s.RunningCampaigns(f.ctx, "", 10)
	mustNoError(f.t, "RunningCampaigns", err)
	var got []string
	for _, c := range running {
		got = append(got, c.ID)
	}
	wantEqual(f.t, "running campaigns "+when, got, ids)
}

func testCampaignDeleteAccount(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		_, err := f.s.ApplyOptOut(f.ctx, store.OptOutChange{AccountID: a.ID, XUserID: "12", OptedOut: true, At: startTime})
		mustNoError(t, "ApplyOptOut", err)
		c := f.createCampaign(a, "11", "12")
		f.start(c, wideLimits)
		mustNoError(t, "DeleteAccount", f.s.DeleteAccount(f.ctx, "m1", a.ID))
		_, err = f.s.Campaign(f.ctx, "m1", c.ID)
		wantError(t, "Campaign after DeleteAccount", err, store.ErrNotFound)
		_, err = f.s.Suppression(f.ctx, a.ID, "12")
		wantError(t, "Suppression after DeleteAccount", err, store.ErrNotFound)
		running, err := f.s.RunningCampaigns(f.ctx, "", 10)
		mustNoError(t, "RunningCampaigns", err)
		if len(running) != 0 {
			t.Errorf("RunningCampaigns = %+v, want none", running)
		}
	}
}

// testConcurrentStarts starts two campaigns of one account from several
// goroutines at once while recipients opt out. Every recipient's DM must
// be queued once at most, the account's daily contacts must hold across
// both campaigns, and no opted-out recipient may keep a claimable DM.
func testConcurrentStarts(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		first := f.createCampaign(a, users(30)...)
		second := f.createCampaign(a, users(30)...)
		const allowed = 40
		limits := store.StartLimits{MaxQueued: 1000, DailyContacts: store.SendLimit{Max: allowed, Per: day}}
		optOuts := users(30)[:10]

		const starters = 8
		started := make([]int, starters)
		errs := make(chan error, starters+len(optOuts))
		var wg sync.WaitGroup
		for i := range starters {
			c := []store.Campaign{first, second}[i%2]
			wg.Go(func() {
				for range 10 {
					res, err := f.s.StartRecipients(f.ctx, c.ID, limits)
					if err != nil {
						errs <- fmt.Errorf("StartRecipients: %w", err)
						return
					}
					started[i] += res.Started
				}
			})
		}
		for _, u := range optOuts {
			wg.Go(func() {
				_, err := f.s.ApplyOptOut(f.ctx, store.OptOutChange{AccountID: a.ID, XUserID: u, OptedOut: true, At: startTime})
				if err != nil {
					errs <- fmt.Errorf("ApplyOptOut %s: %w", u, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}

		total := 0
		for _, n := range started {
			total += n
		}
		items := f.claimOutbox(1000, time.Minute)
		seen := map[string]int{} // claimable campaign DMs per recipient
		for _, it := range items {
			seen[it.RecipientID]++
		}
		for _, u := range optOuts {
			if seen[u] > 0 {
				t.Errorf("opted-out recipient %s has %d claimable DMs", u, seen[u])
			}
		}
		for u, n := range seen {
			if n > 2 {
				t.Errorf("recipient %s has %d DMs, want one per campaign at most", u, n)
			}
		}
		starts, err := f.s.CampaignStarts(f.ctx, a.ID, startTime.Add(-day))
		mustNoError(t, "CampaignStarts", err)
		if total != allowed || len(starts) != allowed {
			t.Errorf("started %d recipients (%d start times), want exactly %d", total, len(starts), allowed)
		}
		queued := 0
		for _, c := range []store.Campaign{first, second} {
			p, err := f.s.CampaignProgress(f.ctx, "m1", c.ID)
			mustNoError(t, "CampaignProgress", err)
			queued += p.Totals[store.RecipientQueued]
			if sum := p.Totals[store.RecipientQueued] + p.Totals[store.RecipientOptedOut] + p.Totals[store.RecipientFailed] +
				p.Totals[store.RecipientPending]; sum != 30 {
				t.Errorf("campaign %s totals %v add up to %d, want 30", c.ID, p.Totals, sum)
			}
		}
		if queued != len(items) {
			t.Errorf("queued recipients = %d, claimable DMs = %d, want equal", queued, len(items))
		}
	}
}
