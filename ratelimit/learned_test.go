package ratelimit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goodgo/xactivity/ratelimit"
)

func windowRate(remaining int, reset time.Time) ratelimit.Rate {
	return ratelimit.Rate{Window: &ratelimit.Limit{Limit: 15, Remaining: remaining, Reset: reset}}
}

func TestLearnedZeroValueAllows(t *testing.T) {
	var l ratelimit.Learned
	for i := range 3 {
		if !l.AllowAt(t0) {
			t.Fatalf("call %d refused with nothing learned", i)
		}
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Errorf("Wait = %v, want nil", err)
	}
}

func TestLearnedExhaustedUntilReset(t *testing.T) {
	var l ratelimit.Learned
	reset := t0.Add(10 * time.Minute)
	l.Observe(windowRate(0, reset))
	if l.AllowAt(reset.Add(-time.Second)) {
		t.Error("call allowed before the reset")
	}
	if got := l.NextAllowed(t0); !got.Equal(reset) {
		t.Errorf("NextAllowed = %v, want %v", got, reset)
	}
	if !l.AllowAt(reset) {
		t.Error("call refused at the reset")
	}
}

func TestLearnedCountsCalls(t *testing.T) {
	var l ratelimit.Learned
	reset := t0.Add(time.Minute)
	l.Observe(windowRate(2, reset))
	got := []bool{l.AllowAt(t0), l.AllowAt(t0), l.AllowAt(t0)}
	if diff := cmp.Diff([]bool{true, true, false}, got); diff != "" {
		t.Errorf("AllowAt results mismatch (-want +got):\n%s", diff)
	}
	if r := l.Rate(); r.Window == nil || r.Window.Remaining != 0 {
		t.Errorf("Rate().Window = %+v, want 0 remaining", r.Window)
	}
}

func TestLearnedObserveMerge(t *testing.T) {
	early, late := t0.Add(5*time.Minute), t0.Add(15*time.Minute)
	user := &ratelimit.Limit{Limit: 500, Remaining: 20, Reset: t0.Add(20 * time.Hour)}
	cases := []struct {
		name     string
		observed []ratelimit.Rate
		want     ratelimit.Rate
	}{
		{
			name:     "later reset replaces",
			observed: []ratelimit.Rate{windowRate(3, early), windowRate(9, late)},
			want:     windowRate(9, late),
		},
		{
			name:     "earlier reset arriving late is ignored",
			observed: []ratelimit.Rate{windowRate(9, late), windowRate(3, early)},
			want:     windowRate(9, late),
		},
		{
			name:     "same reset keeps the lower remaining",
			observed: []ratelimit.Rate{windowRate(3, late), windowRate(5, late)},
			want:     windowRate(3, late),
		},
		{
			name:     "same reset takes a lower remaining",
			observed: []ratelimit.Rate{windowRate(5, late), windowRate(3, late)},
			want:     windowRate(3, late),
		},
		{
			name:     "absent family keeps its value",
			observed: []ratelimit.Rate{{User24h: user}, windowRate(3, late)},
			want:     ratelimit.Rate{Window: windowRate(3, late).Window, User24h: user},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var l ratelimit.Learned
			for _, r := range tc.observed {
				l.Observe(r)
			}
			if diff := cmp.Diff(tc.want, l.Rate()); diff != "" {
				t.Errorf("Rate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLearnedObserveCopies(t *testing.T) {
	var l ratelimit.Learned
	r := windowRate(3, t0.Add(time.Minute))
	l.Observe(r)
	r.Window.Remaining = 0
	if !l.AllowAt(t0) {
		t.Error("changing the observed Rate afterwards changed the limiter")
	}
}

func TestLearnedWaitBlocksUntilReset(t *testing.T) {
	clock := newFakeClock(t0)
	l := &ratelimit.Learned{Clock: clock}
	reset := t0.Add(7 * time.Minute)
	l.Observe(ratelimit.Rate{
		Window:  &ratelimit.Limit{Limit: 15, Remaining: 0, Reset: t0.Add(3 * time.Minute)},
		User24h: &ratelimit.Limit{Limit: 500, Remaining: 0, Reset: reset},
	})
	if err := l.Wait(context.Background()); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Minute}, clock.Sleeps()); diff != "" {
		t.Errorf("sleeps mismatch (-want +got):\n%s", diff)
	}
}

func TestLearnedWaitRejects(t *testing.T) {
	reset := t0.Add(2 * time.Hour)
	cases := []struct {
		name    string
		learned *ratelimit.Learned
	}{
		{"fail fast", &ratelimit.Learned{FailFast: true}},
		{"reset beyond max wait", &ratelimit.Learned{MaxWait: time.Hour}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock(t0)
			tc.learned.Clock = clock
			tc.learned.Observe(windowRate(0, reset))
			err := tc.learned.Wait(context.Background())
			var rateErr *ratelimit.Error
			if !errors.As(err, &rateErr) {
				t.Fatalf("Wait = %v, want *ratelimit.Error", err)
			}
			if !rateErr.Local {
				t.Error("Error.Local = false, want true")
			}
			if !rateErr.Reset.Equal(reset) {
				t.Errorf("Error.Reset = %v, want %v", rateErr.Reset, reset)
			}
			if len(clock.Sleeps()) != 0 {
				t.Errorf("Wait slept %v, want no sleep", clock.Sleeps())
			}
		})
	}
}

func TestLearnedWaitCanceled(t *testing.T) {
	clock := newFakeClock(t0)
	clock.block = make(chan time.Duration)
	l := &ratelimit.Learned{Clock: clock}
	l.Observe(windowRate(0, t0.Add(time.Minute)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Wait(ctx) }()
	<-clock.block
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Wait = %v, want context.Canceled unwrapped", err)
	}
}
