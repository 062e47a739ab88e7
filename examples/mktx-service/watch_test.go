package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/ratelimit"
)

// readyWebhook returns the webhook part of the /readyz response.
func readyWebhook(t *testing.T, h *harness) webhookView {
	t.Helper()
	r := h.do(http.MethodGet, "/readyz", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("/readyz: status %d: %s", r.Status, r.Raw)
	}
	var ready struct {
		Webhook webhookView `json:"webhook"`
	}
	decode(t, r.Data, &ready)
	return ready.Webhook
}

// startWatcher configures webhook management and runs the service's
// webhook watcher with the given interval until the test ends.
func startWatcher(t *testing.T, h *harness, interval time.Duration) {
	t.Helper()
	configureRegistration(h)
	h.srv.settings.WebhookCheckInterval = interval
	w, err := h.srv.newWebhookWatcher()
	if err != nil || w == nil {
		t.Fatalf("newWebhookWatcher = %v, %v; want a watcher", w, err)
	}
	h.srv.watcher = w
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.srv.runWatcher(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// waitWebhook polls /readyz until the webhook's health is want, and
// returns how long that took.
func waitWebhook(t *testing.T, h *harness, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := readyWebhook(t, h)
		if got.Health == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("webhook health is %+v after %v, want %q", got, limit, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReadyzWithoutWebhookManagement(t *testing.T) {
	h := newHarness(t)
	if got := readyWebhook(t, h); got.Health != healthNotConfigured {
		t.Errorf("webhook health = %q, want %q", got.Health, healthNotConfigured)
	}
	if w, err := h.srv.newWebhookWatcher(); w != nil || err != nil {
		t.Errorf("newWebhookWatcher without settings = %v, %v; want nil, nil", w, err)
	}
}

func TestWatcherRevalidatesWithinOneInterval(t *testing.T) {
	h := newHarness(t)
	id := h.connect("m1")
	const interval = 500 * time.Millisecond
	startWatcher(t, h, interval)
	waitWebhook(t, h, "missing", 10*time.Second)

	if r := h.do(http.MethodPost, apiBase+"/accounts/"+id+"/register-webhook", h.token("m1"), nil); r.Status != http.StatusOK {
		t.Fatalf("register-webhook: status %d: %s", r.Status, r.Raw)
	}
	waitWebhook(t, h, "valid", 10*time.Second)
	hooks := h.fake.Webhooks(h.app.ID)
	if len(hooks) != 1 {
		t.Fatalf("fake has %d webhooks, want 1", len(hooks))
	}
	got := readyWebhook(t, h)
	if got.ID != hooks[0].ID || got.URL != h.srv.settings.WebhookURL || got.CheckedAt == "" || got.Error != "" {
		t.Errorf("/readyz webhook = %+v, want webhook %s at %s, checked, no error", got, hooks[0].ID, h.srv.settings.WebhookURL)
	}

	if err := h.fake.InvalidateWebhook(hooks[0].ID); err != nil {
		t.Fatal(err)
	}
	// The next poll finds the webhook invalid and has X check it again
	// in the same poll, so it is valid again before a second poll starts.
	took := waitForFakeValid(t, h, hooks[0].ID, 10*time.Second)
	if took > interval+time.Second {
		t.Errorf("re-validation took %v, want it within one poll interval (%v) plus the poll's own time", took, interval)
	}
	// The fake marks the webhook valid before it responds to the check, so
	// the watcher logs the changes a moment later.
	for _, want := range []string{"webhook is invalid", "to=valid", "webhook watcher started"} {
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(h.logs.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("logs lack %q:\n%s", want, h.logs.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func TestWatcherReportsCRCFailure(t *testing.T) {
	h := newHarness(t)
	id := h.connect("m1")
	configureRegistration(h)
	if r := h.do(http.MethodPost, apiBase+"/accounts/"+id+"/register-webhook", h.token("m1"), nil); r.Status != http.StatusOK {
		t.Fatalf("register-webhook: status %d: %s", r.Status, r.Raw)
	}

	// The app's consumer secret was rotated at X but not in the service:
	// the service now signs CRC responses with a wrong key. The handler
	// is swapped before the watcher starts, while no request is served.
	h.srv.settings.ConsumerSecrets = []string{"not-the-apps-consumer-secret"}
	h.http.Config.Handler = h.srv.handler()
	if err := h.fake.InvalidateWebhook(h.fake.Webhooks(h.app.ID)[0].ID); err != nil {
		t.Fatal(err)
	}
	startWatcher(t, h, 50*time.Millisecond)
	waitWebhook(t, h, "invalid", 10*time.Second)
	got := readyWebhook(t, h)
	if got.Error != "crc_failed" {
		t.Errorf("/readyz webhook error = %q, want crc_failed", got.Error)
	}
	if strings.Contains(h.logs.String(), "not-the-apps-consumer-secret") {
		t.Error("logs contain the consumer secret")
	}
}

// waitForFakeValid waits until the fake X lists webhook id as valid after
// it was invalidated, and returns how long that took.
func waitForFakeValid(t *testing.T, h *harness, id string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		for _, hook := range h.fake.Webhooks(h.app.ID) {
			if hook.ID == id && hook.Valid {
				return time.Since(start)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("webhook %s not valid again after %v", id, limit)
	return 0
}

func TestWebhookErrorClass(t *testing.T) {
	crcErr := fmt.Errorf("webhook 1: %w", accountactivity.ErrCRCValidationFailed)
	tests := []struct {
		err  error
		want string
	}{
		{crcErr, "crc_failed"},
		{&xactivity.APIError{StatusCode: 429, RateLimit: &ratelimit.Error{StatusCode: 429}}, "rate_limited"},
		{fmt.Errorf("validate: %w", accountactivity.ErrNoUserAuth), "owner_token_missing"},
		{&xactivity.APIError{StatusCode: 401}, "x_rejected_credentials"},
		{&xactivity.RequestError{Err: errors.New("dial tcp 10.0.0.7:443: connection refused")}, "x_unreachable"},
		{errors.New("something else at 10.0.0.7"), "x_error"},
	}
	for _, tt := range tests {
		if got := errorClass(tt.err); got != tt.want {
			t.Errorf("errorClass(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestWatcherLogsInterval checks that the watcher's start log names the
// interval it polls at, also when the interval is the default of the API
// generation.
func TestWatcherLogsInterval(t *testing.T) {
	tests := []struct {
		version  string
		interval time.Duration
		want     string
	}{
		{"2", 0, "interval=1m0s"},
		{"1.1-enterprise", 0, "interval=5m0s"},
		{"1.1-premium", 0, "interval=5m0s"},
		{"2", 90 * time.Second, "interval=1m30s"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %v", tt.version, tt.interval), func(t *testing.T) {
			h := newHarness(t)
			configureRegistration(h)
			h.srv.settings.APIVersion = tt.version
			h.srv.settings.EnvName = "prod"
			h.srv.settings.WebhookCheckInterval = tt.interval
			w, err := h.srv.newWebhookWatcher()
			if err != nil || w == nil {
				t.Fatalf("newWebhookWatcher = %v, %v; want a watcher", w, err)
			}
			h.srv.watcher = w
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // the watcher logs its start and stops before it polls
			h.srv.runWatcher(ctx)
			var started string
			for _, line := range strings.Split(h.logs.String(), "\n") {
				if strings.Contains(line, "webhook watcher started") {
					started = line
				}
			}
			if !strings.Contains(started, tt.want) {
				t.Errorf("start log %q lacks %s:\n%s", started, tt.want, h.logs.String())
			}
		})
	}
}
