package xtest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWebhookEndpointAuth(t *testing.T) {
	f := newHookFixture(t)
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhook(receiver.URL)
	subs := "/2/account_activity/webhooks/" + id + "/subscriptions/"
	tests := []struct {
		method, path string
		appOnly      bool // rejects OAuth 1.0a user context
		userOnly     bool // rejects bearer tokens
	}{
		{"GET", "/2/webhooks", true, false},
		{"POST", "/2/webhooks/replay", true, false},
		{"GET", subs + "all/list", true, false},
		{"DELETE", subs + f.alice.ID + "/all", true, false},
		{"GET", "/2/account_activity/subscriptions/count", true, false},
		{"POST", subs + "all", false, true},
		{"GET", subs + "all", false, true},
		{"POST", "/2/webhooks", false, false},
		{"PUT", "/2/webhooks/" + id, false, false},
		{"DELETE", "/2/webhooks/" + id, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			if !tt.userOnly {
				for _, token := range []string{"", "wrong-token"} {
					resp := f.call(f.bearerClient(token), tt.method, tt.path, "")
					if resp.status != http.StatusUnauthorized {
						t.Errorf("bearer %q: status = %d %s, want 401", token, resp.status, resp.body)
					}
				}
				resp := f.call(&http.Client{Transport: specCheck{t: t, next: http.DefaultTransport}}, tt.method, tt.path, "")
				if resp.status != http.StatusUnauthorized {
					t.Errorf("no credentials: status = %d %s, want 401", resp.status, resp.body)
				}
			}
			if tt.appOnly {
				resp := f.call(f.user(f.alice), tt.method, tt.path, "")
				wantFailure(t, resp, http.StatusForbidden, "unsupported-authentication")
			}
			if tt.userOnly {
				resp := f.call(f.appClient(), tt.method, tt.path, "")
				wantFailure(t, resp, http.StatusForbidden, "unsupported-authentication")
			}
		})
	}
	requests := f.srv.Requests()
	for _, req := range requests {
		if strings.Contains(req.Header.Get("Authorization"), f.app.BearerToken) {
			t.Errorf("recorded request %s %s contains the bearer token", req.Method, req.Path)
		}
	}
}

func TestSubscriptions(t *testing.T) {
	f := newHookFixture(t)
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhook(receiver.URL)
	all := "/2/account_activity/webhooks/" + id + "/subscriptions/all"

	resp := f.call(f.user(f.alice), "POST", all, "{}")
	if resp.status != http.StatusOK || resp.body != `{"data":{"subscribed":true}}` {
		t.Errorf("subscribe = %d %s, want 200 subscribed", resp.status, resp.body)
	}
	resp = f.call(f.user(f.alice), "POST", all, "")
	wantFailure(t, resp, http.StatusBadRequest, "DuplicateSubscriptionFailed")

	for _, tc := range []struct {
		user User
		want string
	}{{f.alice, `{"data":{"subscribed":true}}`}, {f.bob, `{"data":{"subscribed":false}}`}} {
		if resp := f.call(f.user(tc.user), "GET", all, ""); resp.body != tc.want {
			t.Errorf("GET subscription of %s = %s, want %s", tc.user.ID, resp.body, tc.want)
		}
	}

	resp = f.call(f.appClient(), "GET", all+"/list", "")
	want := `{"data":{"application_id":"` + f.app.ID + `","webhook_id":"` + id + `","webhook_url":"` +
		receiver.URL + `","subscriptions":[{"user_id":"` + f.alice.ID + `"}]}}`
	if resp.body != want {
		t.Errorf("list = %s, want %s", resp.body, want)
	}

	resp = f.call(f.appClient(), "GET", "/2/account_activity/subscriptions/count", "")
	want = `{"data":{"account_name":"` + f.app.ID + `","provisioned_count":"3",` +
		`"subscriptions_count_all":"1","subscriptions_count_direct_messages":"1"}}`
	if resp.body != want {
		t.Errorf("count = %s, want %s", resp.body, want)
	}

	unsubscribe := "/2/account_activity/webhooks/" + id + "/subscriptions/" + f.alice.ID + "/all"
	resp = f.call(f.appClient(), "DELETE", unsubscribe, "")
	if resp.status != http.StatusOK || resp.body != `{"data":{"subscribed":false}}` {
		t.Errorf("unsubscribe = %d %s, want 200 not subscribed", resp.status, resp.body)
	}
	resp = f.call(f.appClient(), "DELETE", unsubscribe, "")
	wantFailure(t, resp, http.StatusBadRequest, "SubscriptionNotFound")
	if subs := f.srv.Webhooks(f.app.ID)[0].Subscribers; len(subs) != 0 {
		t.Errorf("Subscribers = %v after unsubscribe, want none", subs)
	}
}

func TestSubscriptionLimit(t *testing.T) {
	f := newHookFixture(t, WithSubscriptionLimit(1))
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhook(receiver.URL)
	f.subscribe(f.alice, id)

	resp := f.call(f.user(f.bob), "POST", "/2/account_activity/webhooks/"+id+"/subscriptions/all", "")
	wantFailure(t, resp, http.StatusBadRequest, "SubscriptionLimitExceeded")
	if diff := cmp.Diff([]string{f.alice.ID}, f.srv.Webhooks(f.app.ID)[0].Subscribers); diff != "" {
		t.Errorf("Subscribers mismatch (-want +got):\n%s", diff)
	}
}

func TestSubscriptionUnknownWebhook(t *testing.T) {
	f := newHookFixture(t)
	const path = "/2/account_activity/webhooks/123/subscriptions/"
	tests := []struct {
		name, method, path string
		client             *http.Client
	}{
		{"subscribe", "POST", path + "all", f.user(f.alice)},
		{"check", "GET", path + "all", f.user(f.alice)},
		{"list", "GET", path + "all/list", f.appClient()},
		{"unsubscribe", "DELETE", path + f.alice.ID + "/all", f.appClient()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(tt.client, tt.method, tt.path, "")
			wantFailure(t, resp, http.StatusBadRequest, "WebhookIdInvalid")
		})
	}
}

func TestSubscribeInvalidBody(t *testing.T) {
	f := newHookFixture(t)
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhook(receiver.URL)
	resp := f.call(f.user(f.alice), "POST", "/2/account_activity/webhooks/"+id+"/subscriptions/all", "[1]")
	wantFailure(t, resp, http.StatusBadRequest, "invalid-request")
}
