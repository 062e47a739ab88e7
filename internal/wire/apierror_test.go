package wire

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/ratelimit"
)

func TestNewAPIErrorShapes(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		want        xactivity.APIError
	}{
		{
			name:   "v1.1 errors array",
			status: http.StatusForbidden,
			body:   `{"errors":[{"code":349,"message":"You cannot send messages to this user."}]}`,
			want: xactivity.APIError{Codes: []xactivity.ErrorCode{
				{Code: 349, Message: "You cannot send messages to this user."},
			}},
		},
		{
			name:   "v1.1 code as string and two entries",
			status: http.StatusForbidden,
			body:   `{"errors":[{"code":"150","message":"a"},{"code":476,"message":"b"}]}`,
			want: xactivity.APIError{Codes: []xactivity.ErrorCode{
				{Code: 150, Message: "a"}, {Code: 476, Message: "b"},
			}},
		},
		{
			name:        "v2 problem",
			status:      http.StatusForbidden,
			contentType: "application/problem+json",
			body: `{"title":"Unsupported Authentication","detail":"Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.",
				"type":"https://api.twitter.com/2/problems/unsupported-authentication","status":403}`,
			want: xactivity.APIError{Problems: []xactivity.Problem{{
				Type:   "https://api.twitter.com/2/problems/unsupported-authentication",
				Title:  "Unsupported Authentication",
				Detail: "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.",
				Status: 403,
			}}},
		},
		{
			name:   "v2 invalid request with messages",
			status: http.StatusBadRequest,
			body: `{"errors":[{"parameters":{"max_results":["1000"]},"message":"The max_results value is not between 1 and 100"}],
				"title":"Invalid Request","detail":"One or more parameters to your request was invalid.",
				"type":"https://api.x.com/2/problems/invalid-request"}`,
			want: xactivity.APIError{Problems: []xactivity.Problem{{
				Type:   "https://api.x.com/2/problems/invalid-request",
				Title:  "Invalid Request",
				Detail: "One or more parameters to your request was invalid.",
				Errors: []xactivity.ProblemError{{
					Message:    "The max_results value is not between 1 and 100",
					Parameters: map[string][]string{"max_results": {"1000"}},
				}},
			}}},
		},
		{
			name:   "v2 problem with resource fields",
			status: http.StatusNotFound,
			body: `{"type":"https://api.x.com/2/problems/resource-not-found","title":"Not Found Error",
				"detail":"Could not find event","resource_type":"dm_event","resource_id":"123",
				"parameter":"event_id","value":"123","status":"404"}`,
			want: xactivity.APIError{Problems: []xactivity.Problem{{
				Type: "https://api.x.com/2/problems/resource-not-found", Title: "Not Found Error",
				Detail: "Could not find event", ResourceType: "dm_event", ResourceID: "123",
				Parameter: "event_id", Value: "123", Status: 404,
			}}},
		},
		{
			name:   "errors array of problems without a top-level problem",
			status: http.StatusOK,
			body:   `{"errors":[{"type":"https://api.x.com/2/problems/resource-not-found","title":"Not Found Error","detail":"gone"},{"message":"bare"}]}`,
			want: xactivity.APIError{Problems: []xactivity.Problem{
				{Type: "https://api.x.com/2/problems/resource-not-found", Title: "Not Found Error", Detail: "gone"},
				{Detail: "bare"},
			}},
		},
		{
			name:   "v1.1 error string",
			status: http.StatusUnauthorized,
			body:   `{"request":"/1.1/direct_messages/events/list.json","error":"Not authorized."}`,
			want:   xactivity.APIError{Detail: "Not authorized."},
		},
		{
			name:        "non-JSON 503",
			status:      http.StatusServiceUnavailable,
			contentType: "text/html; charset=utf-8",
			body:        "<html><body>Over capacity</body></html>",
			want:        xactivity.APIError{Detail: "non-JSON body (text/html, 39 bytes)"},
		},
		{
			name:   "non-JSON without content type",
			status: http.StatusBadGateway,
			body:   "upstream connect error",
			want:   xactivity.APIError{Detail: "non-JSON body (no valid content type, 22 bytes)"},
		},
		{
			name:   "JSON without errors",
			status: http.StatusInternalServerError,
			body:   `{"ok":false}`,
			want:   xactivity.APIError{Detail: "JSON body without errors (12 bytes)"},
		},
		{
			name:   "wrong field types ignored",
			status: http.StatusBadRequest,
			body:   `{"errors":[{"code":{"x":1},"message":7},"junk",null],"title":["x"],"detail":"d"}`,
			want: xactivity.APIError{
				Problems: []xactivity.Problem{{Detail: "d"}},
				Codes:    []xactivity.ErrorCode{{Code: 0, Message: "7"}},
			},
		},
		{
			name:   "empty body",
			status: http.StatusInternalServerError,
			want:   xactivity.APIError{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.contentType != "" {
				h.Set("Content-Type", tc.contentType)
			}
			got := NewAPIError("GET /2/dm_events", tc.status, h, []byte(tc.body))
			want := tc.want
			want.StatusCode, want.Endpoint = tc.status, "GET /2/dm_events"
			if diff := cmp.Diff(&want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("NewAPIError mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewAPIErrorRateLimit(t *testing.T) {
	reset := time.Now().Add(10 * time.Minute).Truncate(time.Second).UTC()
	later := reset.Add(20 * time.Hour)
	tests := []struct {
		name      string
		header    http.Header
		wantReset time.Time
	}{
		{
			name: "window exhausted",
			header: http.Header{
				"X-Rate-Limit-Limit":     {"15"},
				"X-Rate-Limit-Remaining": {"0"},
				"X-Rate-Limit-Reset":     {unix(reset)},
			},
			wantReset: reset,
		},
		{
			name: "24-hour user limit exhausted later than the window",
			header: http.Header{
				"X-Rate-Limit-Limit":            {"15"},
				"X-Rate-Limit-Remaining":        {"0"},
				"X-Rate-Limit-Reset":            {unix(reset)},
				"X-User-Limit-24hour-Limit":     {"1440"},
				"X-User-Limit-24hour-Remaining": {"0"},
				"X-User-Limit-24hour-Reset":     {unix(later)},
			},
			wantReset: later,
		},
		{
			name: "nothing exhausted uses latest reset",
			header: http.Header{
				"X-Rate-Limit-Limit":     {"15"},
				"X-Rate-Limit-Remaining": {"3"},
				"X-Rate-Limit-Reset":     {unix(reset)},
			},
			wantReset: reset,
		},
		{
			name:   "no headers",
			header: http.Header{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(`{"title":"Too Many Requests","type":"about:blank","status":429,"detail":"Too Many Requests"}`)
			got := NewAPIError("POST /2/dm_conversations", http.StatusTooManyRequests, tc.header, body)
			if got.RateLimit == nil {
				t.Fatal("RateLimit is nil for a 429")
			}
			if !got.RateLimit.Reset.Equal(tc.wantReset) {
				t.Errorf("Reset = %v, want %v", got.RateLimit.Reset, tc.wantReset)
			}
			if got.RateLimit.StatusCode != http.StatusTooManyRequests || got.RateLimit.Local {
				t.Errorf("RateLimit = %+v, want status 429 and not local", got.RateLimit)
			}
			if got.RateLimit.Endpoint != "POST /2/dm_conversations" {
				t.Errorf("RateLimit.Endpoint = %q", got.RateLimit.Endpoint)
			}
			if diff := cmp.Diff(ratelimit.Parse(tc.header), got.Rate); diff != "" {
				t.Errorf("Rate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestNewAPIErrorServerTime(t *testing.T) {
	h := http.Header{"Date": {"Thu, 13 Oct 2022 23:00:31 GMT"}}
	got := NewAPIError("GET /1.1/x.json", http.StatusUnauthorized, h,
		[]byte(`{"errors":[{"code":135,"message":"Timestamp out of bounds."}]}`))
	want := time.Date(2022, 10, 13, 23, 0, 31, 0, time.UTC)
	if !got.ServerTime.Equal(want) {
		t.Errorf("ServerTime = %v, want %v", got.ServerTime, want)
	}
	if !strings.Contains(got.Error(), "server time 2022-10-13T23:00:31Z") {
		t.Errorf("Error() = %q, want the server time for code 135", got.Error())
	}
}

func TestProblemsOfPartialErrors(t *testing.T) {
	raw := json.RawMessage(`[{"value":"1","detail":"Could not find user","title":"Not Found Error",
		"resource_type":"user","parameter":"participant_ids","resource_id":"1",
		"type":"https://api.x.com/2/problems/resource-not-found"},{"code":34,"message":"gone"},{"message":"bare"}]`)
	want := []xactivity.Problem{
		{
			Value: "1", Detail: "Could not find user", Title: "Not Found Error",
			ResourceType: "user", Parameter: "participant_ids", ResourceID: "1",
			Type: "https://api.x.com/2/problems/resource-not-found",
		},
		{Title: "gone", Detail: "code 34"},
		{Detail: "bare"},
	}
	if diff := cmp.Diff(want, Problems(raw)); diff != "" {
		t.Errorf("Problems mismatch (-want +got):\n%s", diff)
	}
	for _, in := range []string{``, `null`, `{}`, `"x"`, `[1,2]`} {
		if got := Problems(json.RawMessage(in)); len(got) != 0 {
			t.Errorf("Problems(%q) = %v, want none", in, got)
		}
	}
}

// FuzzNewAPIError checks that any body decodes without panicking, that
// the result keeps the status and endpoint, and that its message never
// quotes a non-JSON body.
func FuzzNewAPIError(f *testing.F) {
	seeds := []string{
		`{"errors":[{"code":349,"message":"x"}]}`,
		`{"title":"Too Many Requests","type":"about:blank","status":429}`,
		`{"errors":[{"parameters":{"a":["1"]},"message":"m"}],"type":"https://api.x.com/2/problems/invalid-request"}`,
		`{"errors":[{"code":"88"}],"error":"e"}`,
		`<html>SECRET-LOOKING-PAGE</html>`,
		``, `null`, `[]`, `{"errors":{}}`,
	}
	for _, s := range seeds {
		f.Add(http.StatusForbidden, s)
	}
	f.Fuzz(func(t *testing.T, status int, body string) {
		e := NewAPIError("POST /2/x", status, http.Header{}, []byte(body))
		if e.StatusCode != status || e.Endpoint != "POST /2/x" {
			t.Fatalf("status %d endpoint %q, want %d and POST /2/x", e.StatusCode, e.Endpoint, status)
		}
		msg := e.Error()
		if !json.Valid([]byte(body)) && len(body) > 8 && strings.Contains(msg, body) {
			t.Errorf("Error() %q quotes the non-JSON body", msg)
		}
		if (status == http.StatusTooManyRequests) != (e.RateLimit != nil) {
			t.Errorf("status %d: RateLimit set = %v", status, e.RateLimit != nil)
		}
	})
}

// FuzzProblems checks that any errors array decodes without panicking
// and that every object entry becomes one problem.
func FuzzProblems(f *testing.F) {
	f.Add(`[{"type":"https://api.x.com/2/problems/resource-not-found","title":"t"}]`)
	f.Add(`[{"code":1,"message":"m"},{"message":"bare","parameters":{"p":"v"}}]`)
	f.Add(`[null,"x",1,{}]`)
	f.Fuzz(func(t *testing.T, raw string) {
		got := Problems(json.RawMessage(raw))
		var entries []json.RawMessage
		if json.Unmarshal([]byte(raw), &entries) != nil {
			if len(got) != 0 {
				t.Fatalf("Problems(%q) = %v from a non-array", raw, got)
			}
			return
		}
		objects := 0
		for _, e := range entries {
			var m map[string]json.RawMessage
			if json.Unmarshal(e, &m) == nil && m != nil {
				objects++
			}
		}
		if len(got) != objects {
			t.Errorf("Problems(%q) returned %d problems for %d objects", raw, len(got), objects)
		}
	})
}
