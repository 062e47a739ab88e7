package xactivity_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/ratelimit"
)

func codes(cs ...int) []xactivity.ErrorCode {
	out := make([]xactivity.ErrorCode, len(cs))
	for i, c := range cs {
		out[i] = xactivity.ErrorCode{Code: c, Message: "m"}
	}
	return out
}

func problem(kind string) []xactivity.Problem {
	return []xactivity.Problem{{Type: "https://api.x.com/2/problems/" + kind, Title: "t"}}
}

func TestAPIErrorClassification(t *testing.T) {
	tests := []struct {
		name             string
		err              *xactivity.APIError
		permanent        bool
		retryable        bool
		unauthorized     bool
		rateLimitVisible bool
	}{
		{name: "v1.1 code 150", err: &xactivity.APIError{StatusCode: 403, Codes: codes(150)}, permanent: true},
		{name: "v1.1 code 349", err: &xactivity.APIError{StatusCode: 403, Codes: codes(349)}, permanent: true},
		{name: "v1.1 code 476", err: &xactivity.APIError{StatusCode: 403, Codes: codes(476)}, permanent: true},
		{name: "code 150 on an unusual status", err: &xactivity.APIError{StatusCode: 409, Codes: codes(150)}, permanent: true},
		{name: "client forbidden", err: &xactivity.APIError{StatusCode: 403, Problems: problem("client-forbidden")}, permanent: true},
		{name: "unsupported authentication", err: &xactivity.APIError{StatusCode: 403, Problems: problem("unsupported-authentication")}, permanent: true},
		{name: "invalid request", err: &xactivity.APIError{StatusCode: 400, Problems: problem("invalid-request")}, permanent: true},
		{name: "not found on 200 with errors only", err: &xactivity.APIError{StatusCode: 200, Problems: problem("resource-not-found")}, permanent: true},
		{name: "unknown problem on 200", err: &xactivity.APIError{StatusCode: 200, Problems: problem("something-new")}},
		{
			name: "429 with rate limit",
			err: &xactivity.APIError{StatusCode: 429, Codes: codes(88),
				RateLimit: &ratelimit.Error{StatusCode: 429}},
			retryable: true, rateLimitVisible: true,
		},
		{name: "500", err: &xactivity.APIError{StatusCode: 500}, retryable: true},
		{name: "503 non-JSON", err: &xactivity.APIError{StatusCode: 503, Detail: "non-JSON body (text/html, 10 bytes)"}, retryable: true},
		{name: "code 130 over capacity", err: &xactivity.APIError{StatusCode: 503, Codes: codes(130)}, retryable: true},
		{name: "code 131 on 403 is retryable not permanent", err: &xactivity.APIError{StatusCode: 403, Codes: codes(131)}, retryable: true},
		{name: "401 code 32", err: &xactivity.APIError{StatusCode: 401, Codes: codes(32)}, unauthorized: true},
		{name: "401 code 135", err: &xactivity.APIError{StatusCode: 401, Codes: codes(135)}, unauthorized: true},
		{name: "409", err: &xactivity.APIError{StatusCode: 409}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wrapped := fmt.Errorf("dm: send message: %w", tc.err)
			if got := xactivity.IsPermanent(wrapped); got != tc.permanent {
				t.Errorf("IsPermanent = %v, want %v", got, tc.permanent)
			}
			if got := xactivity.IsRetryable(wrapped); got != tc.retryable {
				t.Errorf("IsRetryable = %v, want %v", got, tc.retryable)
			}
			if got := errors.Is(wrapped, xactivity.ErrUnauthorized); got != tc.unauthorized {
				t.Errorf("errors.Is(ErrUnauthorized) = %v, want %v", got, tc.unauthorized)
			}
			var rl *ratelimit.Error
			if got := errors.As(wrapped, &rl); got != tc.rateLimitVisible {
				t.Errorf("errors.As(*ratelimit.Error) = %v, want %v", got, tc.rateLimitVisible)
			}
			var apiErr *xactivity.APIError
			if !errors.As(wrapped, &apiErr) || apiErr != tc.err {
				t.Error("errors.As did not find the *APIError")
			}
		})
	}
}

func TestAPIErrorMessage(t *testing.T) {
	reset := time.Date(2025, 6, 1, 12, 15, 0, 0, time.UTC)
	tests := []struct {
		name string
		err  *xactivity.APIError
		want string
	}{
		{
			name: "v1.1 code",
			err: &xactivity.APIError{StatusCode: 403, Endpoint: "POST /1.1/direct_messages/events/new.json",
				Codes: []xactivity.ErrorCode{{Code: 349, Message: "You cannot send messages to this user."}}},
			want: "xactivity: POST /1.1/direct_messages/events/new.json: 403 Forbidden: code 349: You cannot send messages to this user.",
		},
		{
			name: "v2 problem and more",
			err: &xactivity.APIError{StatusCode: 403, Endpoint: "POST /2/dm_conversations",
				Problems: []xactivity.Problem{
					{Type: "https://api.x.com/2/problems/client-forbidden", Title: "Client Forbidden", Detail: "Attach your app to a project."},
					{Title: "second"},
				}},
			want: "xactivity: POST /2/dm_conversations: 403 Forbidden: client-forbidden: Client Forbidden: Attach your app to a project. (and 1 more)",
		},
		{
			name: "429 with reset",
			err: &xactivity.APIError{StatusCode: 429, Endpoint: "POST /2/dm_conversations",
				Problems:  []xactivity.Problem{{Type: "about:blank", Title: "Too Many Requests", Detail: "Too Many Requests"}},
				RateLimit: &ratelimit.Error{StatusCode: 429, Reset: reset}},
			want: "xactivity: POST /2/dm_conversations: 429 Too Many Requests: Too Many Requests (rate limit resets at 2025-06-01T12:15:00Z)",
		},
		{
			name: "detail only",
			err:  &xactivity.APIError{StatusCode: 503, Endpoint: "GET /2/dm_events", Detail: "non-JSON body (text/html, 10 bytes)"},
			want: "xactivity: GET /2/dm_events: 503 Service Unavailable: non-JSON body (text/html, 10 bytes)",
		},
		{
			name: "unknown status",
			err:  &xactivity.APIError{StatusCode: 599},
			want: "xactivity: status 599",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestAPIErrorMessageClipsLongText(t *testing.T) {
	long := strings.Repeat("é", 300)
	err := &xactivity.APIError{StatusCode: 400, Codes: []xactivity.ErrorCode{{Code: 1, Message: long}}}
	msg := err.Error()
	if len(msg) > 260 {
		t.Errorf("Error() has %d bytes, want the message clipped", len(msg))
	}
	if !strings.HasSuffix(msg, "é...") {
		t.Errorf("Error() = %q, want it cut at a character boundary and marked", msg)
	}
}

func TestProblemKind(t *testing.T) {
	tests := []struct{ typ, want string }{
		{"https://api.x.com/2/problems/usage-capped", "usage-capped"},
		{"https://api.twitter.com/2/problems/client-forbidden", "client-forbidden"},
		{"about:blank", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := (xactivity.Problem{Type: tc.typ}).Kind(); got != tc.want {
			t.Errorf("Kind(%q) = %q, want %q", tc.typ, got, tc.want)
		}
	}
}

func TestRequestErrorClassification(t *testing.T) {
	cause := errors.New("read: connection reset by peer")
	tests := []struct {
		name      string
		err       *xactivity.RequestError
		retryable bool
	}{
		{"not sent POST", &xactivity.RequestError{Endpoint: "POST /2/x", NotSent: true, Err: cause}, true},
		{"maybe sent POST", &xactivity.RequestError{Endpoint: "POST /2/x", Err: cause}, false},
		{"maybe sent GET", &xactivity.RequestError{Endpoint: "GET /2/x", Idempotent: true, Err: cause}, true},
		{"canceled GET", &xactivity.RequestError{Endpoint: "GET /2/x", Idempotent: true, Canceled: true, Err: context.Canceled}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := xactivity.IsRetryable(tc.err); got != tc.retryable {
				t.Errorf("IsRetryable = %v, want %v", got, tc.retryable)
			}
			if xactivity.IsPermanent(tc.err) {
				t.Error("IsPermanent = true for a request that got no response")
			}
			if !errors.Is(tc.err, tc.err.Err) {
				t.Error("RequestError does not unwrap to its cause")
			}
		})
	}
}

func TestIsRetryableLocalRateLimit(t *testing.T) {
	err := fmt.Errorf("dm: send: %w", &ratelimit.Error{Local: true})
	if !xactivity.IsRetryable(err) {
		t.Error("IsRetryable = false for a local rate-limit rejection")
	}
	if xactivity.IsPermanent(err) {
		t.Error("IsPermanent = true for a local rate-limit rejection")
	}
	if xactivity.IsRetryable(errors.New("other")) || xactivity.IsPermanent(nil) {
		t.Error("an unrelated or nil error was classified")
	}
}

func TestAPIErrorIsNotOtherTargets(t *testing.T) {
	err := &xactivity.APIError{StatusCode: http.StatusForbidden, Codes: codes(349)}
	if errors.Is(err, context.Canceled) || errors.Is(err, xactivity.ErrRetryable) {
		t.Error("errors.Is matched an unrelated target")
	}
}
