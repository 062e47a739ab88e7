package accountactivity_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/dghubble/oauth1"

	"github.com/goodgo/xactivity/accountactivity"
)

// This example registers a webhook and subscribes the account of the user
// token to it. It needs X credentials, so it has no output.
func ExampleClient() {
	ctx := context.Background()
	app, err := accountactivity.NewBearerClient(os.Getenv("X_BEARER_TOKEN"), nil)
	if err != nil {
		log.Fatal(err)
	}
	config := oauth1.NewConfig(os.Getenv("X_CONSUMER_KEY"), os.Getenv("X_CONSUMER_SECRET"))
	user := config.Client(ctx, oauth1.NewToken(os.Getenv("X_ACCESS_TOKEN"), os.Getenv("X_ACCESS_SECRET")))
	c, err := accountactivity.NewClient(accountactivity.Config{App: app, User: user})
	if err != nil {
		log.Fatal(err)
	}
	hook, err := c.CreateWebhook(ctx, "https://hooks.example.com/x/webhook")
	if err != nil {
		log.Fatal(err)
	}
	err = c.Subscribe(ctx, hook.ID)
	if err != nil && !errors.Is(err, accountactivity.ErrDuplicateSubscription) {
		log.Fatal(err)
	}
}

// This example selects the API generation from a configuration value, as
// a service reads it from its environment. A Premium client needs the
// name of its dev environment. The X Activity API exists only on V2, so
// the Premium client returns ErrUnsupported without sending a request.
func ExampleParseGeneration() {
	gen, err := accountactivity.ParseGeneration("1.1-premium")
	if err != nil {
		log.Fatal(err)
	}
	app, err := accountactivity.NewBearerClient("app-bearer-token", nil)
	if err != nil {
		log.Fatal(err)
	}
	c, err := accountactivity.NewClient(accountactivity.Config{App: app, Generation: gen, EnvName: "prod"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("generation:", c.Generation())

	_, err = c.ActivitySubscriptions(context.Background())
	fmt.Println("unsupported:", errors.Is(err, accountactivity.ErrUnsupported))
	// Output:
	// generation: 1.1-premium
	// unsupported: true
}
