package xtest_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/dm"
	"github.com/goodgo/xactivity/webhook"
	"github.com/goodgo/xactivity/xtest"
)

// A shop's DM bot runs against the fake X: its webhook receives a
// customer's DM, and it replies through the DM API as the shop. X echoes
// the reply to the shop's webhook, and the bot leaves its own echo
// unanswered.
func Example_bot() {
	ctx := context.Background()
	srv := xtest.NewServer(xtest.WithInsecureWebhooks())
	defer srv.Close()
	app, err := srv.AddApp(xtest.App{})
	if err != nil {
		log.Fatal(err)
	}
	shop, err := srv.AddUser(app.ID, xtest.User{ID: "1470000000000000001", Username: "shop_demo", Name: "Shop Demo"})
	if err != nil {
		log.Fatal(err)
	}
	customer, err := srv.AddUser(app.ID, xtest.User{ID: "1470000000000000777", Username: "ana_cliente", Name: "Ana"})
	if err != nil {
		log.Fatal(err)
	}

	// The bot acts as the shop, with the OAuth 1.0a token the shop granted
	// the app.
	config := oauth1.NewConfig(app.ConsumerKey, app.ConsumerSecret)
	shopHTTP := config.Client(ctx, oauth1.NewToken(shop.Token, shop.TokenSecret))
	shopDMs, err := dm.NewClient(shopHTTP, dm.WithBaseURL(srv.URL()))
	if err != nil {
		log.Fatal(err)
	}

	var dispatcher accountactivity.Dispatcher
	dispatcher.OnDirectMessage(func(ctx context.Context, d *accountactivity.Delivery, m *accountactivity.DirectMessage) error {
		if m.Outgoing(d.ForUserID) {
			fmt.Printf("bot: echo of its own DM, no reply: %q\n", m.Text)
			return nil
		}
		fmt.Printf("bot: DM from %s: %q\n", m.SenderID, m.Text)
		_, err := shopDMs.SendToParticipant(ctx, m.SenderID, dm.Message{Text: "Thanks for your message! Yes, it is in stock."})
		return err
	})
	bot := httptest.NewServer(&webhook.Handler{
		ConsumerSecrets: []string{app.ConsumerSecret},
		Receiver: webhook.ReceiverFunc(func(ctx context.Context, wd *webhook.Delivery) error {
			d, err := accountactivity.Decode(wd.Body)
			if err != nil {
				return fmt.Errorf("%w: %v", webhook.ErrInvalidBody, err)
			}
			return dispatcher.Dispatch(ctx, d)
		}),
	})
	defer bot.Close()

	// Register the bot's webhook, which the fake checks with a CRC
	// request, and subscribe the shop to it.
	bearer, err := accountactivity.NewBearerClient(app.BearerToken, nil)
	if err != nil {
		log.Fatal(err)
	}
	management, err := accountactivity.NewClient(
		accountactivity.Config{App: bearer, User: shopHTTP},
		accountactivity.WithBaseURL(srv.URL()), accountactivity.WithInsecureWebhookURLs())
	if err != nil {
		log.Fatal(err)
	}
	hook, err := management.EnsureWebhook(ctx, bot.URL+"/webhooks/x")
	if err != nil {
		log.Fatal(err)
	}
	if err := management.Subscribe(ctx, hook.ID); err != nil {
		log.Fatal(err)
	}

	// The customer writes in from X's own apps. The webhook then gets two
	// deliveries: the customer's DM and the echo of the bot's reply.
	if _, err := srv.DeliverDM(ctx, customer.ID, shop.ID, "Is the blue jacket in stock?"); err != nil {
		log.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	deliveries, err := srv.WaitDeliveries(waitCtx, hook.ID, 2)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range deliveries {
		fmt.Println("webhook response:", d.Status)
	}

	// What the customer sees in the conversation, oldest first.
	customerDMs, err := dm.NewClient(srv.Client(app, customer), dm.WithBaseURL(srv.URL()))
	if err != nil {
		log.Fatal(err)
	}
	var conversation []dm.Event
	fields := dm.Fields{DMEventFields: []string{"sender_id", "text"}}
	for e, err := range customerDMs.ParticipantEvents(ctx, shop.ID, dm.ListOptions{Fields: fields}) {
		if err != nil {
			log.Fatal(err)
		}
		conversation = append([]dm.Event{e}, conversation...)
	}
	for _, e := range conversation {
		fmt.Printf("customer sees from %s: %q\n", e.SenderID, e.Text)
	}
	fmt.Println("DMs sent through the API:", len(srv.SentDMs()))
	// Output:
	// bot: DM from 1470000000000000777: "Is the blue jacket in stock?"
	// bot: echo of its own DM, no reply: "Thanks for your message! Yes, it is in stock."
	// webhook response: 200
	// webhook response: 200
	// customer sees from 1470000000000000777: "Is the blue jacket in stock?"
	// customer sees from 1470000000000000001: "Thanks for your message! Yes, it is in stock."
	// DMs sent through the API: 1
}
