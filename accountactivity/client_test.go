package accountactivity

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jarcoal/httpmock"
)

// mockNow is the clock of the mocked clients; replay windows are relative
// to it.
var mockNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

const (
	webhookPath  = "/2/webhooks/1700000000000000001"
	aaaPath      = "/2/account_activity/webhooks/1700000000000000001/subscriptions"
	activityPath = "/2/activity/subscriptions"
)

// callTest is one call on the generation gen, the exchange it must make,
// and its result.
type callTest struct {
	name string
	gen  Generation
	ex   exchange
	run  func(ctx context.Context, c *Client) (any, error)
	want any
}

func TestWebhookCalls(t *testing.T) {
	created := time.Date(2025, 5, 20, 10, 0, 0, 0, time.UTC)
	runCalls(t, []callTest{
		{
			name: "create webhook",
			ex: exchange{method: http.MethodPost, path: "/2/webhooks", auth: authBearer,
				json:   `{"url":"https://hooks.example.com/x/webhook"}`,
				status: 200, response: `{"data":{"id":"1700000000000000001","url":"https://hooks.example.com/x/webhook","valid":true,"created_at":"2025-05-20T10:00:00.000Z"}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateWebhook(ctx, "https://hooks.example.com/x/webhook")
			},
			want: Webhook{ID: "1700000000000000001", URL: "https://hooks.example.com/x/webhook", Valid: true, CreatedAt: created},
		},
		{
			name: "list webhooks",
			ex: exchange{method: http.MethodGet, path: "/2/webhooks", auth: authBearer,
				query:  url.Values{"webhook_config.fields": {"created_at,id,url,valid"}},
				status: 200, response: `{"data":[{"id":"1700000000000000001","url":"https://a.example.com/w","valid":false,"created_at":"2025-05-20T10:00:00Z"},{"id":"1700000000000000002","url":"https://b.example.com/w","valid":true}],"meta":{"result_count":2}}`},
			run: func(ctx context.Context, c *Client) (any, error) { return c.Webhooks(ctx) },
			want: []Webhook{
				{ID: "1700000000000000001", URL: "https://a.example.com/w", CreatedAt: created},
				{ID: "1700000000000000002", URL: "https://b.example.com/w", Valid: true},
			},
		},
		{
			name: "list webhooks when there are none",
			ex: exchange{method: http.MethodGet, path: "/2/webhooks", auth: authBearer,
				query:  url.Values{"webhook_config.fields": {"created_at,id,url,valid"}},
				status: 200, response: `{"meta":{"result_count":0}}`},
			run:  func(ctx context.Context, c *Client) (any, error) { return c.Webhooks(ctx) },
			want: []Webhook(nil),
		},
		{
			name: "validate webhook answered valid",
			ex: exchange{method: http.MethodPut, path: webhookPath, auth: authBearer,
				status: 200, response: `{"data":{"valid":true}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.ValidateWebhook(ctx, "1700000000000000001")
			},
			want: Validation{Valid: true},
		},
		{
			name: "validate webhook answered attempted",
			ex: exchange{method: http.MethodPut, path: webhookPath, auth: authBearer,
				status: 200, response: `{"data":{"valid":false,"attempted":true}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.ValidateWebhook(ctx, "1700000000000000001")
			},
			want: Validation{Attempted: true},
		},
		{
			name: "validate webhook answered attempted only",
			ex: exchange{method: http.MethodPut, path: webhookPath, auth: authBearer,
				status: 200, response: `{"data":{"attempted":true}}`, offSpec: true},
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.ValidateWebhook(ctx, "1700000000000000001")
			},
			want: Validation{Attempted: true},
		},
		{
			name: "delete webhook",
			ex: exchange{method: http.MethodDelete, path: webhookPath, auth: authBearer,
				status: 200, response: `{"data":{"deleted":true}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteWebhook(ctx, "1700000000000000001")
			},
		},
		{
			name: "replay",
			ex: exchange{method: http.MethodPost, path: "/2/webhooks/replay", auth: authBearer,
				json:   `{"webhook_id":"1700000000000000001","from_date":"202603131600","to_date":"202603141500"}`,
				status: 200, response: `{"data":{"job_id":"1800000000000000009","created_at":"2026-03-14T15:09:27Z"}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				from := time.Date(2026, 3, 13, 17, 0, 59, 0, time.FixedZone("CET", 3600))
				return c.Replay(ctx, "1700000000000000001", from, mockNow.Add(-9*time.Minute))
			},
			want: ReplayJob{JobID: "1800000000000000009", CreatedAt: mockNow.Add(time.Second)},
		},
	})
}

func TestSubscriptionCalls(t *testing.T) {
	runCalls(t, []callTest{
		{
			name: "subscribe",
			ex: exchange{method: http.MethodPost, path: aaaPath + "/all", auth: authOAuth,
				json: `{}`, status: 200, response: `{"data":{"subscribed":true}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.Subscribe(ctx, "1700000000000000001")
			},
		},
		{
			name: "subscribed true",
			ex: exchange{method: http.MethodGet, path: aaaPath + "/all", auth: authOAuth,
				status: 200, response: `{"data":{"subscribed":true}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.Subscribed(ctx, "1700000000000000001")
			},
			want: true,
		},
		{
			name: "subscribed false",
			ex: exchange{method: http.MethodGet, path: aaaPath + "/all", auth: authOAuth,
				status: 200, response: `{"data":{"subscribed":false}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.Subscribed(ctx, "1700000000000000001")
			},
			want: false,
		},
		{
			name: "list subscriptions",
			ex: exchange{method: http.MethodGet, path: aaaPath + "/all/list", auth: authBearer,
				status: 200, response: `{"data":{"application_id":"29000001","webhook_id":"1700000000000000001","webhook_url":"https://a.example.com/w","subscriptions":[{"user_id":"1470000000000000001"},{"user_id":"1470000000000000002"}]}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.Subscriptions(ctx, "1700000000000000001")
			},
			want: SubscriptionList{ApplicationID: "29000001", WebhookID: "1700000000000000001",
				WebhookURL: "https://a.example.com/w", UserIDs: []string{"1470000000000000001", "1470000000000000002"}},
		},
		{
			name: "unsubscribe",
			ex: exchange{method: http.MethodDelete, path: aaaPath + "/1470000000000000002/all", auth: authBearer,
				status: 200, response: `{"data":{"subscribed":false}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.Unsubscribe(ctx, "1700000000000000001", "1470000000000000002")
			},
		},
		{
			name: "count subscriptions as strings",
			ex: exchange{method: http.MethodGet, path: "/2/account_activity/subscriptions/count", auth: authBearer,
				status: 200, response: `{"data":{"account_name":"shop","provisioned_count":"3","subscriptions_count_all":"2","subscriptions_count_direct_messages":"1"}}`},
			run:  func(ctx context.Context, c *Client) (any, error) { return c.SubscriptionCount(ctx) },
			want: SubscriptionCounts{AccountName: "shop", Provisioned: 3, All: 2, DirectMessages: 1},
		},
	})
}

func TestSubscriptionCountAsNumbers(t *testing.T) {
	// X's description types the counts as strings, so this variant is
	// decoded directly rather than sent through the validating mock.
	data, _, err := decodeData[countsJSON]([]byte(`{"data":{"provisioned_count":5000,"subscriptions_count_all":12,"subscriptions_count_direct_messages":"7"}}`))
	if err != nil {
		t.Fatalf("decodeData: %v", err)
	}
	got := [3]int64{int64(data.Provisioned), int64(data.All), int64(data.DirectMessages)}
	if want := [3]int64{5000, 12, 7}; got != want {
		t.Errorf("counts = %v, want %v", got, want)
	}
}

func TestActivityCalls(t *testing.T) {
	sub := ActivitySubscription{
		ID: "1900000000000000001", EventType: EventDMReceived, Tag: "support",
		Filter:    Filter{UserID: "1470000000000000001", Direction: DirectionInbound},
		WebhookID: "1700000000000000001",
		CreatedAt: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
		UpdatedAt: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC),
	}
	subJSON := `{"subscription_id":"1900000000000000001","event_type":"dm.received","tag":"support",` +
		`"filter":{"user_id":"1470000000000000001","direction":"inbound"},"webhook_id":"1700000000000000001",` +
		`"created_at":"2026-03-01T08:00:00Z","updated_at":"2026-03-02T08:00:00Z"}`
	public := ActivitySubscription{EventType: EventPostCreate, Filter: Filter{Keyword: "goodgo"}}
	runCalls(t, []callTest{
		{
			name: "create private subscription in the user's context",
			ex: exchange{method: http.MethodPost, path: activityPath, auth: authOAuth,
				json:   `{"event_type":"dm.received","tag":"support","filter":{"user_id":"1470000000000000001","direction":"inbound"},"webhook_id":"1700000000000000001"}`,
				status: 200, response: `{"data":{"subscription":` + subJSON + `}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				in := sub
				in.ID, in.CreatedAt, in.UpdatedAt = "", time.Time{}, time.Time{}
				return c.CreateActivitySubscription(ctx, in)
			},
			want: sub,
		},
		{
			name: "create public subscription app-only",
			ex: exchange{method: http.MethodPost, path: activityPath, auth: authBearer,
				json:   `{"event_type":"post.create","filter":{"keyword":"goodgo"}}`,
				status: 200, response: `{"data":{"subscription":{"subscription_id":"1900000000000000002","event_type":"post.create","filter":{"keyword":"goodgo"}}}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateActivitySubscription(ctx, public)
			},
			want: ActivitySubscription{ID: "1900000000000000002", EventType: EventPostCreate, Filter: Filter{Keyword: "goodgo"}},
		},
		{
			name: "list activity subscriptions",
			ex: exchange{method: http.MethodGet, path: activityPath, auth: authBearer,
				status: 200, response: `{"data":[` + subJSON + `]}`},
			run:  func(ctx context.Context, c *Client) (any, error) { return c.ActivitySubscriptions(ctx) },
			want: []ActivitySubscription{sub},
		},
		{
			name: "update activity subscription",
			ex: exchange{method: http.MethodPut, path: activityPath + "/1900000000000000001", auth: authBearer,
				json:   `{"tag":"support"}`,
				status: 200, response: `{"data":{"subscription":` + subJSON + `,"total_subscriptions":1}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateActivitySubscription(ctx, "1900000000000000001", ActivitySubscriptionUpdate{Tag: "support"})
			},
			want: sub,
		},
		{
			name: "delete activity subscription",
			ex: exchange{method: http.MethodDelete, path: activityPath + "/1900000000000000001", auth: authBearer,
				status: 200, response: `{"data":{"deleted":true}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteActivitySubscription(ctx, "1900000000000000001")
			},
		},
		{
			name: "delete activity subscriptions by ids",
			ex: exchange{method: http.MethodDelete, path: activityPath, auth: authBearer,
				query:  url.Values{"ids": {"1900000000000000001,1900000000000000002,1900000000000000003"}},
				status: 200, response: `{"data":[{"deleted":true,"subscription_id":"1900000000000000001"},{"deleted":false,"subscription_id":"1900000000000000003"}],"errors":[{"message":"not found","reason":"SubscriptionNotFound","subscription_id":"1900000000000000002"}],"meta":{"total_subscriptions":4}}`},
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.DeleteActivitySubscriptions(ctx, []string{"1900000000000000001", "1900000000000000002", "1900000000000000003"})
			},
			want: DeleteResult{
				Deleted: []string{"1900000000000000001"},
				Failed: []DeleteFailure{
					{SubscriptionID: "1900000000000000003"},
					{SubscriptionID: "1900000000000000002", Reason: "SubscriptionNotFound", Message: "not found"},
				},
				Remaining: 4,
			},
		},
	})
}

func runCalls(t *testing.T, tests []callTest) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mock := newMockGeneration(t, tc.gen, WithClock(func() time.Time { return mockNow }))
			expect(t, mock, tc.ex)
			got, err := tc.run(context.Background(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
			checkCalls(t, mock, 1)
		})
	}
}

func TestActivitySubscriptionsPages(t *testing.T) {
	c, mock := newMock(t)
	token := "0123456789abcdefghij"
	mock.RegisterResponder(http.MethodGet, mockBaseURL+activityPath, func(req *http.Request) (*http.Response, error) {
		ex := exchange{method: http.MethodGet, path: activityPath, auth: authBearer}
		body := `{"data":[{"subscription_id":"1900000000000000001","event_type":"post.create","filter":{"keyword":"a"}}],"meta":{"next_token":"` + token + `"}}`
		if req.URL.Query().Get("pagination_token") != "" {
			ex.query = url.Values{"pagination_token": {token}}
			body = `{"data":[{"subscription_id":"1900000000000000002","event_type":"post.create","filter":{"keyword":"b"}}]}`
		}
		checkRequest(t, req, ex)
		resp := httpmock.NewStringResponse(http.StatusOK, body)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
	got, err := c.ActivitySubscriptions(context.Background())
	if err != nil {
		t.Fatalf("ActivitySubscriptions: %v", err)
	}
	var ids []string
	for _, s := range got {
		ids = append(ids, s.ID)
	}
	if diff := cmp.Diff([]string{"1900000000000000001", "1900000000000000002"}, ids); diff != "" {
		t.Errorf("ids mismatch (-want +got):\n%s", diff)
	}
	checkCalls(t, mock, 2)
}
