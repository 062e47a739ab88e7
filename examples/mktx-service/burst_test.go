package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/xtest"
)

// TestBurstSpreadsExactlyAsWindowsAllow queues 2,000 DMs for one account
// whose limits are 15 per 15 minutes and 500 per 24 hours, both at the fake
// X and in the service, and runs the outbox under a simulated clock that
// jumps to each next allowed time. X must never answer 429, every DM must
// be sent once, and each send must happen at the time the windows allow.
func TestBurstSpreadsExactlyAsWindowsAllow(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 2,000 DMs; skipped with -short")
	}
	h, conv := sendHarness(t)
	h.clock.freeze()
	h.fake.SetLimits(xtest.GroupDMSend, xtest.Limits{PerUser15m: 15, PerUser24h: 500})
	h.srv.settings.DMDailyLimit = 500
	h.srv.sender = newSender(h.srv)
	ctx := context.Background()
	start := h.clock.now()
	const total = 2000
	for i := range total {
		if _, err := h.srv.store.QueueMessage(ctx, "m1", conv, store.Message{Content: fmt.Sprint("campaign message ", i), Type: "text"}, nil, start); err != nil {
			t.Fatal(err)
		}
	}
	// The n-th send may happen only when it is the 16th in 15 minutes (plus
	// the service's margin) or the 501st in 24 hours.
	fifteen, day := 15*time.Minute+windowMargin, 24*time.Hour+windowMargin
	want := make([]time.Time, total)
	for i := range want {
		want[i] = start
		if i >= 15 && want[i-15].Add(fifteen).After(want[i]) {
			want[i] = want[i-15].Add(fifteen)
		}
		if i >= 500 && want[i-500].Add(day).After(want[i]) {
			want[i] = want[i-500].Add(day)
		}
	}
	for len(h.fake.SentDMs()) < total {
		n, err := h.srv.sender.sendDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			continue
		}
		// Nothing was due: jump to the time the windows allow the next
		// send, where the deferred DMs must be due.
		next := want[len(h.fake.SentDMs())]
		if h.clock.now().Equal(next) {
			t.Fatalf("DM %d not sent at %v, when the windows allow it", len(h.fake.SentDMs()), next.Sub(start))
		}
		h.clock.set(next)
	}

	sent := h.fake.SentDMs()
	if len(sent) != total {
		t.Fatalf("fake recorded %d DMs, want %d", len(sent), total)
	}
	texts := map[string]bool{}
	for _, dm := range sent {
		if texts[dm.Text] {
			t.Fatalf("%q sent twice", dm.Text)
		}
		texts[dm.Text] = true
	}
	if strings.Contains(h.logs.String(), "X rate limit reached") {
		t.Error("the fake answered 429 at least once")
	}
	for i, dm := range sent {
		if !dm.Time.Equal(want[i]) {
			t.Fatalf("DM %d sent at %v, want %v", i, dm.Time.Sub(start), want[i].Sub(start))
		}
	}
	last := sent[total-1].Time.Sub(start)
	t.Logf("2,000 DMs sent over %v (simulated)", last)
}
