package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/goodgo/xactivity/xtest"
)

// configureRegistration gives the service the settings webhook
// registration needs, with the service's own webhook route as the URL, so
// the fake X runs its CRC check against the running service.
func configureRegistration(h *harness) {
	h.srv.settings.BearerToken = h.app.BearerToken
	h.srv.settings.WebhookURL = h.http.URL + apiBase + "/webhooks/twitter"
	h.srv.settings.insecureWebhookURL = true
}

func TestRegisterWebhookIdempotent(t *testing.T) {
	h := newHarness(t)
	id := h.connect("m1")
	configureRegistration(h)
	var first registerView
	for call := range 2 {
		r := h.do(http.MethodPost, apiBase+"/accounts/"+id+"/register-webhook", h.token("m1"), nil)
		if r.Status != http.StatusOK {
			t.Fatalf("call %d: status %d: %s", call, r.Status, r.Raw)
		}
		var got registerView
		decode(t, r.Data, &got)
		if !got.Valid || !got.Subscribed || got.URL != h.srv.settings.WebhookURL || got.WebhookID == "" {
			t.Errorf("call %d: %+v, want a valid subscribed webhook for the service URL", call, got)
		}
		if call == 0 {
			first = got
		} else if got.WebhookID != first.WebhookID {
			t.Errorf("second call used webhook %s, want %s", got.WebhookID, first.WebhookID)
		}
	}
	hooks := h.fake.Webhooks(h.app.ID)
	if len(hooks) != 1 || len(hooks[0].Subscribers) != 1 || hooks[0].Subscribers[0] != shopID {
		t.Errorf("fake webhooks = %+v, want one with the shop subscribed once", hooks)
	}
	if other := h.do(http.MethodPost, apiBase+"/accounts/"+id+"/register-webhook", h.token("m2"), nil); other.Status != http.StatusNotFound {
		t.Errorf("another merchant: status %d, want 404", other.Status)
	}
}

func TestRegisterWebhookWrongSecretSaysCRCFailed(t *testing.T) {
	h := newHarness(t)
	id := h.connect("m1")
	configureRegistration(h)
	h.srv.settings.ConsumerSecrets = []string{"not-the-apps-consumer-secret"}
	h.http.Config.Handler = h.srv.handler()
	r := h.do(http.MethodPost, apiBase+"/accounts/"+id+"/register-webhook", h.token("m1"), nil)
	if r.Status != http.StatusBadGateway || r.Error.Code != "crc_failed" || !strings.Contains(r.Error.Message, "CRC check failed") {
		t.Fatalf("status %d code %q message %q, want 502 crc_failed saying the CRC failed", r.Status, r.Error.Code, r.Error.Message)
	}
	if n := len(h.fake.Webhooks(h.app.ID)); n != 0 {
		t.Errorf("fake has %d webhooks, want 0", n)
	}
}

func TestRegisterWebhookNeedsSettings(t *testing.T) {
	h := newHarness(t)
	id := h.connect("m1")
	r := h.do(http.MethodPost, apiBase+"/accounts/"+id+"/register-webhook", h.token("m1"), nil)
	if r.Status != http.StatusServiceUnavailable || r.Error.Code != "not_configured" ||
		!strings.Contains(r.Error.Message, "TWITTER__BEARER_TOKEN") || !strings.Contains(r.Error.Message, "TWITTER__WEBHOOK_URL") {
		t.Errorf("status %d code %q message %q, want 503 naming both settings", r.Status, r.Error.Code, r.Error.Message)
	}
}

func TestDeleteAccountUnsubscribesAndForgets(t *testing.T) {
	h := newHarness(t)
	id := h.connect("m1")
	configureRegistration(h)
	if r := h.do(http.MethodPost, apiBase+"/accounts/"+id+"/register-webhook", h.token("m1"), nil); r.Status != http.StatusOK {
		t.Fatalf("register: status %d: %s", r.Status, r.Raw)
	}
	h.deliver(fixturesDM(t))
	h.process()
	if other := h.do(http.MethodDelete, apiBase+"/accounts/"+id, h.token("m2"), nil); other.Status != http.StatusNotFound {
		t.Errorf("another merchant's delete: status %d, want 404", other.Status)
	}
	if r := h.do(http.MethodDelete, apiBase+"/accounts/"+id, h.token("m1"), nil); r.Status != http.StatusOK {
		t.Fatalf("delete: status %d: %s", r.Status, r.Raw)
	}
	if hooks := h.fake.Webhooks(h.app.ID); len(hooks) != 1 || len(hooks[0].Subscribers) != 0 {
		t.Errorf("fake webhooks = %+v, want the webhook kept with no subscriber", hooks)
	}
	if r := h.do(http.MethodGet, apiBase+"/accounts/"+id, h.token("m1"), nil); r.Status != http.StatusNotFound {
		t.Errorf("deleted account: status %d, want 404", r.Status)
	}
	if convs := h.conversations("m1"); len(convs) != 0 {
		t.Errorf("conversations after delete = %d, want 0", len(convs))
	}
	if again := h.connect("m1"); again == id {
		t.Errorf("reconnecting reused id %s; a deleted account is gone", id)
	}
}

func TestRegisterWebhookLegacyGenerations(t *testing.T) {
	for _, version := range []string{"1.1-enterprise", "1.1-premium"} {
		t.Run(version, func(t *testing.T) {
			h := newHarness(t)
			id := h.connect("m1")
			configureRegistration(h)
			h.srv.settings.APIVersion = version
			owner, err := h.fake.AddUser(h.app.ID, xtestUser(2, "app_owner"))
			if err != nil {
				t.Fatal(err)
			}
			wantEnv := ""
			if version == "1.1-premium" {
				wantEnv = "prod"
				h.srv.settings.EnvName = wantEnv
				if err := h.fake.AddEnvironment(h.app.ID, wantEnv); err != nil {
					t.Fatal(err)
				}
			}

			r := h.do(http.MethodPost, apiBase+"/accounts/"+id+"/register-webhook", h.token("m1"), nil)
			if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Error.Message, "TWITTER__ACCESS_TOKEN") {
				t.Errorf("without the owner's token: status %d message %q, want 503 naming TWITTER__ACCESS_TOKEN", r.Status, r.Error.Message)
			}

			h.srv.settings.OwnerToken, h.srv.settings.OwnerTokenSecret = owner.Token, owner.TokenSecret
			for call := range 2 {
				r := h.do(http.MethodPost, apiBase+"/accounts/"+id+"/register-webhook", h.token("m1"), nil)
				if r.Status != http.StatusOK {
					t.Fatalf("call %d: status %d: %s", call, r.Status, r.Raw)
				}
				var got registerView
				decode(t, r.Data, &got)
				if !got.Valid || !got.Subscribed || got.URL != h.srv.settings.WebhookURL {
					t.Errorf("call %d: %+v, want a valid subscribed webhook for the service URL", call, got)
				}
			}
			checkLegacyRegistrationTokens(t, h.fake.Requests(), owner.Token, h.user.Token)
			hooks := h.fake.Webhooks(h.app.ID)
			if len(hooks) != 1 {
				t.Fatalf("fake has %d webhooks, want 1", len(hooks))
			}
			if hooks[0].Environment != wantEnv {
				t.Errorf("webhook environment = %q, want %q", hooks[0].Environment, wantEnv)
			}
			if len(hooks[0].Subscribers) != 1 || hooks[0].Subscribers[0] != shopID {
				t.Errorf("subscribers = %v, want only the shop %s", hooks[0].Subscribers, shopID)
			}

			if r := h.do(http.MethodDelete, apiBase+"/accounts/"+id, h.token("m1"), nil); r.Status != http.StatusOK {
				t.Fatalf("delete: status %d: %s", r.Status, r.Raw)
			}
			if hooks := h.fake.Webhooks(h.app.ID); len(hooks) != 1 || len(hooks[0].Subscribers) != 0 {
				t.Errorf("after delete: fake webhooks = %+v, want the webhook with no subscriber", hooks)
			}
		})
	}
}

// checkLegacyRegistrationTokens checks the OAuth tokens of the v1.1
// registration calls the fake X received: the webhook's creation must be
// signed with the app owner's token, because the webhook is the app's, and
// the subscription with the account's token. The fake accepts either token
// for both calls, so only the recorded requests tell them apart.
func checkLegacyRegistrationTokens(t *testing.T, requests []xtest.Request, ownerToken, accountToken string) {
	t.Helper()
	var creates, subscribes int
	for _, req := range requests {
		if req.Method != http.MethodPost || !strings.HasPrefix(req.Path, "/1.1/account_activity/") {
			continue
		}
		want := ""
		switch {
		case strings.HasSuffix(req.Path, "/webhooks.json"):
			creates++
			want = ownerToken
		case strings.HasSuffix(req.Path, "/subscriptions/all.json"), strings.HasSuffix(req.Path, "/subscriptions.json"):
			subscribes++
			want = accountToken
		default:
			continue
		}
		if got := authorizationToken(req.Header.Get("Authorization")); got != want {
			t.Errorf("POST %s signed with oauth_token %q, want %q", req.Path, got, want)
		}
		if req.AuthError != "" {
			t.Errorf("POST %s: the fake rejected the credentials: %s", req.Path, req.AuthError)
		}
	}
	if creates != 1 {
		t.Errorf("the fake got %d webhook creations, want 1", creates)
	}
	if subscribes == 0 {
		t.Error("the fake got no subscription request")
	}
}

// authorizationToken returns the oauth_token parameter of an OAuth 1.0a
// Authorization header, or "" when it has none.
func authorizationToken(header string) string {
	params, ok := strings.CutPrefix(header, "OAuth ")
	if !ok {
		return ""
	}
	for _, param := range strings.Split(params, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(param), "=")
		if name != "oauth_token" {
			continue
		}
		token, err := url.PathUnescape(strings.Trim(value, `"`))
		if err != nil {
			return ""
		}
		return token
	}
	return ""
}
