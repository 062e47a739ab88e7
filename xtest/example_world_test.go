package xtest_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/webhook"
	"github.com/goodgo/xactivity/xtest"
)

// A user's webhook handler receives events of the fake's simulated world:
// a follow and a DM from a customer of the demo shop.
func ExampleServer_Follow() {
	ctx := context.Background()
	srv := xtest.NewServer(xtest.WithInsecureWebhooks())
	defer srv.Close()
	app, shop, err := srv.AddDemo()
	if err != nil {
		log.Fatal(err)
	}
	const customerID = "1470000000000000777" // @ana_cliente

	// The handler under test: verify, decode, dispatch.
	var dispatcher accountactivity.Dispatcher
	dispatcher.OnFollow(func(_ context.Context, d *accountactivity.Delivery, e *accountactivity.FollowEvent) error {
		fmt.Printf("for %s: @%s %ss @%s\n", d.ForUserID, e.Source.ScreenName, e.Type, e.Target.ScreenName)
		return nil
	})
	dispatcher.OnDirectMessage(func(_ context.Context, d *accountactivity.Delivery, m *accountactivity.DirectMessage) error {
		fmt.Printf("for %s: DM from %s, incoming %v: %s\n", d.ForUserID, m.SenderID, m.Incoming(d.ForUserID), m.Text)
		return nil
	})
	receiver := httptest.NewServer(&webhook.Handler{
		ConsumerSecrets: []string{app.ConsumerSecret},
		Receiver: webhook.ReceiverFunc(func(ctx context.Context, wd *webhook.Delivery) error {
			d, err := accountactivity.Decode(wd.Body)
			if err != nil {
				return fmt.Errorf("%w: %v", webhook.ErrInvalidBody, err)
			}
			return dispatcher.Dispatch(ctx, d)
		}),
	})
	defer receiver.Close()

	// Register the webhook and subscribe the shop, as a deployment would.
	bearer, err := accountactivity.NewBearerClient(app.BearerToken, nil)
	if err != nil {
		log.Fatal(err)
	}
	client, err := accountactivity.NewClient(
		accountactivity.Config{App: bearer, User: srv.Client(app, shop)},
		accountactivity.WithBaseURL(srv.URL()), accountactivity.WithInsecureWebhookURLs())
	if err != nil {
		log.Fatal(err)
	}
	hook, err := client.EnsureWebhook(ctx, receiver.URL+"/webhook")
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Subscribe(ctx, hook.ID); err != nil {
		log.Fatal(err)
	}

	// The customer acts; each event is delivered before the call returns.
	if err := srv.Follow(ctx, customerID, shop.ID); err != nil {
		log.Fatal(err)
	}
	if _, err := srv.DeliverDM(ctx, customerID, shop.ID, "Is the blue jacket in stock?"); err != nil {
		log.Fatal(err)
	}
	// Output:
	// for 1470000000000000001: @ana_cliente follows @shop_demo
	// for 1470000000000000001: DM from 1470000000000000777, incoming true: Is the blue jacket in stock?
}
