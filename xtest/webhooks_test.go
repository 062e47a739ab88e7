package xtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goodgo/xactivity/crc"
)

func TestCreateWebhook(t *testing.T) {
	f := newHookFixture(t)
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)

	resp := f.call(f.appClient(), "POST", "/2/webhooks", `{"url":"`+receiver.URL+`"}`)
	if resp.status != http.StatusOK {
		t.Fatalf("POST /2/webhooks = %d %s, want 200", resp.status, resp.body)
	}
	var created struct {
		Data v2Webhook `json:"data"`
	}
	resp.decode(t, &created)
	want := v2Webhook{ID: created.Data.ID, URL: receiver.URL, Valid: true,
		CreatedAt: f.clock.Now().UTC().Format(v2TimeFormat)}
	if diff := cmp.Diff(want, created.Data); diff != "" {
		t.Errorf("created webhook mismatch (-want +got):\n%s", diff)
	}
	if !isDecimalID(created.Data.ID) {
		t.Errorf("id = %q, want a decimal id", created.Data.ID)
	}

	list := f.call(f.appClient(), "GET", "/2/webhooks?webhook_config.fields=created_at,id,url,valid", "")
	var listed struct {
		Data []v2Webhook `json:"data"`
		Meta struct {
			ResultCount int `json:"result_count"`
		} `json:"meta"`
	}
	list.decode(t, &listed)
	if diff := cmp.Diff([]v2Webhook{want}, listed.Data); diff != "" {
		t.Errorf("listed webhooks mismatch (-want +got):\n%s", diff)
	}
	if listed.Meta.ResultCount != 1 {
		t.Errorf("result_count = %d, want 1", listed.Meta.ResultCount)
	}

	hooks := f.srv.Webhooks(f.app.ID)
	if len(hooks) != 1 || hooks[0].ID != want.ID || !hooks[0].Valid || hooks[0].AppID != f.app.ID {
		t.Errorf("Webhooks = %+v, want the one valid webhook %s", hooks, want.ID)
	}
}

func TestCreateWebhookUserContext(t *testing.T) {
	f := newHookFixture(t)
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)
	resp := f.call(f.user(f.alice), "POST", "/2/webhooks", `{"url":"`+receiver.URL+`"}`)
	if resp.status != http.StatusOK {
		t.Errorf("POST /2/webhooks in user context = %d %s, want 200", resp.status, resp.body)
	}
}

func TestCreateWebhookCRCFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler func(secret string) http.Handler
	}{
		{"wrong secret", func(string) http.Handler {
			return &crc.Handler{ConsumerSecret: "not-the-app-secret"}
		}},
		{"redirect", func(secret string) http.Handler {
			good := httptest.NewServer(&crc.Handler{ConsumerSecret: secret})
			t.Cleanup(good.Close)
			return http.RedirectHandler(good.URL, http.StatusFound)
		}},
		{"server error", func(string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "broken", http.StatusInternalServerError)
			})
		}},
		{"not JSON", func(secret string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(crc.ResponseToken(secret, r.URL.Query().Get("crc_token"))))
			})
		}},
		{"wrong token", func(secret string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				json.NewEncoder(w).Encode(map[string]string{"response_token": crc.ResponseToken(secret, "other")})
			})
		}},
		{"too slow", func(string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHookFixture(t, WithCRCTimeout(100*time.Millisecond))
			receiver := httptest.NewServer(tt.handler(f.app.ConsumerSecret))
			t.Cleanup(receiver.Close)

			resp := f.call(f.appClient(), "POST", "/2/webhooks", `{"url":"`+receiver.URL+`"}`)
			wantFailure(t, resp, http.StatusBadRequest, "CrcValidationFailed")
			if strings.Contains(resp.body, f.app.ConsumerSecret) {
				t.Errorf("body %s contains the consumer secret", resp.body)
			}
			if hooks := f.srv.Webhooks(f.app.ID); len(hooks) != 0 {
				t.Errorf("Webhooks = %+v, want none", hooks)
			}
		})
	}
}

func TestCreateWebhookURLValidation(t *testing.T) {
	tests := []struct {
		name, url string
	}{
		{"http scheme", "http://hooks.example.test/x"},
		{"port", "https://hooks.example.test:8443/x"},
		{"relative", "/x"},
		{"credentials", "https://user:pass@hooks.example.test/x"},
		{"too long", "https://hooks.example.test/" + strings.Repeat("a", 200-len("https://hooks.example.test/")+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer()
			t.Cleanup(s.Close)
			app, err := s.AddApp(App{})
			if err != nil {
				t.Fatal(err)
			}
			f := &hookFixture{t: t, srv: s, app: app}
			resp := f.call(f.appClient(), "POST", "/2/webhooks", `{"url":"`+tt.url+`"}`)
			wantFailure(t, resp, http.StatusBadRequest, "UrlValidationFailed")
		})
	}
}

func TestCreateWebhookInvalidBody(t *testing.T) {
	f := newHookFixture(t)
	for _, body := range []string{"", "{}", `{"url":3}`, "[]"} {
		resp := f.call(f.appClient(), "POST", "/2/webhooks", body)
		if resp.status != http.StatusBadRequest || !strings.Contains(resp.body, "invalid-request") {
			t.Errorf("POST /2/webhooks %q = %d %s, want 400 invalid-request", body, resp.status, resp.body)
		}
	}
}

func TestCreateWebhookDuplicateAndLimit(t *testing.T) {
	f := newHookFixture(t, WithWebhookLimit(2))
	first, _ := newReceiver(t, f.app.ConsumerSecret)
	second, _ := newReceiver(t, f.app.ConsumerSecret)
	third, _ := newReceiver(t, f.app.ConsumerSecret)

	f.createWebhook(first.URL)
	resp := f.call(f.appClient(), "POST", "/2/webhooks", `{"url":"`+first.URL+`"}`)
	wantFailure(t, resp, http.StatusBadRequest, "DuplicateUrlFailed")

	f.createWebhook(second.URL)
	resp = f.call(f.appClient(), "POST", "/2/webhooks", `{"url":"`+third.URL+`"}`)
	wantFailure(t, resp, http.StatusBadRequest, "WebhookLimitExceeded")
	if n := len(f.srv.Webhooks(f.app.ID)); n != 2 {
		t.Errorf("len(Webhooks) = %d, want 2", n)
	}
}

func TestWebhookDefaultLimit(t *testing.T) {
	f := newHookFixture(t)
	first, _ := newReceiver(t, f.app.ConsumerSecret)
	second, _ := newReceiver(t, f.app.ConsumerSecret)
	f.createWebhook(first.URL)
	resp := f.call(f.appClient(), "POST", "/2/webhooks", `{"url":"`+second.URL+`"}`)
	wantFailure(t, resp, http.StatusBadRequest, "WebhookLimitExceeded")
}

// switchHandler responds to CRC checks correctly while down is unset and with
// 503 otherwise.
type switchHandler struct {
	down atomic.Bool
	next http.Handler
}

func (h *switchHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	h.next.ServeHTTP(w, r)
}

func TestValidateWebhook(t *testing.T) {
	f := newHookFixture(t)
	sw := &switchHandler{next: &crc.Handler{ConsumerSecret: f.app.ConsumerSecret}}
	receiver := httptest.NewServer(sw)
	t.Cleanup(receiver.Close)
	id := f.createWebhook(receiver.URL)

	validate := func() bool {
		t.Helper()
		resp := f.call(f.appClient(), "PUT", "/2/webhooks/"+id, "")
		if resp.status != http.StatusOK {
			t.Fatalf("PUT /2/webhooks/%s = %d %s, want 200", id, resp.status, resp.body)
		}
		var got struct {
			Data struct {
				Valid bool `json:"valid"`
			} `json:"data"`
		}
		resp.decode(t, &got)
		if stored := f.srv.Webhooks(f.app.ID)[0].Valid; stored != got.Data.Valid {
			t.Errorf("stored Valid = %v, response valid = %v", stored, got.Data.Valid)
		}
		return got.Data.Valid
	}

	if err := f.srv.InvalidateWebhook(id); err != nil {
		t.Fatalf("InvalidateWebhook: %v", err)
	}
	if f.srv.Webhooks(f.app.ID)[0].Valid {
		t.Error("webhook valid after InvalidateWebhook")
	}
	if !validate() {
		t.Error("valid = false with a working receiver, want true")
	}
	sw.down.Store(true)
	if validate() {
		t.Error("valid = true with a failing receiver, want false")
	}
	if err := f.srv.InvalidateWebhook("1"); err == nil {
		t.Error("InvalidateWebhook of an unknown id succeeded")
	}
}

func TestDeleteWebhook(t *testing.T) {
	f := newHookFixture(t)
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhook(receiver.URL)

	resp := f.call(f.appClient(), "DELETE", "/2/webhooks/"+id, "")
	if resp.status != http.StatusOK || resp.body != `{"data":{"deleted":true}}` {
		t.Errorf("DELETE = %d %s, want 200 deleted", resp.status, resp.body)
	}
	if hooks := f.srv.Webhooks(f.app.ID); len(hooks) != 0 {
		t.Errorf("Webhooks = %+v after delete, want none", hooks)
	}
	for _, method := range []string{"DELETE", "PUT"} {
		resp := f.call(f.appClient(), method, "/2/webhooks/"+id, "")
		wantFailure(t, resp, http.StatusBadRequest, "WebhookIdInvalid")
	}
}

func TestWebhookOfOtherApp(t *testing.T) {
	f := newHookFixture(t)
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhook(receiver.URL)
	other, err := f.srv.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	resp := f.call(f.bearerClient(other.BearerToken), "DELETE", "/2/webhooks/"+id, "")
	wantFailure(t, resp, http.StatusBadRequest, "WebhookIdInvalid")
	if n := len(f.srv.Webhooks(f.app.ID)); n != 1 {
		t.Errorf("len(Webhooks) = %d, want 1", n)
	}
}
