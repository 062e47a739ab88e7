package accountactivity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/goodgo/xactivity"
)

// v11Error returns a v1.1 error body with one code and message.
func v11Error(code int, message string) string {
	return fmt.Sprintf(`{"errors":[{"code":%d,"message":%q}]}`, code, message)
}

func TestV11FailureCodes(t *testing.T) {
	const replayPath = "/1.1/account_activity/replay/webhooks/1700000000000000001/subscriptions/all.json"
	create := func(ctx context.Context, c *Client) error {
		_, err := c.CreateWebhook(ctx, mockHookURL)
		return err
	}
	validate := func(ctx context.Context, c *Client) error {
		_, err := c.ValidateWebhook(ctx, mockWebhookID)
		return err
	}
	subscribed := func(ctx context.Context, c *Client) error {
		_, err := c.Subscribed(ctx, mockWebhookID)
		return err
	}
	subscribe := func(ctx context.Context, c *Client) error { return c.Subscribe(ctx, mockWebhookID) }
	unsubscribe := func(ctx context.Context, c *Client) error {
		return c.Unsubscribe(ctx, mockWebhookID, mockUserID)
	}
	replay := func(ctx context.Context, c *Client) error {
		_, err := c.Replay(ctx, mockWebhookID, mockNow.Add(-2*time.Hour), mockNow.Add(-time.Hour))
		return err
	}
	p := enterprisePaths
	tests := []struct {
		name         string
		gen          Generation
		method, path string
		status       int
		body         string
		run          func(context.Context, *Client) error
		want         error
	}{
		{"214 too many resources", Enterprise, http.MethodPost, p.webhooks, http.StatusForbidden,
			v11Error(214, "Too many resources already created."), create, ErrWebhookLimitExceeded},
		{"214 URL requirements", Enterprise, http.MethodPost, p.webhooks, http.StatusForbidden,
			v11Error(214, "Webhook URL does not meet the requirements."), create, ErrURLValidationFailed},
		{"214 invalid CRC response", Enterprise, http.MethodPost, p.webhooks, http.StatusForbidden,
			v11Error(214, "Webhook URL does not meet the requirements. Invalid CRC token or json response format."), create, ErrCRCValidationFailed},
		{"214 CRC latency", Premium, http.MethodPost, premiumPaths.webhooks, http.StatusForbidden,
			v11Error(214, "High latency on CRC GET request. Your webhook should respond in less than 3 seconds."), create, ErrCRCValidationFailed},
		{"214 CRC non-200", Enterprise, http.MethodPut, p.webhook, http.StatusForbidden,
			v11Error(214, "Non-200 response code during CRC GET request (i.e. 404, 500, etc)."), validate, ErrCRCValidationFailed},
		// X does not document the wording of a duplicate URL.
		{"214 URL already registered", Enterprise, http.MethodPost, p.webhooks, http.StatusForbidden,
			v11Error(214, "Webhook URL is already registered to this application."), create, ErrDuplicateURL},
		{"214 replay of an invalid webhook", Enterprise, http.MethodPost, replayPath, http.StatusBadRequest,
			v11Error(214, "Webhook is marked invalid and requires a CRC check."), replay, ErrCRCValidationFailed},
		{"34 unknown webhook", Enterprise, http.MethodPut, p.webhook, http.StatusNotFound,
			v11Error(34, "Webhook does not exist or is associated with a different X application."), validate, ErrWebhookIDInvalid},
		{"34 unknown webhook on subscription check", Enterprise, http.MethodGet, p.subscription, http.StatusNotFound,
			v11Error(34, "Webhook does not exist or is associated with a different X application."), subscribed, ErrWebhookIDInvalid},
		{"34 subscription not found", Enterprise, http.MethodDelete, p.unsubscribe, http.StatusNotFound,
			v11Error(34, "Sorry, that page does not exist."), unsubscribe, ErrSubscriptionNotFound},
		{"34 premium subscription not found", Premium, http.MethodDelete, premiumPaths.unsubscribe, http.StatusNotFound,
			v11Error(34, "Sorry, that page does not exist."), unsubscribe, ErrSubscriptionNotFound},
		{"355 subscription exists", Enterprise, http.MethodPost, p.subscription, http.StatusConflict,
			v11Error(355, "Subscription already exists."), subscribe, ErrDuplicateSubscription},
		{"355 without keyword on subscribe", Enterprise, http.MethodPost, p.subscription, http.StatusConflict,
			v11Error(355, "Conflict."), subscribe, ErrDuplicateSubscription},
		{"355 without keyword on replay", Enterprise, http.MethodPost, replayPath, http.StatusConflict,
			v11Error(355, "Conflict."), replay, ErrReplayConflict},
		{"214 too many resources on subscribe", Enterprise, http.MethodPost, p.subscription, http.StatusForbidden,
			v11Error(214, "Too many resources already created."), subscribe, ErrSubscriptionLimitExceeded},
		{"214 too many resources on premium subscribe", Premium, http.MethodPost, premiumPaths.subscription, http.StatusForbidden,
			v11Error(214, "Too many resources already created."), subscribe, ErrSubscriptionLimitExceeded},
		{"355 replay running", Enterprise, http.MethodPost, replayPath, http.StatusConflict,
			v11Error(355, "A replay job is already in progress for this webhook."), replay, ErrReplayConflict},
		{"200 wrong environment", Premium, http.MethodPost, premiumPaths.webhooks, http.StatusForbidden,
			v11Error(200, "Forbidden."), create, ErrNoProductAccess},
		{"200 replay not enabled", Enterprise, http.MethodPost, replayPath, http.StatusForbidden,
			v11Error(200, "Account Activity API enterprise account with replay is required. Please confirm you have an enterprise account and replay is enabled."), replay, ErrNoProductAccess},
		{"261 cannot write", Enterprise, http.MethodPost, p.webhooks, http.StatusForbidden,
			v11Error(261, "Application cannot perform write actions."), create, ErrAppCannotWrite},
		{"348 user not permitted", Premium, http.MethodPost, premiumPaths.subscription, http.StatusForbidden,
			v11Error(348, "Client application is not permitted to access this user's webhook subscriptions."), subscribe, ErrUserNotPermitted},
		{"357 query parameter missing", Enterprise, http.MethodPost, replayPath, http.StatusBadRequest,
			v11Error(357, ": queryParam is required."), replay, ErrQueryParamInvalid},
		{"356 start too old", Enterprise, http.MethodPost, replayPath, http.StatusBadRequest,
			v11Error(356, "from_date must be within the past 5 days."), replay, ErrQueryParamInvalid},
		{"368 end not in the past", Enterprise, http.MethodPost, replayPath, http.StatusBadRequest,
			v11Error(368, "to_date: [202603141409] is not in the past."), replay, ErrQueryParamInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mock := newMockGeneration(t, tc.gen, WithClock(func() time.Time { return mockNow }))
			mock.RegisterResponder(tc.method, mockBaseURL+tc.path,
				httpmock.NewStringResponder(tc.status, tc.body).HeaderSet(http.Header{"Content-Type": {"application/json; charset=utf-8"}}))
			err := tc.run(context.Background(), c)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v does not match %v", err, tc.want)
			}
			for _, s := range allSentinels() {
				if s != tc.want && errors.Is(err, s) {
					t.Errorf("error %v also matches %v", err, s)
				}
			}
			var api *xactivity.APIError
			if !errors.As(err, &api) || api.StatusCode != tc.status {
				t.Errorf("errors.As found no *xactivity.APIError with status %d in %v", tc.status, err)
			}
			checkCalls(t, mock, 1)
		})
	}
}

// TestPageNotFoundOnDeleteWebhook checks that a 404 with code 34 means a
// missing subscription only on Unsubscribe.
func TestPageNotFoundOnDeleteWebhook(t *testing.T) {
	c, mock := newMockGeneration(t, Enterprise)
	mock.RegisterResponder(http.MethodDelete, mockBaseURL+enterprisePaths.webhook,
		httpmock.NewStringResponder(http.StatusNotFound, v11Error(34, "Sorry, that page does not exist.")))
	err := c.DeleteWebhook(context.Background(), mockWebhookID)
	for _, s := range allSentinels() {
		if errors.Is(err, s) {
			t.Errorf("DeleteWebhook error %v matches %v", err, s)
		}
	}
	if !xactivity.IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = false, want true", err)
	}
}

func TestCodeReason(t *testing.T) {
	tests := []struct {
		code    int
		message string
		status  int
		op      string
		want    error
	}{
		{355, "Conflict.", http.StatusConflict, "", ErrReplayConflict},
		{355, "Conflict.", http.StatusBadRequest, "", ErrDuplicateSubscription},
		{355, "Subscription already exists.", http.StatusConflict, "", ErrDuplicateSubscription},
		{355, "Conflict.", http.StatusConflict, opSubscribe, ErrDuplicateSubscription},
		{355, "Conflict.", http.StatusConflict, opReplay, ErrReplayConflict},
		{355, "Conflict.", http.StatusBadRequest, "replay subscriptions", ErrReplayConflict},
		{355, "Conflict.", http.StatusConflict, opCreateWebhook, nil},
		{355, "Subscription already exists.", http.StatusConflict, opCreateWebhook, ErrDuplicateSubscription},
		{214, "Too many resources already created.", http.StatusForbidden, opCreateWebhook, ErrWebhookLimitExceeded},
		{214, "Too many resources already created.", http.StatusForbidden, opValidateWebhook, ErrWebhookLimitExceeded},
		{214, "Too many resources already created.", http.StatusForbidden, opSubscribe, ErrSubscriptionLimitExceeded},
		{214, "Too many resources already created.", http.StatusForbidden, opReplay, nil},
		{214, "Too many resources already created.", http.StatusForbidden, "", ErrWebhookLimitExceeded},
		{214, "Webhook has been marked as invalid.", http.StatusBadRequest, opReplay, ErrCRCValidationFailed},
		{214, "Something else happened.", http.StatusForbidden, "", nil},
		{34, "Sorry, that page does not exist.", http.StatusNotFound, "", nil},
		{88, "Rate limit exceeded", http.StatusTooManyRequests, "", nil},
		{358, "Route or query parameter is malformed.", http.StatusBadRequest, "", ErrQueryParamInvalid},
	}
	for _, tc := range tests {
		got := codeReason(xactivity.ErrorCode{Code: tc.code, Message: tc.message}, tc.status, operationKindOf(tc.op))
		if got != tc.want {
			t.Errorf("codeReason(%d, %q, %d) of operation %q = %v, want %v", tc.code, tc.message, tc.status, tc.op, got, tc.want)
		}
	}
}

// TestSubscribedV11NotFound checks which 404 responses of the v1.1
// subscription check mean "not subscribed": only code 34 with a message
// that names no webhook. Any other 404 is an error.
func TestSubscribedV11NotFound(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantErr     error // nil for false without an error
	}{
		{"code 34 page not found", "application/json", v11Error(34, "Sorry, that page does not exist."), nil},
		{"code 34 unknown webhook", "application/json",
			v11Error(34, "Webhook does not exist or is associated with a different X application."), ErrWebhookIDInvalid},
		{"other code", "application/json", v11Error(32, "Could not authenticate you."), errAny},
		{"page of another server", "text/html; charset=utf-8", "<html><body>404 Not Found</body></html>", errAny},
		{"empty body", "text/plain", "", errAny},
	}
	for _, gen := range []Generation{Enterprise, Premium} {
		paths := enterprisePaths
		if gen == Premium {
			paths = premiumPaths
		}
		for _, tc := range tests {
			t.Run(gen.String()+"/"+tc.name, func(t *testing.T) {
				c, mock := newMockGeneration(t, gen)
				mock.RegisterResponder(http.MethodGet, mockBaseURL+paths.subscription,
					httpmock.NewStringResponder(http.StatusNotFound, tc.body).HeaderSet(http.Header{"Content-Type": {tc.contentType}}))
				ok, err := c.Subscribed(context.Background(), mockWebhookID)
				if ok {
					t.Errorf("Subscribed = true, want false")
				}
				switch {
				case tc.wantErr == nil && err != nil:
					t.Errorf("error = %v, want none", err)
				case tc.wantErr == errAny && err == nil:
					t.Error("error = nil, want the 404 as an error")
				case tc.wantErr != nil && tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
					t.Errorf("error = %v, want one matching %v", err, tc.wantErr)
				}
				checkCalls(t, mock, 1)
			})
		}
	}
}

// errAny stands for any non-nil error in test tables.
var errAny = errors.New("any error")
