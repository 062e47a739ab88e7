package xtest

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// injectedFailure is a response a test requested for a DM send in place of
// sending it.
type injectedFailure struct {
	status int
	body   string
}

// FailNextDM makes the server respond to the next DM send with status and
// body instead of sending the DM. Calls queue up: each one fails one more send. It applies
// to the sends of both API generations, and only to requests that pass
// authentication, rate limits, validation and the check that every
// participant exists. It comes before the checks of SetDMRefusal and
// SetMessageRequestsBlocked. The failed send still counts against the rate
// limits, but it stores no event and SentDMs does not list it.
//
// The response's Content-Type is application/problem+json on a v2 route with a
// status of 400 or more, and application/json; charset=utf-8 otherwise.
// FailNextDM panics when status is not a valid HTTP status code. It is safe
// for concurrent use.
func (s *Server) FailNextDM(status int, body string) {
	if status < 100 || status > 999 {
		panic(fmt.Sprintf("xtest: invalid HTTP status %d", status))
	}
	s.dm.mu.Lock()
	defer s.dm.mu.Unlock()
	s.dm.failures = append(s.dm.failures, injectedFailure{status: status, body: body})
}

// DropResponseAfterSend makes the server accept the next DM send, store it
// and record it in SentDMs with ResponseDropped set, and then close the
// connection without a response, so that the client sees an error such as an
// unexpected EOF after its DM was sent. Calls queue up like those of
// FailNextDM, whose failures come first.
//
// The server aborts the response by panicking with http.ErrAbortHandler, so
// a caller of ServeHTTP outside an http.Server sees that panic. It is safe
// for concurrent use.
func (s *Server) DropResponseAfterSend() {
	s.dm.mu.Lock()
	defer s.dm.mu.Unlock()
	s.dm.drops++
}

// writeInjected sends the response of an injected failure.
func writeInjected(w http.ResponseWriter, r *http.Request, f *injectedFailure) {
	contentType := "application/json; charset=utf-8"
	if !isV1(r.URL.Path) && f.status >= 400 {
		contentType = "application/problem+json"
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(f.status)
	w.Write([]byte(f.body))
}

// abortResponse closes the connection of the current request without a
// response.
func abortResponse() {
	panic(http.ErrAbortHandler)
}

// apiFaults are the failures queued by FailNext and FailNextGroup.
type apiFaults struct {
	mu      sync.Mutex
	byRoute []routeFailure
	byGroup map[Group][]int // statuses, in the order queued
}

// routeFailure is a failure queued for the next request that matches mux's
// one pattern.
type routeFailure struct {
	mux    *http.ServeMux
	status int
}

// FailNext makes the server respond to the next request that matches
// pattern with status and X's error body for it, instead of serving the
// request. pattern has the syntax of net/http.ServeMux patterns: an
// optional method, then a path whose {name} segments match any one
// segment, such as "POST /2/dm_conversations/with/{participant_id}/messages",
// "/2/users/me" or "/1.1/" for every v1.1 endpoint. Calls queue up: each
// one fails one more matching request, and a request takes the first
// queued failure it matches.
//
// The failure comes before authentication, rate limits and validation, so
// the request has no other effect; Requests still records it. status must
// be 429 or from 500 to 599: FailNext panics otherwise, and when pattern
// is not a valid pattern. A 429 carries x-rate-limit-limit 15,
// x-rate-limit-remaining 0 and an x-rate-limit-reset 15 minutes after the
// server's clock, or none or one in the past as With429Reset selects. The
// body is v1.1's errors array under /1.1/, with code 88 for 429, 130 for
// 503 and 131 for the other statuses, and v2's problem JSON elsewhere. It
// is safe for concurrent use.
func (s *Server) FailNext(pattern string, status int) {
	checkInjectedStatus(status)
	mux, err := patternMux(pattern)
	if err != nil {
		panic(err.Error())
	}
	a := &s.engine.api
	a.mu.Lock()
	defer a.mu.Unlock()
	a.byRoute = append(a.byRoute, routeFailure{mux: mux, status: status})
}

// FailNextGroup makes the server respond to the next request to any
// endpoint of rate-limit group g with status and X's error body for it,
// instead of serving the request. Calls queue up per group. The failure
// comes after authentication and before the rate limits, which do not count
// the request. A 429 reports the group's 15-minute limit, or 15 when the
// group has none, and otherwise responds as FailNext does. It panics when g
// is not one of the Group constants or status is not 429 or from 500 to
// 599. It is safe for concurrent use.
func (s *Server) FailNextGroup(g Group, status int) {
	if !knownGroup(g) {
		panic(fmt.Sprintf("xtest: unknown rate-limit group %q", g))
	}
	checkInjectedStatus(status)
	a := &s.engine.api
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.byGroup == nil {
		a.byGroup = make(map[Group][]int)
	}
	a.byGroup[g] = append(a.byGroup[g], status)
}

func checkInjectedStatus(status int) {
	if status != http.StatusTooManyRequests && (status < 500 || status > 599) {
		panic(fmt.Sprintf("xtest: injected status %d, want 429 or 500 to 599", status))
	}
}

// patternMux returns a mux whose one route is pattern, or the reason
// pattern is not a valid ServeMux pattern.
func patternMux(pattern string) (mux *http.ServeMux, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("xtest: invalid route pattern %q: %v", pattern, r)
		}
	}()
	mux = http.NewServeMux()
	mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
	return mux, nil
}

// failRoute responds with the first failure queued by FailNext that r
// matches, and reports whether there was one.
func (s *Server) failRoute(w http.ResponseWriter, r *http.Request) bool {
	a := &s.engine.api
	a.mu.Lock()
	status := 0
	for i, f := range a.byRoute {
		if _, pattern := f.mux.Handler(r); pattern != "" {
			status = f.status
			a.byRoute = slices.Delete(a.byRoute, i, i+1)
			break
		}
	}
	a.mu.Unlock()
	if status == 0 {
		return false
	}
	s.writeInjectedStatus(w, r, status, injectedLimit)
	return true
}

// failGroup responds with the next failure queued by FailNextGroup for g,
// and reports whether there was one.
func (s *Server) failGroup(w http.ResponseWriter, r *http.Request, g Group) bool {
	a := &s.engine.api
	a.mu.Lock()
	queue := a.byGroup[g]
	status := 0
	if len(queue) > 0 {
		status = queue[0]
		a.byGroup[g] = queue[1:]
	}
	a.mu.Unlock()
	if status == 0 {
		return false
	}
	s.limits.mu.Lock()
	limit := s.limits.limits[g].PerUser15m
	s.limits.mu.Unlock()
	if limit == 0 {
		limit = injectedLimit
	}
	s.writeInjectedStatus(w, r, status, limit)
	return true
}

// injectedLimit is the x-rate-limit-limit of an injected 429 when no group
// limit applies.
const injectedLimit = 15

// writeInjectedStatus sends an injected failure with X's body for status,
// and for a 429 the headers of an exhausted 15-minute window that allows
// limit requests.
func (s *Server) writeInjectedStatus(w http.ResponseWriter, r *http.Request, status, limit int) {
	e := apiError{
		status: status, code: 131, message: "Internal error",
		title: http.StatusText(status), detail: http.StatusText(status),
	}
	switch status {
	case http.StatusTooManyRequests:
		e = errTooManyRequests
		s.limits.mu.Lock()
		mode := s.limits.resetMode
		s.limits.mu.Unlock()
		now := s.now()
		reset := ceilSecond(now.Add(15 * time.Minute))
		switch mode {
		case ResetOmitted:
			reset = time.Time{}
		case ResetInPast:
			reset = now.Add(-time.Minute)
		}
		setLimitHeaders(w.Header(), "x-rate-limit", limit, 0, reset)
	case http.StatusServiceUnavailable:
		e.code, e.message = 130, "Over capacity"
	}
	writeError(w, r, e)
}

// WithClockSkew sets how far X's clock is ahead of the server's clock, or
// behind it when d is negative, as SetClockSkew does.
func WithClockSkew(d time.Duration) Option {
	return func(s *Server) { s.engine.skew.Store(int64(d)) }
}

// SetClockSkew sets how far X's clock is ahead of the server's clock, or
// behind it when d is negative. The server then checks oauth_timestamp
// against its clock plus d, within the timestamp window, and sends its
// clock plus d in the Date header, as X does when a client's clock is off
// by -d. Everything else, such as rate-limit windows, event times and
// background work, keeps the server's clock. The default is 0. It is safe
// for concurrent use.
func (s *Server) SetClockSkew(d time.Duration) {
	s.engine.skew.Store(int64(d))
}

// xNow returns the time on X's clock: the server's clock plus the skew.
func (s *Server) xNow() time.Time {
	return s.now().Add(time.Duration(s.engine.skew.Load()))
}
