package ratelimit

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults of Transport's zero fields.
const (
	// DefaultMaxRetries is the number of times a 429 is retried.
	DefaultMaxRetries = 2
	// DefaultMaxWait is the longest wait for a reset, as long as X's
	// 15-minute window.
	DefaultMaxWait = 15 * time.Minute
	// DefaultMinBackoff is the delay before the first retry of a 429 that
	// carries no usable reset, before jitter.
	DefaultMinBackoff = time.Second
	// DefaultMaxBackoff caps the backoff delay.
	DefaultMaxBackoff = time.Minute
)

// stateTTL is how long Transport keeps the learned limits of an endpoint
// that is not called, once none of its resets is ahead.
const stateTTL = 15 * time.Minute

// maxDrain bounds the bytes of a 429 body read before closing it, so the
// connection can be reused without reading an unbounded body.
const maxDrain = 64 << 10

// Transport is an http.RoundTripper that applies the rate limits X reports.
// It keeps a Learned limiter per endpoint key and, for each request:
//
//   - before sending, waits while a learned limit of the endpoint is
//     exhausted, or returns an *Error with Local set when FailFast is set or
//     the reset is more than MaxWait away, and counts the call against the
//     learned remaining calls;
//   - records the rate-limit headers of every response;
//   - on 429 Too Many Requests, retries up to MaxRetries times: at the
//     latest reset among the exhausted limits the response reports, or,
//     when it reports no reset in the future, after a jittered exponential
//     backoff between MinBackoff/2 and MaxBackoff.
//
// A request is retried only when its body can be sent again: it has no
// body, or GetBody is set (http.NewRequest sets it for *bytes.Buffer,
// *bytes.Reader and *strings.Reader bodies). A 429 that is not retried is returned as an *Error with
// StatusCode 429 and no response, after its body is read up to 64 KiB and
// closed. Unlike a plain RoundTripper, Transport thus turns a final 429
// into an error; other statuses pass through untouched. A request that X
// rejected with 429 was not processed, so a retry cannot duplicate a DM.
//
// Waits honour the request's context: when it ends, RoundTrip returns
// ctx.Err() at once. Transport is safe for concurrent use. Set its fields
// before first use and do not copy it after.
type Transport struct {
	// Base sends the requests. Nil means http.DefaultTransport.
	Base http.RoundTripper
	// Key returns the endpoint key that learned limits are kept under. Nil
	// means PathKey. The key is also Error.Endpoint, so it must not contain
	// secrets.
	Key func(*http.Request) string
	// FailFast makes the transport return an *Error instead of waiting for a
	// known reset: with Local set before sending, and with StatusCode 429
	// after a 429 that reports one. Backoff after a 429 without a usable
	// reset is not affected.
	FailFast bool
	// MaxRetries is the number of retries after a 429. Zero means
	// DefaultMaxRetries; a negative value disables retries.
	MaxRetries int
	// MaxWait is the longest wait for a reset. A reset further away is not
	// waited for: the call fails with an *Error at once, because an earlier
	// attempt would only draw another 429. Zero or negative means
	// DefaultMaxWait.
	MaxWait time.Duration
	// MinBackoff is the backoff before the first retry when a 429 reports
	// no usable reset; it doubles with each retry. Zero or negative means
	// DefaultMinBackoff.
	MinBackoff time.Duration
	// MaxBackoff caps the backoff. Zero or negative means DefaultMaxBackoff.
	MaxBackoff time.Duration
	// Clock is the time source for all waits. Nil means SystemClock.
	Clock Clock
	// Jitter returns a number in [0, 1) that picks the backoff between half
	// and all of its current value. Nil means math/rand/v2.Float64. Values
	// outside [0, 1] are clamped.
	Jitter func() float64

	once  sync.Once
	state *Keyed[string]
}

// PathKey is the default endpoint key: the method and the URL path, such
// as "POST /2/dm_conversations/with/123/messages". The query is left out.
func PathKey(req *http.Request) string {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	return method + " " + req.URL.Path
}

// RouteKey is an endpoint key that replaces each path segment made only
// of digits and dashes (X's user, event and conversation ids) with ":id",
// such as "POST /2/dm_conversations/with/:id/messages", so that one route
// shares its learned limits across ids. The first segment is the API
// version ("2" or "1.1") and is kept.
func RouteKey(req *http.Request) string {
	segments := strings.Split(req.URL.Path, "/")
	// segments[0] is empty for an absolute path and segments[1] is the
	// version.
	for i := 2; i < len(segments); i++ {
		if isID(segments[i]) {
			segments[i] = ":id"
		}
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	return method + " " + strings.Join(segments, "/")
}

func isID(segment string) bool {
	if segment == "" || segment[0] < '0' || segment[0] > '9' {
		return false
	}
	for _, c := range segment {
		if (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// Rate returns the limits learned for an endpoint key, and false when the
// key has no learned state.
func (t *Transport) Rate(key string) (Rate, bool) {
	t.once.Do(t.init)
	lim, ok := t.state.peek(key)
	if !ok {
		return Rate{}, false
	}
	return lim.(*Learned).Rate(), true
}

// RoundTrip sends req under the learned limits of its endpoint, as
// described on Transport.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.once.Do(t.init)
	key := t.key(req)
	learned := t.state.Limiter(key).(*Learned)
	for attempt := 0; ; attempt++ {
		if err := t.waitLearned(req, key, learned); err != nil {
			if attempt == 0 {
				closeBody(req.Body)
			}
			return nil, err
		}
		resp, err := t.send(req, attempt)
		if err != nil {
			return nil, err
		}
		rate := Parse(resp.Header)
		learned.Observe(rate)
		if resp.StatusCode != http.StatusTooManyRequests {
			return resp, nil
		}
		drainClose(resp.Body)
		delay, rateErr := t.retryDelay(req, key, rate, attempt)
		if rateErr != nil {
			return nil, rateErr
		}
		if err := t.clock().Sleep(req.Context(), delay); err != nil {
			return nil, err
		}
	}
}

func (t *Transport) init() {
	t.state = NewKeyed(stateTTL, func(string) Limiter {
		return &Learned{Clock: t.Clock, FailFast: t.FailFast, MaxWait: t.maxWait()}
	})
	t.state.Clock = t.Clock
}

// waitLearned waits on the endpoint's learned limits and names the endpoint
// in a local *Error.
func (t *Transport) waitLearned(req *http.Request, key string, learned *Learned) error {
	err := learned.Wait(req.Context())
	if e, ok := err.(*Error); ok {
		e.Endpoint = key
	}
	return err
}

// send sends the first attempt as req itself and each retry as a clone
// with a fresh body from GetBody.
func (t *Transport) send(req *http.Request, attempt int) (*http.Response, error) {
	out := req
	if attempt > 0 {
		out = req.Clone(req.Context())
		if req.Body != nil && req.Body != http.NoBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("ratelimit: get request body for retry: %w", err)
			}
			out.Body = body
		}
	}
	return t.base().RoundTrip(out)
}

// retryDelay returns how long to wait before retrying a 429, or the *Error
// to return when the 429 is not retried.
func (t *Transport) retryDelay(
	req *http.Request, key string, rate Rate, attempt int,
) (time.Duration, *Error) {
	now := t.clock().Now()
	rateErr := &Error{Rate: rate, StatusCode: http.StatusTooManyRequests, Endpoint: key}
	until, hasReset := rate.Exhausted(now)
	if hasReset {
		rateErr.Reset = until
	}
	if attempt >= t.maxRetries() || !replayable(req) {
		return 0, rateErr
	}
	if !hasReset {
		return t.backoff(attempt), nil
	}
	if t.FailFast || until.Sub(now) > t.maxWait() {
		return 0, rateErr
	}
	return until.Sub(now), nil
}

// backoff returns the delay before retry number attempt+1 of a 429 without
// a usable reset: MinBackoff doubled per earlier retry, capped at
// MaxBackoff, then scaled by jitter into [half, all] of that value. The
// result is always positive.
func (t *Transport) backoff(attempt int) time.Duration {
	ceiling := t.MaxBackoff
	if ceiling <= 0 {
		ceiling = DefaultMaxBackoff
	}
	base := t.MinBackoff
	if base <= 0 {
		base = DefaultMinBackoff
	}
	for i := 0; i < attempt && base < ceiling; i++ {
		base *= 2
	}
	base = min(base, ceiling)
	half := (base + 1) / 2
	return half + time.Duration(t.jitter()*float64(base-half))
}

func (t *Transport) jitter() float64 {
	j := rand.Float64()
	if t.Jitter != nil {
		j = t.Jitter()
	}
	return min(max(j, 0), 1)
}

func (t *Transport) key(req *http.Request) string {
	if t.Key != nil {
		return t.Key(req)
	}
	return PathKey(req)
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

func (t *Transport) clock() Clock { return clockOrSystem(t.Clock) }

func (t *Transport) maxRetries() int {
	switch {
	case t.MaxRetries < 0:
		return 0
	case t.MaxRetries == 0:
		return DefaultMaxRetries
	}
	return t.MaxRetries
}

func (t *Transport) maxWait() time.Duration {
	if t.MaxWait <= 0 {
		return DefaultMaxWait
	}
	return t.MaxWait
}

func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func closeBody(body io.ReadCloser) {
	if body != nil {
		body.Close()
	}
}

func drainClose(body io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	body.Close()
}
