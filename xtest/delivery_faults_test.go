package xtest

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDuplicateNextDelivery(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	if err := f.srv.DuplicateNextDelivery(id, 3); err != nil {
		t.Fatal(err)
	}

	if status := f.deliver(id, `{"n":1}`); status != http.StatusOK {
		t.Errorf("Deliver = %d, want 200", status)
	}
	f.deliver(id, `{"n":2}`)

	want := []string{`{"n":1}`, `{"n":1}`, `{"n":1}`, `{"n":2}`}
	if diff := cmp.Diff(want, hook.received()); diff != "" {
		t.Errorf("received bodies mismatch (-want +got):\n%s", diff)
	}
	var duplicates []bool
	for _, d := range f.srv.Deliveries(id) {
		duplicates = append(duplicates, d.Duplicate)
	}
	if diff := cmp.Diff([]bool{false, true, true, false}, duplicates); diff != "" {
		t.Errorf("Duplicate flags mismatch (-want +got):\n%s", diff)
	}
}

func TestDuplicateNotRetried(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	hook.failDeliveries(200, 503) // the copy fails, the original passed
	if err := f.srv.DuplicateNextDelivery(id, 2); err != nil {
		t.Fatal(err)
	}
	f.deliver(id, `{}`)
	f.clock.Advance(10 * time.Minute)
	if n := len(hook.received()); n != 2 {
		t.Errorf("webhook received %d deliveries, want 2: a failed copy is not retried", n)
	}
}

func TestHoldAndReleaseDeliveries(t *testing.T) {
	arrival := []string{`{"n":1}`, `{"n":2}`, `{"n":3}`, `{"n":4}`}
	tests := []struct {
		name  string
		order ReleaseOrder
		want  []string // nil: any order other than arrival
	}{
		{"in order", ReleaseInOrder, arrival},
		{"reversed", ReleaseReversed, []string{`{"n":4}`, `{"n":3}`, `{"n":2}`, `{"n":1}`}},
		{"shuffled", ReleaseShuffled, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newEngineFixture(t)
			hook := newScriptedHook(f.app.ConsumerSecret)
			id := f.createWebhook(hook.start(t).URL)
			if err := f.srv.HoldDeliveries(id); err != nil {
				t.Fatal(err)
			}
			for _, body := range arrival {
				if status := f.deliver(id, body); status != 0 {
					t.Errorf("Deliver of a held delivery = %d, want 0", status)
				}
			}
			if got := hook.received(); len(got) != 0 {
				t.Fatalf("webhook received %q while deliveries were held", got)
			}
			if got := f.srv.Deliveries(id); len(got) != 0 {
				t.Errorf("Deliveries lists %d held deliveries, want none before release", len(got))
			}

			n, err := f.srv.ReleaseDeliveries(context.Background(), id, tt.order)
			if n != len(arrival) || err != nil {
				t.Fatalf("ReleaseDeliveries = %d, %v; want %d, nil", n, err, len(arrival))
			}
			got := hook.received()
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("received order mismatch (-want +got):\n%s", diff)
				}
			} else {
				if slices.Equal(got, arrival) {
					t.Errorf("shuffled release kept the arrival order %q", got)
				}
				if sorted := slices.Sorted(slices.Values(got)); !slices.Equal(sorted, arrival) {
					t.Errorf("shuffled release sent %q, want a permutation of %q", got, arrival)
				}
			}

			f.deliver(id, `{"n":5}`)
			if got := hook.received(); got[len(got)-1] != `{"n":5}` {
				t.Errorf("delivery after release not sent at once: received %q", got)
			}
		})
	}
}

func TestReleaseShuffledAlwaysReorders(t *testing.T) {
	e := newEngine()
	for n := 2; n <= 6; n++ {
		for range 20 {
			held := make([][]byte, n)
			for i := range held {
				held[i] = []byte{byte(i)}
			}
			e.arrange(held, ReleaseShuffled)
			if slices.IsSortedFunc(held, func(a, b []byte) int { return int(a[0]) - int(b[0]) }) {
				t.Fatalf("shuffle of %d deliveries kept the arrival order", n)
			}
		}
	}
}

func TestReleaseWithoutHold(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	if n, err := f.srv.ReleaseDeliveries(context.Background(), id, ReleaseInOrder); n != 0 || err != nil {
		t.Errorf("ReleaseDeliveries = %d, %v; want 0, nil", n, err)
	}
}

func TestDelayNextDelivery(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	if err := f.srv.DelayNextDelivery(id, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	if status := f.deliver(id, `{"n":1}`); status != 0 {
		t.Errorf("Deliver of a delayed delivery = %d, want 0", status)
	}
	f.deliver(id, `{"n":2}`)
	f.clock.Advance(9 * time.Second)
	if diff := cmp.Diff([]string{`{"n":2}`}, hook.received()); diff != "" {
		t.Errorf("received before the delay ended mismatch (-want +got):\n%s", diff)
	}
	f.clock.Advance(time.Second)
	if diff := cmp.Diff([]string{`{"n":2}`, `{"n":1}`}, hook.received()); diff != "" {
		t.Errorf("received after the delay mismatch (-want +got):\n%s", diff)
	}
	got := f.srv.Deliveries(id)
	if len(got) != 2 || !got[1].Time.Equal(f.start.Add(10*time.Second)) || got[1].Attempt != 1 {
		t.Errorf("Deliveries = %+v, want the delayed first attempt at start+10s", got)
	}
}

func TestDroppedDeliveryReplayed(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	if err := f.srv.DropNextDelivery(id); err != nil {
		t.Fatal(err)
	}

	status, err := f.srv.Deliver(context.Background(), id, []byte(`{"lost":true}`))
	if status != 0 || err != nil {
		t.Errorf("Deliver of a dropped delivery = %d, %v; want 0, nil", status, err)
	}
	f.clock.Advance(10 * time.Minute)
	if got := hook.received(); len(got) != 0 {
		t.Fatalf("webhook received %q, want nothing: the delivery was dropped", got)
	}
	got := f.srv.Deliveries(id)
	if len(got) != 1 || !got[0].Dropped || got[0].Status != 0 || got[0].Failure == "" {
		t.Fatalf("Deliveries = %+v, want one dropped delivery", got)
	}

	f.replay(id, f.start.Add(-time.Minute), f.clock.Now())
	received := hook.received()
	if len(received) != 2 || received[0] != `{"lost":true}` || !strings.Contains(received[1], "replay_job_status") {
		t.Errorf("webhook received %q, want the dropped delivery and the job status", received)
	}
}

func TestDeliveryFaultsQueue(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	if err := f.srv.DropNextDelivery(id); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.DuplicateNextDelivery(id, 2); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
		f.deliver(id, body)
	}
	want := []string{`{"n":2}`, `{"n":2}`, `{"n":3}`}
	if diff := cmp.Diff(want, hook.received()); diff != "" {
		t.Errorf("received bodies mismatch (-want +got):\n%s", diff)
	}
}

func TestDeliveryFaultsApplyToDMs(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	f.subscribe(f.alice, id)
	if err := f.srv.DuplicateNextDelivery(id, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.DeliverDM(context.Background(), f.bob.ID, f.alice.ID, "twice"); err != nil {
		t.Fatal(err)
	}
	got := hook.received()
	if len(got) != 2 || got[0] != got[1] || !strings.Contains(got[0], "twice") {
		t.Errorf("webhook received %q, want the DM twice", got)
	}
}

func TestDeliveryFaultsUnknownWebhook(t *testing.T) {
	f := newEngineFixture(t)
	for name, call := range map[string]func() error{
		"drop":      func() error { return f.srv.DropNextDelivery("1") },
		"delay":     func() error { return f.srv.DelayNextDelivery("1", time.Second) },
		"duplicate": func() error { return f.srv.DuplicateNextDelivery("1", 2) },
		"hold":      func() error { return f.srv.HoldDeliveries("1") },
	} {
		if err := call(); err == nil {
			t.Errorf("%s for an unknown webhook succeeded", name)
		}
	}
}

func TestDeliveryFaultsPanic(t *testing.T) {
	f := newEngineFixture(t)
	hook := newScriptedHook(f.app.ConsumerSecret)
	id := f.createWebhook(hook.start(t).URL)
	for name, call := range map[string]func(){
		"one copy":   func() { f.srv.DuplicateNextDelivery(id, 1) },
		"zero delay": func() { f.srv.DelayNextDelivery(id, 0) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			call()
		})
	}
}
