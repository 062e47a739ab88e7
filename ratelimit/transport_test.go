package ratelimit_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goodgo/xactivity/ratelimit"
)

// reply is one scripted response of xServer.
type reply struct {
	status int
	header http.Header
}

// received is one request as xServer saw it, at the fake clock's time.
type received struct {
	at   time.Duration // since t0
	key  string
	body string
}

// xServer responds with its scripted replies in order, repeating the last,
// and records every request.
type xServer struct {
	*httptest.Server
	clock *fakeClock

	mu       sync.Mutex
	replies  []reply
	requests []received
}

func newXServer(t *testing.T, clock *fakeClock, replies ...reply) *xServer {
	t.Helper()
	s := &xServer{clock: clock, replies: replies}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *xServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, received{
		at:   s.clock.Now().Sub(t0),
		key:  r.Method + " " + r.URL.Path,
		body: string(body),
	})
	rep := s.replies[min(len(s.requests), len(s.replies))-1]
	s.mu.Unlock()
	for name, values := range rep.header {
		w.Header()[name] = values
	}
	w.WriteHeader(rep.status)
	io.WriteString(w, `{"title":"Too Many Requests","status":429}`)
}

func (s *xServer) Requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.requests...)
}

// limitHeader returns one family's headers with a reset at t0+reset.
func limitHeader(prefix string, limit, remaining int, reset time.Duration) http.Header {
	resetText := strconv.FormatInt(t0.Add(reset).Unix(), 10)
	return header(family(prefix, strconv.Itoa(limit), strconv.Itoa(remaining), resetText)...)
}

func ok(h http.Header) reply               { return reply{http.StatusOK, h} }
func tooMany(h http.Header) reply          { return reply{http.StatusTooManyRequests, h} }
func constJitter(j float64) func() float64 { return func() float64 { return j } }

func newTestTransport(s *xServer, clock ratelimit.Clock) *ratelimit.Transport {
	return &ratelimit.Transport{Base: s.Client().Transport, Clock: clock, Jitter: constJitter(0.5)}
}

func get(t *testing.T, ctx context.Context, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func post(t *testing.T, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// roundTrip sends req and closes the body of a response.
func roundTrip(tr http.RoundTripper, req *http.Request) (int, error) {
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func requestTimes(reqs []received) []time.Duration {
	out := make([]time.Duration, len(reqs))
	for i, r := range reqs {
		out[i] = r.at
	}
	return out
}

func asRateError(t *testing.T, err error) *ratelimit.Error {
	t.Helper()
	var rateErr *ratelimit.Error
	if !errors.As(err, &rateErr) {
		t.Fatalf("error = %v, want *ratelimit.Error", err)
	}
	return rateErr
}

func TestTransportPassesResponses(t *testing.T) {
	clock := newFakeClock(t0)
	s := newXServer(t, clock, ok(limitHeader(windowFamily, 15, 14, 15*time.Minute)))
	tr := newTestTransport(s, clock)
	resp, err := tr.RoundTrip(get(t, context.Background(), s.URL+"/2/dm_events?max_results=5"))
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.StatusCode)
	}
	if len(body) == 0 {
		t.Error("response body empty, want it passed through")
	}
	got, found := tr.Rate("GET /2/dm_events")
	if !found {
		t.Fatal("Rate(GET /2/dm_events) not found")
	}
	want := windowRate(14, t0.Add(15*time.Minute))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("learned Rate mismatch (-want +got):\n%s", diff)
	}
}

func TestTransportWaitsUntilReset(t *testing.T) {
	clock := newFakeClock(t0)
	s := newXServer(t, clock, ok(limitHeader(windowFamily, 15, 0, 10*time.Minute)), ok(nil))
	tr := newTestTransport(s, clock)
	for i := range 2 {
		status, err := roundTrip(tr, get(t, context.Background(), s.URL+"/2/dm_events"))
		if err != nil || status != http.StatusOK {
			t.Fatalf("call %d: status %d, error %v; want 200", i, status, err)
		}
	}
	if diff := cmp.Diff([]time.Duration{0, 10 * time.Minute}, requestTimes(s.Requests())); diff != "" {
		t.Errorf("request times mismatch (-want +got):\n%s", diff)
	}
}

// closeTracker is a body that records whether it was closed.
type closeTracker struct {
	io.Reader
	mu     sync.Mutex
	closed bool
}

func (c *closeTracker) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

func (c *closeTracker) Closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func TestTransportFailFast(t *testing.T) {
	clock := newFakeClock(t0)
	s := newXServer(t, clock, ok(limitHeader(windowFamily, 15, 0, 10*time.Minute)))
	tr := newTestTransport(s, clock)
	tr.FailFast = true
	if _, err := roundTrip(tr, get(t, context.Background(), s.URL+"/2/dm_events")); err != nil {
		t.Fatalf("first call: %v", err)
	}

	req := post(t, s.URL+"/2/dm_events", "")
	body := &closeTracker{Reader: strings.NewReader("{}")}
	req.Method, req.Body = http.MethodGet, body
	_, err := roundTrip(tr, req)
	rateErr := asRateError(t, err)
	if !rateErr.Local {
		t.Error("Error.Local = false, want true")
	}
	if got, want := rateErr.Endpoint, "GET /2/dm_events"; got != want {
		t.Errorf("Error.Endpoint = %q, want %q", got, want)
	}
	if want := t0.Add(10 * time.Minute); !rateErr.Reset.Equal(want) {
		t.Errorf("Error.Reset = %v, want %v", rateErr.Reset, want)
	}
	if rateErr.StatusCode != 0 {
		t.Errorf("Error.StatusCode = %d, want 0", rateErr.StatusCode)
	}
	if got := len(s.Requests()); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
	if len(clock.Sleeps()) != 0 {
		t.Errorf("transport slept %v, want no sleep", clock.Sleeps())
	}
	if !body.Closed() {
		t.Error("request body not closed after a local rejection")
	}
}

func TestTransportRetriesAtReset(t *testing.T) {
	clock := newFakeClock(t0)
	s := newXServer(t, clock,
		tooMany(limitHeader(windowFamily, 15, 0, 5*time.Minute)),
		ok(limitHeader(windowFamily, 15, 14, 20*time.Minute)))
	tr := newTestTransport(s, clock)
	status, err := roundTrip(tr, post(t, s.URL+"/2/dm_conversations/with/42/messages", `{"text":"hi"}`))
	if err != nil || status != http.StatusOK {
		t.Fatalf("status %d, error %v; want 200", status, err)
	}
	reqs := s.Requests()
	if diff := cmp.Diff([]time.Duration{0, 5 * time.Minute}, requestTimes(reqs)); diff != "" {
		t.Errorf("request times mismatch (-want +got):\n%s", diff)
	}
	for i, r := range reqs {
		if r.body != `{"text":"hi"}` {
			t.Errorf("request %d body = %q, want the original body", i, r.body)
		}
	}
}

func TestTransportBackoffWithoutReset(t *testing.T) {
	cases := []struct {
		name   string
		header http.Header
		setup  func(*ratelimit.Transport)
		want   []time.Duration
	}{
		{
			name:   "no headers, defaults",
			header: nil,
			want:   []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond},
		},
		{
			name:   "reset in the past",
			header: limitHeader(windowFamily, 15, 0, -time.Minute),
			want:   []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond},
		},
		{
			name:   "calls remaining",
			header: limitHeader(windowFamily, 15, 3, 10*time.Minute),
			want:   []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond},
		},
		{
			name: "capped at max backoff",
			setup: func(tr *ratelimit.Transport) {
				tr.MaxRetries = 5
				tr.MinBackoff = time.Second
				tr.MaxBackoff = 3 * time.Second
			},
			want: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond,
				2250 * time.Millisecond, 2250 * time.Millisecond, 2250 * time.Millisecond},
		},
		{
			name:  "nanosecond minimum never zero",
			setup: func(tr *ratelimit.Transport) { tr.MinBackoff = time.Nanosecond; tr.MaxBackoff = time.Nanosecond },
			want:  []time.Duration{time.Nanosecond, time.Nanosecond},
		},
		{
			name:  "retries disabled",
			setup: func(tr *ratelimit.Transport) { tr.MaxRetries = -1 },
			want:  nil,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock(t0)
			s := newXServer(t, clock, tooMany(tc.header))
			tr := newTestTransport(s, clock)
			if tc.setup != nil {
				tc.setup(tr)
			}
			_, err := roundTrip(tr, get(t, context.Background(), s.URL+"/2/dm_events"))
			rateErr := asRateError(t, err)
			if rateErr.StatusCode != http.StatusTooManyRequests {
				t.Errorf("Error.StatusCode = %d, want 429", rateErr.StatusCode)
			}
			if !rateErr.Reset.IsZero() {
				t.Errorf("Error.Reset = %v, want zero", rateErr.Reset)
			}
			if diff := cmp.Diff(tc.want, clock.Sleeps()); diff != "" {
				t.Errorf("backoff mismatch (-want +got):\n%s", diff)
			}
			if got, want := len(s.Requests()), len(tc.want)+1; got != want {
				t.Errorf("server saw %d requests, want %d", got, want)
			}
		})
	}
}

func TestTransportJitterRange(t *testing.T) {
	cases := []struct {
		jitter float64
		want   time.Duration
	}{
		{0, 500 * time.Millisecond},
		{1, time.Second},
		{-3, 500 * time.Millisecond},
		{7, time.Second},
	}
	for _, tc := range cases {
		t.Run(strconv.FormatFloat(tc.jitter, 'g', -1, 64), func(t *testing.T) {
			clock := newFakeClock(t0)
			s := newXServer(t, clock, tooMany(nil), ok(nil))
			tr := newTestTransport(s, clock)
			tr.Jitter = constJitter(tc.jitter)
			if _, err := roundTrip(tr, get(t, context.Background(), s.URL+"/x")); err != nil {
				t.Fatalf("RoundTrip: %v", err)
			}
			if diff := cmp.Diff([]time.Duration{tc.want}, clock.Sleeps()); diff != "" {
				t.Errorf("backoff mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTransportReturns429Error(t *testing.T) {
	farReset := limitHeader(userFamily, 500, 0, 20*time.Hour)
	cases := []struct {
		name      string
		replies   []reply
		setup     func(*ratelimit.Transport)
		request   func(t *testing.T, url string) *http.Request
		wantReqs  int
		wantSleep []time.Duration
		wantReset time.Duration
	}{
		{
			name: "retries used up",
			replies: []reply{
				tooMany(limitHeader(windowFamily, 15, 0, time.Minute)),
				tooMany(limitHeader(windowFamily, 15, 0, 2*time.Minute)),
				tooMany(limitHeader(windowFamily, 15, 0, 3*time.Minute)),
			},
			request:   func(t *testing.T, url string) *http.Request { return get(t, context.Background(), url) },
			wantReqs:  3,
			wantSleep: []time.Duration{time.Minute, time.Minute},
			wantReset: 3 * time.Minute,
		},
		{
			name:    "body not replayable",
			replies: []reply{tooMany(limitHeader(windowFamily, 15, 0, time.Minute))},
			request: func(t *testing.T, url string) *http.Request {
				req := post(t, url, "once")
				req.GetBody = nil
				return req
			},
			wantReqs:  1,
			wantReset: time.Minute,
		},
		{
			name:      "reset beyond max wait",
			replies:   []reply{tooMany(farReset)},
			request:   func(t *testing.T, url string) *http.Request { return get(t, context.Background(), url) },
			wantReqs:  1,
			wantReset: 20 * time.Hour,
		},
		{
			name:      "fail fast with reset",
			replies:   []reply{tooMany(limitHeader(windowFamily, 15, 0, time.Minute))},
			setup:     func(tr *ratelimit.Transport) { tr.FailFast = true },
			request:   func(t *testing.T, url string) *http.Request { return get(t, context.Background(), url) },
			wantReqs:  1,
			wantReset: time.Minute,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock(t0)
			s := newXServer(t, clock, tc.replies...)
			tr := newTestTransport(s, clock)
			bodies := &bodyRecorder{base: tr.Base}
			tr.Base = bodies
			if tc.setup != nil {
				tc.setup(tr)
			}
			_, err := roundTrip(tr, tc.request(t, s.URL+"/2/dm_events"))
			rateErr := asRateError(t, err)
			if rateErr.Local {
				t.Error("Error.Local = true, want false")
			}
			if rateErr.StatusCode != http.StatusTooManyRequests {
				t.Errorf("Error.StatusCode = %d, want 429", rateErr.StatusCode)
			}
			if want := t0.Add(tc.wantReset); !rateErr.Reset.Equal(want) {
				t.Errorf("Error.Reset = %v, want %v", rateErr.Reset, want)
			}
			if got := len(s.Requests()); got != tc.wantReqs {
				t.Errorf("server saw %d requests, want %d", got, tc.wantReqs)
			}
			if diff := cmp.Diff(tc.wantSleep, clock.Sleeps()); diff != "" {
				t.Errorf("sleeps mismatch (-want +got):\n%s", diff)
			}
			if open := bodies.Open(); open != 0 {
				t.Errorf("%d response bodies left open, want 0", open)
			}
		})
	}
}

// bodyRecorder wraps each response body in a closeTracker.
type bodyRecorder struct {
	base   http.RoundTripper
	mu     sync.Mutex
	bodies []*closeTracker
}

func (b *bodyRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := b.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	original := resp.Body
	tracker := &closeTracker{Reader: original}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{tracker, closerFunc(func() error { tracker.Close(); return original.Close() })}
	b.mu.Lock()
	b.bodies = append(b.bodies, tracker)
	b.mu.Unlock()
	return resp, nil
}

func (b *bodyRecorder) Open() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	open := 0
	for _, body := range b.bodies {
		if !body.Closed() {
			open++
		}
	}
	return open
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

func TestTransportLocalAfterFarReset(t *testing.T) {
	clock := newFakeClock(t0)
	s := newXServer(t, clock, tooMany(limitHeader(userFamily, 500, 0, 20*time.Hour)))
	tr := newTestTransport(s, clock)
	url := s.URL + "/2/dm_conversations/with/7/messages"
	if _, err := roundTrip(tr, post(t, url, "a")); err == nil {
		t.Fatal("first call succeeded, want a 429 error")
	}
	_, err := roundTrip(tr, post(t, url, "b"))
	if rateErr := asRateError(t, err); !rateErr.Local {
		t.Error("second call: Error.Local = false, want true")
	}
	if got := len(s.Requests()); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}

func TestTransportCanceledWhileWaiting(t *testing.T) {
	cases := []struct {
		name      string
		replies   []reply
		warmUp    bool // make one call first so a limit is learned
		wantSleep time.Duration
		wantReqs  int
	}{
		{
			name:      "before sending",
			replies:   []reply{ok(limitHeader(windowFamily, 15, 0, 10*time.Minute))},
			warmUp:    true,
			wantSleep: 10 * time.Minute,
			wantReqs:  1,
		},
		{
			name:      "for a reset after 429",
			replies:   []reply{tooMany(limitHeader(windowFamily, 15, 0, 10*time.Minute))},
			wantSleep: 10 * time.Minute,
			wantReqs:  1,
		},
		{
			name:      "in backoff after 429",
			replies:   []reply{tooMany(nil)},
			wantSleep: 750 * time.Millisecond,
			wantReqs:  1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock(t0)
			s := newXServer(t, clock, tc.replies...)
			tr := newTestTransport(s, clock)
			if tc.warmUp {
				if _, err := roundTrip(tr, get(t, context.Background(), s.URL+"/2/dm_events")); err != nil {
					t.Fatalf("warm-up call: %v", err)
				}
			}
			clock.block = make(chan time.Duration)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() {
				_, err := roundTrip(tr, get(t, ctx, s.URL+"/2/dm_events"))
				done <- err
			}()
			if d := <-clock.block; d != tc.wantSleep {
				t.Errorf("transport waits %v, want %v", d, tc.wantSleep)
			}
			cancel()
			if err := <-done; err != context.Canceled {
				t.Errorf("RoundTrip = %v, want context.Canceled unwrapped", err)
			}
			if got := len(s.Requests()); got != tc.wantReqs {
				t.Errorf("server saw %d requests, want %d", got, tc.wantReqs)
			}
		})
	}
}

func TestTransportErrorThroughClient(t *testing.T) {
	clock := newFakeClock(t0)
	s := newXServer(t, clock, tooMany(nil))
	tr := newTestTransport(s, clock)
	tr.MaxRetries = -1
	client := &http.Client{Transport: tr}
	resp, err := client.Get(s.URL + "/2/dm_events")
	if err == nil {
		resp.Body.Close()
		t.Fatal("Get succeeded, want an error")
	}
	if rateErr := asRateError(t, err); rateErr.Endpoint != "GET /2/dm_events" {
		t.Errorf("Error.Endpoint = %q, want %q", rateErr.Endpoint, "GET /2/dm_events")
	}
}

func TestTransportKeys(t *testing.T) {
	cases := []struct {
		method, url string
		wantPath    string
		wantRoute   string
	}{
		{"POST", "https://api.x.com/2/dm_conversations/with/1234/messages", "POST /2/dm_conversations/with/1234/messages", "POST /2/dm_conversations/with/:id/messages"},
		{"GET", "https://api.x.com/2/dm_conversations/12-34/dm_events?max_results=5", "GET /2/dm_conversations/12-34/dm_events", "GET /2/dm_conversations/:id/dm_events"},
		{"DELETE", "https://api.x.com/2/dm_events/99", "DELETE /2/dm_events/99", "DELETE /2/dm_events/:id"},
		{"", "https://api.x.com/1.1/direct_messages/events/list.json?count=50", "GET /1.1/direct_messages/events/list.json", "GET /1.1/direct_messages/events/list.json"},
		{"GET", "https://api.x.com/2/users/by/username/x2024", "GET /2/users/by/username/x2024", "GET /2/users/by/username/x2024"},
	}
	for _, tc := range cases {
		t.Run(tc.wantPath, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Method = tc.method
			if got := ratelimit.PathKey(req); got != tc.wantPath {
				t.Errorf("PathKey = %q, want %q", got, tc.wantPath)
			}
			if got := ratelimit.RouteKey(req); got != tc.wantRoute {
				t.Errorf("RouteKey = %q, want %q", got, tc.wantRoute)
			}
		})
	}
}

func TestTransportRouteKeySharesLimits(t *testing.T) {
	clock := newFakeClock(t0)
	s := newXServer(t, clock, ok(limitHeader(windowFamily, 15, 0, time.Minute)), ok(nil))
	tr := newTestTransport(s, clock)
	tr.Key, tr.FailFast = ratelimit.RouteKey, true
	if _, err := roundTrip(tr, post(t, s.URL+"/2/dm_conversations/with/1/messages", "a")); err != nil {
		t.Fatalf("first call: %v", err)
	}
	_, err := roundTrip(tr, post(t, s.URL+"/2/dm_conversations/with/2/messages", "b"))
	if rateErr := asRateError(t, err); rateErr.Endpoint != "POST /2/dm_conversations/with/:id/messages" {
		t.Errorf("Error.Endpoint = %q, want the route", rateErr.Endpoint)
	}
}

func TestTransportConcurrent(t *testing.T) {
	const goroutines, each = 16, 20
	clock := newFakeClock(t0)
	var (
		mu       sync.Mutex
		served   int
		accepted int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served++
		n := served
		mu.Unlock()
		remaining := strconv.Itoa(1000 - n%1000)
		reset := strconv.FormatInt(clock.Now().Add(15*time.Minute).Unix(), 10)
		for k, v := range header(family(windowFamily, "1000", remaining, reset)...) {
			w.Header()[k] = v
		}
		if n%7 == 0 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		mu.Lock()
		accepted++
		mu.Unlock()
	}))
	defer srv.Close()
	tr := &ratelimit.Transport{Base: srv.Client().Transport, Clock: clock, Key: ratelimit.RouteKey}

	var wg sync.WaitGroup
	results := make(chan error, goroutines*each)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				url := srv.URL + "/2/dm_events/" + strconv.Itoa(g*each+i)
				_, err := roundTrip(tr, get(t, context.Background(), url))
				results <- err
			}
		})
	}
	wg.Wait()
	close(results)
	succeeded := 0
	for err := range results {
		if err == nil {
			succeeded++
			continue
		}
		if rateErr := asRateError(t, err); rateErr.StatusCode != http.StatusTooManyRequests {
			t.Errorf("Error.StatusCode = %d, want 429", rateErr.StatusCode)
		}
	}
	if succeeded != accepted {
		t.Errorf("%d calls succeeded, server accepted %d", succeeded, accepted)
	}
	if succeeded < goroutines*each*6/7-goroutines {
		t.Errorf("%d of %d calls succeeded, want retries to recover most 429s", succeeded, goroutines*each)
	}
	if _, found := tr.Rate("GET /2/dm_events/:id"); !found {
		t.Error("no limits learned for the route")
	}
}

func BenchmarkTransportOverhead(b *testing.B) {
	h := limitHeader(windowFamily, 1000000000, 999999999, time.Hour)
	base := roundTripperFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Header: h, Body: http.NoBody}, nil
	})
	tr := &ratelimit.Transport{Base: base, Clock: newFakeClock(t0)}
	req, err := http.NewRequest(http.MethodGet, "https://api.x.com/2/dm_events", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
