package accountactivity_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/webhook"
	"github.com/goodgo/xactivity/xtest"
)

// ensureSetup starts the fake X and a webhook receiver whose CRC handler
// uses receiverSecret, and returns a management client for the fake.
func ensureSetup(t *testing.T, receiverSecret string) (*xtest.Server, xtest.App, *accountactivity.Client, string) {
	t.Helper()
	fake := xtest.NewServer(xtest.WithInsecureWebhooks())
	t.Cleanup(fake.Close)
	app, err := fake.AddApp(xtest.App{ConsumerSecret: "app-consumer-secret"})
	if err != nil {
		t.Fatal(err)
	}
	receiver := httptest.NewServer(&webhook.Handler{
		ConsumerSecrets: []string{receiverSecret},
		Receiver:        webhook.ReceiverFunc(func(context.Context, *webhook.Delivery) error { return nil }),
	})
	t.Cleanup(receiver.Close)
	bearer, err := accountactivity.NewBearerClient(app.BearerToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	client, err := accountactivity.NewClient(accountactivity.Config{App: bearer},
		accountactivity.WithBaseURL(fake.URL()), accountactivity.WithInsecureWebhookURLs())
	if err != nil {
		t.Fatal(err)
	}
	return fake, app, client, receiver.URL + "/webhook"
}

func TestEnsureWebhookCreatesThenReuses(t *testing.T) {
	fake, app, client, url := ensureSetup(t, "app-consumer-secret")
	ctx := context.Background()
	first, err := client.EnsureWebhook(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == "" || first.URL != url || !first.Valid {
		t.Fatalf("webhook = %+v, want a valid webhook for %s", first, url)
	}
	second, err := client.EnsureWebhook(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID {
		t.Errorf("second call returned webhook %s, want the existing %s", second.ID, first.ID)
	}
	if n := len(fake.Webhooks(app.ID)); n != 1 {
		t.Errorf("fake has %d webhooks, want 1", n)
	}

	if err := fake.InvalidateWebhook(first.ID); err != nil {
		t.Fatal(err)
	}
	again, err := client.EnsureWebhook(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || !again.Valid {
		t.Errorf("after invalidation: %+v, want webhook %s valid again", again, first.ID)
	}
	if hooks := fake.Webhooks(app.ID); len(hooks) != 1 || !hooks[0].Valid {
		t.Errorf("fake webhooks = %+v, want the one webhook, valid", hooks)
	}
}

func TestEnsureWebhookCRCFailure(t *testing.T) {
	fake, app, client, url := ensureSetup(t, "a-different-secret")
	_, err := client.EnsureWebhook(context.Background(), url)
	if !errors.Is(err, accountactivity.ErrCRCValidationFailed) {
		t.Fatalf("error = %v, want ErrCRCValidationFailed", err)
	}
	if n := len(fake.Webhooks(app.ID)); n != 0 {
		t.Errorf("fake has %d webhooks after a failed CRC, want 0", n)
	}
}

func TestEnsureWebhookRejectsInsecureURLByDefault(t *testing.T) {
	bearer, err := accountactivity.NewBearerClient("token", nil)
	if err != nil {
		t.Fatal(err)
	}
	client, err := accountactivity.NewClient(accountactivity.Config{App: bearer})
	if err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"http://example.test/hook", "https://example.test:8443/hook"} {
		if _, err := client.EnsureWebhook(context.Background(), url); !errors.Is(err, accountactivity.ErrInvalid) {
			t.Errorf("%s: error = %v, want ErrInvalid before any request", url, err)
		}
	}
}
