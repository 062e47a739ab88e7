package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/goodgo/xactivity/store"
)

// apiWindow is the sliding window of MKTX__API_RATE_LIMIT.
const apiWindow = time.Minute

// Response headers of the API rate limit.
const (
	headerRateLimit     = "X-RateLimit-Limit"
	headerRateRemaining = "X-RateLimit-Remaining"
	headerRateReset     = "X-RateLimit-Reset"
)

// apiLimiter enforces MKTX__API_RATE_LIMIT: at most settings.APIRateLimit
// requests per merchant in any interval of apiWindow (a sliding window).
// It records each admitted request with store.SendQuotas.ReserveSend under
// the key apiQuotaKey(merchant), so every replica that shares the database
// enforces one limit per merchant.
//
// ReserveSend reports whether a request fits, not how many more would.
// To tell the caller how many requests remain, each call carries a second,
// smaller limit of threshold requests. A call that records the request
// under a threshold of k proves that the window contains at most k
// requests, so at least limit-k remain. The first threshold is one more
// than the requests this replica admitted in the window. That count is
// exact when this replica admitted every earlier request of the window
// before the current one arrived. A rejected threshold moves halfway to
// the limit and the call repeats, about log2(limit) times at most, so the
// remaining count is a lower bound of at least half the true number.
//
// After the store rejects a merchant, the limiter rejects it without a
// store call until the time the store returned. Requests leave the window
// only as time passes, so no replica can open it sooner.
//
// An apiLimiter is safe for concurrent use.
type apiLimiter struct {
	s       *server
	limited prometheus.Counter

	mu sync.Mutex
	// recent maps a merchant to the times of the requests this replica
	// admitted in the window, oldest first and at most the limit.
	recent map[string][]time.Time
	// blocked maps a merchant to the time before which the store
	// rejects its requests.
	blocked map[string]time.Time
	swept   time.Time // when expired entries were last deleted from both maps
}

// apiDecision is the outcome of one merchant request under the API rate
// limit.
type apiDecision struct {
	allowed bool
	limit   int
	// remaining is a lower bound of the requests still allowed in the
	// window after this one, and 0 when the request is rejected.
	remaining int
	now       time.Time // the time of the request
	// reset is, for an allowed request, the time when every request
	// counted now has left the window, so the full limit is available
	// again. For a rejected request it is the earliest time at which a
	// request is allowed.
	reset time.Time
}

// newAPILimiter returns the API rate limiter of s and registers its
// counter in s.metrics, or reuses the counter that an earlier limiter of
// s registered.
func newAPILimiter(s *server) *apiLimiter {
	limited := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "mktx_api_requests_limited_total",
		Help: "Merchant API requests rejected with 429 because the merchant exceeded MKTX__API_RATE_LIMIT.",
	})
	if err := s.metrics.registry.Register(limited); err != nil {
		var registered prometheus.AlreadyRegisteredError
		if !errors.As(err, &registered) {
			panic(err)
		}
		limited = registered.ExistingCollector.(prometheus.Counter)
	}
	return &apiLimiter{
		s:       s,
		limited: limited,
		recent:  make(map[string][]time.Time),
		blocked: make(map[string]time.Time),
	}
}

// apiQuotaKey returns the store's quota key of a merchant's API requests.
func apiQuotaKey(merchant string) string {
	return "api:" + merchant
}

// wrap returns next behind the API rate limit. next must run behind
// requireMerchant, which puts the merchant id in the request context.
// Every response of an admitted request carries the X-RateLimit-*
// headers. A request over the limit gets 429 with those headers and
// Retry-After, and next does not run. When the store fails, the response
// is 503.
func (l *apiLimiter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		merchant := merchantID(r.Context())
		d, err := l.reserve(r.Context(), merchant)
		if err != nil {
			if r.Context().Err() != nil {
				return // the client is gone
			}
			l.s.log.Error("API rate limit check failed", "merchant", merchant, "method", r.Method, "path", r.URL.Path, "err", err)
			writeError(w, http.StatusServiceUnavailable, "rate_limit_unavailable",
				"the API rate limit could not be checked because the database failed; try again later")
			return
		}
		d.setHeaders(w.Header())
		if !d.allowed {
			l.limited.Inc()
			w.Header().Set("Retry-After", strconv.FormatInt(d.retryAfter(), 10))
			writeError(w, http.StatusTooManyRequests, "rate_limited", fmt.Sprintf(
				"more than %d API requests in a minute; retry after the Retry-After delay in seconds", d.limit))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// setHeaders sets the X-RateLimit-* headers of d. The reset time is in
// Unix seconds, rounded up so that a client that waits until then is not
// early.
func (d apiDecision) setHeaders(h http.Header) {
	h.Set(headerRateLimit, strconv.Itoa(d.limit))
	h.Set(headerRateRemaining, strconv.Itoa(d.remaining))
	reset := d.reset.Unix()
	if d.reset.Nanosecond() > 0 {
		reset++
	}
	h.Set(headerRateReset, strconv.FormatInt(reset, 10))
}

// retryAfter returns the whole seconds, at least 1, from the request until
// a request is allowed again.
func (d apiDecision) retryAfter() int64 {
	return max(1, int64(math.Ceil(d.reset.Sub(d.now).Seconds())))
}

// reserve records a request of merchant in the store when the limit allows
// it. It returns the decision, or an error when the store fails.
func (l *apiLimiter) reserve(ctx context.Context, merchant string) (apiDecision, error) {
	limit := l.s.settings.APIRateLimit
	now := l.s.now()
	if until, ok := l.blockedUntil(merchant, now); ok {
		return apiDecision{limit: limit, now: now, reset: until}, nil
	}
	threshold := min(l.admitted(merchant, now)+1, limit)
	for {
		limits := []store.SendLimit{{Max: limit, Per: apiWindow}}
		if threshold < limit {
			limits = append(limits, store.SendLimit{Max: threshold, Per: apiWindow})
		}
		ok, next, err := l.s.store.ReserveSend(ctx, apiQuotaKey(merchant), now, limits)
		if err != nil {
			return apiDecision{}, fmt.Errorf("reserve an API request of merchant %s: %w", merchant, err)
		}
		if ok {
			l.record(merchant, now, limit)
			return apiDecision{allowed: true, limit: limit, remaining: limit - threshold, now: now, reset: now.Add(apiWindow)}, nil
		}
		if threshold == limit {
			l.block(merchant, next)
			l.s.log.Info("merchant reached the API rate limit", "merchant", merchant, "limit", limit, "until", next)
			return apiDecision{limit: limit, now: now, reset: next}, nil
		}
		threshold = limit - (limit-threshold)/2
	}
}

// blockedUntil returns the time before which the store rejects requests of
// merchant, and true, when now is before it.
func (l *apiLimiter) blockedUntil(merchant string, now time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	until, ok := l.blocked[merchant]
	if !ok {
		return time.Time{}, false
	}
	if now.Before(until) {
		return until, true
	}
	delete(l.blocked, merchant)
	return time.Time{}, false
}

// block rejects requests of merchant without a store call until until.
func (l *apiLimiter) block(merchant string, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.blocked[merchant] = until
}

// admitted returns how many requests of merchant this replica admitted in
// the window that ends at now.
func (l *apiLimiter) admitted(merchant string, now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	times := inWindow(l.recent[merchant], now)
	if len(times) == 0 {
		delete(l.recent, merchant)
	} else {
		l.recent[merchant] = times
	}
	return len(times)
}

// record notes a request of merchant admitted at now, keeping at most the
// limit's number of the newest times.
func (l *apiLimiter) record(merchant string, now time.Time, limit int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	times := l.recent[merchant]
	i, _ := slices.BinarySearchFunc(times, now, func(t, target time.Time) int { return t.Compare(target) })
	times = slices.Insert(times, i, now)
	if len(times) > limit {
		times = slices.Delete(times, 0, len(times)-limit)
	}
	l.recent[merchant] = times
}

// sweep deletes the merchants whose requests have all left the window and
// the blocks that have ended, at most once per window. The caller holds
// l.mu.
func (l *apiLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < apiWindow {
		return
	}
	l.swept = now
	for merchant, times := range l.recent {
		if len(inWindow(times, now)) == 0 {
			delete(l.recent, merchant)
		}
	}
	for merchant, until := range l.blocked {
		if !now.Before(until) {
			delete(l.blocked, merchant)
		}
	}
}

// inWindow returns the suffix of times, sorted oldest first, that lies in
// the window ending at now: the times after now minus apiWindow.
func inWindow(times []time.Time, now time.Time) []time.Time {
	cutoff := now.Add(-apiWindow)
	i, _ := slices.BinarySearchFunc(times, cutoff, func(t, target time.Time) int {
		if t.After(target) {
			return 1
		}
		return -1
	})
	return times[i:]
}
