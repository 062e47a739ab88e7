package xtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"strings"

	"github.com/dghubble/oauth1"
	"github.com/goodgo/xactivity/xtest"
)

func Example() {
	srv := xtest.NewServer()
	defer srv.Close()
	app, user, err := srv.AddDemo()
	if err != nil {
		log.Fatal(err)
	}

	config := oauth1.NewConfig(app.ConsumerKey, app.ConsumerSecret)
	client := config.Client(context.Background(), oauth1.NewToken(user.Token, user.TokenSecret))
	resp, err := client.Get(srv.URL() + "/2/users/me")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()

	var me struct {
		Data struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, me.Data.ID, me.Data.Username)
	// Output: 200 1470000000000000001 shop_demo
}

func ExampleServer_Requests() {
	srv := xtest.NewServer()
	defer srv.Close()
	app, user, err := srv.AddDemo()
	if err != nil {
		log.Fatal(err)
	}
	user.TokenSecret = "wrong"
	resp, err := srv.Client(app, user).Get(srv.URL() + "/1.1/account/verify_credentials.json")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()

	req := srv.Requests()[0]
	fmt.Println(resp.StatusCode, req.Method, req.Path, req.AuthError)
	// Output: 401 GET /1.1/account/verify_credentials.json signature mismatch
}

func ExampleServer_SentDMs() {
	srv := xtest.NewServer(xtest.WithDMLimits(xtest.Limits{PerUser15m: 1}))
	defer srv.Close()
	app, shop, err := srv.AddDemo()
	if err != nil {
		log.Fatal(err)
	}
	customer, ok := srv.User(app.ID, "1470000000000000777") // a demo customer
	if !ok {
		log.Fatal("demo customer missing")
	}

	client := srv.Client(app, shop)
	url := srv.URL() + "/2/dm_conversations/with/" + customer.ID + "/messages"
	for range 2 {
		resp, err := client.Post(url, "application/json", strings.NewReader(`{"text":"Your order has shipped"}`))
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("x-rate-limit-remaining"))
	}
	for _, dm := range srv.SentDMs() {
		fmt.Println(dm.API, dm.ConversationID, dm.Text)
	}
	// Output:
	// 201 0
	// 429 0
	// 2 1470000000000000001-1470000000000000777 Your order has shipped
}
