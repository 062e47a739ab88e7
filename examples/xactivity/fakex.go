package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/goodgo/xactivity/xtest"
)

func (e env) fakeX(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fake-x", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addr := fs.String("addr", "127.0.0.1:8089", "listen `address` of the fake X API")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("fake-x: unexpected arguments %q", rest)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("fake-x: listen on %s: %w", *addr, err)
	}
	baseURL := "http://" + ln.Addr().String()
	fake := xtest.New(xtest.WithBaseURL(baseURL), xtest.WithInsecureWebhooks())
	app, user, err := fake.AddDemo()
	if err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(e.stdout, `Fake X API listening on %s

Demo app:  consumer key %s, consumer secret %s
Demo user: @%s (id %s), access token %s, token secret %s

Point the service at it:
  export TWITTER__API_BASE_URL=%s
  export TWITTER__API_KEY=%s
  export TWITTER__API_KEY_SECRET=%s
  export TWITTER__BEARER_TOKEN=%s

For the webhook and subscription commands of this CLI, also:
  export TWITTER__ACCESS_TOKEN=%s
  export TWITTER__ACCESS_TOKEN_SECRET=%s
  (webhooks create takes --insecure-url to register http URLs here)

Connect the demo account with body:
  {"oauthToken": %q, "oauthTokenSecret": %q}
`, baseURL, app.ConsumerKey, app.ConsumerSecret, user.Username, user.ID, user.Token, user.TokenSecret,
		baseURL, app.ConsumerKey, app.ConsumerSecret, app.BearerToken, user.Token, user.TokenSecret, user.Token, user.TokenSecret)

	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
