package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/goodgo/xactivity/accountactivity"
)

// requestTimeout bounds each call to X. Creating or validating a webhook
// includes X's CRC check of the URL, which X allows 10 seconds.
const requestTimeout = 30 * time.Second

// credentials are the credentials a management command needs, and the
// overrides its flags set.
type credentials struct {
	app  bool // the app's bearer token, for app-only calls
	user bool // an OAuth 1.0a user context, for subscribing that user

	// webhookChange marks the calls that create, validate or delete a
	// webhook. They are app-only on v2, but on v1.1 they run in the app
	// owner's user context and need no bearer token.
	webhookChange bool

	// token and tokenSecret replace TWITTER__ACCESS_TOKEN and
	// TWITTER__ACCESS_TOKEN_SECRET when not empty.
	token, tokenSecret string

	// insecureURLs lets webhooks create register http URLs and URLs with
	// a port, for fake X servers such as the fake-x command.
	insecureURLs bool
}

// managementClient builds the client of X's webhook and subscription
// endpoints from the environment variables that mktx-service reads.
// App-only calls use TWITTER__BEARER_TOKEN. User-context calls use
// TWITTER__API_KEY, TWITTER__API_KEY_SECRET, TWITTER__ACCESS_TOKEN and
// TWITTER__ACCESS_TOKEN_SECRET, which for a webhook change on v1.1 must be
// the app owner's. TWITTER__API_BASE_URL defaults to
// accountactivity.DefaultBaseURL, and TWITTER__API_VERSION (2,
// 1.1-enterprise or 1.1-premium with TWITTER__ENV_NAME) selects the
// generation. It returns one error that names every
// variable the command needs and lacks, and no error contains a credential.
func (e env) managementClient(ctx context.Context, need credentials) (*accountactivity.Client, error) {
	bearer := e.getenv("TWITTER__BEARER_TOKEN")
	consumerKey := e.getenv("TWITTER__API_KEY")
	consumerSecret := e.getenv("TWITTER__API_KEY_SECRET")
	token := orDefault(need.token, e.getenv("TWITTER__ACCESS_TOKEN"))
	tokenSecret := orDefault(need.tokenSecret, e.getenv("TWITTER__ACCESS_TOKEN_SECRET"))

	version := orDefault(e.getenv("TWITTER__API_VERSION"), "2")
	gen, err := accountactivity.ParseGeneration(version)
	if err != nil {
		return nil, fmt.Errorf("TWITTER__API_VERSION: %w", err)
	}
	ownerContext := need.webhookChange && gen != accountactivity.V2
	if ownerContext {
		need.app, need.user = false, true
	}
	// v1.1 registers, re-validates and deletes webhooks in the app owner's
	// context, so the user client is built whenever its credentials are
	// present; a call that needs it without them fails with
	// accountactivity.ErrNoUserAuth before anything is sent.
	withUser := need.user || (gen != accountactivity.V2 && consumerKey != "" && consumerSecret != "" && token != "" && tokenSecret != "")

	var missing []string
	if gen == accountactivity.Premium && e.getenv("TWITTER__ENV_NAME") == "" {
		missing = append(missing, "TWITTER__ENV_NAME")
	}
	if need.app && bearer == "" {
		missing = append(missing, "TWITTER__BEARER_TOKEN")
	}
	if need.user {
		for _, v := range []struct{ name, value string }{
			{"TWITTER__API_KEY", consumerKey},
			{"TWITTER__API_KEY_SECRET", consumerSecret},
			{"TWITTER__ACCESS_TOKEN", token},
			{"TWITTER__ACCESS_TOKEN_SECRET", tokenSecret},
		} {
			if v.value == "" {
				missing = append(missing, v.name)
			}
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("missing environment variables: %s (the variables mktx-service reads)", strings.Join(missing, ", "))
		switch {
		case ownerContext:
			msg += "; on TWITTER__API_VERSION=" + version + " the access token must be the app owner's, which creates, validates and deletes webhooks"
		case need.user:
			msg += "; --token and --token-secret may replace the access token variables"
		}
		return nil, errors.New(msg)
	}

	cfg := accountactivity.Config{Generation: gen}
	if gen == accountactivity.Premium {
		cfg.EnvName = e.getenv("TWITTER__ENV_NAME")
	}
	if need.app {
		app, err := accountactivity.NewBearerClient(bearer, e.roundTripper())
		if err != nil {
			return nil, fmt.Errorf("TWITTER__BEARER_TOKEN: %w", err)
		}
		app.Timeout = requestTimeout
		cfg.App = app
	}
	if withUser {
		// oauth1 takes the transport under its signing transport from the
		// context, and uses the context for nothing else.
		base := &http.Client{Transport: e.roundTripper()}
		ctx = context.WithValue(context.WithoutCancel(ctx), oauth1.HTTPClient, base)
		user := oauth1.NewConfig(consumerKey, consumerSecret).Client(ctx, oauth1.NewToken(token, tokenSecret))
		user.Timeout = requestTimeout
		cfg.User = user
	}

	baseURL := strings.TrimRight(orDefault(e.getenv("TWITTER__API_BASE_URL"), accountactivity.DefaultBaseURL), "/")
	// The parser's error would quote the URL, which may contain a password.
	if u, err := url.Parse(baseURL); err != nil || u.User != nil {
		return nil, errors.New("invalid TWITTER__API_BASE_URL: use an http or https URL without user information, such as https://api.x.com")
	}
	opts := []accountactivity.Option{accountactivity.WithBaseURL(baseURL)}
	if need.insecureURLs {
		opts = append(opts, accountactivity.WithInsecureWebhookURLs())
	}
	client, err := accountactivity.NewClient(cfg, opts...)
	if err != nil {
		return nil, fmt.Errorf("TWITTER__API_BASE_URL, TWITTER__API_VERSION or TWITTER__ENV_NAME: %w", err)
	}
	return client, nil
}

// roundTripper returns the transport of requests to X and to webhook URLs.
func (e env) roundTripper() http.RoundTripper {
	if e.transport != nil {
		return e.transport
	}
	return http.DefaultTransport
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// webhookFlag adds the --webhook flag of the commands that act on one
// webhook.
func webhookFlag(fs *flag.FlagSet) *string {
	return fs.String("webhook", "", "webhook `ID` (default: the app's only webhook)")
}

// resolveWebhook returns id, or when id is empty the id of the app's only
// webhook. It fails when the app has no webhook or several.
func resolveWebhook(ctx context.Context, client *accountactivity.Client, id string) (string, error) {
	if id != "" {
		return id, nil
	}
	hooks, err := client.Webhooks(ctx)
	if err != nil {
		return "", err
	}
	switch len(hooks) {
	case 0:
		return "", errors.New("the app has no webhook: register one with `xactivity webhooks create URL`")
	case 1:
		return hooks[0].ID, nil
	}
	ids := make([]string, len(hooks))
	for i, h := range hooks {
		ids[i] = h.ID
	}
	return "", fmt.Errorf("the app has %d webhooks (%s): choose one with --webhook ID", len(hooks), strings.Join(ids, ", "))
}
