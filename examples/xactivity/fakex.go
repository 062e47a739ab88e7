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

// fakeX runs the fake X API with the demo app and user until ctx ends.
// The fake has fixed demo credentials, which it prints, and it sends CRC
// checks and deliveries to any http or https URL that a caller registers.
// On an address that other hosts reach, anyone there could make it send
// requests from this host, so it listens on loopback addresses only,
// unless --allow-remote is given.
func (e env) fakeX(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fake-x", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addr := fs.String("addr", "127.0.0.1:8089", "listen `address` of the fake X API, on a loopback interface unless --allow-remote is given")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback --addr; anyone who reaches it can make the fake send requests from this host with its public demo credentials")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("fake-x: unexpected arguments %q", rest)
	}
	if !*allowRemote {
		if err := checkLoopbackAddr(*addr); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("fake-x: listen on %s: %w", *addr, err)
	}
	// A host name such as localhost may resolve to another address, so the
	// address actually bound is checked too.
	if bound, ok := ln.Addr().(*net.TCPAddr); !*allowRemote && (!ok || !bound.IP.IsLoopback()) {
		ln.Close()
		return fmt.Errorf("fake-x: --addr %s listens on %s, which is not a loopback address; %s", *addr, ln.Addr(), remoteHint)
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

// remoteHint is the end of the error for a non-loopback address: the
// reason and the flag that allows it.
const remoteHint = "the fake has public demo credentials and sends requests to any URL a caller registers, so it listens on loopback addresses such as 127.0.0.1 or [::1] only; pass --allow-remote to listen on it anyway"

// checkLoopbackAddr returns an error unless addr is host:port with a
// loopback IP address or localhost as its host.
func checkLoopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("fake-x: invalid --addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if host == "" {
		host = "every interface"
	}
	return fmt.Errorf("fake-x: --addr %s listens on %s, which is not a loopback address; %s", addr, host, remoteHint)
}
