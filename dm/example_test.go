package dm_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/dghubble/oauth1"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/dm"
	"github.com/goodgo/xactivity/ratelimit"
	"github.com/goodgo/xactivity/xtest"
)

// fakeX starts a fake X API with the demo app and user, registers a
// recipient, and returns a client signed as the demo user.
func fakeX(opts ...xtest.Option) (*xtest.Server, *dm.Client, xtest.User) {
	srv := xtest.NewServer(opts...)
	app, user, err := srv.AddDemo()
	if err != nil {
		log.Fatal(err)
	}
	recipient, err := srv.AddUser(app.ID, xtest.User{Username: "customer"})
	if err != nil {
		log.Fatal(err)
	}
	client, err := dm.NewClient(srv.Client(app, user), dm.WithBaseURL(srv.URL()))
	if err != nil {
		log.Fatal(err)
	}
	return srv, client, recipient
}

// A client for the real API takes an *http.Client that signs requests,
// such as one from github.com/dghubble/oauth1.
func ExampleNewClient() {
	config := oauth1.NewConfig("consumer-key", "consumer-secret")
	httpClient := config.Client(context.Background(), oauth1.NewToken("access-token", "access-token-secret"))
	client, err := dm.NewClient(httpClient)
	if err != nil {
		log.Fatal(err)
	}
	res, err := client.SendToParticipant(context.Background(), "944480690", dm.Message{Text: "Hello!"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.EventID)
}

func ExampleClient_SendToParticipant() {
	srv, client, customer := fakeX()
	defer srv.Close()

	_, err := client.SendToParticipant(context.Background(), customer.ID, dm.Message{Text: "Your order has shipped."})
	if err != nil {
		log.Fatal(err)
	}
	for _, sent := range srv.SentDMs() {
		fmt.Printf("API v%s, to the customer: %v, text: %q\n", sent.API, sent.RecipientID == customer.ID, sent.Text)
	}
	// Output: API v2, to the customer: true, text: "Your order has shipped."
}

// Events follows pagination tokens through empty pages until X omits the
// token, newest events first.
func ExampleClient_Events() {
	srv, client, customer := fakeX(xtest.WithEmptyPages(true))
	defer srv.Close()
	ctx := context.Background()
	for _, text := range []string{"first", "second"} {
		if _, err := client.SendToParticipant(ctx, customer.ID, dm.Message{Text: text}); err != nil {
			log.Fatal(err)
		}
	}

	for event, err := range client.Events(ctx, dm.ListOptions{MaxResults: 1}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(event.Type, event.Text)
	}
	// Output:
	// MessageCreate second
	// MessageCreate first
}

func ExampleClient_SendV11() {
	srv, client, customer := fakeX()
	defer srv.Close()

	event, err := client.SendV11(context.Background(), customer.ID, dm.V11Message{
		Text: "How was your delivery?",
		QuickReplies: []dm.QuickReplyOption{
			{Label: "Great", Metadata: "rating-5"},
			{Label: "Not good", Metadata: "rating-1"},
		},
		Buttons: []dm.Button{{Label: "Track order", URL: "https://example.com/track"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(event.Message.Text)
	for _, o := range event.Message.QuickReplies {
		fmt.Println(o.Label, "->", o.Metadata)
	}
	// Output:
	// How was your delivery?
	// Great -> rating-5
	// Not good -> rating-1
}

// Errors tell whether a failed send may be retried.
func Example_errors() {
	srv, client, customer := fakeX(xtest.WithLimits(xtest.GroupDMSend, xtest.Limits{PerUser15m: 1}))
	defer srv.Close()
	ctx := context.Background()

	if err := srv.SetDMRefusal(customer.ID, xtest.DMRefused); err != nil {
		log.Fatal(err)
	}
	_, err := client.SendV11(ctx, customer.ID, dm.V11Message{Text: "hi"})
	fmt.Println("permanent:", xactivity.IsPermanent(err))

	if err := srv.SetDMRefusal(customer.ID, xtest.DMAccepted); err != nil {
		log.Fatal(err)
	}
	for range 2 {
		_, err = client.SendToParticipant(ctx, customer.ID, dm.Message{Text: "hi"})
	}
	var limit *ratelimit.Error
	if errors.As(err, &limit) {
		fmt.Println("rate limited:", limit.StatusCode, "retryable:", xactivity.IsRetryable(err))
	}
	// Output:
	// permanent: true
	// rate limited: 429 retryable: true
}
