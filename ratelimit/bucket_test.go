package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/goodgo/xactivity/ratelimit"
)

func TestBucketWaitPaces(t *testing.T) {
	clock := newFakeClock(t0)
	b := ratelimit.NewBucket(rate.NewLimiter(rate.Every(2*time.Second), 1))
	b.Clock = clock
	for range 3 {
		if err := b.Wait(context.Background()); err != nil {
			t.Fatalf("Wait: %v", err)
		}
	}
	want := []time.Duration{0, 2 * time.Second, 2 * time.Second}
	if diff := cmp.Diff(want, clock.Sleeps()); diff != "" {
		t.Errorf("sleeps mismatch (-want +got):\n%s", diff)
	}
}

func TestBucketNextAllowed(t *testing.T) {
	cases := []struct {
		name  string
		limit rate.Limit
		burst int
		drawn int
		want  time.Duration
	}{
		{"full bucket", rate.Every(time.Second), 3, 0, 0},
		{"one token left", rate.Every(time.Second), 3, 2, 0},
		{"empty bucket", rate.Every(time.Second), 3, 3, time.Second},
		{"third of a second", rate.Limit(3), 1, 1, time.Second / 3},
		{"infinite rate", rate.Inf, 0, 0, 0},
		{"zero rate and empty", 0, 1, 1, rate.InfDuration},
		{"zero burst", rate.Every(time.Second), 0, 0, rate.InfDuration},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := ratelimit.NewBucket(rate.NewLimiter(tc.limit, tc.burst))
			for range tc.drawn {
				b.AllowAt(t0)
			}
			next := b.NextAllowed(t0)
			if got := next.Sub(t0); got < tc.want || got-tc.want > time.Nanosecond {
				t.Errorf("NextAllowed = +%v, want +%v", got, tc.want)
			}
			if tc.want < rate.InfDuration && !b.AllowAt(next) {
				t.Error("AllowAt(NextAllowed) refused")
			}
		})
	}
}

func TestBucketWaitZeroBurst(t *testing.T) {
	b := ratelimit.NewBucket(rate.NewLimiter(rate.Every(time.Second), 0))
	b.Clock = newFakeClock(t0)
	if err := b.Wait(context.Background()); err == nil {
		t.Error("Wait = nil, want an error for a burst below one call")
	}
}

func TestBucketWaitCanceledReturnsToken(t *testing.T) {
	clock := newFakeClock(t0)
	clock.block = make(chan time.Duration)
	b := ratelimit.NewBucket(rate.NewLimiter(rate.Every(time.Minute), 1))
	b.Clock = clock
	b.AllowAt(t0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- b.Wait(ctx) }()
	if d := <-clock.block; d != time.Minute {
		t.Errorf("Wait sleeps %v, want %v", d, time.Minute)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Wait = %v, want context.Canceled unwrapped", err)
	}
	if !b.AllowAt(t0.Add(time.Minute)) {
		t.Error("token reserved by the canceled Wait was not given back")
	}
}
