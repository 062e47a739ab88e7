package accountactivity_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/webhook"
	"github.com/goodgo/xactivity/xtest"
)

const fakeEnvName = "Prod-env_1"

// v11Setup starts the fake X with an app, a user of the app and, on
// Premium, the environment fakeEnvName, and a webhook receiver. It
// returns a management client for generation gen that signs user-context
// calls as that user, and the receiver's URL.
func v11Setup(t *testing.T, gen accountactivity.Generation, envName string) (*xtest.Server, xtest.App, xtest.User, *accountactivity.Client, string) {
	t.Helper()
	fake := xtest.NewServer(xtest.WithInsecureWebhooks())
	t.Cleanup(fake.Close)
	app, err := fake.AddApp(xtest.App{ConsumerSecret: "app-consumer-secret"})
	if err != nil {
		t.Fatal(err)
	}
	user, err := fake.AddUser(app.ID, xtest.User{})
	if err != nil {
		t.Fatal(err)
	}
	if gen == accountactivity.Premium {
		if err := fake.AddEnvironment(app.ID, fakeEnvName); err != nil {
			t.Fatal(err)
		}
	}
	receiver := httptest.NewServer(&webhook.Handler{
		ConsumerSecrets: []string{"app-consumer-secret"},
		Receiver:        webhook.ReceiverFunc(func(context.Context, *webhook.Delivery) error { return nil }),
	})
	t.Cleanup(receiver.Close)
	bearer, err := accountactivity.NewBearerClient(app.BearerToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := accountactivity.Config{App: bearer, User: fake.Client(app, user), Generation: gen, EnvName: envName}
	client, err := accountactivity.NewClient(cfg,
		accountactivity.WithBaseURL(fake.URL()), accountactivity.WithInsecureWebhookURLs())
	if err != nil {
		t.Fatal(err)
	}
	return fake, app, user, client, receiver.URL + "/webhook"
}

// TestV11Lifecycle runs every management call of the v1.1 generations
// against the fake X: webhook registration, re-validation, subscriptions,
// counts, replay and deletion.
func TestV11Lifecycle(t *testing.T) {
	for _, tc := range []struct {
		gen accountactivity.Generation
		env string
	}{{accountactivity.Enterprise, ""}, {accountactivity.Premium, fakeEnvName}} {
		t.Run(tc.gen.String(), func(t *testing.T) {
			fake, app, user, client, url := v11Setup(t, tc.gen, tc.env)
			ctx := context.Background()

			hook := ensureTwice(t, fake, app, client, url)
			if err := fake.InvalidateWebhook(hook.ID); err != nil {
				t.Fatal(err)
			}
			again, err := client.EnsureWebhook(ctx, url)
			if err != nil || again.ID != hook.ID || !again.Valid {
				t.Errorf("EnsureWebhook after invalidation = %+v, %v, want webhook %s valid", again, err, hook.ID)
			}

			checkSubscriptions(t, client, hook.ID, user.ID)

			if tc.gen == accountactivity.Enterprise {
				now := time.Now()
				job, err := client.Replay(ctx, hook.ID, now.Add(-2*time.Hour), now.Add(-time.Hour))
				if err != nil || job.JobID == "" {
					t.Errorf("Replay = %+v, %v, want a job", job, err)
				}
				fake.WaitReplays()
			}

			if err := client.DeleteWebhook(ctx, hook.ID); err != nil {
				t.Fatalf("DeleteWebhook: %v", err)
			}
			if hooks, err := client.Webhooks(ctx); err != nil || len(hooks) != 0 {
				t.Errorf("Webhooks after delete = %+v, %v, want none", hooks, err)
			}
		})
	}
}

// ensureTwice creates the webhook for url with EnsureWebhook and checks
// that a second call reuses it.
func ensureTwice(t *testing.T, fake *xtest.Server, app xtest.App, client *accountactivity.Client, url string) accountactivity.Webhook {
	t.Helper()
	ctx := context.Background()
	first, err := client.EnsureWebhook(ctx, url)
	if err != nil {
		t.Fatalf("EnsureWebhook: %v", err)
	}
	if first.ID == "" || first.URL != url || !first.Valid || first.CreatedAt.IsZero() {
		t.Fatalf("webhook = %+v, want a valid webhook for %s with its creation time", first, url)
	}
	second, err := client.EnsureWebhook(ctx, url)
	if err != nil || second.ID != first.ID {
		t.Errorf("second EnsureWebhook = %+v, %v, want the existing %s", second, err, first.ID)
	}
	if n := len(fake.Webhooks(app.ID)); n != 1 {
		t.Errorf("fake has %d webhooks, want 1", n)
	}
	return first
}

// checkSubscriptions subscribes userID to the webhook hookID, lists and
// counts the subscription, and removes it again.
func checkSubscriptions(t *testing.T, client *accountactivity.Client, hookID, userID string) {
	t.Helper()
	ctx := context.Background()
	if ok, err := client.Subscribed(ctx, hookID); err != nil || ok {
		t.Errorf("Subscribed before Subscribe = %v, %v, want false", ok, err)
	}
	if err := client.Subscribe(ctx, hookID); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if err := client.Subscribe(ctx, hookID); !errors.Is(err, accountactivity.ErrDuplicateSubscription) {
		t.Errorf("second Subscribe error = %v, want ErrDuplicateSubscription", err)
	}
	if ok, err := client.Subscribed(ctx, hookID); err != nil || !ok {
		t.Errorf("Subscribed = %v, %v, want true", ok, err)
	}
	list, err := client.Subscriptions(ctx, hookID)
	if err != nil || !slices.Equal(list.UserIDs, []string{userID}) {
		t.Errorf("Subscriptions = %+v, %v, want user %s", list, err, userID)
	}
	counts, err := client.SubscriptionCount(ctx)
	if err != nil || counts.All != 1 {
		t.Errorf("SubscriptionCount = %+v, %v, want 1 subscription", counts, err)
	}
	if err := client.Unsubscribe(ctx, hookID, userID); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	if err := client.Unsubscribe(ctx, hookID, userID); !errors.Is(err, accountactivity.ErrSubscriptionNotFound) {
		t.Errorf("second Unsubscribe error = %v, want ErrSubscriptionNotFound", err)
	}
}

func TestPremiumEnvironmentNameIsCaseSensitive(t *testing.T) {
	_, _, _, client, url := v11Setup(t, accountactivity.Premium, "prod-env_1")
	_, err := client.EnsureWebhook(context.Background(), url)
	if !errors.Is(err, accountactivity.ErrNoProductAccess) {
		t.Errorf("EnsureWebhook error = %v, want ErrNoProductAccess for an unknown environment", err)
	}
}

func TestV11CRCFailure(t *testing.T) {
	fake := xtest.NewServer(xtest.WithInsecureWebhooks())
	t.Cleanup(fake.Close)
	app, err := fake.AddApp(xtest.App{ConsumerSecret: "app-consumer-secret"})
	if err != nil {
		t.Fatal(err)
	}
	user, err := fake.AddUser(app.ID, xtest.User{})
	if err != nil {
		t.Fatal(err)
	}
	receiver := httptest.NewServer(&webhook.Handler{
		ConsumerSecrets: []string{"a-different-secret"},
		Receiver:        webhook.ReceiverFunc(func(context.Context, *webhook.Delivery) error { return nil }),
	})
	t.Cleanup(receiver.Close)
	bearer, err := accountactivity.NewBearerClient(app.BearerToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	client, err := accountactivity.NewClient(
		accountactivity.Config{App: bearer, User: fake.Client(app, user), Generation: accountactivity.Enterprise},
		accountactivity.WithBaseURL(fake.URL()), accountactivity.WithInsecureWebhookURLs())
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.EnsureWebhook(context.Background(), receiver.URL+"/webhook")
	if !errors.Is(err, accountactivity.ErrCRCValidationFailed) {
		t.Errorf("EnsureWebhook error = %v, want ErrCRCValidationFailed", err)
	}
}

// TestV11SubscriptionLimit checks that code 214's "Too many resources
// already created." on a subscribe call matches the subscription limit,
// not the webhook limit.
func TestV11SubscriptionLimit(t *testing.T) {
	for _, tc := range []struct {
		gen accountactivity.Generation
		env string
	}{{accountactivity.Enterprise, ""}, {accountactivity.Premium, fakeEnvName}} {
		t.Run(tc.gen.String(), func(t *testing.T) {
			fake := xtest.NewServer(xtest.WithInsecureWebhooks(), xtest.WithSubscriptionLimit(1))
			t.Cleanup(fake.Close)
			app, err := fake.AddApp(xtest.App{ConsumerSecret: "app-consumer-secret"})
			if err != nil {
				t.Fatal(err)
			}
			if tc.env != "" {
				if err := fake.AddEnvironment(app.ID, tc.env); err != nil {
					t.Fatal(err)
				}
			}
			receiver := httptest.NewServer(&webhook.Handler{
				ConsumerSecrets: []string{"app-consumer-secret"},
				Receiver:        webhook.ReceiverFunc(func(context.Context, *webhook.Delivery) error { return nil }),
			})
			t.Cleanup(receiver.Close)
			bearer, err := accountactivity.NewBearerClient(app.BearerToken, nil)
			if err != nil {
				t.Fatal(err)
			}
			clientOf := func(user xtest.User) *accountactivity.Client {
				t.Helper()
				cfg := accountactivity.Config{App: bearer, User: fake.Client(app, user), Generation: tc.gen, EnvName: tc.env}
				c, err := accountactivity.NewClient(cfg,
					accountactivity.WithBaseURL(fake.URL()), accountactivity.WithInsecureWebhookURLs())
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			var clients []*accountactivity.Client
			for range 2 {
				user, err := fake.AddUser(app.ID, xtest.User{})
				if err != nil {
					t.Fatal(err)
				}
				clients = append(clients, clientOf(user))
			}
			ctx := context.Background()
			hook, err := clients[0].EnsureWebhook(ctx, receiver.URL+"/webhook")
			if err != nil {
				t.Fatalf("EnsureWebhook: %v", err)
			}
			if err := clients[0].Subscribe(ctx, hook.ID); err != nil {
				t.Fatalf("first Subscribe: %v", err)
			}
			err = clients[1].Subscribe(ctx, hook.ID)
			if !errors.Is(err, accountactivity.ErrSubscriptionLimitExceeded) {
				t.Errorf("Subscribe over the limit: error %v, want ErrSubscriptionLimitExceeded", err)
			}
			if errors.Is(err, accountactivity.ErrWebhookLimitExceeded) {
				t.Errorf("Subscribe over the limit: error %v matches ErrWebhookLimitExceeded", err)
			}
		})
	}
}
