package accountactivity_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

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

// crcRendezvous holds the first CRC check until a second one arrives, then
// responds to the first at once and to the second after a pause. Two creates of
// the same URL thus both pass X's duplicate check before either webhook
// is stored, and the first is stored well before the second.
type crcRendezvous struct {
	next    http.Handler
	mu      sync.Mutex
	checks  int
	arrived chan struct{}
}

func (c *crcRendezvous) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		c.mu.Lock()
		c.checks++
		n := c.checks
		c.mu.Unlock()
		switch n {
		case 1:
			select {
			case <-c.arrived:
			case <-time.After(2 * time.Second): // under X's 3-second CRC limit of v1.1
			}
		case 2:
			close(c.arrived)
			time.Sleep(200 * time.Millisecond)
		}
	}
	c.next.ServeHTTP(w, r)
}

// TestEnsureWebhookConcurrent runs two EnsureWebhook calls for one URL at
// once, as two processes would: both list no webhook and create it, X
// rejects the second create, and that call returns the first's webhook.
func TestEnsureWebhookConcurrent(t *testing.T) {
	for _, gen := range []accountactivity.Generation{accountactivity.V2, accountactivity.Enterprise, accountactivity.Premium} {
		t.Run(gen.String(), func(t *testing.T) {
			fake := xtest.NewServer(xtest.WithInsecureWebhooks())
			t.Cleanup(fake.Close)
			app, err := fake.AddApp(xtest.App{ConsumerSecret: "app-consumer-secret"})
			if err != nil {
				t.Fatal(err)
			}
			owner, err := fake.AddUser(app.ID, xtest.User{})
			if err != nil {
				t.Fatal(err)
			}
			cfg := accountactivity.Config{Generation: gen}
			if gen == accountactivity.Premium {
				cfg.EnvName = fakeEnvName
				if err := fake.AddEnvironment(app.ID, fakeEnvName); err != nil {
					t.Fatal(err)
				}
			}
			rendezvous := &crcRendezvous{arrived: make(chan struct{}), next: &webhook.Handler{
				ConsumerSecrets: []string{"app-consumer-secret"},
				Receiver:        webhook.ReceiverFunc(func(context.Context, *webhook.Delivery) error { return nil }),
			}}
			receiver := httptest.NewServer(rendezvous)
			t.Cleanup(receiver.Close)
			url := receiver.URL + "/webhook"

			var wg sync.WaitGroup
			hooks := make([]accountactivity.Webhook, 2)
			errs := make([]error, 2)
			for i := range 2 {
				// Each call has its own Client, as each process would.
				bearer, err := accountactivity.NewBearerClient(app.BearerToken, nil)
				if err != nil {
					t.Fatal(err)
				}
				cfg.App, cfg.User = bearer, fake.Client(app, owner)
				client, err := accountactivity.NewClient(cfg,
					accountactivity.WithBaseURL(fake.URL()), accountactivity.WithInsecureWebhookURLs())
				if err != nil {
					t.Fatal(err)
				}
				wg.Go(func() { hooks[i], errs[i] = client.EnsureWebhook(context.Background(), url) })
			}
			wg.Wait()

			for i := range 2 {
				if errs[i] != nil {
					t.Errorf("call %d: %v", i, errs[i])
				} else if hooks[i].ID == "" || hooks[i].URL != url || !hooks[i].Valid {
					t.Errorf("call %d returned %+v, want a valid webhook for %s", i, hooks[i], url)
				}
			}
			if hooks[0].ID != hooks[1].ID {
				t.Errorf("the calls returned webhooks %s and %s, want the same", hooks[0].ID, hooks[1].ID)
			}
			if n := len(fake.Webhooks(app.ID)); n != 1 {
				t.Errorf("fake has %d webhooks, want 1", n)
			}
			var lists, creates int
			for _, req := range fake.Requests() {
				switch {
				case !strings.HasSuffix(req.Path, "webhooks") && !strings.HasSuffix(req.Path, "webhooks.json"):
				case req.Method == http.MethodGet:
					lists++
				case req.Method == http.MethodPost:
					creates++
				}
			}
			if creates != 2 || lists != 3 {
				t.Errorf("fake got %d creates and %d lists, want 2 and 3: both calls create, and the rejected one lists again", creates, lists)
			}
		})
	}
}
