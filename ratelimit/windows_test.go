package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goodgo/xactivity/ratelimit"
)

// TestWindowsBurstSchedule sends a burst of 2,000 calls through 15 per 15
// minutes and 500 per 24 hours and checks the time of every call. The
// 15-minute window admits a group of 15 calls every 15 minutes, so the 500
// calls of a day take 33 full groups and then 5 calls at 33×15 minutes.
// Call 500 must then wait for call 0 to leave the 24-hour window, exactly
// 24 hours after it, and the pattern repeats each day.
func TestWindowsBurstSchedule(t *testing.T) {
	const calls = 2000
	clock := newFakeClock(t0)
	w := ratelimit.NewWindows(
		ratelimit.Window{Events: 15, Per: 15 * time.Minute},
		ratelimit.Window{Events: 500, Per: 24 * time.Hour},
	)
	w.Clock = clock

	got := make([]time.Duration, calls)
	for i := range got {
		if err := w.Wait(context.Background()); err != nil {
			t.Fatalf("Wait for call %d: %v", i, err)
		}
		got[i] = clock.Now().Sub(t0)
	}

	want := make([]time.Duration, calls)
	for i := range want {
		day, inDay := i/500, i%500
		want[i] = time.Duration(day)*24*time.Hour + time.Duration(inDay/15)*15*time.Minute
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("call times mismatch (-want +got):\n%s", diff)
	}
	if last, wantLast := got[calls-1], 80*time.Hour+15*time.Minute; last != wantLast {
		t.Errorf("last call at %v, want %v", last, wantLast)
	}
	assertWindowBound(t, got, 15, 15*time.Minute)
	assertWindowBound(t, got, 500, 24*time.Hour)
}

// assertWindowBound checks that no half-open interval of length per holds
// more than events of the sorted call times.
func assertWindowBound(t *testing.T, times []time.Duration, events int, per time.Duration) {
	t.Helper()
	for i := events; i < len(times); i++ {
		if gap := times[i] - times[i-events]; gap < per {
			t.Errorf("calls %d and %d are %v apart, want at least %v for %d per %v", i-events, i, gap, per, events, per)
			return
		}
	}
}

func TestWindowsAllowAtBoundaries(t *testing.T) {
	w := ratelimit.NewWindows(
		ratelimit.Window{Events: 2, Per: time.Minute},
		ratelimit.Window{Events: 3, Per: time.Hour},
	)
	steps := []struct {
		at   time.Duration
		want bool
	}{
		{0, true},
		{0, true},
		{0, false}, // minute window full
		{time.Minute - time.Nanosecond, false},
		{time.Minute, true}, // third call of the hour
		{2 * time.Minute, false},
		{time.Hour - time.Nanosecond, false},
		{time.Hour, true}, // both calls at 0 left the hour window
		{time.Hour, true},
		{time.Hour, false}, // minute window full again
	}
	for i, step := range steps {
		if got := w.AllowAt(t0.Add(step.at)); got != step.want {
			t.Errorf("step %d: AllowAt(+%v) = %v, want %v", i, step.at, got, step.want)
		}
	}
}

func TestWindowsRefusalCountsInNoWindow(t *testing.T) {
	w := ratelimit.NewWindows(
		ratelimit.Window{Events: 1, Per: time.Minute},
		ratelimit.Window{Events: 2, Per: time.Hour},
	)
	if !w.AllowAt(t0) {
		t.Fatal("first call refused")
	}
	// Refused by the minute window; the hour window must not count it.
	if w.AllowAt(t0.Add(30 * time.Second)) {
		t.Fatal("second call within a minute allowed")
	}
	if !w.AllowAt(t0.Add(time.Minute)) {
		t.Error("call after a minute refused, so a refused call was counted")
	}
}

func TestWindowsNextAllowed(t *testing.T) {
	w := ratelimit.NewWindows(
		ratelimit.Window{Events: 2, Per: time.Minute},
		ratelimit.Window{Events: 3, Per: time.Hour},
	)
	check := func(now, want time.Duration) {
		t.Helper()
		if got := w.NextAllowed(t0.Add(now)); !got.Equal(t0.Add(want)) {
			t.Errorf("NextAllowed(+%v) = +%v, want +%v", now, got.Sub(t0), want)
		}
	}
	check(0, 0)
	w.AllowAt(t0)
	check(0, 0)
	w.AllowAt(t0.Add(10 * time.Second))
	check(20*time.Second, time.Minute)
	w.AllowAt(t0.Add(time.Minute))
	check(time.Minute, time.Hour)
	check(2*time.Hour, 2*time.Hour)
}

func TestWindowsEarlierTimeUsesLatestCall(t *testing.T) {
	w := ratelimit.NewWindows(ratelimit.Window{Events: 1, Per: time.Minute})
	if !w.AllowAt(t0.Add(time.Hour)) {
		t.Fatal("first call refused")
	}
	if w.AllowAt(t0) {
		t.Error("call at an earlier time allowed within a minute of the latest call")
	}
	if got, want := w.NextAllowed(t0), t0.Add(time.Hour+time.Minute); !got.Equal(want) {
		t.Errorf("NextAllowed(earlier) = %v, want %v", got, want)
	}
}

func TestWindowsNoWindowsAllowsAll(t *testing.T) {
	w := ratelimit.NewWindows()
	for i := range 100 {
		if !w.AllowAt(t0) {
			t.Fatalf("call %d refused", i)
		}
	}
}

func TestWindowsWaitCanceled(t *testing.T) {
	clock := newFakeClock(t0)
	clock.block = make(chan time.Duration)
	w := ratelimit.NewWindows(ratelimit.Window{Events: 1, Per: time.Minute})
	w.Clock = clock
	w.AllowAt(t0)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Wait(ctx) }()
	if d := <-clock.block; d != time.Minute {
		t.Errorf("Wait sleeps %v, want %v", d, time.Minute)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Wait = %v, want context.Canceled unwrapped", err)
	}
	if !w.AllowAt(t0.Add(time.Minute)) {
		t.Error("canceled Wait counted a call")
	}
}

func TestWindowsWaitDoneContext(t *testing.T) {
	w := ratelimit.NewWindows(ratelimit.Window{Events: 1, Per: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait = %v, want context.Canceled", err)
	}
	if !w.AllowAt(time.Now()) {
		t.Error("Wait with a done context counted a call")
	}
}

func TestNewWindowsInvalid(t *testing.T) {
	cases := []ratelimit.Window{
		{Events: 0, Per: time.Minute},
		{Events: -1, Per: time.Minute},
		{Events: 1, Per: 0},
		{Events: 1, Per: -time.Second},
	}
	for _, win := range cases {
		t.Run(fmt.Sprintf("%d per %v", win.Events, win.Per), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("NewWindows(%+v) did not panic", win)
				}
			}()
			ratelimit.NewWindows(win)
		})
	}
}

func TestWindowsConcurrentWait(t *testing.T) {
	const goroutines, each = 8, 50
	clock := newFakeClock(t0)
	w := ratelimit.NewWindows(ratelimit.Window{Events: 10, Per: time.Minute})
	w.Clock = clock
	errs := make(chan error, goroutines)
	for range goroutines {
		go func() {
			for range each {
				if err := w.Wait(context.Background()); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range goroutines {
		if err := <-errs; err != nil {
			t.Fatalf("Wait: %v", err)
		}
	}
	// 400 calls at 10 per minute need at least 39 minutes after the first.
	if got, want := clock.Now().Sub(t0), 39*time.Minute; got < want {
		t.Errorf("clock advanced %v, want at least %v", got, want)
	}
}

func BenchmarkWindowsAllow(b *testing.B) {
	w := ratelimit.NewWindows(
		ratelimit.Window{Events: 15, Per: 15 * time.Minute},
		ratelimit.Window{Events: 1440, Per: 24 * time.Hour},
	)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		// 61 seconds apart, every call fits both windows, so each one
		// records into both logs.
		now = now.Add(61 * time.Second)
		if !w.AllowAt(now) {
			b.Fatal("call refused")
		}
	}
}
