package xtest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDeliverySettingsDefaults(t *testing.T) {
	s := New()
	if got, want := s.engine.timeout, 3*time.Second; got != want {
		t.Errorf("delivery timeout = %v, want %v", got, want)
	}
	want := []time.Duration{3 * time.Second, 27 * time.Second, 242 * time.Second}
	if diff := cmp.Diff(want, s.engine.retries); diff != "" {
		t.Errorf("retry schedule mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, DefaultRetrySchedule()); diff != "" {
		t.Errorf("DefaultRetrySchedule mismatch (-want +got):\n%s", diff)
	}
	if got := s.engine.crcInterval; got != time.Hour {
		t.Errorf("CRC interval = %v, want 1h", got)
	}
}

func TestRetryScheduleTimes(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	hook.failDeliveries(503, 503, 503, 503, 503)

	if status := f.deliver(id, `{"n":1}`); status != http.StatusServiceUnavailable {
		t.Fatalf("Deliver = %d, want 503", status)
	}
	steps := []struct {
		advance  time.Duration
		attempts int
	}{
		{2999 * time.Millisecond, 1}, {time.Millisecond, 2},
		{26999 * time.Millisecond, 2}, {time.Millisecond, 3},
		{241999 * time.Millisecond, 3}, {time.Millisecond, 4},
		{time.Hour, 4},
	}
	for _, step := range steps {
		f.clock.Advance(step.advance)
		if got := len(f.srv.Deliveries(id)); got != step.attempts {
			t.Fatalf("at %v: %d attempts, want %d", f.clock.Now().Sub(f.start), got, step.attempts)
		}
	}
	got := f.srv.Deliveries(id)
	wantTimes := []time.Duration{0, 3 * time.Second, 30 * time.Second, 272 * time.Second}
	if diff := cmp.Diff(wantTimes, attemptTimes(f.start, got)); diff != "" {
		t.Errorf("attempt times mismatch (-want +got):\n%s", diff)
	}
	for i, d := range got {
		if d.Attempt != i+1 || d.Status != http.StatusServiceUnavailable || d.Failure != "" {
			t.Errorf("delivery %d = attempt %d, status %d, failure %q; want attempt %d, status 503",
				i, d.Attempt, d.Status, d.Failure, i+1)
		}
	}
	if n := len(hook.received()); n != 4 {
		t.Errorf("webhook received %d deliveries, want 4", n)
	}
}

func TestRetryStopsAfterSuccess(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	hook.failDeliveries(500, 429)

	f.deliver(id, `{"n":1}`)
	f.clock.Advance(10 * time.Minute)

	got := f.srv.Deliveries(id)
	var statuses []int
	for _, d := range got {
		statuses = append(statuses, d.Status)
	}
	if diff := cmp.Diff([]int{500, 429, 200}, statuses); diff != "" {
		t.Errorf("statuses mismatch (-want +got):\n%s", diff)
	}
	wantTimes := []time.Duration{0, 3 * time.Second, 30 * time.Second}
	if diff := cmp.Diff(wantTimes, attemptTimes(f.start, got)); diff != "" {
		t.Errorf("attempt times mismatch (-want +got):\n%s", diff)
	}
	if due, ok := f.srv.NextDue(); !ok || !due.Equal(f.start.Add(time.Hour)) {
		t.Errorf("NextDue = %v, %v; want only the CRC check at start+1h", due, ok)
	}
}

func TestDeliveryTimeoutCountsAsFailure(t *testing.T) {
	f := newEngineFixture(t, WithDeliveryTimeout(50*time.Millisecond))
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	hook.hangDelivery(0)

	status, err := f.srv.Deliver(context.Background(), id, []byte(`{"n":1}`))
	if status != 0 || err == nil || !strings.Contains(err.Error(), "no response within 50ms") {
		t.Fatalf("Deliver = %d, %v; want 0 and a timeout error", status, err)
	}
	f.clock.Advance(3 * time.Second)

	got := f.srv.Deliveries(id)
	if len(got) != 2 {
		t.Fatalf("%d attempts, want the timed-out one and a retry: %+v", len(got), got)
	}
	if got[0].Status != 0 || !strings.Contains(got[0].Failure, "no response within 50ms") {
		t.Errorf("first attempt = status %d, failure %q; want 0 and a timeout", got[0].Status, got[0].Failure)
	}
	if got[1].Status != http.StatusOK || got[1].Attempt != 2 {
		t.Errorf("retry = status %d, attempt %d; want 200, attempt 2", got[1].Status, got[1].Attempt)
	}
}

func TestRetryScheduleOption(t *testing.T) {
	tests := []struct {
		name      string
		schedule  []time.Duration
		wantTimes []time.Duration
	}{
		{"one retry", []time.Duration{time.Minute}, []time.Duration{0, time.Minute}},
		{"two retries", []time.Duration{time.Second, time.Hour}, []time.Duration{0, time.Second, time.Hour + time.Second}},
		{"no retries", nil, []time.Duration{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newEngineFixture(t, WithRetrySchedule(tt.schedule), WithCRCInterval(0))
			hook := newScriptedHook(f.app.ConsumerSecret)
			id := f.createWebhook(hook.start(t).URL)
			hook.failDeliveries(500, 500, 500, 500)

			f.deliver(id, `{}`)
			f.clock.Advance(24 * time.Hour)
			if diff := cmp.Diff(tt.wantTimes, attemptTimes(f.start, f.srv.Deliveries(id))); diff != "" {
				t.Errorf("attempt times mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeliveryOptionsPanic(t *testing.T) {
	tests := map[string]func(){
		"zero timeout":        func() { WithDeliveryTimeout(0) },
		"negative retry wait": func() { WithRetrySchedule([]time.Duration{time.Second, -time.Second}) },
		"zero retry wait":     func() { WithRetrySchedule([]time.Duration{0}) },
		"negative interval":   func() { WithCRCInterval(-time.Hour) },
		"nil clock":           func() { WithManualClock(nil) },
		"clock backwards":     func() { NewClock(time.Now()).Advance(-time.Second) },
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			fn()
		})
	}
}

func TestRetriesStopWhenWebhookInvalid(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	hook.failDeliveries(500, 500)

	f.deliver(id, `{}`)
	if err := f.srv.InvalidateWebhook(id); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(10 * time.Minute)
	if n := len(f.srv.Deliveries(id)); n != 1 {
		t.Errorf("%d attempts, want 1: an invalid webhook gets no retries", n)
	}
	if n := len(hook.received()); n != 1 {
		t.Errorf("webhook received %d deliveries, want 1", n)
	}
}

func TestRunDueWithClockFunc(t *testing.T) {
	f := newHookFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	hook.failDeliveries(500)
	start := f.clock.Now()
	ctx := context.Background()

	if _, err := f.srv.Deliver(ctx, id, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	due, ok := f.srv.NextDue()
	if !ok || !due.Equal(start.Add(3*time.Second)) {
		t.Fatalf("NextDue = %v, %v; want start+3s", due, ok)
	}
	if n := f.srv.RunDue(ctx); n != 0 {
		t.Errorf("RunDue before the clock moved ran %d, want 0", n)
	}
	f.clock.Advance(3 * time.Second)
	if n := f.srv.RunDue(ctx); n != 1 {
		t.Errorf("RunDue ran %d, want the one retry", n)
	}
	got := f.srv.Deliveries(id)
	if len(got) != 2 || got[1].Status != http.StatusOK || !got[1].Time.Equal(start.Add(3*time.Second)) {
		t.Errorf("Deliveries = %+v, want a retry answered 200 at start+3s", got)
	}
}

func TestRetriesOnRealClock(t *testing.T) {
	s, app, _ := startServer(t, WithInsecureWebhooks(),
		WithRetrySchedule([]time.Duration{20 * time.Millisecond, 20 * time.Millisecond}))
	f := &hookFixture{t: t, srv: s, app: app}
	hook := newScriptedHook(app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	hook.failDeliveries(503, 503)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if status, err := s.Deliver(ctx, id, []byte(`{}`)); status != 503 || err != nil {
		t.Fatalf("Deliver = %d, %v; want 503, nil", status, err)
	}
	got, err := s.WaitDeliveries(ctx, id, 3)
	if err != nil {
		t.Fatalf("WaitDeliveries: %v; got %+v", err, got)
	}
	if got[2].Status != http.StatusOK || got[2].Attempt != 3 {
		t.Errorf("third attempt = status %d, attempt %d; want 200, 3", got[2].Status, got[2].Attempt)
	}
	for i := 1; i < len(got); i++ {
		if gap := got[i].Time.Sub(got[i-1].Time); gap < 20*time.Millisecond {
			t.Errorf("attempt %d started %v after the previous one, want at least 20ms", i+1, gap)
		}
	}
}

func TestCloseDropsPendingWork(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	hook.failDeliveries(500)

	f.deliver(id, `{}`)
	f.srv.Close()
	if due, ok := f.srv.NextDue(); ok {
		t.Errorf("NextDue after Close = %v, want nothing pending", due)
	}
	f.clock.Advance(2 * time.Hour)
	if n := len(hook.received()); n != 1 {
		t.Errorf("webhook received %d deliveries, want only the one before Close", n)
	}
	if n := hook.crcCount(); n != 1 {
		t.Errorf("webhook got %d CRC checks, want only the registration's", n)
	}
}

func TestReplaySendsRetriedDeliveryOnce(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	hook.failDeliveries(500, 500)

	f.deliver(id, `{"event":"retried"}`)
	f.clock.Advance(time.Minute)
	if n := len(f.srv.Deliveries(id)); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	f.replay(id, f.start.Add(-time.Minute), f.clock.Now())

	var replayed []string
	for _, d := range f.srv.Deliveries(id) {
		if d.Replay && !strings.Contains(string(d.Body), "replay_job_status") {
			replayed = append(replayed, string(d.Body))
		}
	}
	if diff := cmp.Diff([]string{`{"event":"retried"}`}, replayed); diff != "" {
		t.Errorf("replayed bodies mismatch (-want +got):\n%s", diff)
	}
}

// replay starts a replay of the webhook's deliveries from from to to, by
// the minute, and waits for it to finish.
func (f *engineFixture) replay(webhookID string, from, to time.Time) {
	f.t.Helper()
	body := `{"webhook_id":"` + webhookID + `","from_date":"` + from.UTC().Format(replayDateFormat) +
		`","to_date":"` + to.UTC().Format(replayDateFormat) + `"}`
	resp := f.call(f.appClient(), "POST", "/2/webhooks/replay", body)
	if resp.status != http.StatusOK {
		f.t.Fatalf("replay = %d %s, want 200", resp.status, resp.body)
	}
	f.srv.WaitReplays()
}

func TestSchedulerOrdersTasks(t *testing.T) {
	start := time.Now()
	sc := &scheduler{ctx: context.Background(), now: func() time.Time { return start }}
	var ran []string
	add := func(name string, offset time.Duration) {
		sc.add(start.Add(offset), func(context.Context) { ran = append(ran, name) })
	}
	add("c", 2*time.Second)
	add("a", time.Second)
	add("b", time.Second)
	add("later", time.Hour)
	if n := sc.runDue(start.Add(2 * time.Second)); n != 3 {
		t.Errorf("runDue ran %d tasks, want 3", n)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, ran); diff != "" {
		t.Errorf("run order mismatch (-want +got):\n%s", diff)
	}
	if due, ok := sc.next(); !ok || !due.Equal(start.Add(time.Hour)) {
		t.Errorf("next = %v, %v; want start+1h", due, ok)
	}
}

func TestSchedulerBounded(t *testing.T) {
	sc := &scheduler{ctx: context.Background(), now: time.Now}
	for range maxPendingTasks {
		if !sc.add(time.Now(), func(context.Context) {}) {
			t.Fatal("add failed before the limit")
		}
	}
	if sc.add(time.Now(), func(context.Context) {}) {
		t.Error("add beyond the limit succeeded")
	}
	if n := sc.pending(); n != maxPendingTasks {
		t.Errorf("pending = %d, want %d", n, maxPendingTasks)
	}
}

func TestClockDrivesSeveralServers(t *testing.T) {
	start := time.Now()
	clock := NewClock(start)
	a, b := New(WithManualClock(clock)), New(WithManualClock(clock))
	defer a.Close()
	defer b.Close()
	var ran []string
	note := func(name string) func(context.Context) {
		return func(context.Context) { ran = append(ran, fmt.Sprintf("%s at %v", name, clock.Now().Sub(start))) }
	}
	a.engine.sched.add(start.Add(2*time.Second), note("a"))
	b.engine.sched.add(start.Add(time.Second), note("b"))
	a.engine.sched.add(start.Add(1500*time.Millisecond), note("a2"))

	clock.Advance(3 * time.Second)
	if diff := cmp.Diff([]string{"b at 1s", "a2 at 1.5s", "a at 2s"}, ran); diff != "" {
		t.Errorf("runs mismatch (-want +got):\n%s", diff)
	}
	if got := clock.Now().Sub(start); got != 3*time.Second {
		t.Errorf("clock moved %v, want 3s", got)
	}
}
