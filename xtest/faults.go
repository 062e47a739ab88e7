package xtest

import (
	"fmt"
	"net/http"
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
