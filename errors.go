package xactivity

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/goodgo/xactivity/ratelimit"
)

// Classes of failure. The errors returned by the SDK's API clients match
// them with errors.Is, so a caller can decide what to do with a failed call
// without reading X's codes:
//
//	if errors.Is(err, xactivity.ErrPermanent) { /* record, never retry */ }
//
// IsPermanent and IsRetryable are shorthands for these checks.
var (
	// ErrPermanent matches failures that a retry of the same request cannot
	// fix: X rejected the request itself (bad input, a recipient who cannot
	// receive the message, missing permissions), or the client rejected
	// the input before sending it.
	ErrPermanent = errors.New("xactivity: permanent failure")
	// ErrRetryable matches failures that may succeed if the same request is
	// sent again later: rate limits, server errors, and network failures
	// after which a resend cannot duplicate an effect.
	ErrRetryable = errors.New("xactivity: retryable failure")
	// ErrUnauthorized matches status 401: X did not accept the credentials
	// (a revoked or wrong token, or a clock too far from X's). It is
	// neither permanent nor retryable, because the outcome depends on
	// fixing the credentials or the clock.
	ErrUnauthorized = errors.New("xactivity: unauthorized")
)

// v1.1 error codes with a fixed meaning for classification.
const (
	codeRateLimited         = 88  // rate limit exceeded
	codeOverCapacity        = 130 // X is over capacity
	codeInternalError       = 131 // X had an internal error
	codeCannotReceive       = 150 // the recipient does not follow the sender or cannot receive
	codeCannotSendToUser    = 349 // the sender cannot send messages to this user
	codeNoMessageRequests   = 476 // the sender may not send message requests
	codeTimestampOutOfRange = 135
)

// Problem is one v2 problem object: the body of a failed v2 call, or one
// entry of the errors array of a v2 response. The zero value is an empty
// problem.
type Problem struct {
	// Type is a URI naming the kind of problem, such as
	// "https://api.x.com/2/problems/client-forbidden", or "about:blank".
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	// Status is the HTTP status the problem stands for, or 0 when absent.
	Status int `json:"status"`
	// ResourceType, ResourceID, Parameter and Value identify the resource
	// or request parameter the problem is about, when X names one.
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	Parameter    string `json:"parameter"`
	Value        string `json:"value"`
	// Errors holds the individual messages of an invalid-request problem.
	Errors []ProblemError `json:"errors"`
}

// Kind returns the last path segment of p.Type, such as
// "client-forbidden" or "resource-not-found". It returns "" for
// "about:blank" or an empty Type. Kind ignores the host, so types under
// api.twitter.com and api.x.com compare equal.
func (p Problem) Kind() string {
	i := strings.Index(p.Type, "/problems/")
	if i < 0 {
		return ""
	}
	return strings.TrimSuffix(p.Type[i+len("/problems/"):], "/")
}

// ProblemError is one message inside an invalid-request problem, with the
// request parameters it concerns.
type ProblemError struct {
	Message    string              `json:"message"`
	Parameters map[string][]string `json:"parameters"`
}

// ErrorCode is one entry of a v1.1 error body, {"errors":[{"code",
// "message"}]}.
type ErrorCode struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// APIError is a call to X that got an HTTP response reporting failure: a
// status outside 2xx, or a v2 success status whose body has errors but no
// data. Both API generations return it: v1.1 failures fill Codes, v2
// failures fill Problems. The SDK's clients return it as *APIError, possibly
// wrapped; use errors.As to read it.
//
// When StatusCode is 429, RateLimit is set and errors.As(err, &rlErr) with
// rlErr of type *ratelimit.Error finds it, so one check covers a 429 from X
// and a call that the ratelimit package refused locally.
//
// An APIError contains no credentials, request headers, request body or
// query string.
type APIError struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Endpoint is the method and URL path of the call, such as
	// "POST /2/dm_conversations/with/123/messages", without host or query.
	Endpoint string
	// Problems holds the v2 problem body, or the entries of its errors
	// array when the response had errors and no data.
	Problems []Problem
	// Codes holds the entries of a v1.1 errors array.
	Codes []ErrorCode
	// Detail describes a body of neither shape, such as an HTML page from a
	// proxy, by its content type and size. It never quotes the body.
	Detail string
	// Rate contains the limits of the response's rate-limit headers.
	Rate ratelimit.Rate
	// RateLimit is set when StatusCode is 429.
	RateLimit *ratelimit.Error
	// ServerTime is the response's Date header, the zero Time when absent.
	// Compare it with the local clock when a 401 reports code 135
	// (timestamp out of bounds).
	ServerTime time.Time
}

// Error returns a one-line summary: status, endpoint, and X's first code or
// problem, such as
// "xactivity: POST /1.1/direct_messages/events/new.json: 403 Forbidden:
// code 349: You cannot send messages to this user."
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("xactivity: ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(": ")
	}
	b.WriteString(statusText(e.StatusCode))
	e.writeCause(&b)
	if e.RateLimit != nil && !e.RateLimit.Reset.IsZero() {
		b.WriteString(" (rate limit resets at ")
		b.WriteString(e.RateLimit.Reset.UTC().Format(time.RFC3339))
		b.WriteString(")")
	}
	if e.HasCode(codeTimestampOutOfRange) && !e.ServerTime.IsZero() {
		b.WriteString(" (server time ")
		b.WriteString(e.ServerTime.UTC().Format(time.RFC3339))
		b.WriteString(")")
	}
	return b.String()
}

// maxMessage bounds each text from X quoted in Error, so a long server
// message cannot flood a log line.
const maxMessage = 200

func (e *APIError) writeCause(b *strings.Builder) {
	var cause string
	var more int
	switch {
	case len(e.Codes) > 0:
		c := e.Codes[0]
		cause = "code " + strconv.Itoa(c.Code) + ": " + clip(c.Message)
		more = len(e.Codes) - 1
	case len(e.Problems) > 0:
		cause = problemText(e.Problems[0])
		more = len(e.Problems) - 1
	case e.Detail != "":
		cause = e.Detail
	}
	if cause != "" {
		b.WriteString(": ")
		b.WriteString(cause)
	}
	if more > 0 {
		b.WriteString(" (and " + strconv.Itoa(more) + " more)")
	}
}

func problemText(p Problem) string {
	parts := make([]string, 0, 3)
	if k := p.Kind(); k != "" {
		parts = append(parts, k)
	}
	if p.Title != "" {
		parts = append(parts, clip(p.Title))
	}
	if p.Detail != "" && p.Detail != p.Title {
		parts = append(parts, clip(p.Detail))
	}
	return strings.Join(parts, ": ")
}

func clip(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func isRuneStart(c byte) bool { return c&0xC0 != 0x80 }

func statusText(code int) string {
	if text := http.StatusText(code); text != "" {
		return strconv.Itoa(code) + " " + text
	}
	return "status " + strconv.Itoa(code)
}

// Unwrap returns RateLimit, or nil when the status was not 429.
func (e *APIError) Unwrap() error {
	if e.RateLimit == nil {
		return nil
	}
	return e.RateLimit
}

// Is reports whether e belongs to the class target: ErrPermanent,
// ErrRetryable or ErrUnauthorized.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrPermanent:
		return e.Permanent()
	case ErrRetryable:
		return e.Retryable()
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	}
	return false
}

// HasCode reports whether X's v1.1 errors array contains code.
func (e *APIError) HasCode(code int) bool {
	for _, c := range e.Codes {
		if c.Code == code {
			return true
		}
	}
	return false
}

// HasProblem reports whether one of the v2 problems has the given kind,
// such as "client-forbidden" (see Problem.Kind).
func (e *APIError) HasProblem(kind string) bool {
	for _, p := range e.Problems {
		if p.Kind() == kind {
			return true
		}
	}
	return false
}

// Retryable reports whether the same request may succeed later: status
// 429 or 5xx, or v1.1 codes 88 (rate limit), 130 (over capacity) or 131
// (internal error).
func (e *APIError) Retryable() bool {
	if e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500 {
		return true
	}
	return e.HasCode(codeRateLimited) || e.HasCode(codeOverCapacity) ||
		e.HasCode(codeInternalError)
}

// permanentStatus lists the statuses after which the same request fails
// the same way: invalid input (400, 413, 422), refused access (403),
// unknown resource (404).
var permanentStatus = map[int]bool{
	http.StatusBadRequest:            true,
	http.StatusForbidden:             true,
	http.StatusNotFound:              true,
	http.StatusRequestEntityTooLarge: true,
	http.StatusUnprocessableEntity:   true,
}

// permanentKinds lists the v2 problem kinds that no retry fixes, for
// responses whose status alone does not tell (a 200 with errors only).
var permanentKinds = map[string]bool{
	"client-forbidden":            true, // app not allowed, such as a missing scope or access level
	"unsupported-authentication":  true, // wrong kind of token for the endpoint
	"invalid-request":             true,
	"resource-not-found":          true,
	"not-authorized-for-resource": true,
	"disallowed-resource":         true,
}

// Permanent reports whether a retry of the same request cannot succeed.
// That is the case for status 400, 403, 404, 413 or 422, and for v1.1
// codes 150, 349 or 476, which mean the recipient cannot receive or the
// sender may not message them. It is also the case for v2 problems of the
// kinds client-forbidden, unsupported-authentication, invalid-request,
// resource-not-found, not-authorized-for-resource or disallowed-resource.
// X reports media uploaded under the wrong category (DM media must use
// dm_image, dm_gif or dm_video) as 400 or 403, so it is permanent too.
// Permanent is false whenever Retryable is true.
func (e *APIError) Permanent() bool {
	if e.Retryable() {
		return false
	}
	if permanentStatus[e.StatusCode] {
		return true
	}
	if e.HasCode(codeCannotReceive) || e.HasCode(codeCannotSendToUser) ||
		e.HasCode(codeNoMessageRequests) {
		return true
	}
	for _, p := range e.Problems {
		if permanentKinds[p.Kind()] {
			return true
		}
	}
	return false
}

// RequestError is a call to X that got no HTTP response: the connection
// failed, timed out, or the call was stopped before it was sent. Err is the
// cause, without the *url.Error wrapper of net/http, whose message
// contains the full URL.
type RequestError struct {
	// Endpoint is the method and URL path of the call, without host or
	// query.
	Endpoint string
	// NotSent is true when the cause shows X did not act on the request:
	// a failed DNS lookup or connection attempt, or a *ratelimit.Error (a
	// local rejection, or a final 429 turned into an error by
	// ratelimit.Transport).
	NotSent bool
	// Idempotent is true when repeating the request cannot repeat an
	// effect (GET, HEAD, OPTIONS, PUT, DELETE).
	Idempotent bool
	// Canceled is true when the caller's context ended the call; Err is
	// then the context's error.
	Canceled bool
	// Err is the cause.
	Err error
}

// Error returns "xactivity: ENDPOINT: CAUSE".
func (e *RequestError) Error() string {
	return "xactivity: " + e.Endpoint + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *RequestError) Unwrap() error { return e.Err }

// Is reports whether e matches ErrRetryable: the request was not sent, or
// it is idempotent and failed in the network. A call stopped by its own
// context is never retryable, because the caller chose to stop it. A POST
// that timed out after it may have been sent is not retryable either: X
// may have accepted it, and resending could deliver a message twice.
func (e *RequestError) Is(target error) bool {
	if target != ErrRetryable {
		return false
	}
	if e.Canceled {
		return false
	}
	return e.NotSent || e.Idempotent
}

// IsPermanent reports whether err, or an error it wraps, is in the class
// ErrPermanent. See APIError.Permanent for the rules applied to X's
// responses.
func IsPermanent(err error) bool {
	return errors.Is(err, ErrPermanent)
}

// IsRetryable reports whether err, or an error it wraps, is in the class
// ErrRetryable or is a *ratelimit.Error. A *ratelimit.Error is a 429 from X
// or a local rate-limit rejection, so retry it after its Reset. See
// APIError.Retryable and RequestError.Is for the rules.
func IsRetryable(err error) bool {
	if errors.Is(err, ErrRetryable) {
		return true
	}
	var rl *ratelimit.Error
	return errors.As(err, &rl)
}
