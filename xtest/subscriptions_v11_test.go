package xtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goodgo/xactivity/webhook"
)

func TestV11SubscriptionsEnterprise(t *testing.T) {
	f := newHookFixture(t)
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhookV11(aaV11, f.alice, receiver.URL).ID
	all := aaV11 + "webhooks/" + id + "/subscriptions/all.json"

	wantNoContent(t, f.call(f.userV11(f.alice), "POST", all, ""))
	resp := f.call(f.userV11(f.alice), "POST", all, "")
	wantV11Error(t, resp, http.StatusConflict, 355, "Subscription already exists.")

	wantNoContent(t, f.call(f.userV11(f.alice), "GET", all, ""))
	resp = f.call(f.userV11(f.bob), "GET", all, "")
	wantV11Error(t, resp, http.StatusNotFound, 34, "Sorry, that page does not exist.")

	resp = f.call(f.appClient(), "GET", aaV11+"webhooks/"+id+"/subscriptions/all/list.json", "")
	wantList := fmt.Sprintf(`{"webhook_id":%q,"webhook_url":%q,"application_id":%q,"subscriptions":[{"user_id":%q}]}`,
		id, receiver.URL, f.app.ID, f.alice.ID)
	if resp.status != http.StatusOK || resp.body != wantList {
		t.Errorf("list = %d %s, want 200 %s", resp.status, resp.body, wantList)
	}

	resp = f.call(f.appClient(), "GET", aaV11+"subscriptions/count.json", "")
	wantCount := fmt.Sprintf(`{"account_name":%q,"subscriptions_count_all":"1",`+
		`"subscriptions_count_direct_messages":"1","provisioned_count":"3"}`, f.app.ID)
	if resp.status != http.StatusOK || resp.body != wantCount {
		t.Errorf("count = %d %s, want 200 %s", resp.status, resp.body, wantCount)
	}

	unsubscribe := aaV11 + "webhooks/" + id + "/subscriptions/" + f.alice.ID + "/all.json"
	resp = f.call(f.userV11(f.bob), "DELETE", unsubscribe, "")
	wantV11Error(t, resp, http.StatusForbidden, 348, errOtherUsersSubscription.message)
	wantNoContent(t, f.call(f.userV11(f.alice), "DELETE", unsubscribe, ""))
	resp = f.call(f.appClient(), "DELETE", unsubscribe, "")
	wantV11Error(t, resp, http.StatusNotFound, 34, "Sorry, that page does not exist.")

	wantNoContent(t, f.call(f.userV11(f.alice), "POST", all, ""))
	wantNoContent(t, f.call(f.appClient(), "DELETE", unsubscribe, ""))
	if subs := f.srv.Webhooks(f.app.ID)[0].Subscribers; len(subs) != 0 {
		t.Errorf("Subscribers = %q after unsubscribing, want none", subs)
	}
}

func TestV11SubscriptionsUnknownWebhook(t *testing.T) {
	f := newHookFixture(t)
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhookV11(aaV11, f.alice, receiver.URL).ID
	other, err := f.srv.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := f.srv.AddUser(other.ID, User{})
	if err != nil {
		t.Fatal(err)
	}
	base := aaV11 + "webhooks/" + id + "/subscriptions/"
	tests := []struct {
		name         string
		client       *http.Client
		method, path string
	}{
		{"subscribe to unknown id", f.userV11(f.alice), "POST", aaV11 + "webhooks/123/subscriptions/all.json"},
		{"check unknown id", f.userV11(f.alice), "GET", aaV11 + "webhooks/123/subscriptions/all.json"},
		{"subscribe through other app", f.srv.Client(other, stranger), "POST", base + "all.json"},
		{"list through other app", f.bearerClient(other.BearerToken), "GET", base + "all/list.json"},
		{"delete through other app", f.bearerClient(other.BearerToken), "DELETE", base + f.alice.ID + "/all.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(tt.client, tt.method, tt.path, "")
			wantV11Error(t, resp, http.StatusNotFound, 34, errUnknownWebhookV11.message)
		})
	}
}

func TestV11SubscriptionLimit(t *testing.T) {
	f := newHookFixture(t, WithSubscriptionLimit(1))
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhookV11(aaV11, f.alice, receiver.URL).ID
	all := aaV11 + "webhooks/" + id + "/subscriptions/all.json"
	wantNoContent(t, f.call(f.userV11(f.alice), "POST", all, ""))
	resp := f.call(f.userV11(f.bob), "POST", all, "")
	wantV11Error(t, resp, http.StatusForbidden, 214, errTooManyResources.message)
}

func TestV11SubscriptionsPremium(t *testing.T) {
	f := newHookFixture(t)
	for _, env := range []string{"dev", "empty"} {
		if err := f.srv.AddEnvironment(f.app.ID, env); err != nil {
			t.Fatal(err)
		}
	}
	receiver, rec := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhookV11(aaV11+"all/dev/", f.alice, receiver.URL).ID
	subs := aaV11 + "all/dev/subscriptions.json"

	wantNoContent(t, f.call(f.userV11(f.alice), "POST", subs, ""))
	wantNoContent(t, f.call(f.userV11(f.bob), "POST", subs, ""))
	resp := f.call(f.userV11(f.bob), "POST", subs, "")
	wantV11Error(t, resp, http.StatusConflict, 355, "Subscription already exists.")
	wantNoContent(t, f.call(f.userV11(f.alice), "GET", subs, ""))

	resp = f.call(f.appClient(), "GET", aaV11+"all/dev/subscriptions/list.json", "")
	wantList := fmt.Sprintf(`{"environment":"dev","application_id":%q,"subscriptions":[{"user_id":%q},{"user_id":%q}]}`,
		f.app.ID, f.alice.ID, f.bob.ID)
	if resp.status != http.StatusOK || resp.body != wantList {
		t.Errorf("list = %d %s, want 200 %s", resp.status, resp.body, wantList)
	}
	resp = f.call(f.appClient(), "GET", aaV11+"all/subscriptions/count.json", "")
	wantCount := fmt.Sprintf(`{"account_name":%q,"subscriptions_count_all":"2","subscriptions_count_direct_messages":"2"}`,
		f.app.ID)
	if resp.status != http.StatusOK || resp.body != wantCount {
		t.Errorf("count = %d %s, want 200 %s", resp.status, resp.body, wantCount)
	}

	if _, err := f.srv.DeliverDM(context.Background(), f.alice.ID, f.bob.ID, "hi"); err != nil {
		t.Fatalf("DeliverDM: %v", err)
	}
	if got := rec.received(); len(got) != 2 {
		t.Errorf("environment webhook %s received %d deliveries, want one per subscriber: %q", id, len(got), got)
	}

	resp = f.call(f.userV11(f.alice), "DELETE", aaV11+"all/dev/subscriptions/"+f.bob.ID+".json", "")
	wantV11Error(t, resp, http.StatusForbidden, 348, errOtherUsersSubscription.message)
	wantNoContent(t, f.call(f.appClient(), "DELETE", aaV11+"all/dev/subscriptions/"+f.bob.ID+".json", ""))
	resp = f.call(f.userV11(f.bob), "GET", subs, "")
	wantV11Error(t, resp, http.StatusNotFound, 34, "Sorry, that page does not exist.")
	resp = f.call(f.appClient(), "DELETE", aaV11+"all/dev/subscriptions/"+f.bob.ID, "")
	wantV11Error(t, resp, http.StatusNotFound, 34, errNotFound.message)

	resp = f.call(f.userV11(f.alice), "POST", aaV11+"all/empty/subscriptions.json", "")
	wantV11Error(t, resp, http.StatusNotFound, 34, errUnknownWebhookV11.message)
}

// TestV11EndpointAuth checks that each v1.1 endpoint rejects the kind of
// authentication X does not accept there, with X's v1.1 error.
func TestV11EndpointAuth(t *testing.T) {
	f := newHookFixture(t)
	if err := f.srv.AddEnvironment(f.app.ID, "dev"); err != nil {
		t.Fatal(err)
	}
	const (
		userOnly = iota
		appOnly
		appOrSelf
	)
	hook := aaV11 + "webhooks/1/"
	env := aaV11 + "all/dev/"
	tests := []struct {
		method, path string
		kind         int
		onBearer     int // v1.1 error code for a bearer token on a user-only endpoint
	}{
		{"POST", aaV11 + "webhooks.json?url=x", userOnly, 261},
		{"GET", aaV11 + "webhooks.json", appOnly, 0},
		{"PUT", aaV11 + "webhooks/1.json", userOnly, 220},
		{"DELETE", aaV11 + "webhooks/1.json", userOnly, 220},
		{"POST", hook + "subscriptions/all.json", userOnly, 220},
		{"GET", hook + "subscriptions/all.json", userOnly, 220},
		{"GET", hook + "subscriptions/all/list.json", appOnly, 0},
		{"DELETE", hook + "subscriptions/2/all.json", appOrSelf, 0},
		{"GET", aaV11 + "subscriptions/count.json", appOnly, 0},
		{"POST", aaV11 + "replay/webhooks/1/subscriptions/all.json", appOnly, 0},
		{"GET", aaV11 + "all/webhooks.json", appOnly, 0},
		{"POST", env + "webhooks.json?url=x", userOnly, 261},
		{"GET", env + "webhooks.json", appOnly, 0},
		{"PUT", env + "webhooks/1.json", userOnly, 220},
		{"DELETE", env + "webhooks/1.json", userOnly, 220},
		{"POST", env + "subscriptions.json", userOnly, 220},
		{"GET", env + "subscriptions.json", userOnly, 220},
		{"GET", env + "subscriptions/list.json", appOnly, 0},
		{"DELETE", env + "subscriptions/2.json", appOrSelf, 0},
		{"GET", aaV11 + "all/subscriptions/count.json", appOnly, 0},
	}
	anonymous := &http.Client{}
	wrongSecret := f.srv.Client(App{ConsumerKey: f.app.ConsumerKey, ConsumerSecret: "wrong"}, f.alice)
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := f.call(anonymous, tt.method, tt.path, "")
			wantV11Error(t, resp, http.StatusUnauthorized, 32, "Could not authenticate you.")
			switch tt.kind {
			case userOnly:
				resp = f.call(f.appClient(), tt.method, tt.path, "")
				want := errBearerForbidden
				if tt.onBearer == 261 {
					want = errCannotWrite
				}
				wantV11Error(t, resp, want.status, want.code, want.message)
			case appOnly:
				// User context is rejected before its signature is checked.
				for _, client := range []*http.Client{f.userV11(f.alice), wrongSecret} {
					resp = f.call(client, tt.method, tt.path, "")
					wantV11Error(t, resp, http.StatusUnauthorized, 32, errAppOnly.message)
				}
			}
			if tt.kind != appOnly {
				resp = f.call(wrongSecret, tt.method, tt.path, "")
				wantV11Error(t, resp, http.StatusUnauthorized, 32, "Could not authenticate you.")
			}
			if tt.kind != userOnly {
				resp = f.call(f.bearerClient("wrong-token"), tt.method, tt.path, "")
				wantV11Error(t, resp, http.StatusUnauthorized, 32, "Could not authenticate you.")
			}
		})
	}
	for _, req := range f.srv.Requests() {
		if strings.Contains(req.Header.Get("Authorization"), f.app.BearerToken) {
			t.Errorf("recorded request %s %s contains the bearer token", req.Method, req.Path)
		}
	}
}

// TestV11EveryRouteCounted checks that each v1.1 Account Activity route
// counts against its group: every group gets a distinct limit, and each
// response must state its own.
func TestV11EveryRouteCounted(t *testing.T) {
	groups := []Group{GroupWebhooksV11, GroupSubscriptionsV11, GroupSubscriptionListV11,
		GroupSubscriptionCountV11, GroupReplayV11}
	var opts []Option
	limitOf := make(map[Group]int)
	for i, g := range groups {
		limitOf[g] = 100 + i
		opts = append(opts, WithLimits(g, Limits{PerUser15m: 100 + i}))
	}
	f := newHookFixture(t, opts...)
	if err := f.srv.AddEnvironment(f.app.ID, "dev"); err != nil {
		t.Fatal(err)
	}
	user, app := f.userV11(f.alice), f.appClient()
	hook := aaV11 + "webhooks/1/"
	env := aaV11 + "all/dev/"
	tests := []struct {
		group        Group
		client       *http.Client
		method, path string
	}{
		{GroupWebhooksV11, user, "POST", aaV11 + "webhooks.json"},
		{GroupWebhooksV11, app, "GET", aaV11 + "webhooks.json"},
		{GroupWebhooksV11, user, "PUT", aaV11 + "webhooks/1.json"},
		{GroupWebhooksV11, user, "DELETE", aaV11 + "webhooks/1.json"},
		{GroupSubscriptionsV11, user, "POST", hook + "subscriptions/all.json"},
		{GroupSubscriptionsV11, user, "GET", hook + "subscriptions/all.json"},
		{GroupSubscriptionListV11, app, "GET", hook + "subscriptions/all/list.json"},
		{GroupSubscriptionsV11, app, "DELETE", hook + "subscriptions/2/all.json"},
		{GroupSubscriptionCountV11, app, "GET", aaV11 + "subscriptions/count.json"},
		{GroupReplayV11, app, "POST", aaV11 + "replay/webhooks/1/subscriptions/all.json"},
		{GroupWebhooksV11, app, "GET", aaV11 + "all/webhooks.json"},
		{GroupWebhooksV11, user, "POST", env + "webhooks.json"},
		{GroupWebhooksV11, app, "GET", env + "webhooks.json"},
		{GroupWebhooksV11, user, "PUT", env + "webhooks/1.json"},
		{GroupWebhooksV11, user, "DELETE", env + "webhooks/1.json"},
		{GroupSubscriptionsV11, user, "POST", env + "subscriptions.json"},
		{GroupSubscriptionsV11, user, "GET", env + "subscriptions.json"},
		{GroupSubscriptionListV11, app, "GET", env + "subscriptions/list.json"},
		{GroupSubscriptionsV11, app, "DELETE", env + "subscriptions/2.json"},
		{GroupSubscriptionCountV11, app, "GET", aaV11 + "all/subscriptions/count.json"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := f.call(tt.client, tt.method, tt.path, "")
			if got, want := resp.header.Get("x-rate-limit-limit"), strconv.Itoa(limitOf[tt.group]); got != want {
				t.Errorf("x-rate-limit-limit = %q, want %s of group %s; status %d", got, want, tt.group, resp.status)
			}
		})
	}
}

func TestV11DefaultLimits(t *testing.T) {
	f := newHookFixture(t)
	user, app := f.userV11(f.alice), f.appClient()
	tests := []struct {
		client       *http.Client
		method, path string
		want         string
	}{
		{app, "GET", aaV11 + "webhooks.json", "15"},
		{user, "GET", aaV11 + "webhooks/1/subscriptions/all.json", "500"},
		{app, "GET", aaV11 + "webhooks/1/subscriptions/all/list.json", "50"},
		{app, "GET", aaV11 + "subscriptions/count.json", "15"},
		{app, "POST", aaV11 + "replay/webhooks/1/subscriptions/all.json", "5"},
	}
	for _, tt := range tests {
		if got := f.call(tt.client, tt.method, tt.path, "").header.Get("x-rate-limit-limit"); got != tt.want {
			t.Errorf("%s %s: x-rate-limit-limit = %q, want %s", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestV11RateLimited(t *testing.T) {
	f := newHookFixture(t, WithLimits(GroupWebhooksV11, Limits{PerUser15m: 2}))
	for i := range 2 {
		if resp := f.call(f.appClient(), "GET", aaV11+"webhooks.json", ""); resp.status != http.StatusOK {
			t.Fatalf("request %d = %d %s, want 200", i+1, resp.status, resp.body)
		}
	}
	resp := f.call(f.appClient(), "GET", aaV11+"webhooks.json", "")
	wantV11Error(t, resp, http.StatusTooManyRequests, 88, "Rate limit exceeded")
	if got := resp.header.Get("x-rate-limit-remaining"); got != "0" {
		t.Errorf("x-rate-limit-remaining = %q, want 0", got)
	}
	// A user's window is separate from the app's bearer window.
	if resp := f.call(f.userV11(f.alice), "PUT", aaV11+"webhooks/1.json", ""); resp.status == http.StatusTooManyRequests {
		t.Errorf("user request after the app's window was exhausted = 429, want its own window")
	}
}

// replayPathV11 returns the v1.1 replay path and query for the minutes
// from and to.
func replayPathV11(webhookID string, from, to time.Time) string {
	return aaV11 + "replay/webhooks/" + webhookID + "/subscriptions/all.json?" + url.Values{
		"from_date": {from.UTC().Format(replayDateFormat)},
		"to_date":   {to.UTC().Format(replayDateFormat)},
	}.Encode()
}

func TestV11Replay(t *testing.T) {
	f := newHookFixture(t)
	f.clock.Set(time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC))
	receiver, rec := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhookV11(aaV11, f.alice, receiver.URL).ID
	start := f.clock.Now()

	var bodies []string
	for i, d := range []time.Duration{0, 10 * time.Minute, 2 * time.Hour} {
		f.clock.Set(start.Add(d))
		body := fmt.Sprintf(`{"for_user_id":"1","n":%d}`, i)
		bodies = append(bodies, body)
		if _, err := f.srv.Deliver(context.Background(), id, []byte(body)); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
	}
	f.clock.Set(start.Add(3 * time.Hour))

	// to_date is exclusive, so the minute of the second delivery is left out.
	resp := f.call(f.appClient(), "POST", replayPathV11(id, start, start.Add(10*time.Minute)), "")
	if resp.status != http.StatusAccepted {
		t.Fatalf("replay = %d %s, want 202", resp.status, resp.body)
	}
	var job struct {
		JobID     string `json:"job_id"`
		CreatedAt string `json:"created_at"`
	}
	resp.decode(t, &job)
	if job.CreatedAt != "2026-03-01T15:00:30Z" || !isDecimalID(job.JobID) {
		t.Errorf("job = %+v, want a decimal id created at 2026-03-01T15:00:30Z", job)
	}
	f.srv.WaitReplays()

	status := fmt.Sprintf(`{"replay_job_status":{"job_id":%q,"job_state":"Complete",`+
		`"job_state_description":"Job completed successfully","webhook_id":%q}}`, job.JobID, id)
	want := append(append([]string(nil), bodies...), bodies[0], status)
	if diff := cmp.Diff(want, rec.received()); diff != "" {
		t.Errorf("verified bodies mismatch (-want +got):\n%s", diff)
	}
}

func TestV11ReplayRejects(t *testing.T) {
	// X allows 5 replay requests per 15 minutes, fewer than this test sends.
	f := newHookFixture(t, WithWebhookLimit(2), WithLimits(GroupReplayV11, Limits{PerUser15m: 100}))
	f.clock.Set(time.Date(2026, 3, 10, 12, 0, 30, 0, time.UTC))
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhookV11(aaV11, f.alice, receiver.URL).ID
	invalid := f.createWebhookV11(aaV11, f.alice, receiver.URL+"/second").ID
	if err := f.srv.InvalidateWebhook(invalid); err != nil {
		t.Fatal(err)
	}

	now := f.clock.Now()
	base := aaV11 + "replay/webhooks/" + id + "/subscriptions/all.json"
	tests := []struct {
		name, path string
		want       apiError
	}{
		{"missing from_date", base + "?to_date=202603101100", errReplayParamMissing},
		{"missing to_date", base + "?from_date=202603101100", errReplayParamMissing},
		{"malformed date", base + "?from_date=2026-03-10&to_date=202603101100", errReplayMalformed},
		{"malformed webhook id", replayPathV11("-1", now.Add(-time.Hour), now), errReplayMalformed},
		{"from after to", replayPathV11(id, now.Add(-time.Minute), now.Add(-2*time.Minute)), errReplayOrder},
		{"from equals to", replayPathV11(id, now.Add(-time.Minute), now.Add(-time.Minute)), errReplayOrder},
		{"older than 5 days", replayPathV11(id, now.Add(-121*time.Hour), now.Add(-time.Hour)), errReplayTooOld},
		{"to in the future", replayPathV11(id, now.Add(-time.Hour), now.Add(2*time.Minute)),
			errReplayNotPast("to_date", "202603101202")},
		{"unknown webhook", replayPathV11("123", now.Add(-time.Hour), now), errUnknownWebhookV11},
		{"invalid webhook", replayPathV11(invalid, now.Add(-time.Hour), now), errReplayInvalidWebhook},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(f.appClient(), "POST", tt.path, "")
			wantV11Error(t, resp, tt.want.status, tt.want.code, tt.want.message)
		})
	}
	resp := f.call(f.appClient(), "POST", replayPathV11(id, now.Add(-119*time.Hour), now), "")
	if resp.status != http.StatusAccepted {
		t.Errorf("replay of the last 119 hours = %d %s, want 202", resp.status, resp.body)
	}
	f.srv.WaitReplays()
}

func TestV11ReplayConflict(t *testing.T) {
	f := newHookFixture(t)
	rec := &recorder{}
	receiver := httptest.NewServer(&webhook.Handler{ConsumerSecrets: []string{f.app.ConsumerSecret}, Receiver: rec})
	t.Cleanup(receiver.Close)
	id := f.createWebhookV11(aaV11, f.alice, receiver.URL).ID
	start := f.clock.Now()
	if _, err := f.srv.Deliver(context.Background(), id, []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Minute)

	rec.mu.Lock()
	rec.gate, rec.entered = make(chan struct{}), make(chan struct{})
	rec.mu.Unlock()
	path := replayPathV11(id, start, start.Add(time.Minute))
	if resp := f.call(f.appClient(), "POST", path, ""); resp.status != http.StatusAccepted {
		t.Fatalf("first replay = %d %s, want 202", resp.status, resp.body)
	}
	<-rec.entered // the job is sending its first delivery

	resp := f.call(f.appClient(), "POST", path, "")
	wantV11Error(t, resp, http.StatusConflict, 355, "A replay job is already in progress for this webhook.")

	rec.mu.Lock()
	gate := rec.gate
	rec.gate = nil
	rec.mu.Unlock()
	close(gate)
	f.srv.WaitReplays()
	if resp := f.call(f.appClient(), "POST", path, ""); resp.status != http.StatusAccepted {
		t.Errorf("replay after the first ended = %d %s, want 202", resp.status, resp.body)
	}
	f.srv.WaitReplays()
}
