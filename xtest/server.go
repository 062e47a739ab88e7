package xtest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"
)

// maxBodyBytes bounds the request bodies the server reads and records.
const maxBodyBytes = 1 << 20

var errBodyUnreadable = errors.New("xtest: request body unreadable or too large")

// Server is a fake X API. It checks OAuth 1.0a signatures as X does, serves
// the endpoints listed in the package documentation from an in-memory
// registry of apps and users, and records every request it receives.
//
// Create one with New or NewServer; the zero value is not usable. All
// methods are safe for concurrent use, and a Server is an http.Handler, so
// it can also be served by any http.Server.
type Server struct {
	now     func() time.Time
	window  time.Duration
	baseURL *url.URL

	world  *world
	dm     *dmState
	hooks  *webhookState
	xaa    *activityState
	social *socialState
	limits *limiter
	engine *engine
	log    requestLog
	nonces nonceCache
	oauth  oauthState
	mux    *http.ServeMux

	mu sync.Mutex
	ts *httptest.Server
}

// Option configures a Server in New or NewServer.
type Option func(*Server)

// WithClock sets the clock that timestamps are checked against and the Date
// response header is taken from. The default is time.Now. The server cannot
// tell when such a clock moves, so its background work, such as delivery
// retries and periodic CRC checks, runs only when the test calls RunDue;
// WithManualClock runs it as the clock advances. New panics when now is
// nil.
func WithClock(now func() time.Time) Option {
	return func(s *Server) {
		if now == nil {
			panic("xtest: clock must not be nil")
		}
		s.now = now
		s.engine.mode = clockFunc
		s.engine.manual = nil
	}
}

// WithTimestampWindow sets how far an oauth_timestamp may be from the
// server's clock, in either direction, before the request is rejected with
// X's "Timestamp out of bounds" error. The default is 5 minutes. New panics
// when d is not positive.
func WithTimestampWindow(d time.Duration) Option {
	return func(s *Server) {
		if d <= 0 {
			panic("xtest: timestamp window must be positive")
		}
		s.window = d
	}
}

// WithBaseURL sets the URL under which clients reach the server, such as
// "https://api.example.test" when it sits behind a TLS proxy. Signatures are
// then checked against this scheme and host, with the URL's path (if any)
// put before the request path. By default the server uses "http" and the
// request's Host header. New panics when rawURL is not an absolute URL.
func WithBaseURL(rawURL string) Option {
	return func(s *Server) {
		u, err := url.Parse(rawURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			panic("xtest: base URL must be absolute, such as https://api.example.test: " + rawURL)
		}
		s.baseURL = u
	}
}

// New returns a server that is not listening yet: call Start, or serve it
// as an http.Handler.
func New(opts ...Option) *Server {
	s := &Server{
		now:    time.Now,
		window: 5 * time.Minute,
		world:  newWorld(),
		dm:     newDMState(),
		hooks:  newWebhookState(),
		xaa:    newActivityState(),
		social: newSocialState(),
		limits: newLimiter(),
		engine: newEngine(),
		mux:    http.NewServeMux(),
	}
	for _, opt := range opts {
		opt(s)
	}
	s.routeUsers()
	s.routeDMs()
	s.routeWebhooks()
	s.routeActivity()
	s.routeOAuth()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errNotFound)
	})
	s.engine.start(s)
	return s
}

// NewServer returns a server listening on a loopback address, as
// httptest.NewServer does. The caller must Close it.
func NewServer(opts ...Option) *Server {
	s := New(opts...)
	s.Start()
	return s
}

// Start starts listening on a loopback address. It panics when the server
// was already started.
func (s *Server) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ts != nil {
		panic("xtest: server already started")
	}
	s.ts = httptest.NewServer(s)
}

// URL returns the base URL of a started server, such as
// "http://127.0.0.1:40123", and "" before Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Close shuts down a started server and blocks until all its requests have
// finished. Then it cancels running replay jobs and background work, drops
// pending retries, delayed deliveries and CRC checks, waits for the running
// ones to end and closes the idle connections to webhooks, whether or not
// the server was started.
func (s *Server) Close() {
	s.mu.Lock()
	ts := s.ts
	s.mu.Unlock()
	if ts != nil {
		ts.Close()
	}
	s.hooks.cancel()
	s.engine.close(s)
	s.hooks.replays.Wait()
	s.hooks.client.CloseIdleConnections()
}

// ServeHTTP records r and responds to it as X would.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Date", s.xNow().UTC().Format(http.TimeFormat))
	body, err := readBody(r)
	r = s.record(r, body)
	if err != nil {
		writeError(w, r, errBodyTooLarge)
		return
	}
	if s.failRoute(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// readBody reads at most maxBodyBytes of r's body and makes r.Body readable
// again. The error reports a longer body or a failed read.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err == nil && len(body) > maxBodyBytes {
		body = body[:maxBodyBytes]
		err = errBodyUnreadable
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, err
}
