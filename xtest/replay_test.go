package xtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goodgo/xactivity/webhook"
)

// replayBody returns a replay request body for the minutes from and to.
func replayBody(webhookID string, from, to time.Time) string {
	return fmt.Sprintf(`{"webhook_id":%q,"from_date":%q,"to_date":%q}`,
		webhookID, from.UTC().Format(replayDateFormat), to.UTC().Format(replayDateFormat))
}

func TestReplay(t *testing.T) {
	f := newHookFixture(t)
	f.clock.Set(time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC))
	receiver, rec := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhook(receiver.URL)
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

	resp := f.call(f.appClient(), "POST", "/2/webhooks/replay", replayBody(id, start, start.Add(10*time.Minute)))
	if resp.status != http.StatusOK {
		t.Fatalf("replay = %d %s, want 200", resp.status, resp.body)
	}
	var job struct {
		Data struct {
			JobID     string `json:"job_id"`
			CreatedAt string `json:"created_at"`
		} `json:"data"`
	}
	resp.decode(t, &job)
	if job.Data.CreatedAt != f.clock.Now().Format(v2TimeFormat) || !isDecimalID(job.Data.JobID) {
		t.Errorf("job = %+v, want a decimal id created now", job.Data)
	}
	f.srv.WaitReplays()

	status := fmt.Sprintf(`{"replay_job_status":{"job_id":%q,"job_state":"Complete",`+
		`"job_state_description":"Job completed successfully","webhook_id":%q}}`, job.Data.JobID, id)
	want := append(append([]string(nil), bodies...), bodies[0], bodies[1], status)
	if diff := cmp.Diff(want, rec.received()); diff != "" {
		t.Errorf("received bodies mismatch (-want +got):\n%s", diff)
	}
	replayed := 0
	for _, d := range f.srv.Deliveries(id) {
		if d.Replay {
			replayed++
		}
	}
	if replayed != 3 {
		t.Errorf("Deliveries lists %d replay deliveries, want 3", replayed)
	}
}

func TestReplayIncomplete(t *testing.T) {
	f := newHookFixture(t)
	var failing atomic.Bool
	var rec recorder
	handler := &webhook.Handler{ConsumerSecrets: []string{f.app.ConsumerSecret}, Receiver: webhook.ReceiverFunc(
		func(ctx context.Context, d *webhook.Delivery) error {
			if failing.CompareAndSwap(true, false) {
				return &webhook.StatusError{Status: http.StatusServiceUnavailable, Err: context.Canceled}
			}
			return rec.Receive(ctx, d)
		})}
	receiver := httptest.NewServer(handler)
	t.Cleanup(receiver.Close)
	id := f.createWebhook(receiver.URL)
	start := f.clock.Now()
	if _, err := f.srv.Deliver(context.Background(), id, []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Minute)

	failing.Store(true)
	resp := f.call(f.appClient(), "POST", "/2/webhooks/replay", replayBody(id, start, start.Add(time.Minute)))
	if resp.status != http.StatusOK {
		t.Fatalf("replay = %d %s, want 200", resp.status, resp.body)
	}
	f.srv.WaitReplays()
	got := rec.received()
	last := decodeJSON(t, got[len(got)-1])["replay_job_status"].(map[string]any)
	if last["job_state"] != "Incomplete" {
		t.Errorf("job_state = %v, want Incomplete", last["job_state"])
	}
}

func TestReplayValidation(t *testing.T) {
	f := newHookFixture(t)
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhook(receiver.URL)
	now := f.clock.Now()
	tests := []struct {
		name, body, reason string
	}{
		{"from after to", replayBody(id, now.Add(-time.Minute), now.Add(-2*time.Minute)), "QueryParamInvalid"},
		{"from equals to", replayBody(id, now.Add(-time.Minute), now.Add(-time.Minute)), "QueryParamInvalid"},
		{"older than 24 hours", replayBody(id, now.Add(-25*time.Hour), now.Add(-time.Hour)), "QueryParamInvalid"},
		{"to in the future", replayBody(id, now.Add(-time.Hour), now.Add(2*time.Minute)), "QueryParamInvalid"},
		{"malformed date", `{"webhook_id":"` + id + `","from_date":"2026-03-01","to_date":"202603011200"}`, "QueryParamInvalid"},
		{"missing webhook id", `{"from_date":"202603011200","to_date":"202603011201"}`, "QueryParamInvalid"},
		{"not JSON", `nope`, "QueryParamInvalid"},
		{"unknown webhook", replayBody("123", now.Add(-time.Hour), now), "WebhookIdInvalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(f.appClient(), "POST", "/2/webhooks/replay", tt.body)
			wantFailure(t, resp, http.StatusBadRequest, tt.reason)
		})
	}
}

func TestReplayConflict(t *testing.T) {
	f := newHookFixture(t)
	rec := &recorder{}
	receiver := httptest.NewServer(&webhook.Handler{ConsumerSecrets: []string{f.app.ConsumerSecret}, Receiver: rec})
	t.Cleanup(receiver.Close)
	id := f.createWebhook(receiver.URL)
	start := f.clock.Now()
	if _, err := f.srv.Deliver(context.Background(), id, []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Minute)

	rec.mu.Lock()
	rec.gate, rec.entered = make(chan struct{}), make(chan struct{})
	rec.mu.Unlock()
	body := replayBody(id, start, start.Add(time.Minute))
	if resp := f.call(f.appClient(), "POST", "/2/webhooks/replay", body); resp.status != http.StatusOK {
		t.Fatalf("first replay = %d %s, want 200", resp.status, resp.body)
	}
	<-rec.entered // the job is sending its first delivery

	resp := f.call(f.appClient(), "POST", "/2/webhooks/replay", body)
	wantFailure(t, resp, http.StatusConflict, "ReplayConflictError")

	rec.mu.Lock()
	gate := rec.gate
	rec.gate = nil
	rec.mu.Unlock()
	close(gate)
	f.srv.WaitReplays()
	if resp := f.call(f.appClient(), "POST", "/2/webhooks/replay", body); resp.status != http.StatusOK {
		t.Errorf("replay after the first ended = %d %s, want 200", resp.status, resp.body)
	}
	f.srv.WaitReplays()
	// The original delivery, then twice the replayed one and a job status.
	if got := rec.received(); len(got) != 5 {
		t.Errorf("receiver got %d deliveries, want 5: %q", len(got), got)
	}
}
