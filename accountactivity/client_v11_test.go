package accountactivity

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

const (
	mockWebhookID = "1700000000000000001"
	mockUserID    = "1470000000000000002"
	mockHookURL   = "https://hooks.example.com/x/webhook"
)

// v11Paths are the request paths of the v1.1 calls on one generation, for
// mockWebhookID and mockUserID.
type v11Paths struct {
	webhooks      string // create and list
	webhook       string // validate and delete
	subscription  string // subscribe and check
	subscriptions string // list
	unsubscribe   string
	count         string
}

var (
	enterprisePaths = v11Paths{
		webhooks:      "/1.1/account_activity/webhooks.json",
		webhook:       "/1.1/account_activity/webhooks/1700000000000000001.json",
		subscription:  "/1.1/account_activity/webhooks/1700000000000000001/subscriptions/all.json",
		subscriptions: "/1.1/account_activity/webhooks/1700000000000000001/subscriptions/all/list.json",
		unsubscribe:   "/1.1/account_activity/webhooks/1700000000000000001/subscriptions/1470000000000000002/all.json",
		count:         "/1.1/account_activity/subscriptions/count.json",
	}
	premiumPaths = v11Paths{
		webhooks:      "/1.1/account_activity/all/Prod-env_1/webhooks.json",
		webhook:       "/1.1/account_activity/all/Prod-env_1/webhooks/1700000000000000001.json",
		subscription:  "/1.1/account_activity/all/Prod-env_1/subscriptions.json",
		subscriptions: "/1.1/account_activity/all/Prod-env_1/subscriptions/list.json",
		unsubscribe:   "/1.1/account_activity/all/Prod-env_1/subscriptions/1470000000000000002.json",
		count:         "/1.1/account_activity/all/subscriptions/count.json",
	}
)

// v11Exchange returns an exchange on a path that X's OpenAPI description
// does not list.
func v11Exchange(method, path, auth string, status int, response string) exchange {
	return exchange{method: method, path: path, auth: auth, status: status, response: response, unlisted: true}
}

// v11CallTests returns the calls that both v1.1 generations share, with
// the requests and responses that X documents for them.
func v11CallTests(gen Generation, p v11Paths) []callTest {
	created := time.Date(2016, 6, 2, 23, 54, 2, 0, time.UTC)
	notFound := `{"errors":[{"code":34,"message":"Sorry, that page does not exist."}]}`
	createEx := v11Exchange(http.MethodPost, p.webhooks, authOAuth, http.StatusOK,
		`{"id":"1700000000000000001","url":"https://hooks.example.com/x/webhook","valid":true,"created_timestamp":"2016-06-02 23:54:02 +0000"}`)
	createEx.query = url.Values{"url": {mockHookURL}}
	createRFC3339 := createEx
	createRFC3339.response = `{"id":"1700000000000000001","url":"https://hooks.example.com/x/webhook","valid":true,"created_at":"2016-06-02T23:54:02Z"}`
	return []callTest{
		{
			name: "create webhook with created_timestamp", gen: gen, ex: createEx,
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateWebhook(ctx, mockHookURL)
			},
			want: Webhook{ID: mockWebhookID, URL: mockHookURL, Valid: true, CreatedAt: created},
		},
		{
			name: "create webhook with created_at", gen: gen, ex: createRFC3339,
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateWebhook(ctx, mockHookURL)
			},
			want: Webhook{ID: mockWebhookID, URL: mockHookURL, Valid: true, CreatedAt: created},
		},
		{
			name: "list webhooks", gen: gen,
			ex: v11Exchange(http.MethodGet, p.webhooks, authBearer, http.StatusOK,
				`[{"id":"1700000000000000001","url":"https://a.example.com/w","valid":false,"created_timestamp":"2016-06-02 23:54:02 +0000"},`+
					`{"id":1700000000000000002,"url":"https://b.example.com/w","valid":true,"created_at":"2016-06-02T23:54:02Z"}]`),
			run: func(ctx context.Context, c *Client) (any, error) { return c.Webhooks(ctx) },
			want: []Webhook{
				{ID: mockWebhookID, URL: "https://a.example.com/w", CreatedAt: created},
				{ID: "1700000000000000002", URL: "https://b.example.com/w", Valid: true, CreatedAt: created},
			},
		},
		{
			name: "list webhooks when there are none", gen: gen,
			ex:   v11Exchange(http.MethodGet, p.webhooks, authBearer, http.StatusOK, `[]`),
			run:  func(ctx context.Context, c *Client) (any, error) { return c.Webhooks(ctx) },
			want: []Webhook(nil),
		},
		{
			name: "validate webhook answered 204", gen: gen,
			ex: v11Exchange(http.MethodPut, p.webhook, authOAuth, http.StatusNoContent, ``),
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.ValidateWebhook(ctx, mockWebhookID)
			},
			want: Validation{Valid: true},
		},
		{
			name: "delete webhook", gen: gen,
			ex: v11Exchange(http.MethodDelete, p.webhook, authOAuth, http.StatusNoContent, ``),
			run: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteWebhook(ctx, mockWebhookID)
			},
		},
		{
			name: "subscribe", gen: gen,
			ex: v11Exchange(http.MethodPost, p.subscription, authOAuth, http.StatusNoContent, ``),
			run: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.Subscribe(ctx, mockWebhookID)
			},
		},
		{
			name: "subscribed answered 204", gen: gen,
			ex: v11Exchange(http.MethodGet, p.subscription, authOAuth, http.StatusNoContent, ``),
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.Subscribed(ctx, mockWebhookID)
			},
			want: true,
		},
		{
			name: "subscribed answered 404 code 34", gen: gen,
			ex: v11Exchange(http.MethodGet, p.subscription, authOAuth, http.StatusNotFound, notFound),
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.Subscribed(ctx, mockWebhookID)
			},
			want: false,
		},
		{
			name: "list subscriptions of a webhook", gen: gen,
			ex: v11Exchange(http.MethodGet, p.subscriptions, authBearer, http.StatusOK,
				`{"webhook_id":"1700000000000000001","webhook_url":"https://a.example.com/w","application_id":"11231812","subscriptions":[{"user_id":"20212306"},{"user_id":1470000000000000002}]}`),
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.Subscriptions(ctx, mockWebhookID)
			},
			want: SubscriptionList{ApplicationID: "11231812", WebhookID: mockWebhookID,
				WebhookURL: "https://a.example.com/w", UserIDs: []string{"20212306", mockUserID}},
		},
		{
			name: "list subscriptions of an environment", gen: gen,
			ex: v11Exchange(http.MethodGet, p.subscriptions, authBearer, http.StatusOK,
				`{"environment":"Prod-env_1","application_id":"11231812","subscriptions":[{"user_id":"20212306"}]}`),
			run: func(ctx context.Context, c *Client) (any, error) {
				return c.Subscriptions(ctx, mockWebhookID)
			},
			want: SubscriptionList{ApplicationID: "11231812", Environment: mockEnvName, UserIDs: []string{"20212306"}},
		},
		{
			name: "unsubscribe", gen: gen,
			ex: v11Exchange(http.MethodDelete, p.unsubscribe, authBearer, http.StatusNoContent, ``),
			run: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.Unsubscribe(ctx, mockWebhookID, mockUserID)
			},
		},
		{
			name: "count subscriptions as strings", gen: gen,
			ex: v11Exchange(http.MethodGet, p.count, authBearer, http.StatusOK,
				`{"account_name":"my-account","subscriptions_count_all":"1","subscriptions_count_direct_messages":"0","provisioned_count":"50"}`),
			run:  func(ctx context.Context, c *Client) (any, error) { return c.SubscriptionCount(ctx) },
			want: SubscriptionCounts{AccountName: "my-account", Provisioned: 50, All: 1},
		},
	}
}

func TestEnterpriseCalls(t *testing.T) {
	runCalls(t, v11CallTests(Enterprise, enterprisePaths))
}

func TestPremiumCalls(t *testing.T) {
	runCalls(t, v11CallTests(Premium, premiumPaths))
}

func TestPremiumListWebhooksOfEnvironments(t *testing.T) {
	created := time.Date(2016, 6, 2, 23, 54, 2, 0, time.UTC)
	runCalls(t, []callTest{{
		name: "environments object",
		gen:  Premium,
		ex: v11Exchange(http.MethodGet, premiumPaths.webhooks, authBearer, http.StatusOK,
			`{"environments":[{"environment_name":"Other","webhooks":[{"id":"1","url":"https://o.example.com/w","valid":true}]},`+
				`{"environment_name":"Prod-env_1","webhooks":[{"id":"1700000000000000001","url":"https://a.example.com/w","valid":true,"created_timestamp":"2016-06-02 23:54:02 +0000"}]}]}`),
		run:  func(ctx context.Context, c *Client) (any, error) { return c.Webhooks(ctx) },
		want: []Webhook{{ID: mockWebhookID, URL: "https://a.example.com/w", Valid: true, CreatedAt: created}},
	}})
}

func TestEnterpriseReplay(t *testing.T) {
	const path = "/1.1/account_activity/replay/webhooks/1700000000000000001/subscriptions/all.json"
	// Enterprise replays up to five days back, beyond V2's 24 hours.
	from := mockNow.Add(-4 * 24 * time.Hour)
	to := mockNow.Add(-10 * time.Minute)
	query := url.Values{"from_date": {"202603101509"}, "to_date": {"202603141459"}}
	run := func(ctx context.Context, c *Client) (any, error) {
		return c.Replay(ctx, mockWebhookID, from, to)
	}
	withJobID := v11Exchange(http.MethodPost, path, authBearer, http.StatusAccepted,
		`{"job_id":"1234567890","created_at":"2016-06-02T23:54:02Z"}`)
	withJobID.query = query
	withID := withJobID
	withID.response = `{"id":1234567890,"created_at":"2016-06-02T23:54:02Z"}`
	want := ReplayJob{JobID: "1234567890", CreatedAt: time.Date(2016, 6, 2, 23, 54, 2, 0, time.UTC)}
	runCalls(t, []callTest{
		{name: "job_id", gen: Enterprise, ex: withJobID, run: run, want: want},
		{name: "id", gen: Enterprise, ex: withID, run: run, want: want},
	})
}

func TestReplaySubscriptions(t *testing.T) {
	const path = "/2/account_activity/replay/webhooks/1700000000000000001/subscriptions/all"
	from := mockNow.Add(-3 * 24 * time.Hour)
	to := mockNow.Add(-time.Hour)
	query := url.Values{"from_date": {"202603111509"}, "to_date": {"202603141409"}}
	run := func(ctx context.Context, c *Client) (any, error) {
		return c.ReplaySubscriptions(ctx, mockWebhookID, from, to)
	}
	ex := func(response string) exchange {
		e := v11Exchange(http.MethodPost, path, authBearer, http.StatusOK, response)
		e.query = query
		return e
	}
	job := ReplayJob{JobID: "1800000000000000009", CreatedAt: mockNow.Add(time.Second)}
	event := `{"job_id":"1800000000000000009","created_at":"2026-03-14T15:09:27Z","job_state":"Queued"}`
	runCalls(t, []callTest{
		{name: "job at the top level", ex: ex(`{"job_id":"1800000000000000009","created_at":"2026-03-14T15:09:27Z"}`), run: run, want: job},
		{name: "job under data", ex: ex(`{"data":{"job_id":"1800000000000000009","created_at":"2026-03-14T15:09:27.000Z"}}`), run: run, want: job},
		{
			name: "replay event", ex: ex(`{"for_user_id":"1470000000000000002","replay_event":` + event + `}`), run: run,
			want: ReplayJob{JobID: job.JobID, CreatedAt: job.CreatedAt, ForUserID: mockUserID, Event: json.RawMessage(event)},
		},
		{
			name: "replay event without a job id", ex: ex(`{"for_user_id":"1470000000000000002","replay_event":{"state":"accepted"}}`), run: run,
			want: ReplayJob{ForUserID: mockUserID, Event: json.RawMessage(`{"state":"accepted"}`)},
		},
	})
}

func TestEnsureWebhookV11(t *testing.T) {
	created := time.Date(2016, 6, 2, 23, 54, 2, 0, time.UTC)
	invalid := `[{"id":"1700000000000000001","url":"https://hooks.example.com/x/webhook","valid":false,"created_timestamp":"2016-06-02 23:54:02 +0000"}]`
	for _, tc := range []struct {
		gen   Generation
		paths v11Paths
	}{{Enterprise, enterprisePaths}, {Premium, premiumPaths}} {
		t.Run(tc.gen.String()+" revalidates", func(t *testing.T) {
			c, mock := newMockGeneration(t, tc.gen)
			expect(t, mock, v11Exchange(http.MethodGet, tc.paths.webhooks, authBearer, http.StatusOK, invalid))
			expect(t, mock, v11Exchange(http.MethodPut, tc.paths.webhook, authOAuth, http.StatusNoContent, ``))
			got, err := c.EnsureWebhook(context.Background(), mockHookURL)
			if err != nil {
				t.Fatalf("EnsureWebhook: %v", err)
			}
			want := Webhook{ID: mockWebhookID, URL: mockHookURL, Valid: true, CreatedAt: created}
			if got != want {
				t.Errorf("EnsureWebhook = %+v, want %+v", got, want)
			}
			checkCalls(t, mock, 2)
		})
		t.Run(tc.gen.String()+" creates", func(t *testing.T) {
			c, mock := newMockGeneration(t, tc.gen)
			expect(t, mock, v11Exchange(http.MethodGet, tc.paths.webhooks, authBearer, http.StatusOK, `[]`))
			create := v11Exchange(http.MethodPost, tc.paths.webhooks, authOAuth, http.StatusOK,
				`{"id":"1700000000000000001","url":"https://hooks.example.com/x/webhook","valid":true,"created_timestamp":"2016-06-02 23:54:02 +0000"}`)
			create.query = url.Values{"url": {mockHookURL}}
			expect(t, mock, create)
			got, err := c.EnsureWebhook(context.Background(), mockHookURL)
			if err != nil {
				t.Fatalf("EnsureWebhook: %v", err)
			}
			if got.ID != mockWebhookID || !got.Valid {
				t.Errorf("EnsureWebhook = %+v, want the created webhook, valid", got)
			}
			checkCalls(t, mock, 2)
		})
	}
}
