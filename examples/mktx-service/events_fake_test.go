package main

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/xtest"
)

// Body families of the deliveries the fake X sends to the service.
const (
	familyAAA = "aaa" // Account Activity bodies, from the register-webhook subscription
	familyXAA = "xaa" // X Activity API envelopes, from activity subscriptions
)

// xaaEventTypes are the X Activity API event types the shop subscribes to
// in the XAA family: every type whose events the fake's world produces for
// the shop.
var xaaEventTypes = []string{
	accountactivity.EventDMReceived,
	accountactivity.EventDMSent,
	accountactivity.EventDMRead,
	accountactivity.EventDMIndicateTyping,
	accountactivity.EventFollowFollow,
	accountactivity.EventFollowUnfollow,
	accountactivity.EventBlockBlock,
	accountactivity.EventBlockUnblock,
	accountactivity.EventMuteMute,
	accountactivity.EventMuteUnmute,
	accountactivity.EventPostCreate,
	accountactivity.EventPostMentionCreate,
	accountactivity.EventLikeCreate,
	accountactivity.EventPostDelete,
	accountactivity.EventProfileUpdateBio,
}

// fakeWorld is a service whose account @shop_demo is subscribed, in one
// body family, to the service's webhook on the fake X, with a customer
// who is not subscribed.
type fakeWorld struct {
	t         *testing.T
	h         *harness
	ctx       context.Context
	family    string
	merchant  string
	accountID string
	hookID    string
	customer  xtest.User

	// Ids that a case's preparation creates for its action.
	dmEventID string
	postID    string
}

// newFakeWorld connects the shop for merchant m1 and subscribes it in
// family: through the service's register-webhook route for AAA, or with X
// Activity API subscriptions of xaaEventTypes to the service's webhook for
// XAA.
func newFakeWorld(t *testing.T, family string) *fakeWorld {
	t.Helper()
	h := newHarness(t)
	w := &fakeWorld{t: t, h: h, ctx: context.Background(), family: family, merchant: "m1"}
	w.accountID = h.connect(w.merchant)
	configureRegistration(h)
	customer, err := h.fake.AddUser(h.app.ID, xtestUser(1, "customer_one"))
	if err != nil {
		t.Fatal(err)
	}
	w.customer = customer
	switch family {
	case familyAAA:
		r := h.do(http.MethodPost, apiBase+"/accounts/"+w.accountID+"/register-webhook", h.token(w.merchant), nil)
		if r.Status != http.StatusOK {
			t.Fatalf("register-webhook: status %d: %s", r.Status, r.Raw)
		}
		var reg registerView
		decode(t, r.Data, &reg)
		w.hookID = reg.WebhookID
	case familyXAA:
		client := w.managementClient()
		hook, err := client.EnsureWebhook(w.ctx, h.srv.settings.WebhookURL)
		if err != nil {
			t.Fatalf("register the service's webhook: %v", err)
		}
		w.hookID = hook.ID
		for _, eventType := range xaaEventTypes {
			_, err := client.CreateActivitySubscription(w.ctx, accountactivity.ActivitySubscription{
				EventType: eventType,
				Filter:    accountactivity.Filter{UserID: shopID},
				Tag:       "mktx " + eventType,
				WebhookID: hook.ID,
			})
			if err != nil {
				t.Fatalf("subscribe the shop to %s: %v", eventType, err)
			}
		}
	default:
		t.Fatalf("unknown body family %q", family)
	}
	return w
}

// managementClient returns a client of the fake's webhook, subscription
// and replay endpoints, with the app's bearer token and the shop's user
// context, whose clock is the harness clock.
func (w *fakeWorld) managementClient() *accountactivity.Client {
	w.t.Helper()
	return w.managementClientFor(w.h.user)
}

// managementClientFor is managementClient in the user context of user.
func (w *fakeWorld) managementClientFor(user xtest.User) *accountactivity.Client {
	w.t.Helper()
	h := w.h
	bearer, err := accountactivity.NewBearerClient(h.app.BearerToken, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	client, err := accountactivity.NewClient(
		accountactivity.Config{App: bearer, User: h.fake.Client(h.app, user)},
		accountactivity.WithBaseURL(h.fake.URL()),
		accountactivity.WithInsecureWebhookURLs(),
		accountactivity.WithClock(h.clock.now))
	if err != nil {
		w.t.Fatal(err)
	}
	return client
}

// inboxRow is one row of the service's inbox_events table.
type inboxRow struct {
	Key, Kind, ForUserID, Status, LastError string
}

// inboxRows returns the service's inbox rows in insertion order, read from
// its database.
func inboxRows(t testing.TB, h *harness) []inboxRow {
	t.Helper()
	rows, err := harnessDB(t, h).QueryContext(context.Background(),
		"SELECT event_key, kind, for_user_id, status, last_error FROM inbox_events ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []inboxRow
	for rows.Next() {
		var r inboxRow
		if err := rows.Scan(&r.Key, &r.Kind, &r.ForUserID, &r.Status, &r.LastError); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// harnessDB returns the database under the service's store, looking
// through the test wrappers of faults_fake_test.go.
func harnessDB(t testing.TB, h *harness) *sql.DB {
	t.Helper()
	st := h.srv.store
	for {
		switch s := st.(type) {
		case *ownedStore:
			return s.db
		case *failingEnqueueStore:
			st = s.Store
		default:
			t.Fatalf("store is %T, which has no database to inspect", h.srv.store)
			return nil
		}
	}
}

// checkInboxMatchesDeliveries checks that the inbox contains exactly one row
// for each distinct event of the deliveries to hookID that the service
// acknowledged with 200, no row for anything else, and that every row was
// processed without failure. The events are keyed as the service keys
// them, so a redelivered event must not add a row.
func checkInboxMatchesDeliveries(t *testing.T, h *harness, hookID string) {
	t.Helper()
	want := map[string]bool{}
	for i, d := range h.fake.Deliveries(hookID) {
		if d.Status != http.StatusOK {
			continue
		}
		decoded, err := accountactivity.Decode(d.Body)
		if err != nil {
			t.Errorf("delivery %d does not decode: %v\n%s", i, err, d.Body)
			continue
		}
		if len(decoded.Errors) > 0 || len(decoded.Events) == 0 {
			t.Errorf("delivery %d: %d events, decoding errors %v; want only events that decode\n%s", i, len(decoded.Events), decoded.Errors, d.Body)
		}
		for _, e := range decoded.Events {
			want[accountactivity.Key(decoded, e)] = true
		}
	}
	seen := map[string]int{}
	for _, r := range inboxRows(t, h) {
		seen[r.Key]++
		if !want[r.Key] {
			t.Errorf("inbox row %+v is no event of an acknowledged delivery", r)
		}
		if r.Status != string(store.InboxDone) {
			t.Errorf("inbox row %s (%s) is %s, want done; last error %q", r.Key, r.Kind, r.Status, r.LastError)
		}
	}
	for key := range want {
		if seen[key] != 1 {
			t.Errorf("event %s has %d inbox rows, want 1", key, seen[key])
		}
	}
}

// checkMessagesOnce checks that the merchant's conversations contain each
// DM event of wantEventIDs exactly once and no other message.
func checkMessagesOnce(t *testing.T, h *harness, merchant string, wantEventIDs ...string) {
	t.Helper()
	count := map[string]int{}
	for _, c := range h.conversations(merchant) {
		for _, m := range h.messages(merchant, c.ID) {
			count[m.TwitterEventID]++
		}
	}
	for _, id := range wantEventIDs {
		if count[id] != 1 {
			t.Errorf("DM %s is stored %d times, want once", id, count[id])
		}
	}
	for id, n := range count {
		if !slices.Contains(wantEventIDs, id) {
			t.Errorf("message with event id %q is stored %d times, want none", id, n)
		}
	}
}

// conversationWith returns the merchant's one conversation with
// participantID and fails the test when there is no such conversation or
// there are others.
func conversationWith(t *testing.T, h *harness, merchant, participantID string) conversationView {
	t.Helper()
	convs := h.conversations(merchant)
	if len(convs) != 1 || convs[0].ParticipantID != participantID {
		t.Fatalf("conversations = %+v, want one with %s", convs, participantID)
	}
	return convs[0]
}

// contact returns the account's contact record of xUserID.
func (w *fakeWorld) contact(xUserID string) store.Contact {
	w.t.Helper()
	c, err := w.h.srv.store.Contact(w.ctx, w.accountID, xUserID)
	if err != nil {
		w.t.Fatalf("contact %s: %v", xUserID, err)
	}
	return c
}

// checkNoContact checks that the account has no contact record of xUserID.
func (w *fakeWorld) checkNoContact(xUserID string) {
	w.t.Helper()
	if c, err := w.h.srv.store.Contact(w.ctx, w.accountID, xUserID); !errors.Is(err, store.ErrNotFound) {
		w.t.Errorf("contact %s = %+v, %v; want none", xUserID, c, err)
	}
}

// step advances the harness clock, which the fake X shares, by a second,
// so that consecutive events get different times.
func (w *fakeWorld) step() {
	w.h.clock.advance(time.Second)
}

func (w *fakeWorld) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// fakeEventCase is one kind of event of the fake's simulated world.
type fakeEventCase struct {
	name string
	// prepare produces the events that the action builds on, which are
	// processed before the action. It may be nil.
	prepare func(w *fakeWorld)
	act     func(w *fakeWorld)
	// aaaKinds and xaaKinds are the sorted kinds of the inbox rows that the
	// action adds in each family. An empty list means that the family has no
	// such event, so the fake sends nothing.
	aaaKinds, xaaKinds []accountactivity.Kind
	// check asserts the service's state after the action was processed.
	check func(w *fakeWorld)
}

var fakeEventCases = []fakeEventCase{
	{
		name: "DM received",
		act: func(w *fakeWorld) {
			id, err := w.h.fake.DeliverDM(w.ctx, w.customer.ID, shopID, "Is the blue jacket in stock?")
			w.must(err)
			w.dmEventID = id
		},
		aaaKinds: []accountactivity.Kind{accountactivity.KindDirectMessage},
		xaaKinds: []accountactivity.Kind{accountactivity.KindDirectMessage},
		check: func(w *fakeWorld) {
			checkDM(w, store.Inbound, w.customer.ID, "Is the blue jacket in stock?")
		},
	},
	{
		name: "DM echo",
		act: func(w *fakeWorld) {
			id, err := w.h.fake.DeliverDM(w.ctx, shopID, w.customer.ID, "Your order has shipped")
			w.must(err)
			w.dmEventID = id
		},
		aaaKinds: []accountactivity.Kind{accountactivity.KindDirectMessage},
		xaaKinds: []accountactivity.Kind{accountactivity.KindDirectMessage},
		check: func(w *fakeWorld) {
			checkDM(w, store.Outbound, shopID, "Your order has shipped")
		},
	},
	{
		name:     "follow",
		act:      func(w *fakeWorld) { w.must(w.h.fake.Follow(w.ctx, w.customer.ID, shopID)) },
		aaaKinds: []accountactivity.Kind{accountactivity.KindFollow},
		xaaKinds: []accountactivity.Kind{accountactivity.KindFollow},
		check: func(w *fakeWorld) {
			c := w.contact(w.customer.ID)
			if !c.Following || c.Blocked || c.Muted {
				w.t.Errorf("contact = %+v, want following only", c)
			}
			if c.Username != w.customer.Username {
				w.t.Errorf("contact username = %q, want %q", c.Username, w.customer.Username)
			}
		},
	},
	{
		name:     "unfollow",
		prepare:  func(w *fakeWorld) { w.must(w.h.fake.Follow(w.ctx, w.customer.ID, shopID)) },
		act:      func(w *fakeWorld) { w.must(w.h.fake.Unfollow(w.ctx, w.customer.ID, shopID)) },
		aaaKinds: []accountactivity.Kind{accountactivity.KindFollow},
		xaaKinds: []accountactivity.Kind{accountactivity.KindFollow},
		check: func(w *fakeWorld) {
			if c := w.contact(w.customer.ID); c.Following {
				w.t.Errorf("contact = %+v, want not following", c)
			}
		},
	},
	{
		name: "shop follows customer",
		act:  func(w *fakeWorld) { w.must(w.h.fake.Follow(w.ctx, shopID, w.customer.ID)) },
		// The shop's own follows are stored but change no contact: the record
		// tracks who follows the account.
		aaaKinds: []accountactivity.Kind{accountactivity.KindFollow},
		xaaKinds: []accountactivity.Kind{accountactivity.KindFollow},
		check:    func(w *fakeWorld) { w.checkNoContact(w.customer.ID) },
	},
	{
		name:     "block",
		act:      func(w *fakeWorld) { w.must(w.h.fake.Block(w.ctx, shopID, w.customer.ID)) },
		aaaKinds: []accountactivity.Kind{accountactivity.KindBlock},
		xaaKinds: []accountactivity.Kind{accountactivity.KindBlock},
		check: func(w *fakeWorld) {
			c := w.contact(w.customer.ID)
			if !c.Blocked || c.Following || c.Muted {
				w.t.Errorf("contact = %+v, want blocked only", c)
			}
			if c.Username != w.customer.Username {
				w.t.Errorf("contact username = %q, want %q", c.Username, w.customer.Username)
			}
		},
	},
	{
		name:     "unblock",
		prepare:  func(w *fakeWorld) { w.must(w.h.fake.Block(w.ctx, shopID, w.customer.ID)) },
		act:      func(w *fakeWorld) { w.must(w.h.fake.Unblock(w.ctx, shopID, w.customer.ID)) },
		aaaKinds: []accountactivity.Kind{accountactivity.KindBlock},
		xaaKinds: []accountactivity.Kind{accountactivity.KindBlock},
		check: func(w *fakeWorld) {
			if c := w.contact(w.customer.ID); c.Blocked {
				w.t.Errorf("contact = %+v, want not blocked", c)
			}
		},
	},
	{
		name:     "mute",
		act:      func(w *fakeWorld) { w.must(w.h.fake.Mute(w.ctx, shopID, w.customer.ID)) },
		aaaKinds: []accountactivity.Kind{accountactivity.KindMute},
		xaaKinds: []accountactivity.Kind{accountactivity.KindMute},
		check: func(w *fakeWorld) {
			c := w.contact(w.customer.ID)
			if !c.Muted || c.Following || c.Blocked {
				w.t.Errorf("contact = %+v, want muted only", c)
			}
			if c.Username != w.customer.Username {
				w.t.Errorf("contact username = %q, want %q", c.Username, w.customer.Username)
			}
		},
	},
	{
		name:     "unmute",
		prepare:  func(w *fakeWorld) { w.must(w.h.fake.Mute(w.ctx, shopID, w.customer.ID)) },
		act:      func(w *fakeWorld) { w.must(w.h.fake.Unmute(w.ctx, shopID, w.customer.ID)) },
		aaaKinds: []accountactivity.Kind{accountactivity.KindMute},
		xaaKinds: []accountactivity.Kind{accountactivity.KindMute},
		check: func(w *fakeWorld) {
			if c := w.contact(w.customer.ID); c.Muted {
				w.t.Errorf("contact = %+v, want not muted", c)
			}
		},
	},
	{
		name:     "typing",
		act:      func(w *fakeWorld) { w.must(w.h.fake.Typing(w.ctx, w.customer.ID, shopID)) },
		aaaKinds: []accountactivity.Kind{accountactivity.KindTyping},
		xaaKinds: []accountactivity.Kind{accountactivity.KindTyping},
		check:    checkNothingRecorded,
	},
	{
		name: "read receipt",
		prepare: func(w *fakeWorld) {
			id, err := w.h.fake.DeliverDM(w.ctx, shopID, w.customer.ID, "Your order has shipped")
			w.must(err)
			w.dmEventID = id
		},
		act:      func(w *fakeWorld) { w.must(w.h.fake.MarkRead(w.ctx, w.customer.ID, shopID, w.dmEventID)) },
		aaaKinds: []accountactivity.Kind{accountactivity.KindMarkRead},
		xaaKinds: []accountactivity.Kind{accountactivity.KindMarkRead},
		check: func(w *fakeWorld) {
			// The read receipt leaves the DM it refers to as it was.
			checkDM(w, store.Outbound, shopID, "Your order has shipped")
		},
	},
	{
		name: "post",
		act: func(w *fakeWorld) {
			_, err := w.h.fake.Post(w.ctx, shopID, "New arrivals this week")
			w.must(err)
		},
		aaaKinds: []accountactivity.Kind{accountactivity.KindTweetCreate},
		xaaKinds: []accountactivity.Kind{accountactivity.KindActivity},
		check:    checkNothingRecorded,
	},
	{
		name: "mention",
		act: func(w *fakeWorld) {
			_, err := w.h.fake.Post(w.ctx, w.customer.ID, "@shop_demo where is my order?")
			w.must(err)
		},
		aaaKinds: []accountactivity.Kind{accountactivity.KindTweetCreate},
		xaaKinds: []accountactivity.Kind{accountactivity.KindActivity},
		check:    checkNothingRecorded,
	},
	{
		name:     "like",
		prepare:  preparePost,
		act:      func(w *fakeWorld) { w.must(w.h.fake.Like(w.ctx, w.customer.ID, w.postID)) },
		aaaKinds: []accountactivity.Kind{accountactivity.KindFavorite},
		xaaKinds: []accountactivity.Kind{accountactivity.KindActivity},
		check:    checkNothingRecorded,
	},
	{
		name:     "post deleted",
		prepare:  preparePost,
		act:      func(w *fakeWorld) { w.must(w.h.fake.DeletePost(w.ctx, w.postID)) },
		aaaKinds: []accountactivity.Kind{accountactivity.KindTweetDelete},
		xaaKinds: []accountactivity.Kind{accountactivity.KindActivity},
		check:    checkNothingRecorded,
	},
	{
		name: "profile update",
		act: func(w *fakeWorld) {
			w.must(w.h.fake.UpdateProfile(w.ctx, shopID, xtest.ProfileBio, "Open 9 to 6, Monday to Saturday"))
		},
		// The Account Activity API has no profile events.
		xaaKinds: []accountactivity.Kind{accountactivity.KindProfileUpdate},
		check:    checkNothingRecorded,
	},
	{
		name: "revoke",
		act:  func(w *fakeWorld) { w.must(w.h.fake.Revoke(w.ctx, w.h.app.ID, shopID)) },
		// A revocation names no subscribed user, so its row has no for_user_id.
		aaaKinds: []accountactivity.Kind{accountactivity.KindRevoke},
		xaaKinds: []accountactivity.Kind{accountactivity.KindRevoke},
		check: func(w *fakeWorld) {
			h := w.h
			r := h.do(http.MethodGet, apiBase+"/accounts/"+w.accountID, h.token(w.merchant), nil)
			var acct accountView
			decode(w.t, r.Data, &acct)
			if acct.Status != string(store.AccountRevoked) {
				w.t.Errorf("account status = %q, want revoked", acct.Status)
			}
			stored, err := h.srv.store.Account(w.ctx, w.merchant, w.accountID)
			w.must(err)
			if len(stored.Credentials) != 0 {
				w.t.Error("the account's tokens are kept after the revocation")
			}
		},
	},
}

func preparePost(w *fakeWorld) {
	id, err := w.h.fake.Post(w.ctx, shopID, "New arrivals this week")
	w.must(err)
	w.postID = id
}

// checkDM checks that the account has one conversation, with the
// customer, which contains the case's DM once with the given direction,
// sender and text.
func checkDM(w *fakeWorld, direction store.Direction, senderID, text string) {
	w.t.Helper()
	h := w.h
	conv := conversationWith(w.t, h, w.merchant, w.customer.ID)
	if conv.ParticipantUsername != w.customer.Username {
		w.t.Errorf("participantUsername = %q, want %q", conv.ParticipantUsername, w.customer.Username)
	}
	if conv.LastMessagePreview != text {
		w.t.Errorf("lastMessagePreview = %q, want %q", conv.LastMessagePreview, text)
	}
	msgs := h.messages(w.merchant, conv.ID)
	if len(msgs) != 1 {
		w.t.Fatalf("messages = %+v, want one", msgs)
	}
	m := msgs[0]
	wantStatus := store.MessageReceived
	if direction == store.Outbound {
		wantStatus = store.MessageSent
	}
	if m.TwitterEventID != w.dmEventID || m.Direction != string(direction) || m.SenderID != senderID ||
		m.Content != text || m.Status != string(wantStatus) {
		w.t.Errorf("message = %+v, want event %s, %s, %s, sender %s, text %q",
			m, w.dmEventID, direction, wantStatus, senderID, text)
	}
	checkMessagesOnce(w.t, h, w.merchant, w.dmEventID)
}

// checkNothingRecorded checks that an event that the service only stores
// left no conversation and no contact behind.
func checkNothingRecorded(w *fakeWorld) {
	w.t.Helper()
	if convs := w.h.conversations(w.merchant); len(convs) != 0 {
		w.t.Errorf("conversations = %+v, want none", convs)
	}
	w.checkNoContact(w.customer.ID)
}

// TestFakeEvents drives every kind of event the fake X produces, in both
// body families, and checks what the service stored and processed.
func TestFakeEvents(t *testing.T) {
	for _, family := range []string{familyAAA, familyXAA} {
		for _, tc := range fakeEventCases {
			t.Run(family+"/"+tc.name, func(t *testing.T) {
				runFakeEventCase(t, family, tc)
			})
		}
	}
}

func runFakeEventCase(t *testing.T, family string, tc fakeEventCase) {
	w := newFakeWorld(t, family)
	h := w.h
	if tc.prepare != nil {
		tc.prepare(w)
		h.process()
		w.step()
	}
	before := len(inboxRows(t, h))
	sent := len(h.fake.Deliveries(w.hookID))

	tc.act(w)
	deliveries := h.fake.Deliveries(w.hookID)[sent:]
	for i, d := range deliveries {
		if d.Status != http.StatusOK {
			t.Errorf("delivery %d of the action: status %d (%s), want 200\n%s", i, d.Status, d.Failure, d.Body)
		}
	}
	h.process()

	want := tc.aaaKinds
	if family == familyXAA {
		want = tc.xaaKinds
	}
	if len(want) == 0 && len(deliveries) != 0 {
		t.Errorf("the fake sent %d deliveries, want none in this family", len(deliveries))
	}
	var got []accountactivity.Kind
	for _, r := range inboxRows(t, h)[before:] {
		got = append(got, accountactivity.Kind(r.Kind))
		wantUser := shopID
		if r.Kind == string(accountactivity.KindRevoke) {
			wantUser = ""
		}
		if r.ForUserID != wantUser {
			t.Errorf("inbox row %s has for_user_id %q, want %q", r.Key, r.ForUserID, wantUser)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("inbox rows added by the action have kinds %v, want %v", got, want)
	}
	checkInboxMatchesDeliveries(t, h, w.hookID)
	tc.check(w)
}

// TestFakeSentDMEcho sends a DM through the service's API. The fake X
// delivers its echo to the service's webhook before it responds to the
// send, and the echo must be matched to the message the send stored, also
// when the send's response was lost.
func TestFakeSentDMEcho(t *testing.T) {
	for _, family := range []string{familyAAA, familyXAA} {
		for _, responseLost := range []bool{false, true} {
			name := family + "/response received"
			if responseLost {
				name = family + "/response lost"
			}
			t.Run(name, func(t *testing.T) {
				w := newFakeWorld(t, family)
				h := w.h
				question := w.deliverDM(w.customer.ID, shopID, "Do you have it in red?")
				h.process()
				conv := conversationWith(t, h, w.merchant, w.customer.ID)

				sent := len(h.fake.Deliveries(w.hookID))
				wantStatus, wantSendStatus := http.StatusCreated, "sent"
				if responseLost {
					h.fake.DropResponseAfterSend()
					wantStatus, wantSendStatus = http.StatusAccepted, "unknown"
				}
				r, sendView := h.sendDM(conv.ID, map[string]string{"content": "Yes, in red and blue."})
				if r.Status != wantStatus || sendView.Status != wantSendStatus {
					t.Fatalf("send: status %d, message %+v; want %d %s: %s", r.Status, sendView, wantStatus, wantSendStatus, r.Raw)
				}
				dms := h.fake.SentDMs()
				if len(dms) != 1 {
					t.Fatalf("the fake accepted %d DMs, want 1", len(dms))
				}
				echoes := h.fake.Deliveries(w.hookID)[sent:]
				if len(echoes) != 1 || echoes[0].Status != http.StatusOK {
					t.Fatalf("echo deliveries = %+v, want one acknowledged", echoes)
				}
				h.process()

				checkInboxMatchesDeliveries(t, h, w.hookID)
				checkMessagesOnce(t, h, w.merchant, question, dms[0].EventID)
				checkConversation(w, w.customer.Username,
					wantOutbound(dms[0].EventID, "Yes, in red and blue."), wantInbound(question, "Do you have it in red?"))
				for _, m := range h.messages(w.merchant, conv.ID) {
					if m.Direction == string(store.Outbound) && m.Status != string(store.MessageSent) {
						t.Errorf("sent message = %+v, want status sent after its echo", m)
					}
				}
			})
		}
	}
}

// TestFakeDMBetweenTwoAccounts has two connected accounts of different
// merchants exchange a DM: X delivers it once for each, and each account
// keeps its own copy, outbound for the sender and inbound for the
// recipient.
func TestFakeDMBetweenTwoAccounts(t *testing.T) {
	for _, family := range []string{familyAAA, familyXAA} {
		t.Run(family, func(t *testing.T) {
			w := newFakeWorld(t, family)
			h := w.h
			other, err := h.fake.AddUser(h.app.ID, xtestUser(2, "other_shop"))
			if err != nil {
				t.Fatal(err)
			}
			r := h.do(http.MethodPost, apiBase+"/accounts", h.token("m2"), map[string]string{
				"oauthToken": other.Token, "oauthTokenSecret": other.TokenSecret,
			})
			if r.Status != http.StatusCreated {
				t.Fatalf("connect the second account: status %d: %s", r.Status, r.Raw)
			}
			var otherAccount accountView
			decode(t, r.Data, &otherAccount)
			switch family {
			case familyAAA:
				r := h.do(http.MethodPost, apiBase+"/accounts/"+otherAccount.ID+"/register-webhook", h.token("m2"), nil)
				if r.Status != http.StatusOK {
					t.Fatalf("register-webhook of the second account: status %d: %s", r.Status, r.Raw)
				}
			case familyXAA:
				client := w.managementClientFor(other)
				for _, eventType := range []string{accountactivity.EventDMReceived, accountactivity.EventDMSent} {
					_, err := client.CreateActivitySubscription(w.ctx, accountactivity.ActivitySubscription{
						EventType: eventType, Filter: accountactivity.Filter{UserID: other.ID}, WebhookID: w.hookID,
					})
					if err != nil {
						t.Fatalf("subscribe the second account to %s: %v", eventType, err)
					}
				}
			}

			id := w.deliverDM(shopID, other.ID, "Hello neighbour, shall we run a joint sale?")
			h.process()
			if n := len(h.fake.Deliveries(w.hookID)); n != 2 {
				t.Errorf("the fake sent %d deliveries, want one for each account", n)
			}
			checkInboxMatchesDeliveries(t, h, w.hookID)
			for _, side := range []struct {
				merchant, participant, participantUsername string
				direction                                  store.Direction
			}{
				{"m1", other.ID, other.Username, store.Outbound},
				{"m2", shopID, h.user.Username, store.Inbound},
			} {
				conv := conversationWith(t, h, side.merchant, side.participant)
				if conv.ParticipantUsername != side.participantUsername {
					t.Errorf("%s: participantUsername = %q, want %q", side.merchant, conv.ParticipantUsername, side.participantUsername)
				}
				checkMessagesOnce(t, h, side.merchant, id)
				msgs := h.messages(side.merchant, conv.ID)
				if len(msgs) == 1 && msgs[0].Direction != string(side.direction) {
					t.Errorf("%s: message direction = %s, want %s", side.merchant, msgs[0].Direction, side.direction)
				}
			}
		})
	}
}
