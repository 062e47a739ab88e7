package xtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// valid reports whether the app's webhook with the given id is valid.
func (f *engineFixture) valid(webhookID string) bool {
	f.t.Helper()
	h, ok := f.srv.hooks.webhook(f.app.ID, webhookID)
	if !ok {
		f.t.Fatalf("webhook %s not found", webhookID)
	}
	return h.Valid
}

// revalidate sends PUT /2/webhooks/{id} and returns the valid flag of the
// response.
func (f *engineFixture) revalidate(webhookID string) bool {
	f.t.Helper()
	resp := f.call(f.appClient(), "PUT", "/2/webhooks/"+webhookID, "")
	if resp.status != http.StatusOK {
		f.t.Fatalf("PUT /2/webhooks/%s = %d %s, want 200", webhookID, resp.status, resp.body)
	}
	var got struct {
		Data struct {
			Valid bool `json:"valid"`
		} `json:"data"`
	}
	resp.decode(f.t, &got)
	return got.Data.Valid
}

func TestPeriodicCRCPasses(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)

	f.clock.Advance(59 * time.Minute)
	if n := hook.crcCount(); n != 1 {
		t.Fatalf("%d CRC checks after 59 minutes, want only the registration's", n)
	}
	f.clock.Advance(2*time.Hour + time.Minute)
	if n := hook.crcCount(); n != 4 {
		t.Errorf("%d CRC checks after 3 hours, want registration and 3 periodic", n)
	}
	want := []CRCCheck{
		{WebhookID: id, Time: f.start.Add(time.Hour), Passed: true},
		{WebhookID: id, Time: f.start.Add(2 * time.Hour), Passed: true},
		{WebhookID: id, Time: f.start.Add(3 * time.Hour), Passed: true},
	}
	if diff := cmp.Diff(want, f.srv.CRCChecks(id)); diff != "" {
		t.Errorf("CRCChecks mismatch (-want +got):\n%s", diff)
	}
	if !f.valid(id) {
		t.Error("webhook invalid after passing checks")
	}
}

func TestPeriodicCRCInvalidatesAtOnce(t *testing.T) {
	tests := []struct {
		name        string
		mode        crcMode
		wantFailure string
	}{
		{"wrong token", crcWrongToken, "wrong response_token"},
		{"redirect", crcRedirect, "status 302"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newEngineFixture(t)
			hook := newScriptedHook(f.app.ConsumerSecret)
			id := f.createWebhook(hook.start(t).URL)
			hook.setCRC(tt.mode)

			f.clock.Advance(time.Hour)
			checkInvalidated(t, f, id, tt.wantFailure)
			checkNoDelivery(t, f, hook, id)

			hook.setCRC(crcAnswer)
			f.clock.Advance(time.Hour)
			if n := len(f.srv.CRCChecks(id)); n != 1 {
				t.Errorf("%d periodic checks, want 1: an invalid webhook is not checked", n)
			}
			if !f.revalidate(id) {
				t.Fatal("PUT did not validate the webhook again")
			}
			if status := f.deliver(id, `{"after":"put"}`); status != http.StatusOK {
				t.Errorf("Deliver after PUT = %d, want 200", status)
			}
		})
	}
}

// checkInvalidated checks that the latest periodic check of the webhook
// failed with a message containing failure and invalidated it.
func checkInvalidated(t *testing.T, f *engineFixture, webhookID, failure string) {
	t.Helper()
	if f.valid(webhookID) {
		t.Fatal("webhook still valid")
	}
	checks := f.srv.CRCChecks(webhookID)
	if len(checks) == 0 {
		t.Fatal("no periodic check recorded")
	}
	last := checks[len(checks)-1]
	if last.Passed || !last.Invalidated || !strings.Contains(last.Failure, failure) {
		t.Errorf("last check = %+v, want a failure naming %q that invalidated the webhook", last, failure)
	}
}

// checkNoDelivery checks that a delivery to the invalid webhook is
// recorded but not sent.
func checkNoDelivery(t *testing.T, f *engineFixture, hook *scriptedHook, webhookID string) {
	t.Helper()
	before := len(hook.received())
	if _, err := f.srv.Deliver(context.Background(), webhookID, []byte(`{}`)); err == nil {
		t.Error("Deliver to an invalid webhook succeeded")
	}
	if n := len(hook.received()); n != before {
		t.Errorf("invalid webhook received %d deliveries, want %d", n, before)
	}
}

func TestPeriodicCRCTLSErrorInvalidatesAtOnce(t *testing.T) {
	var (
		broken atomic.Bool
		hook   atomic.Pointer[scriptedHook]
	)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hook.Load().ServeHTTP(w, r)
	}))
	ts.Config.ErrorLog = quietLog
	ts.TLS = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		if broken.Load() {
			return nil, errors.New("handshake refused")
		}
		return nil, nil
	}}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())

	f := newEngineFixture(t, WithWebhookRootCAs(pool))
	hook.Store(newScriptedHook(f.app.ConsumerSecret))
	id := f.createWebhook(ts.URL)
	if status := f.deliver(id, `{"over":"tls"}`); status != http.StatusOK {
		t.Fatalf("Deliver over TLS = %d, want 200", status)
	}

	broken.Store(true)
	ts.CloseClientConnections()
	f.clock.Advance(time.Hour)
	checkInvalidated(t, f, id, "TLS handshake failed")

	broken.Store(false)
	if !f.revalidate(id) {
		t.Error("PUT did not validate the webhook again")
	}
}

func TestPeriodicCRCTransientFailures(t *testing.T) {
	tests := []struct {
		name        string
		mode        crcMode
		wantFailure string
	}{
		{"503", crcUnavailable, "status 503"},
		{"404", crcNotFound, "status 404"},
		{"timeout", crcHang, "CRC request failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newEngineFixture(t, WithCRCTimeout(20*time.Millisecond))
			hook := newScriptedHook(f.app.ConsumerSecret)
			id := f.createWebhook(hook.start(t).URL)
			hook.setCRC(tt.mode)

			f.clock.Advance(2 * time.Hour)
			if !f.valid(id) {
				t.Fatal("webhook invalid after a transient failure")
			}
			checks := f.srv.CRCChecks(id)
			if len(checks) != 2 {
				t.Fatalf("%d periodic checks, want 2", len(checks))
			}
			for _, c := range checks {
				if c.Passed || c.Invalidated || !strings.Contains(c.Failure, tt.wantFailure) {
					t.Errorf("check = %+v, want a transient failure naming %q", c, tt.wantFailure)
				}
			}
			if status := f.deliver(id, `{}`); status != http.StatusOK {
				t.Errorf("Deliver during transient failures = %d, want 200", status)
			}
		})
	}
}

func TestPeriodicCRCTransientFor28Hours(t *testing.T) {
	f := newEngineFixture(t, WithRetrySchedule(nil))
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	hook.setCRC(crcUnavailable)

	f.clock.Advance(27 * time.Hour)
	if !f.valid(id) {
		t.Fatal("webhook invalid 27 hours after its last passing check")
	}
	f.clock.Advance(time.Hour)
	checkInvalidated(t, f, id, "status 503")
	if n := len(f.srv.CRCChecks(id)); n != 28 {
		t.Errorf("%d periodic checks, want 28", n)
	}
	checkNoDelivery(t, f, hook, id)
}

func TestPassingCheckRestarts28Hours(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)

	// Failing from the first check, passing at 20 hours, failing again.
	hook.setCRC(crcUnavailable)
	f.clock.Advance(19 * time.Hour)
	hook.setCRC(crcAnswer)
	f.clock.Advance(time.Hour)
	hook.setCRC(crcUnavailable)
	f.clock.Advance(27 * time.Hour)
	if !f.valid(id) {
		t.Fatal("webhook invalid 27 hours after a passing periodic check")
	}
	f.clock.Advance(time.Hour)
	checkInvalidated(t, f, id, "status 503")

	// A passing PUT counts as a pass too.
	hook.setCRC(crcAnswer)
	if !f.revalidate(id) {
		t.Fatal("PUT did not validate the webhook again")
	}
	hook.setCRC(crcUnavailable)
	f.clock.Advance(27 * time.Hour)
	if !f.valid(id) {
		t.Error("webhook invalid 27 hours after a passing PUT")
	}
	f.clock.Advance(time.Hour)
	checkInvalidated(t, f, id, "status 503")
}

func TestPeriodicCRCRevalidatedByV11Put(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	hook.setCRC(crcWrongToken)
	f.clock.Advance(time.Hour)
	checkInvalidated(t, f, id, "wrong response_token")

	hook.setCRC(crcAnswer)
	resp := f.call(f.user(f.alice), "PUT", "/1.1/account_activity/webhooks/"+id+".json", "")
	if resp.status != http.StatusNoContent {
		t.Fatalf("v1.1 PUT = %d %s, want 204", resp.status, resp.body)
	}
	if !f.valid(id) {
		t.Error("webhook invalid after a passing v1.1 PUT")
	}
}

func TestCRCIntervalOption(t *testing.T) {
	tests := []struct {
		name      string
		interval  time.Duration
		wantCount int
	}{
		{"30 minutes", 30 * time.Minute, 6},
		{"off", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newEngineFixture(t, WithCRCInterval(tt.interval))
			hook := newScriptedHook(f.app.ConsumerSecret)
			id := f.createWebhook(hook.start(t).URL)
			f.clock.Advance(3 * time.Hour)
			if n := len(f.srv.CRCChecks(id)); n != tt.wantCount {
				t.Errorf("%d periodic checks in 3 hours, want %d", n, tt.wantCount)
			}
		})
	}
}
