package xtest

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/accountactivity"
)

// activityFixture is a hookFixture with a registered webhook and
// accountactivity clients: one with the app's bearer token only, and one
// each for alice and bob with the bearer token and their user context.
// Every response they get is checked against X's OpenAPI description.
type activityFixture struct {
	*hookFixture
	webhookID    string
	bearer       *accountactivity.Client
	aliceX, bobX *accountactivity.Client
	received     *signedRecorder
}

func newActivityFixture(t *testing.T, opts ...Option) *activityFixture {
	t.Helper()
	f := &activityFixture{hookFixture: newHookFixture(t, opts...)}
	var url string
	url, f.received = newSignedReceiver(t, f.app.ConsumerSecret)
	f.webhookID = f.createWebhook(url)
	f.bearer = f.activityClient(nil)
	f.aliceX = f.activityClient(&f.alice)
	f.bobX = f.activityClient(&f.bob)
	return f
}

// activityClient returns an accountactivity client for the fake with the
// app's bearer token and, when u is not nil, u's user context.
func (f *activityFixture) activityClient(u *User) *accountactivity.Client {
	f.t.Helper()
	bearer, err := accountactivity.NewBearerClient(f.app.BearerToken, specCheck{t: f.t, next: http.DefaultTransport})
	if err != nil {
		f.t.Fatal(err)
	}
	cfg := accountactivity.Config{App: bearer}
	if u != nil {
		cfg.User = f.user(*u)
	}
	c, err := accountactivity.NewClient(cfg, accountactivity.WithBaseURL(f.srv.URL()),
		accountactivity.WithInsecureWebhookURLs())
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// subscribe creates an activity subscription with client c and fails the
// test when that fails.
func (f *activityFixture) subscribeActivity(c *accountactivity.Client, s accountactivity.ActivitySubscription) accountactivity.ActivitySubscription {
	f.t.Helper()
	got, err := c.CreateActivitySubscription(context.Background(), s)
	if err != nil {
		f.t.Fatalf("CreateActivitySubscription(%+v): %v", s, err)
	}
	return got
}

func TestActivitySubscriptionLifecycle(t *testing.T) {
	f := newActivityFixture(t, WithWebhookLimit(2))
	ctx := context.Background()
	created := f.clock.Now().UTC()

	public := f.subscribeActivity(f.bearer, accountactivity.ActivitySubscription{
		EventType: accountactivity.EventProfileUpdateBio, Filter: accountactivity.Filter{UserID: f.bob.ID},
		Tag: "bob-bio", WebhookID: f.webhookID,
	})
	private := f.subscribeActivity(f.aliceX, accountactivity.ActivitySubscription{
		EventType: accountactivity.EventDMReceived,
		Filter:    accountactivity.Filter{UserID: f.alice.ID, Direction: accountactivity.DirectionInbound},
		WebhookID: f.webhookID,
	})
	want := []accountactivity.ActivitySubscription{
		{ID: public.ID, EventType: "profile.update.bio", Filter: accountactivity.Filter{UserID: f.bob.ID},
			Tag: "bob-bio", WebhookID: f.webhookID, CreatedAt: created, UpdatedAt: created},
		{ID: private.ID, EventType: "dm.received",
			Filter:    accountactivity.Filter{UserID: f.alice.ID, Direction: "inbound"},
			WebhookID: f.webhookID, CreatedAt: created, UpdatedAt: created},
	}
	if diff := cmp.Diff(want, []accountactivity.ActivitySubscription{public, private}); diff != "" {
		t.Errorf("created subscriptions (-want +got):\n%s", diff)
	}
	if !isDecimalID(public.ID) || public.ID == private.ID {
		t.Errorf("subscription ids %q and %q, want two different decimal ids", public.ID, private.ID)
	}
	list, err := f.bearer.ActivitySubscriptions(ctx)
	if err != nil {
		t.Fatalf("ActivitySubscriptions: %v", err)
	}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("listed subscriptions (-want +got):\n%s", diff)
	}

	f.clock.Advance(time.Minute)
	second := f.createWebhook(f.received.url + "/second")
	updated, err := f.bearer.UpdateActivitySubscription(ctx, public.ID,
		accountactivity.ActivitySubscriptionUpdate{Tag: "bio-watch", WebhookID: second})
	if err != nil {
		t.Fatalf("UpdateActivitySubscription: %v", err)
	}
	want[0].Tag, want[0].WebhookID, want[0].UpdatedAt = "bio-watch", second, created.Add(time.Minute)
	if diff := cmp.Diff(want[0], updated); diff != "" {
		t.Errorf("updated subscription (-want +got):\n%s", diff)
	}

	if err := f.bearer.DeleteActivitySubscription(ctx, private.ID); err != nil {
		t.Fatalf("DeleteActivitySubscription: %v", err)
	}
	list, err = f.bearer.ActivitySubscriptions(ctx)
	if err != nil {
		t.Fatalf("ActivitySubscriptions after delete: %v", err)
	}
	if diff := cmp.Diff(want[:1], list); diff != "" {
		t.Errorf("subscriptions after delete (-want +got):\n%s", diff)
	}
}

func TestActivitySubscriptionFailureReasons(t *testing.T) {
	f := newActivityFixture(t, WithActivitySubscriptionLimit(2))
	ctx := context.Background()
	other, err := f.srv.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	otherURL, _ := newSignedReceiver(t, other.ConsumerSecret)
	otherHook := (&hookFixture{t: t, srv: f.srv, app: other}).createWebhook(otherURL)
	bio := accountactivity.ActivitySubscription{
		EventType: accountactivity.EventProfileUpdateBio, Filter: accountactivity.Filter{UserID: f.bob.ID},
		WebhookID: f.webhookID,
	}
	first := f.subscribeActivity(f.bearer, bio)

	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"duplicate", func() error {
			_, err := f.bearer.CreateActivitySubscription(ctx, bio)
			return err
		}, accountactivity.ErrDuplicateSubscription},
		{"unknown webhook", func() error {
			s := bio
			s.WebhookID = "1700000000000009999"
			_, err := f.bearer.CreateActivitySubscription(ctx, s)
			return err
		}, accountactivity.ErrWebhookIDInvalid},
		{"webhook of another app", func() error {
			s := bio
			s.WebhookID = otherHook
			_, err := f.bearer.CreateActivitySubscription(ctx, s)
			return err
		}, accountactivity.ErrWebhookIDInvalid},
		{"update to unknown webhook", func() error {
			_, err := f.bearer.UpdateActivitySubscription(ctx, first.ID,
				accountactivity.ActivitySubscriptionUpdate{WebhookID: "1700000000000009999"})
			return err
		}, accountactivity.ErrWebhookIDInvalid},
		{"update unknown subscription", func() error {
			_, err := f.bearer.UpdateActivitySubscription(ctx, "2100000000000009999",
				accountactivity.ActivitySubscriptionUpdate{Tag: "x"})
			return err
		}, accountactivity.ErrSubscriptionNotFound},
		{"delete unknown subscription", func() error {
			return f.bearer.DeleteActivitySubscription(ctx, "2100000000000009999")
		}, accountactivity.ErrSubscriptionNotFound},
		{"limit", func() error {
			s := bio
			s.Filter.UserID = f.alice.ID
			f.subscribeActivity(f.bearer, s)
			s.EventType = accountactivity.EventProfileUpdateURL
			_, err := f.bearer.CreateActivitySubscription(ctx, s)
			return err
		}, accountactivity.ErrSubscriptionLimitExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want one matching %v", err, tt.want)
			}
			var apiErr *xactivity.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
				t.Errorf("error = %#v, want an *xactivity.APIError with status 400", err)
			}
		})
	}
}

func TestActivityPrivateEventAuth(t *testing.T) {
	f := newActivityFixture(t)
	ctx := context.Background()
	body := `{"event_type":"dm.received","filter":{"user_id":"` + f.alice.ID + `"},"webhook_id":"` + f.webhookID + `"}`

	resp := f.call(f.appClient(), "POST", "/2/activity/subscriptions", body)
	if resp.status != http.StatusForbidden || !strings.Contains(resp.body, "unsupported-authentication") {
		t.Errorf("private type with the bearer token = %d %s, want 403 unsupported-authentication",
			resp.status, resp.body)
	}

	_, err := f.bobX.CreateActivitySubscription(ctx, accountactivity.ActivitySubscription{
		EventType: accountactivity.EventDMReceived, Filter: accountactivity.Filter{UserID: f.alice.ID},
		WebhookID: f.webhookID,
	})
	var apiErr *xactivity.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusForbidden {
		t.Errorf("bob subscribing to alice's DMs: error %v, want an *xactivity.APIError with status 403", err)
	}

	for _, eventType := range []string{"mute.mute", "block.unblock", "like.create", "post.mention.create", "chat.received"} {
		if _, err := f.aliceX.CreateActivitySubscription(ctx, accountactivity.ActivitySubscription{
			EventType: eventType, Filter: accountactivity.Filter{UserID: f.alice.ID}, WebhookID: f.webhookID,
		}); err != nil {
			t.Errorf("alice subscribing to her own %s events: %v", eventType, err)
		}
	}
	// A user's context may also subscribe to public events of anyone.
	f.subscribeActivity(f.bobX, accountactivity.ActivitySubscription{
		EventType: accountactivity.EventFollowFollow, Filter: accountactivity.Filter{UserID: f.alice.ID},
	})

	resp = f.call(f.user(f.alice), "PUT", "/2/activity/subscriptions/2100000000000000000", `{"tag":"x"}`)
	if resp.status != http.StatusForbidden || !strings.Contains(resp.body, "unsupported-authentication") {
		t.Errorf("PUT in user context = %d %s, want 403 unsupported-authentication", resp.status, resp.body)
	}
	resp = f.call(f.user(f.alice), "GET", "/2/activity/subscriptions", "")
	if resp.status != http.StatusOK || !strings.Contains(resp.body, `"total_subscriptions":6`) {
		t.Errorf("GET in user context = %d %s, want 200 with the app's 6 subscriptions", resp.status, resp.body)
	}
}

func TestActivitySubscriptionsPages(t *testing.T) {
	f := newActivityFixture(t, WithActivityPageSize(2))
	var want []string
	for i := range 5 {
		sub := f.subscribeActivity(f.bearer, accountactivity.ActivitySubscription{
			EventType: accountactivity.EventNewsNew, Filter: accountactivity.Filter{Keyword: "topic" + strconv.Itoa(i)},
		})
		want = append(want, sub.ID)
	}
	before := len(f.srv.Requests())
	list, err := f.bearer.ActivitySubscriptions(context.Background())
	if err != nil {
		t.Fatalf("ActivitySubscriptions: %v", err)
	}
	var got []string
	for _, s := range list {
		got = append(got, s.ID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listed ids (-want +got):\n%s", diff)
	}
	if n := len(f.srv.Requests()) - before; n != 3 {
		t.Errorf("listing took %d requests, want 3 pages of at most 2", n)
	}

	resp := f.call(f.appClient(), "GET", "/2/activity/subscriptions?max_results=5", "")
	if resp.status != http.StatusOK || strings.Contains(resp.body, "next_token") {
		t.Errorf("max_results=5 = %d %s, want every subscription and no next token", resp.status, resp.body)
	}
}

func TestActivityListParameters(t *testing.T) {
	f := newActivityFixture(t)
	for _, query := range []string{
		"max_results=0", "max_results=1001", "max_results=x",
		"pagination_token=short", "pagination_token=ZZZZZZZZZZZZZZZZZZZZ",
	} {
		resp := f.call(f.appClient(), "GET", "/2/activity/subscriptions?"+query, "")
		if resp.status != http.StatusBadRequest || !strings.Contains(resp.body, "invalid-request") {
			t.Errorf("GET ?%s = %d %s, want 400 invalid-request", query, resp.status, resp.body)
		}
	}
}

func TestDeleteActivitySubscriptionsPartial(t *testing.T) {
	f := newActivityFixture(t)
	var ids []string
	for _, user := range []User{f.alice, f.bob} {
		sub := f.subscribeActivity(f.bearer, accountactivity.ActivitySubscription{
			EventType: accountactivity.EventFollowFollow, Filter: accountactivity.Filter{UserID: user.ID},
			WebhookID: f.webhookID,
		})
		ids = append(ids, sub.ID)
	}
	const unknown = "2100000000000009999"
	got, err := f.bearer.DeleteActivitySubscriptions(context.Background(), []string{ids[0], unknown, ids[0]})
	if err != nil {
		t.Fatalf("DeleteActivitySubscriptions: %v", err)
	}
	want := accountactivity.DeleteResult{
		Deleted: []string{ids[0]},
		Failed: []accountactivity.DeleteFailure{
			{SubscriptionID: unknown, Reason: "SubscriptionNotFound",
				Message: "the app has no activity subscription with id " + unknown},
			{SubscriptionID: ids[0], Reason: "SubscriptionNotFound",
				Message: "the app has no activity subscription with id " + ids[0]},
		},
		Remaining: 1,
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}

	for _, query := range []string{"", "ids=", "ids=1,x", "ids=" + strings.Repeat("1,", 100) + "1"} {
		resp := f.call(f.appClient(), "DELETE", "/2/activity/subscriptions?"+query, "")
		if resp.status != http.StatusBadRequest {
			t.Errorf("DELETE ?%s = %d %s, want 400", query, resp.status, resp.body)
		}
	}
}

func TestActivitySubscriptionsEndWithWebhook(t *testing.T) {
	f := newActivityFixture(t)
	f.subscribeActivity(f.bearer, accountactivity.ActivitySubscription{
		EventType: accountactivity.EventFollowFollow, Filter: accountactivity.Filter{UserID: f.alice.ID},
		WebhookID: f.webhookID,
	})
	stream := f.subscribeActivity(f.bearer, accountactivity.ActivitySubscription{
		EventType: accountactivity.EventFollowUnfollow, Filter: accountactivity.Filter{UserID: f.alice.ID},
	})
	resp := f.call(f.appClient(), "DELETE", "/2/webhooks/"+f.webhookID, "")
	if resp.status != http.StatusOK {
		t.Fatalf("DELETE webhook = %d %s", resp.status, resp.body)
	}
	list, err := f.bearer.ActivitySubscriptions(context.Background())
	if err != nil {
		t.Fatalf("ActivitySubscriptions: %v", err)
	}
	if len(list) != 1 || list[0].ID != stream.ID {
		t.Errorf("subscriptions after deleting the webhook = %+v, want only %s, which has no webhook", list, stream.ID)
	}
}

func TestActivityCreateRejectsBodies(t *testing.T) {
	f := newActivityFixture(t)
	user := `"filter":{"user_id":"` + f.bob.ID + `"}`
	tests := []struct{ name, body string }{
		{"not an object", `[]`},
		{"missing event type", `{` + user + `}`},
		{"unknown event type", `{"event_type":"post.like",` + user + `}`},
		{"both user and keyword", `{"event_type":"post.create","filter":{"user_id":"1","keyword":"a"}}`},
		{"empty filter", `{"event_type":"post.create","filter":{}}`},
		{"unknown member", `{"event_type":"post.create",` + user + `,"extra":1}`},
		{"unknown filter member", `{"event_type":"post.create","filter":{"user_id":"1","lang":"en"}}`},
		{"bad direction", `{"event_type":"follow.follow","filter":{"user_id":"1","direction":"both"}}`},
		{"empty tag", `{"event_type":"post.create",` + user + `,"tag":""}`},
		{"tag too long", `{"event_type":"post.create",` + user + `,"tag":"` + strings.Repeat("é", 201) + `"}`},
		{"webhook id not a number", `{"event_type":"post.create",` + user + `,"webhook_id":"abc"}`},
		{"user id not a number", `{"event_type":"post.create","filter":{"user_id":"@bob"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(f.appClient(), "POST", "/2/activity/subscriptions", tt.body)
			if resp.status != http.StatusBadRequest || !strings.Contains(resp.body, "invalid-request") {
				t.Errorf("POST %s = %d %s, want 400 invalid-request", tt.body, resp.status, resp.body)
			}
		})
	}
}
