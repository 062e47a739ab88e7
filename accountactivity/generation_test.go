package accountactivity

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/goodgo/xactivity"
)

func TestParseGeneration(t *testing.T) {
	for _, want := range []Generation{V2, Enterprise, Premium} {
		got, err := ParseGeneration(want.String())
		if err != nil || got != want {
			t.Errorf("ParseGeneration(%q) = %v, %v, want %v", want.String(), got, err, want)
		}
	}
	wantStrings := map[Generation]string{V2: "2", Enterprise: "1.1-enterprise", Premium: "1.1-premium", Generation(7): "Generation(7)"}
	for g, want := range wantStrings {
		if got := g.String(); got != want {
			t.Errorf("Generation(%d).String() = %q, want %q", int(g), got, want)
		}
	}
	for _, bad := range []string{"", "1.1", "v2", "2.0", " 2", "1.1-Enterprise", "premium", "Generation(1)"} {
		_, err := ParseGeneration(bad)
		if err == nil {
			t.Errorf("ParseGeneration(%q) succeeded, want an error", bad)
			continue
		}
		if !strings.Contains(err.Error(), `"1.1-enterprise"`) {
			t.Errorf("ParseGeneration(%q) error %q does not list the accepted values", bad, err)
		}
	}
}

func TestNewClientGenerationErrors(t *testing.T) {
	user := newOAuth1Client(httpmock.NewMockTransport())
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"premium without environment", Config{User: user, Generation: Premium}, "EnvName"},
		{"environment on V2", Config{User: user, EnvName: "prod"}, "EnvName"},
		{"environment on Enterprise", Config{User: user, Generation: Enterprise, EnvName: "prod"}, "EnvName"},
		{"environment with a slash", Config{User: user, Generation: Premium, EnvName: "prod/dev"}, "'/'"},
		{"environment with a space", Config{User: user, Generation: Premium, EnvName: "prod dev"}, "' '"},
		{"environment with a dot", Config{User: user, Generation: Premium, EnvName: "prod.json"}, "'.'"},
		{"environment with non-ASCII", Config{User: user, Generation: Premium, EnvName: "prød"}, "prød"},
		{"long environment", Config{User: user, Generation: Premium, EnvName: strings.Repeat("e", MaxEnvNameLength+1)}, "65 bytes"},
		{"unknown generation", Config{User: user, Generation: Generation(3)}, "unknown API generation 3"},
		{"negative generation", Config{User: user, Generation: Generation(-1)}, "unknown API generation -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewClient(tc.cfg)
			if err == nil {
				t.Fatalf("NewClient = %v, want an error", c)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestNewClientGeneration(t *testing.T) {
	user := newOAuth1Client(httpmock.NewMockTransport())
	longest := strings.Repeat("E", MaxEnvNameLength)
	for _, cfg := range []Config{
		{User: user},
		{User: user, Generation: Enterprise},
		{User: user, Generation: Premium, EnvName: longest},
		{User: user, Generation: Premium, EnvName: "Prod-env_1"},
	} {
		c, err := NewClient(cfg)
		if err != nil {
			t.Errorf("NewClient(%v, %q): %v", cfg.Generation, cfg.EnvName, err)
			continue
		}
		if c.Generation() != cfg.Generation {
			t.Errorf("Generation() = %v, want %v", c.Generation(), cfg.Generation)
		}
	}
}

func TestUnsupportedCalls(t *testing.T) {
	activity := ActivitySubscription{EventType: EventPostCreate, Filter: Filter{Keyword: "k"}}
	update := ActivitySubscriptionUpdate{Tag: "t"}
	const id = "1900000000000000001"
	from, to := mockNow.Add(-time.Hour), mockNow.Add(-time.Minute)
	calls := map[string]func(context.Context, *Client) error{
		"create activity subscription": createActivity(activity),
		"update activity subscription": func(ctx context.Context, c *Client) error {
			_, err := c.UpdateActivitySubscription(ctx, id, update)
			return err
		},
		"list activity subscriptions": func(ctx context.Context, c *Client) error {
			_, err := c.ActivitySubscriptions(ctx)
			return err
		},
		"delete activity subscription": func(ctx context.Context, c *Client) error {
			return c.DeleteActivitySubscription(ctx, id)
		},
		"delete activity subscriptions": func(ctx context.Context, c *Client) error {
			_, err := c.DeleteActivitySubscriptions(ctx, []string{id})
			return err
		},
		"replay subscriptions": func(ctx context.Context, c *Client) error {
			_, err := c.ReplaySubscriptions(ctx, mockWebhookID, from, to)
			return err
		},
		"replay": func(ctx context.Context, c *Client) error {
			_, err := c.Replay(ctx, mockWebhookID, from, to)
			return err
		},
	}
	unsupported := map[Generation][]string{
		Enterprise: {"create activity subscription", "update activity subscription", "list activity subscriptions",
			"delete activity subscription", "delete activity subscriptions", "replay subscriptions"},
		Premium: {"create activity subscription", "update activity subscription", "list activity subscriptions",
			"delete activity subscription", "delete activity subscriptions", "replay subscriptions", "replay"},
	}
	for gen, ops := range unsupported {
		for _, op := range ops {
			t.Run(gen.String()+" "+op, func(t *testing.T) {
				c, mock := newMockGeneration(t, gen, WithClock(func() time.Time { return mockNow }))
				err := calls[op](context.Background(), c)
				checkUnsupported(t, err, op, gen)
				checkCalls(t, mock, 0)
			})
		}
	}
}

func checkUnsupported(t *testing.T, err error, op string, gen Generation) {
	t.Helper()
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("error %v does not match ErrUnsupported", err)
	}
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("error %v does not match errors.ErrUnsupported", err)
	}
	if !xactivity.IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = false, want true", err)
	}
	if msg := err.Error(); !strings.Contains(msg, op) || !strings.Contains(msg, gen.String()) {
		t.Errorf("error %q does not name the call %q and the generation %s", msg, op, gen)
	}
}

func TestUnsupportedSentinel(t *testing.T) {
	if !errors.Is(ErrUnsupported, errors.ErrUnsupported) {
		t.Error("ErrUnsupported does not match errors.ErrUnsupported")
	}
}

// TestInvalidInputOnV11 checks that the v1.1 generations validate input
// as V2 does, and that Premium checks the webhook ids it does not send.
func TestInvalidInputOnV11(t *testing.T) {
	tests := []struct {
		name string
		run  func(context.Context, *Client) error
	}{
		{"http URL", createWebhook("http://hooks.example.com/w")},
		{"bad webhook id", func(ctx context.Context, c *Client) error { return c.Subscribe(ctx, "01") }},
		{"bad subscribed webhook id", func(ctx context.Context, c *Client) error {
			_, err := c.Subscribed(ctx, "x")
			return err
		}},
		{"bad list webhook id", func(ctx context.Context, c *Client) error {
			_, err := c.Subscriptions(ctx, "")
			return err
		}},
		{"bad user id", func(ctx context.Context, c *Client) error { return c.Unsubscribe(ctx, mockWebhookID, "-1") }},
	}
	for _, gen := range []Generation{Enterprise, Premium} {
		for _, tc := range tests {
			t.Run(gen.String()+" "+tc.name, func(t *testing.T) {
				c, mock := newMockGeneration(t, gen)
				if err := tc.run(context.Background(), c); !errors.Is(err, ErrInvalid) {
					t.Errorf("error = %v, want ErrInvalid", err)
				}
				checkCalls(t, mock, 0)
			})
		}
	}
}

func TestReplayWindowByGeneration(t *testing.T) {
	tests := []struct {
		name string
		gen  Generation
		from time.Duration
		run  func(c *Client, from, to time.Time) error
	}{
		{"V2 replay beyond 24 hours", V2, -25 * time.Hour, func(c *Client, from, to time.Time) error {
			_, err := c.Replay(context.Background(), mockWebhookID, from, to)
			return err
		}},
		{"Enterprise replay beyond 5 days", Enterprise, -5*24*time.Hour - time.Minute, func(c *Client, from, to time.Time) error {
			_, err := c.Replay(context.Background(), mockWebhookID, from, to)
			return err
		}},
		{"replay subscriptions beyond 5 days", V2, -5*24*time.Hour - time.Minute, func(c *Client, from, to time.Time) error {
			_, err := c.ReplaySubscriptions(context.Background(), mockWebhookID, from, to)
			return err
		}},
		{"replay subscriptions in one minute", V2, -time.Hour, func(c *Client, from, _ time.Time) error {
			_, err := c.ReplaySubscriptions(context.Background(), mockWebhookID, from, from.Add(10*time.Second))
			return err
		}},
		{"replay subscriptions in the future", V2, -time.Hour, func(c *Client, from, _ time.Time) error {
			_, err := c.ReplaySubscriptions(context.Background(), mockWebhookID, from, mockNow.Add(time.Minute))
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mock := newMockGeneration(t, tc.gen, WithClock(func() time.Time { return mockNow }))
			err := tc.run(c, mockNow.Add(tc.from), mockNow.Add(-time.Minute))
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error = %v, want ErrInvalid", err)
			}
			checkCalls(t, mock, 0)
		})
	}
}

// TestMissingAuthOnV11 checks that the v1.1 generations ask for the
// credentials X requires there, which differ from V2's for webhooks.
func TestMissingAuthOnV11(t *testing.T) {
	mock := httpmock.NewMockTransport()
	app, err := NewBearerClient(mockBearerToken, mock)
	if err != nil {
		t.Fatal(err)
	}
	now := WithClock(func() time.Time { return mockNow })
	appOnly, err := NewClient(Config{App: app, Generation: Enterprise}, now)
	if err != nil {
		t.Fatal(err)
	}
	userOnly, err := NewClient(Config{User: newOAuth1Client(mock), Generation: Premium, EnvName: mockEnvName}, now)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    *Client
		run  func(context.Context, *Client) error
		want error
	}{
		{"create webhook", appOnly, createWebhook(mockHookURL), ErrNoUserAuth},
		{"validate webhook", appOnly, func(ctx context.Context, c *Client) error {
			_, err := c.ValidateWebhook(ctx, mockWebhookID)
			return err
		}, ErrNoUserAuth},
		{"delete webhook", appOnly, func(ctx context.Context, c *Client) error {
			return c.DeleteWebhook(ctx, mockWebhookID)
		}, ErrNoUserAuth},
		{"subscribe", appOnly, func(ctx context.Context, c *Client) error { return c.Subscribe(ctx, mockWebhookID) }, ErrNoUserAuth},
		{"list webhooks", userOnly, func(ctx context.Context, c *Client) error {
			_, err := c.Webhooks(ctx)
			return err
		}, ErrNoAppAuth},
		{"unsubscribe", userOnly, func(ctx context.Context, c *Client) error {
			return c.Unsubscribe(ctx, mockWebhookID, mockUserID)
		}, ErrNoAppAuth},
		{"count", userOnly, func(ctx context.Context, c *Client) error {
			_, err := c.SubscriptionCount(ctx)
			return err
		}, ErrNoAppAuth},
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
