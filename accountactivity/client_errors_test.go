package accountactivity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/internal/wire"
)

func TestFailureReasons(t *testing.T) {
	placements := map[string]string{
		"problem type":   `{"type":"https://api.x.com/2/problems/%s","title":"Forbidden","status":%d}`,
		"problem title":  `{"title":"%s","type":"about:blank","status":%d}`,
		"problem detail": `{"title":"Bad Request","detail":"Failed: %s.","status":%d}`,
		"errors message": `{"title":"Invalid Request","errors":[{"message":"%s"}],"status":%d}`,
		"v1.1 message":   `{"errors":[{"code":214,"message":"%s"}],"status":%d}`,
	}
	for _, r := range reasons {
		name := reasonName(t, r.err)
		for where, format := range placements {
			t.Run(name+" in "+where, func(t *testing.T) {
				c, mock := newMock(t)
				body := fmt.Sprintf(format, name, http.StatusBadRequest)
				mock.RegisterResponder(http.MethodPost, mockBaseURL+"/2/webhooks",
					httpmock.NewStringResponder(http.StatusBadRequest, body).HeaderSet(http.Header{"Content-Type": {"application/json"}}))
				_, err := c.CreateWebhook(context.Background(), "https://hooks.example.com/w")
				checkReason(t, err, r.err)
			})
		}
	}
}

// reasonName returns X's spelling of the reason of sentinel.
func reasonName(t *testing.T, sentinel error) string {
	t.Helper()
	names := map[error]string{
		ErrCRCValidationFailed: "CrcValidationFailed", ErrURLValidationFailed: "UrlValidationFailed",
		ErrDuplicateURL: "DuplicateUrlFailed", ErrWebhookLimitExceeded: "WebhookLimitExceeded",
		ErrWebhookIDInvalid: "WebhookIdInvalid", ErrDuplicateSubscription: "DuplicateSubscriptionFailed",
		ErrSubscriptionLimitExceeded: "SubscriptionLimitExceeded", ErrSubscriptionNotFound: "SubscriptionNotFound",
		ErrQueryParamInvalid: "QueryParamInvalid", ErrReplayConflict: "ReplayConflictError",
	}
	name, ok := names[sentinel]
	if !ok {
		t.Fatalf("no X name for %v", sentinel)
	}
	return name
}

func checkReason(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v does not match %v", err, want)
	}
	for _, s := range allSentinels() {
		if s != want && errors.Is(err, s) {
			t.Errorf("error %v also matches %v", err, s)
		}
	}
	var api *xactivity.APIError
	if !errors.As(err, &api) || api.StatusCode != http.StatusBadRequest {
		t.Errorf("errors.As found no *xactivity.APIError with status 400 in %v", err)
	}
	if !xactivity.IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = false, want true", err)
	}
}

// allSentinels returns every failure reason sentinel: those X names in v2
// bodies and those only v1.1 codes select.
func allSentinels() []error {
	var all []error
	for _, r := range reasons {
		all = append(all, r.err)
	}
	return append(all, ErrNoProductAccess, ErrAppCannotWrite, ErrUserNotPermitted)
}

func TestReasonInPartialResponse(t *testing.T) {
	c, mock := newMock(t)
	mock.RegisterResponder(http.MethodPost, mockBaseURL+aaaPath+"/all", httpmock.NewStringResponder(http.StatusOK,
		`{"errors":[{"title":"Conflict","detail":"DuplicateSubscriptionFailed","type":"https://api.x.com/2/problems/invalid-request"}]}`))
	err := c.Subscribe(context.Background(), "1700000000000000001")
	if !errors.Is(err, ErrDuplicateSubscription) {
		t.Errorf("Subscribe error %v does not match ErrDuplicateSubscription", err)
	}
	var api *xactivity.APIError
	if !errors.As(err, &api) {
		t.Errorf("errors.As found no *xactivity.APIError in %v", err)
	}
}

func TestErrorWithoutReason(t *testing.T) {
	c, mock := newMock(t)
	mock.RegisterResponder(http.MethodGet, mockBaseURL+"/2/account_activity/subscriptions/count",
		httpmock.NewStringResponder(http.StatusServiceUnavailable, `{"title":"Service Unavailable","status":503}`))
	_, err := c.SubscriptionCount(context.Background())
	for _, s := range allSentinels() {
		if errors.Is(err, s) {
			t.Errorf("error %v matches %v", err, s)
		}
	}
	if !xactivity.IsRetryable(err) {
		t.Errorf("IsRetryable(%v) = false, want true", err)
	}
}

func TestUnexpectedSuccessBodies(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		run                      func(context.Context, *Client) error
	}{
		{"delete webhook answered false", http.MethodDelete, webhookPath, `{"data":{"deleted":false}}`,
			func(ctx context.Context, c *Client) error { return c.DeleteWebhook(ctx, "1700000000000000001") }},
		{"subscribe answered false", http.MethodPost, aaaPath + "/all", `{"data":{"subscribed":false}}`,
			func(ctx context.Context, c *Client) error { return c.Subscribe(ctx, "1700000000000000001") }},
		{"unsubscribe answered true", http.MethodDelete, aaaPath + "/1470000000000000002/all", `{"data":{"subscribed":true}}`,
			func(ctx context.Context, c *Client) error {
				return c.Unsubscribe(ctx, "1700000000000000001", "1470000000000000002")
			}},
		{"no data", http.MethodPut, webhookPath, `{}`,
			func(ctx context.Context, c *Client) error {
				_, err := c.ValidateWebhook(ctx, "1700000000000000001")
				return err
			}},
		{"not JSON", http.MethodPut, webhookPath, `<html>`,
			func(ctx context.Context, c *Client) error {
				_, err := c.ValidateWebhook(ctx, "1700000000000000001")
				return err
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mock := newMock(t)
			mock.RegisterResponder(tc.method, mockBaseURL+tc.path, httpmock.NewStringResponder(http.StatusOK, tc.body))
			err := tc.run(context.Background(), c)
			if err == nil || !strings.HasPrefix(err.Error(), "accountactivity: ") {
				t.Errorf("error = %v, want an accountactivity error", err)
			}
		})
	}
}

func TestInvalidInput(t *testing.T) {
	const hook = "1700000000000000001"
	long := "https://hooks.example.com/" + strings.Repeat("a", MaxWebhookURLLength)
	tests := []struct {
		name string
		run  func(context.Context, *Client) error
	}{
		{"http URL", createWebhook("http://hooks.example.com/w")},
		{"URL with port", createWebhook("https://hooks.example.com:8443/w")},
		{"URL with empty port", createWebhook("https://hooks.example.com:/w")},
		{"relative URL", createWebhook("/w")},
		{"URL with user", createWebhook("https://u:p@hooks.example.com/w")},
		{"URL with fragment", createWebhook("https://hooks.example.com/w#f")},
		{"long URL", createWebhook(long)},
		{"bad webhook id", func(ctx context.Context, c *Client) error { return c.DeleteWebhook(ctx, "01") }},
		{"bad user id", func(ctx context.Context, c *Client) error { return c.Unsubscribe(ctx, hook, "x") }},
		{"replay reversed", replay(-time.Hour, -2*time.Hour)},
		{"replay in one minute", replay(-time.Hour, -time.Hour+10*time.Second)},
		{"replay too old", replay(-25*time.Hour, -time.Hour)},
		{"replay in the future", replay(-time.Hour, time.Minute)},
		{"no event type", createActivity(ActivitySubscription{Filter: Filter{Keyword: "k"}})},
		{"empty filter", createActivity(ActivitySubscription{EventType: EventPostCreate})},
		{"filter with both", createActivity(ActivitySubscription{EventType: EventPostCreate,
			Filter: Filter{Keyword: "k", UserID: "1470000000000000001"}})},
		{"bad direction", createActivity(ActivitySubscription{EventType: EventDMSent,
			Filter: Filter{UserID: "1470000000000000001", Direction: "sideways"}})},
		{"long tag", createActivity(ActivitySubscription{EventType: EventPostCreate,
			Filter: Filter{Keyword: "k"}, Tag: strings.Repeat("é", MaxTagLength+1)})},
		{"empty update", func(ctx context.Context, c *Client) error {
			_, err := c.UpdateActivitySubscription(ctx, hook, ActivitySubscriptionUpdate{})
			return err
		}},
		{"no ids", func(ctx context.Context, c *Client) error {
			_, err := c.DeleteActivitySubscriptions(ctx, nil)
			return err
		}},
		{"too many ids", func(ctx context.Context, c *Client) error {
			ids := make([]string, MaxDeleteIDs+1)
			for i := range ids {
				ids[i] = fmt.Sprint(1900000000000000000 + i)
			}
			_, err := c.DeleteActivitySubscriptions(ctx, ids)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mock := newMock(t, WithClock(func() time.Time { return mockNow }))
			err := tc.run(context.Background(), c)
			if !errors.Is(err, ErrInvalid) || !xactivity.IsPermanent(err) {
				t.Errorf("error = %v, want ErrInvalid and permanent", err)
			}
			checkCalls(t, mock, 0)
		})
	}
}

func createWebhook(u string) func(context.Context, *Client) error {
	return func(ctx context.Context, c *Client) error {
		_, err := c.CreateWebhook(ctx, u)
		return err
	}
}

func replay(from, to time.Duration) func(context.Context, *Client) error {
	return func(ctx context.Context, c *Client) error {
		_, err := c.Replay(ctx, "1700000000000000001", mockNow.Add(from), mockNow.Add(to))
		return err
	}
}

func createActivity(s ActivitySubscription) func(context.Context, *Client) error {
	return func(ctx context.Context, c *Client) error {
		_, err := c.CreateActivitySubscription(ctx, s)
		return err
	}
}

func TestMissingAuth(t *testing.T) {
	mock := httpmock.NewMockTransport()
	app, err := NewBearerClient(mockBearerToken, mock)
	if err != nil {
		t.Fatal(err)
	}
	appOnly, err := NewClient(Config{App: app})
	if err != nil {
		t.Fatal(err)
	}
	userOnly, err := NewClient(Config{User: newOAuth1Client(mock)})
	if err != nil {
		t.Fatal(err)
	}
	const hook = "1700000000000000001"
	private := ActivitySubscription{EventType: EventDMReceived, Filter: Filter{UserID: "1470000000000000001"}}
	public := ActivitySubscription{EventType: EventFollowFollow, Filter: Filter{UserID: "1470000000000000001"}}
	tests := []struct {
		name string
		c    *Client
		run  func(context.Context, *Client) error
		want error
	}{
		{"subscribe", appOnly, func(ctx context.Context, c *Client) error { return c.Subscribe(ctx, hook) }, ErrNoUserAuth},
		{"subscribed", appOnly, func(ctx context.Context, c *Client) error {
			_, err := c.Subscribed(ctx, hook)
			return err
		}, ErrNoUserAuth},
		{"private activity", appOnly, createActivity(private), ErrNoUserAuth},
		{"create webhook", userOnly, createWebhook("https://hooks.example.com/w"), ErrNoAppAuth},
		{"unsubscribe", userOnly, func(ctx context.Context, c *Client) error {
			return c.Unsubscribe(ctx, hook, "1470000000000000001")
		}, ErrNoAppAuth},
		{"public activity", userOnly, createActivity(public), ErrNoAppAuth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(context.Background(), tc.c); !errors.Is(err, tc.want) {
				t.Errorf("error = %v, want %v", err, tc.want)
			}
		})
	}
	checkCalls(t, mock, 0)
}

func TestNewClientErrors(t *testing.T) {
	user := newOAuth1Client(httpmock.NewMockTransport())
	tests := []struct {
		name string
		cfg  Config
		opts []Option
	}{
		{"no clients", Config{}, nil},
		{"base URL with query", Config{User: user}, []Option{WithBaseURL("https://api.x.com?a=1")}},
		{"relative base URL", Config{User: user}, []Option{WithBaseURL("api.x.com")}},
		{"empty user agent", Config{User: user}, []Option{WithUserAgent("")}},
		{"zero max bytes", Config{User: user}, []Option{WithMaxResponseBytes(0)}},
		{"nil clock", Config{User: user}, []Option{WithClock(nil)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := NewClient(tc.cfg, tc.opts...); err == nil {
				t.Errorf("NewClient = %v, want an error", c)
			}
		})
	}
}

func TestBearerClientHidesToken(t *testing.T) {
	const secret = "AAAA secret-token"
	if _, err := NewBearerClient(secret, nil); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("NewBearerClient error = %v, want one without the token", err)
	}
	if _, err := NewBearerClient("", nil); err == nil {
		t.Error("NewBearerClient accepted an empty token")
	}
	c, err := NewBearerClient("secret-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%s"} {
		if s := fmt.Sprintf(format, c.Transport); strings.Contains(s, "secret") {
			t.Errorf("Sprintf(%q) = %q shows the token", format, s)
		}
	}
}

func TestEventTypes(t *testing.T) {
	constants := []string{
		EventPostCreate, EventPostDelete, EventPostMentionCreate, EventPostReplyCreate,
		EventPostQuoteCreate, EventPostRepostCreate, EventLikeCreate, EventFollowFollow,
		EventFollowUnfollow, EventProfileUpdateBio, EventProfileUpdateProfilePicture,
		EventProfileUpdateBannerPicture, EventProfileUpdateScreenName, EventProfileUpdateHandle,
		EventProfileUpdateGeo, EventProfileUpdateURL, EventProfileUpdateVerifiedBadge,
		EventProfileUpdateAffiliateBadge, EventDMReceived, EventDMSent, EventDMRead,
		EventDMIndicateTyping, EventChatReceived, EventChatSent, EventChatConversationJoin,
		EventNewsNew, EventSpacesStart, EventSpacesEnd, EventMuteMute, EventMuteUnmute,
		EventBlockBlock, EventBlockUnblock, EventBroadcastStart, EventBroadcastEnd,
		EventBroadcastChat, EventOAuthRevoke,
	}
	have := map[string]bool{}
	for _, c := range constants {
		have[c] = true
	}
	for _, typ := range xaaEventTypes {
		if !have[typ] {
			t.Errorf("no constant for event type %q", typ)
		}
	}
	if len(constants) != len(xaaEventTypes) {
		t.Errorf("%d constants, want %d", len(constants), len(xaaEventTypes))
	}
}

func TestPrivateEventType(t *testing.T) {
	private := []string{EventDMReceived, EventDMIndicateTyping, EventChatSent, EventLikeCreate,
		EventPostMentionCreate, EventMuteUnmute, EventBlockBlock, "chat.conversation.join"}
	public := []string{EventPostCreate, EventFollowFollow, EventProfileUpdateBio, EventNewsNew,
		EventSpacesStart, EventBroadcastChat, "dm", "likes.create"}
	for _, typ := range private {
		if !PrivateEventType(typ) {
			t.Errorf("PrivateEventType(%q) = false, want true", typ)
		}
	}
	for _, typ := range public {
		if PrivateEventType(typ) {
			t.Errorf("PrivateEventType(%q) = true, want false", typ)
		}
	}
}

// newTestAPIError decodes body as X's 400 response.
func newTestAPIError(body string) error {
	return wire.NewAPIError("POST /2/webhooks", http.StatusBadRequest, http.Header{}, []byte(body))
}
