package ratelimit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/ratelimit"
)

// countingLimiter allows every call and remembers nothing, so Keyed may
// drop it on the TTL alone.
type countingLimiter struct{}

func (countingLimiter) Wait(ctx context.Context) error      { return ctx.Err() }
func (countingLimiter) AllowAt(time.Time) bool              { return true }
func (countingLimiter) NextAllowed(now time.Time) time.Time { return now }

func TestKeyedSeparateLimiters(t *testing.T) {
	k := ratelimit.NewKeyed(time.Hour, func(string) ratelimit.Limiter {
		return ratelimit.NewWindows(ratelimit.Window{Events: 1, Per: time.Minute})
	})
	if !k.AllowAt("alice", t0) {
		t.Fatal("alice's first call refused")
	}
	if k.AllowAt("alice", t0) {
		t.Error("alice's second call allowed within the window")
	}
	if !k.AllowAt("bob", t0) {
		t.Error("bob's first call refused by alice's window")
	}
	if got, want := k.NextAllowed("alice", t0), t0.Add(time.Minute); !got.Equal(want) {
		t.Errorf("NextAllowed(alice) = %v, want %v", got, want)
	}
	if k.Limiter("alice") != k.Limiter("alice") {
		t.Error("Limiter returned different limiters for one key")
	}
}

func TestKeyedEvictsIdleKeys(t *testing.T) {
	created := map[string]int{}
	k := ratelimit.NewKeyed(time.Minute, func(key string) ratelimit.Limiter {
		created[key]++
		return countingLimiter{}
	})
	k.AllowAt("a", t0)
	k.AllowAt("b", t0.Add(30*time.Second))
	if got := k.Sweep(t0.Add(59 * time.Second)); got != 0 {
		t.Errorf("Sweep before the TTL removed %d keys, want 0", got)
	}
	if got := k.Sweep(t0.Add(time.Minute)); got != 1 {
		t.Errorf("Sweep at a's TTL removed %d keys, want 1", got)
	}
	if got := k.Len(); got != 1 {
		t.Errorf("Len = %d, want 1", got)
	}
	k.AllowAt("a", t0.Add(time.Minute))
	if got := created["a"]; got != 2 {
		t.Errorf("limiter for a created %d times, want 2", got)
	}
	if got := created["b"]; got != 1 {
		t.Errorf("limiter for b created %d times, want 1", got)
	}
}

func TestKeyedKeepsLimiterWithState(t *testing.T) {
	k := ratelimit.NewKeyed(time.Minute, func(string) ratelimit.Limiter {
		return ratelimit.NewWindows(ratelimit.Window{Events: 1, Per: time.Hour})
	})
	if !k.AllowAt("a", t0) {
		t.Fatal("first call refused")
	}
	if got := k.Sweep(t0.Add(30 * time.Minute)); got != 0 {
		t.Errorf("Sweep removed %d keys whose window still counts a call, want 0", got)
	}
	if k.AllowAt("a", t0.Add(30*time.Minute)) {
		t.Error("call allowed within the hour, so the window was forgotten")
	}
	if got := k.Sweep(t0.Add(time.Hour + time.Minute)); got != 1 {
		t.Errorf("Sweep after the window removed %d keys, want 1", got)
	}
}

func TestKeyedMemoryBounded(t *testing.T) {
	const ttl, perMinute = 5 * time.Minute, 10
	k := ratelimit.NewKeyed(ttl, func(int) ratelimit.Limiter { return countingLimiter{} })
	key, maxLen := 0, 0
	for minute := range 120 {
		now := t0.Add(time.Duration(minute) * time.Minute)
		for range perMinute {
			k.AllowAt(key, now)
			key++
		}
		maxLen = max(maxLen, k.Len())
	}
	// An idle entry lives at most twice the TTL, so at most the keys of the
	// last 2×5+1 minutes are held.
	if bound := perMinute * (2*5 + 1); maxLen > bound {
		t.Errorf("Keyed held %d keys, want at most %d", maxLen, bound)
	}
	if maxLen < perMinute*5 {
		t.Errorf("Keyed held at most %d keys, want at least the %d used within the TTL", maxLen, perMinute*5)
	}
}

func TestKeyedConcurrentCreate(t *testing.T) {
	var mu sync.Mutex
	created := 0
	k := ratelimit.NewKeyed(time.Hour, func(string) ratelimit.Limiter {
		mu.Lock()
		created++
		mu.Unlock()
		return ratelimit.NewWindows(ratelimit.Window{Events: 1, Per: time.Hour})
	})
	var wg sync.WaitGroup
	allowed := make(chan bool, 16)
	for range 16 {
		wg.Go(func() { allowed <- k.AllowAt("shared", t0) })
	}
	wg.Wait()
	close(allowed)
	count := 0
	for ok := range allowed {
		if ok {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d concurrent first calls allowed, want 1 because all share one limiter", count)
	}
	if got := k.Len(); got != 1 {
		t.Errorf("Len = %d, want 1", got)
	}
}

func TestKeyedWait(t *testing.T) {
	clock := newFakeClock(t0)
	k := ratelimit.NewKeyed(time.Hour, func(string) ratelimit.Limiter {
		w := ratelimit.NewWindows(ratelimit.Window{Events: 1, Per: time.Minute})
		w.Clock = clock
		return w
	})
	k.Clock = clock
	for range 3 {
		if err := k.Wait(context.Background(), "a"); err != nil {
			t.Fatalf("Wait: %v", err)
		}
	}
	if got, want := clock.Now(), t0.Add(2*time.Minute); !got.Equal(want) {
		t.Errorf("third call at %v, want %v", got, want)
	}
}

func TestNewKeyedInvalid(t *testing.T) {
	cases := map[string]func(){
		"zero ttl":        func() { ratelimit.NewKeyed(0, func(int) ratelimit.Limiter { return countingLimiter{} }) },
		"nil constructor": func() { ratelimit.NewKeyed[int](time.Minute, nil) },
	}
	for name, call := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewKeyed did not panic")
				}
			}()
			call()
		})
	}
}
