package xtest

import (
	"bytes"
	"context"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Request is one request the server received, as recorded for tests to
// inspect. The recorded header, query and form body never contain a
// signature or a bearer token: their values are replaced by "REDACTED".
type Request struct {
	Method string
	Path   string // escaped path, without the query
	Query  url.Values
	Header http.Header
	// Body is the body exactly as sent, up to the server's body limit,
	// except that the value of an oauth_signature parameter in a form body
	// is replaced.
	Body []byte
	// AuthError is the reason the server rejected the request's
	// credentials, such as "signature mismatch", and empty when they were
	// accepted or not checked.
	AuthError string
}

// maxRecorded is the number of requests a server keeps. Older ones are
// dropped, so a fake that runs for a long time does not grow without bound.
const maxRecorded = 10000

// requestLog is the mutex-guarded list of recorded requests.
type requestLog struct {
	mu       sync.Mutex
	requests []*Request
}

func (l *requestLog) add(req *Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = append(l.requests, req)
	if len(l.requests) >= 2*maxRecorded {
		l.requests = append([]*Request(nil), l.requests[len(l.requests)-maxRecorded:]...)
	}
}

func (l *requestLog) setAuthError(req *Request, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	req.AuthError = reason
}

// list returns copies of the recorded requests, oldest first.
func (l *requestLog) list() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := min(len(l.requests), maxRecorded)
	out := make([]Request, 0, n)
	for _, req := range l.requests[len(l.requests)-n:] {
		c := *req
		c.Query = cloneValues(req.Query)
		c.Header = req.Header.Clone()
		c.Body = append([]byte(nil), req.Body...)
		out = append(out, c)
	}
	return out
}

// Requests returns the requests the server received, oldest first: at most
// the latest 10000, with secrets redacted. It is safe for concurrent use,
// and the caller may modify the result.
func (s *Server) Requests() []Request {
	return s.log.list()
}

// record adds r with its already read body to the log, and returns r with a
// context that lets authentication attach its verdict to the record.
func (s *Server) record(r *http.Request, body []byte) *http.Request {
	req := &Request{
		Method: r.Method,
		Path:   r.URL.EscapedPath(),
		Query:  redactQuery(r.URL.Query()),
		Header: redactHeader(r.Header),
		Body:   redactForm(r.Header.Get("Content-Type"), body),
	}
	s.log.add(req)
	return r.WithContext(context.WithValue(r.Context(), recordKey{}, req))
}

type recordKey struct{}

// noteAuthError stores reason on the record of r, if r was recorded.
func (s *Server) noteAuthError(r *http.Request, reason string) {
	if req, ok := r.Context().Value(recordKey{}).(*Request); ok {
		s.log.setAuthError(req, reason)
	}
}

const redacted = "REDACTED"

func redactQuery(q url.Values) url.Values {
	if _, ok := q["oauth_signature"]; ok {
		q["oauth_signature"] = []string{redacted}
	}
	return q
}

// redactHeader returns a copy of h whose Authorization header keeps its
// scheme and OAuth parameters but not its signature or bearer token.
func redactHeader(h http.Header) http.Header {
	h = h.Clone()
	auth := h.Get("Authorization")
	if auth == "" {
		return h
	}
	params, err := parseAuthorization(auth)
	switch {
	case err == nil:
		if _, ok := params["oauth_signature"]; ok {
			params["oauth_signature"] = redacted
		}
		h.Set("Authorization", formatAuthorization(params))
	default:
		scheme, _, _ := strings.Cut(strings.TrimSpace(auth), " ")
		h.Set("Authorization", scheme+" "+redacted)
	}
	return h
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// redactForm returns body with the value of each oauth_signature parameter
// replaced when body is form-encoded, and body itself otherwise. The other
// bytes stay as sent.
func redactForm(contentType string, body []byte) []byte {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	if mediaType != "application/x-www-form-urlencoded" {
		return body
	}
	pairs := bytes.Split(body, []byte("&"))
	changed := false
	for i, pair := range pairs {
		key, _, _ := bytes.Cut(pair, []byte("="))
		name, err := url.QueryUnescape(string(key))
		if err != nil || name != "oauth_signature" {
			continue
		}
		pairs[i] = append(slices.Clip(key), "="+redacted...)
		changed = true
	}
	if !changed {
		return body
	}
	return bytes.Join(pairs, []byte("&"))
}
