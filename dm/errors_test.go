package dm

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/ratelimit"
)

// TestErrorShapes sends one v2 and one v1.1 call into each of X's error
// shapes and checks the error's type, fields and class.
func TestErrorShapes(t *testing.T) {
	reset := time.Now().Add(15 * time.Minute).Truncate(time.Second).UTC()
	limited := http.Header{
		"X-Rate-Limit-Limit":     {"15"},
		"X-Rate-Limit-Remaining": {"0"},
		"X-Rate-Limit-Reset":     {strconv.FormatInt(reset.Unix(), 10)},
	}
	tests := []struct {
		name       string
		v11        bool
		status     int
		header     http.Header
		body       string
		permanent  bool
		retryable  bool
		wantReset  time.Time // checked when status is 429
		wantInText string
	}{
		{
			name: "v1.1 code 150", v11: true, status: 403,
			body:      `{"errors":[{"code":150,"message":"You cannot send messages to users who are not following you."}]}`,
			permanent: true, wantInText: "code 150",
		},
		{
			name: "v1.1 code 349", v11: true, status: 403,
			body:      `{"errors":[{"code":349,"message":"You cannot send messages to this user."}]}`,
			permanent: true, wantInText: "code 349",
		},
		{
			name: "v1.1 code 476", v11: true, status: 403,
			body:      `{"errors":[{"code":476,"message":"Sender is not verified to send message requests."}]}`,
			permanent: true, wantInText: "code 476",
		},
		{
			name: "v1.1 429 code 88 with headers", v11: true, status: 429, header: limited,
			body:      `{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`,
			retryable: true, wantReset: reset, wantInText: "rate limit resets at",
		},
		{
			name: "v1.1 429 without headers", v11: true, status: 429,
			body:      `{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`,
			retryable: true,
		},
		{
			name: "v1.1 over capacity", v11: true, status: 503,
			body:      `{"errors":[{"code":130,"message":"Over capacity"}]}`,
			retryable: true,
		},
		{
			name: "v2 429 problem with headers", status: 429, header: limited,
			body:      `{"title":"Too Many Requests","type":"about:blank","status":429,"detail":"Too Many Requests"}`,
			retryable: true, wantReset: reset,
		},
		{
			name: "v2 429 without headers", status: 429,
			body:      `{"title":"Too Many Requests","type":"about:blank","status":429,"detail":"Too Many Requests"}`,
			retryable: true,
		},
		{
			name: "v2 client forbidden", status: 403,
			body: `{"client_id":"123","detail":"Attach your app to a project.","registration_url":"https://developer.x.com",
				"title":"Client Forbidden","required_enrollment":"Appropriate Level of API Access","reason":"client-not-enrolled",
				"type":"https://api.x.com/2/problems/client-forbidden"}`,
			permanent: true, wantInText: "client-forbidden",
		},
		{
			name: "v2 unsupported authentication", status: 403,
			body: `{"title":"Unsupported Authentication","detail":"Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.",
				"type":"https://api.x.com/2/problems/unsupported-authentication","status":403}`,
			permanent: true, wantInText: "unsupported-authentication",
		},
		{
			name: "v2 media of the wrong category", status: 400,
			body: `{"errors":[{"parameters":{"attachments.media_id":["1455952740635586573"]},"message":"media category must be dm_image, dm_gif or dm_video"}],
				"title":"Invalid Request","detail":"One or more parameters to your request was invalid.",
				"type":"https://api.x.com/2/problems/invalid-request"}`,
			permanent: true, wantInText: "invalid-request",
		},
		{
			name: "non-JSON 503", status: 503,
			body:      "<html><body>Service Unavailable</body></html>",
			retryable: true, wantInText: "non-JSON body",
		},
		{
			name: "v2 401", status: 401,
			body: `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mock := newMock(t)
			endpoint := "/2/dm_conversations/with/944480690/messages"
			send := func() error {
				_, err := c.SendToParticipant(context.Background(), "944480690", Message{Text: "hi"})
				return err
			}
			if tc.v11 {
				endpoint = "/1.1/direct_messages/events/new.json"
				send = func() error {
					_, err := c.SendV11(context.Background(), "944480690", V11Message{Text: "hi"})
					return err
				}
			}
			resp := httpmock.NewStringResponder(tc.status, tc.body).HeaderSet(tc.header)
			mock.RegisterResponder("POST", testBaseURL+endpoint, resp)

			err := send()
			var apiErr *xactivity.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v (%T), want *xactivity.APIError", err, err)
			}
			if apiErr.StatusCode != tc.status || apiErr.Endpoint != "POST "+endpoint {
				t.Errorf("StatusCode, Endpoint = %d, %q; want %d, %q", apiErr.StatusCode, apiErr.Endpoint, tc.status, "POST "+endpoint)
			}
			if got := xactivity.IsPermanent(err); got != tc.permanent {
				t.Errorf("IsPermanent = %v, want %v", got, tc.permanent)
			}
			if got := xactivity.IsRetryable(err); got != tc.retryable {
				t.Errorf("IsRetryable = %v, want %v", got, tc.retryable)
			}
			if tc.status == http.StatusUnauthorized && !errors.Is(err, xactivity.ErrUnauthorized) {
				t.Error("a 401 does not match ErrUnauthorized")
			}
			checkRateLimit(t, err, tc.status, tc.wantReset)
			if !strings.Contains(err.Error(), tc.wantInText) {
				t.Errorf("Error() = %q, want it to contain %q", err, tc.wantInText)
			}
			checkNoSecrets(t, err.Error())
		})
	}
}

func checkRateLimit(t *testing.T, err error, status int, wantReset time.Time) {
	t.Helper()
	var rl *ratelimit.Error
	found := errors.As(err, &rl)
	if found != (status == http.StatusTooManyRequests) {
		t.Fatalf("errors.As(*ratelimit.Error) = %v for status %d", found, status)
	}
	if found && !rl.Reset.Equal(wantReset) {
		t.Errorf("ratelimit.Error.Reset = %v, want %v", rl.Reset, wantReset)
	}
}

// checkNoSecrets fails when msg contains a credential of the test client
// or a full URL.
func checkNoSecrets(t *testing.T, msg string) {
	t.Helper()
	for _, s := range []string{testConsumerSecret, testTokenSecret, testToken, testConsumerKey, "oauth_", "https://"} {
		if strings.Contains(msg, s) {
			t.Errorf("error message %q contains %q", msg, s)
		}
	}
}

// TestPartialErrors checks responses with a 2xx status and an errors
// array: with data they succeed and report the problems, without data they
// fail.
func TestPartialErrors(t *testing.T) {
	notFound := `{"type":"https://api.x.com/2/problems/resource-not-found","title":"Not Found Error",
		"detail":"Could not find user with id: [1].","resource_type":"user","resource_id":"1","parameter":"sender_id","value":"1"}`
	t.Run("event with data", func(t *testing.T) {
		c, mock := newMock(t)
		expect(t, mock, exchange{
			method: "GET", path: "/2/dm_events/1580705921830768647",
			query:  map[string][]string{"expansions": {"sender_id"}},
			status: 200, response: `{"data":{"id":"1580705921830768647","event_type":"MessageCreate","text":"x"},"errors":[` + notFound + `]}`,
		})
		res, err := c.Event(context.Background(), "1580705921830768647", Fields{Expansions: []string{"sender_id"}})
		if err != nil {
			t.Fatalf("Event: %v", err)
		}
		if len(res.Partial) != 1 || res.Partial[0].Kind() != "resource-not-found" || res.Partial[0].ResourceID != "1" {
			t.Errorf("Partial = %+v, want the not-found problem", res.Partial)
		}
	})
	t.Run("event without data", func(t *testing.T) {
		c, mock := newMock(t)
		expect(t, mock, exchange{
			method: "GET", path: "/2/dm_events/1580705921830768647",
			status: 200, response: `{"errors":[` + notFound + `]}`,
		})
		_, err := c.Event(context.Background(), "1580705921830768647", Fields{})
		var apiErr *xactivity.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 200 || !apiErr.HasProblem("resource-not-found") {
			t.Fatalf("error = %v, want an APIError with status 200 and the problem", err)
		}
		if !xactivity.IsPermanent(err) {
			t.Error("a not-found lookup is not permanent")
		}
	})
	t.Run("page without data", func(t *testing.T) {
		c, mock := newMock(t)
		expect(t, mock, exchange{
			method: "GET", path: "/2/dm_events",
			status: 200, response: `{"errors":[` + notFound + `]}`,
		})
		_, err := c.EventPages(ListOptions{}).Next(context.Background())
		if !xactivity.IsPermanent(err) {
			t.Errorf("error = %v, want permanent", err)
		}
	})
	t.Run("send without data", func(t *testing.T) {
		c, mock := newMock(t)
		mock.RegisterResponder("POST", testBaseURL+"/2/dm_conversations/with/1/messages",
			httpmock.NewStringResponder(201, `{"errors":[`+notFound+`]}`))
		_, err := c.SendToParticipant(context.Background(), "1", Message{Text: "x"})
		var apiErr *xactivity.APIError
		if !errors.As(err, &apiErr) || len(apiErr.Problems) != 1 {
			t.Errorf("error = %v, want an APIError with the problem", err)
		}
	})
	t.Run("delete not deleted", func(t *testing.T) {
		c, mock := newMock(t)
		mock.RegisterResponder("DELETE", testBaseURL+"/2/dm_events/1",
			httpmock.NewStringResponder(200, `{"data":{"deleted":false}}`))
		if err := c.DeleteEvent(context.Background(), "1"); err == nil {
			t.Error("DeleteEvent returned nil for deleted=false")
		}
	})
}

// TestUndecodableSuccess checks that a send whose success response cannot
// be read is neither retryable nor permanent, because X may have sent it.
func TestUndecodableSuccess(t *testing.T) {
	for _, body := range []string{`<html>`, `{"data":{}}`, `{"data":{"dm_event_id":{}}}`} {
		c, mock := newMock(t)
		mock.RegisterResponder("POST", testBaseURL+"/2/dm_conversations/with/1/messages",
			httpmock.NewStringResponder(201, body))
		_, err := c.SendToParticipant(context.Background(), "1", Message{Text: "x"})
		if err == nil {
			t.Errorf("body %s: SendToParticipant succeeded", body)
			continue
		}
		if xactivity.IsRetryable(err) || xactivity.IsPermanent(err) {
			t.Errorf("body %s: error %v is classified, want neither class", body, err)
		}
	}
}
