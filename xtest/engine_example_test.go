package xtest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/goodgo/xactivity/webhook"
	"github.com/goodgo/xactivity/xtest"
)

// A manual Clock steps through X's retry schedule without sleeping: the
// webhook below fails twice, and X's third attempt, 30 seconds after the
// first, gets its 200.
func ExampleClock() {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := xtest.NewClock(start)
	srv := xtest.NewServer(xtest.WithManualClock(clock), xtest.WithInsecureWebhooks())
	defer srv.Close()
	app, err := srv.AddApp(xtest.App{})
	if err != nil {
		log.Fatal(err)
	}

	var failures atomic.Int32
	failures.Store(2)
	hook := httptest.NewServer(&webhook.Handler{
		ConsumerSecrets: []string{app.ConsumerSecret},
		Receiver: webhook.ReceiverFunc(func(context.Context, *webhook.Delivery) error {
			if failures.Add(-1) >= 0 {
				return errors.New("storage unavailable")
			}
			return nil
		}),
	})
	defer hook.Close()
	webhookID := register(srv, app, hook.URL)

	status, err := srv.Deliver(context.Background(), webhookID, []byte(`{"for_user_id":"1"}`))
	fmt.Println("first attempt:", status, err)
	clock.Advance(5 * time.Minute)
	for _, d := range srv.Deliveries(webhookID) {
		fmt.Printf("attempt %d at +%v: %d\n", d.Attempt, d.Time.Sub(start), d.Status)
	}
	// Output:
	// first attempt: 503 <nil>
	// attempt 1 at +0s: 503
	// attempt 2 at +3s: 503
	// attempt 3 at +30s: 200
}

// register creates a webhook for url with the app's bearer token and
// returns its id.
func register(srv *xtest.Server, app xtest.App, url string) string {
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/2/webhooks", strings.NewReader(`{"url":"`+url+`"}`))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+app.BearerToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	hooks := srv.Webhooks(app.ID)
	if resp.StatusCode != http.StatusOK || len(hooks) != 1 {
		log.Fatalf("register webhook: status %d", resp.StatusCode)
	}
	return hooks[0].ID
}
