package xtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/goodgo/xactivity/crc"
	"github.com/goodgo/xactivity/webhook"
)

func TestWaitDeliveriesWakesOnRetry(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	hook.failDeliveries(503)
	f.deliver(id, `{}`)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type result struct {
		got []Delivery
		err error
	}
	done := make(chan result, 1)
	go func() {
		got, err := f.srv.WaitDeliveries(ctx, id, 2)
		done <- result{got, err}
	}()
	f.clock.Advance(3 * time.Second)
	r := <-done
	if r.err != nil {
		t.Fatalf("WaitDeliveries: %v", r.err)
	}
	if len(r.got) != 2 || r.got[1].Status != http.StatusOK {
		t.Errorf("WaitDeliveries = %+v, want the failed attempt and a successful retry", r.got)
	}
}

func TestWaitDeliveriesContextEnds(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	f.deliver(id, `{}`)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := f.srv.WaitDeliveries(ctx, id, 2)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("WaitDeliveries error = %v, want context.Canceled", err)
	}
	if len(got) != 1 {
		t.Errorf("WaitDeliveries returned %d deliveries, want the 1 recorded", len(got))
	}
	if got, err := f.srv.WaitDeliveries(ctx, id, 1); err != nil || len(got) != 1 {
		t.Errorf("WaitDeliveries for what is there = %d deliveries, %v; want 1, nil", len(got), err)
	}
}

func TestNewDeliveryRequest(t *testing.T) {
	const secret = "consumer-secret"
	var got []string
	handler := &webhook.Handler{ConsumerSecrets: []string{secret}, Receiver: webhook.ReceiverFunc(
		func(_ context.Context, d *webhook.Delivery) error {
			got = append(got, string(d.Body))
			return nil
		})}
	tests := []struct {
		name, secret string
		wantStatus   int
	}{
		{"right secret", secret, http.StatusOK},
		{"wrong secret", "another-secret", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := NewDeliveryRequest("/webhooks/twitter", tt.secret, []byte(`{"for_user_id":"1"}`))
			if got := req.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			w := httptest.NewRecorder()
			handler.ServeHTTP(w, req)
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
		})
	}
	if len(got) != 1 || got[0] != `{"for_user_id":"1"}` {
		t.Errorf("receiver got %q, want the one correctly signed body", got)
	}
}

func TestNewCRCRequest(t *testing.T) {
	const secret = "consumer-secret"
	req := NewCRCRequest("https://example.test/hook?tenant=7", "test")
	if req.Method != http.MethodGet || req.URL.Query().Get("tenant") != "7" || req.URL.Query().Get("crc_token") != "test" {
		t.Errorf("request = %s %s, want a GET keeping tenant=7 with crc_token=test", req.Method, req.URL)
	}
	w := httptest.NewRecorder()
	(&webhook.Handler{ConsumerSecrets: []string{secret}, Receiver: webhook.ReceiverFunc(
		func(context.Context, *webhook.Delivery) error { return nil })}).ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d %s, want 200", w.Code, w.Body)
	}
	var body struct {
		ResponseToken string `json:"response_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if want := crc.ResponseToken(secret, "test"); body.ResponseToken != want {
		t.Errorf("response_token = %q, want %q", body.ResponseToken, want)
	}
}
