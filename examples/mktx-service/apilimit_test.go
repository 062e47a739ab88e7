package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// wantRateHeaders checks the X-RateLimit-* headers of r.
func wantRateHeaders(t *testing.T, r response, limit, remaining int, reset time.Time) {
	t.Helper()
	for _, h := range []struct {
		name string
		want string
	}{
		{headerRateLimit, strconv.Itoa(limit)},
		{headerRateRemaining, strconv.Itoa(remaining)},
		{headerRateReset, strconv.FormatInt(reset.Unix(), 10)},
	} {
		if got := r.Header.Get(h.name); got != h.want {
			t.Errorf("%s = %q, want %q", h.name, got, h.want)
		}
	}
}

// wantRateLimited checks that r is the 429 of the API rate limit with a
// Retry-After of retryAfter seconds.
func wantRateLimited(t *testing.T, r response, limit int, reset time.Time, retryAfter int) {
	t.Helper()
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", r.Status, r.Raw)
	}
	if r.Success || r.Error.Code != "rate_limited" || r.Error.Message == "" {
		t.Errorf("body %s, want success false and error code rate_limited with a message", r.Raw)
	}
	if got, want := r.Header.Get("Retry-After"), strconv.Itoa(retryAfter); got != want {
		t.Errorf("Retry-After = %q, want %q", got, want)
	}
	wantRateHeaders(t, r, limit, 0, reset)
}

// remainingOf returns the X-RateLimit-Remaining header of r as a number.
func remainingOf(t *testing.T, r response) int {
	t.Helper()
	n, err := strconv.Atoi(r.Header.Get(headerRateRemaining))
	if err != nil {
		t.Fatalf("%s = %q: %v", headerRateRemaining, r.Header.Get(headerRateRemaining), err)
	}
	return n
}

func TestAPIRateLimitPerMerchant(t *testing.T) {
	h := newHarness(t)
	h.clock.freeze()
	start := h.clock.now()
	m1 := h.token("m1")
	for i := range 100 {
		r := h.do(http.MethodGet, apiBase+"/accounts", m1, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("request %d: status %d: %s", i+1, r.Status, r.Raw)
		}
		wantRateHeaders(t, r, 100, 99-i, start.Add(time.Minute))
	}

	r := h.do(http.MethodGet, apiBase+"/accounts", m1, nil)
	wantRateLimited(t, r, 100, start.Add(time.Minute), 60)
	// Every merchant route counts, and the limit holds on all of them.
	r = h.do(http.MethodGet, apiBase+"/conversations", m1, nil)
	wantRateLimited(t, r, 100, start.Add(time.Minute), 60)

	r = h.do(http.MethodGet, apiBase+"/accounts", h.token("m2"), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("other merchant: status %d: %s", r.Status, r.Raw)
	}
	wantRateHeaders(t, r, 100, 99, start.Add(time.Minute))

	h.clock.advance(59*time.Second + 500*time.Millisecond)
	r = h.do(http.MethodGet, apiBase+"/accounts", m1, nil)
	wantRateLimited(t, r, 100, start.Add(time.Minute), 1)

	h.clock.advance(500 * time.Millisecond)
	r = h.do(http.MethodGet, apiBase+"/accounts", m1, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("after the window: status %d: %s", r.Status, r.Raw)
	}
	wantRateHeaders(t, r, 100, 99, start.Add(2*time.Minute))

	if got := scrape(t, h)["mktx_api_requests_limited_total"]; got != 3 {
		t.Errorf("mktx_api_requests_limited_total = %v, want 3", got)
	}
}

func TestAPIRateLimitSlidingWindow(t *testing.T) {
	h := newHarness(t)
	h.srv.settings.APIRateLimit = 10
	h.clock.freeze()
	start := h.clock.now()
	m1 := h.token("m1")
	request := func() response { return h.do(http.MethodGet, apiBase+"/accounts", m1, nil) }
	for i := range 5 {
		if r := request(); r.Status != http.StatusOK {
			t.Fatalf("request %d at 0 s: status %d", i+1, r.Status)
		}
	}
	h.clock.advance(30 * time.Second)
	for i := range 5 {
		r := request()
		if r.Status != http.StatusOK {
			t.Fatalf("request %d at 30 s: status %d", i+1, r.Status)
		}
		wantRateHeaders(t, r, 10, 4-i, h.clock.now().Add(time.Minute))
	}
	// The five requests at 0 s leave the window at 60 s.
	wantRateLimited(t, request(), 10, start.Add(time.Minute), 30)

	// At 60 s only the five requests of 0 s have left: a fixed window
	// would allow ten requests here, the sliding window five.
	h.clock.set(start.Add(time.Minute))
	for i := range 5 {
		r := request()
		if r.Status != http.StatusOK {
			t.Fatalf("request %d at 60 s: status %d", i+1, r.Status)
		}
		wantRateHeaders(t, r, 10, 4-i, start.Add(2*time.Minute))
	}
	wantRateLimited(t, request(), 10, start.Add(90*time.Second), 30)
}

// TestAPIRateLimitRemainingIsLowerBound records count requests of a
// merchant in the store, as other replicas would, and checks the
// Remaining of the next request served by a replica that admitted none of
// them: never above the true count, and at least half of it.
func TestAPIRateLimitRemainingIsLowerBound(t *testing.T) {
	h := newHarness(t)
	h.clock.freeze()
	now := h.clock.now()
	limits := []store.SendLimit{{Max: 100, Per: apiWindow}}
	for _, count := range []int{0, 1, 2, 49, 50, 60, 75, 98, 99} {
		t.Run(fmt.Sprint(count), func(t *testing.T) {
			merchant := fmt.Sprint("m", count)
			for range count {
				ok, _, err := h.srv.store.ReserveSend(context.Background(), apiQuotaKey(merchant), now, limits)
				if err != nil || !ok {
					t.Fatalf("ReserveSend = %v, %v", ok, err)
				}
			}
			d, err := newAPILimiter(h.srv).reserve(context.Background(), merchant)
			if err != nil {
				t.Fatal(err)
			}
			if !d.allowed {
				t.Fatalf("request rejected after %d of 100 requests", count)
			}
			exact := 100 - count - 1
			if d.remaining > exact || d.remaining < (exact+1)/2 {
				t.Errorf("remaining = %d, want from %d to %d", d.remaining, (exact+1)/2, exact)
			}
			// The request was recorded once: the window is now full after
			// exactly 100-count-1 more requests.
			for range exact {
				if ok, _, _ := h.srv.store.ReserveSend(context.Background(), apiQuotaKey(merchant), now, limits); !ok {
					t.Fatal("window full too early: the request was recorded more than once")
				}
			}
			if ok, _, _ := h.srv.store.ReserveSend(context.Background(), apiQuotaKey(merchant), now, limits); ok {
				t.Fatal("window not full: the request was not recorded")
			}
		})
	}
}

// TestAPIRateLimitSharedByReplicas runs two services on one database: a
// merchant's requests count toward one limit, whichever replica serves
// them.
func TestAPIRateLimitSharedByReplicas(t *testing.T) {
	a := newHarness(t)
	b := newHarnessOn(t, a.dbURL)
	a.clock.freeze()
	start := a.clock.now()
	b.clock.set(start)
	m1 := a.token("m1")
	get := func(h *harness) response { return h.do(http.MethodGet, apiBase+"/accounts", m1, nil) }
	for i := range 60 {
		if r := get(a); r.Status != http.StatusOK {
			t.Fatalf("request %d on replica a: status %d", i+1, r.Status)
		}
	}
	for i := range 40 {
		r := get(b)
		if r.Status != http.StatusOK {
			t.Fatalf("request %d on replica b: status %d", i+1, r.Status)
		}
		exact := 100 - 60 - i - 1
		if got := remainingOf(t, r); got > exact || got < (exact+1)/2 {
			t.Errorf("request %d on replica b: remaining = %d, want from %d to %d", i+1, got, (exact+1)/2, exact)
		}
	}
	wantRateLimited(t, get(a), 100, start.Add(time.Minute), 60)
	wantRateLimited(t, get(b), 100, start.Add(time.Minute), 60)

	// Concurrent requests of another merchant on both replicas: exactly
	// the limit is admitted.
	m2 := a.token("m2")
	var admitted, limited atomic.Int64
	var wg sync.WaitGroup
	for i := range 10 {
		h := []*harness{a, b}[i%2]
		wg.Go(func() {
			for range 15 {
				switch r := h.do(http.MethodGet, apiBase+"/accounts", m2, nil); r.Status {
				case http.StatusOK:
					admitted.Add(1)
				case http.StatusTooManyRequests:
					limited.Add(1)
				default:
					t.Errorf("status %d: %s", r.Status, r.Raw)
				}
			}
		})
	}
	wg.Wait()
	if admitted.Load() != 100 || limited.Load() != 50 {
		t.Errorf("150 concurrent requests: %d admitted and %d rejected, want 100 and 50", admitted.Load(), limited.Load())
	}
}

func TestAPIRateLimitExemptRoutes(t *testing.T) {
	h := newHarness(t)
	h.srv.settings.APIRateLimit = 1
	h.clock.freeze()
	m1 := h.token("m1")
	if r := h.do(http.MethodGet, apiBase+"/accounts", m1, nil); r.Status != http.StatusOK {
		t.Fatalf("first request: status %d", r.Status)
	}
	if r := h.do(http.MethodGet, apiBase+"/accounts", m1, nil); r.Status != http.StatusTooManyRequests {
		t.Fatalf("second request: status %d, want 429", r.Status)
	}

	exempt := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/healthz", http.StatusOK},
		{http.MethodGet, "/readyz", http.StatusOK},
		{http.MethodGet, "/metrics", http.StatusOK},
		{http.MethodGet, apiBase + "/webhooks/twitter?crc_token=challenge", http.StatusOK},
		{http.MethodGet, apiBase + "/webhooks/verify?crc_token=challenge", http.StatusOK},
		{http.MethodGet, apiBase + "/oauth/callback?oauth_token=unknown&oauth_verifier=v", http.StatusBadRequest},
	}
	// The blocked merchant's token goes along, and each route is called
	// more often than the limit allows.
	for round := range 3 {
		for _, e := range exempt {
			r := h.do(e.method, e.path, m1, nil)
			if r.Status != e.want {
				t.Errorf("round %d: %s %s: status %d, want %d: %s", round, e.method, e.path, r.Status, e.want, r.Raw)
			}
			if got := r.Header.Get(headerRateLimit); got != "" {
				t.Errorf("round %d: %s %s: %s = %q, want none", round, e.method, e.path, headerRateLimit, got)
			}
		}
		if status := h.deliver(dmDelivery(5000 + round)); status != http.StatusOK {
			t.Errorf("round %d: delivery: status %d, want 200", round, status)
		}
	}

	// Requests without a valid token are rejected by authentication and
	// not counted.
	r := h.do(http.MethodGet, apiBase+"/accounts", "not-a-jwt", nil)
	if r.Status != http.StatusUnauthorized {
		t.Errorf("invalid token: status %d, want 401", r.Status)
	}
	if got := r.Header.Get(headerRateLimit); got != "" {
		t.Errorf("invalid token: %s = %q, want none", headerRateLimit, got)
	}
}

func TestAPIRateLimitStoreFailureIs503(t *testing.T) {
	h := newHarness(t)
	h.srv.store.Close()
	r := h.do(http.MethodGet, apiBase+"/accounts", h.token("m1"), nil)
	if r.Status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", r.Status, r.Raw)
	}
	if r.Error.Code != "rate_limit_unavailable" {
		t.Errorf("error code %q, want rate_limit_unavailable", r.Error.Code)
	}
	if strings.Contains(string(r.Raw), "sql") || strings.Contains(string(r.Raw), "closed") {
		t.Errorf("answer leaks internals: %s", r.Raw)
	}
	if !strings.Contains(h.logs.String(), "API rate limit check failed") {
		t.Errorf("store failure not logged:\n%s", h.logs.String())
	}
}

func TestAPILimiterForgetsIdleMerchants(t *testing.T) {
	h := newHarness(t)
	h.clock.freeze()
	l := newAPILimiter(h.srv)
	ctx := context.Background()
	for _, m := range []string{"m1", "m2", "m3"} {
		if d, err := l.reserve(ctx, m); err != nil || !d.allowed {
			t.Fatalf("reserve %s = %+v, %v", m, d, err)
		}
	}
	l.block("m3", h.clock.now().Add(time.Second))
	h.clock.advance(apiWindow)
	if d, err := l.reserve(ctx, "m4"); err != nil || !d.allowed {
		t.Fatalf("reserve m4 = %+v, %v", d, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.recent) != 1 || len(l.recent["m4"]) != 1 {
		t.Errorf("recent = %v, want only m4's request", l.recent)
	}
	if len(l.blocked) != 0 {
		t.Errorf("blocked = %v, want none", l.blocked)
	}
}
