package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/goodgo/xactivity/store"
)

// oauthRequestLifetime is how long a merchant has to finish an
// authorization that GET /oauth/authorize started.
const oauthRequestLifetime = 15 * time.Minute

// restoreTimeout bounds the store call that puts an OAuth request back
// after a failed exchange.
const restoreTimeout = 5 * time.Second

// maxOAuthResponseBytes bounds the bodies of X's request_token and
// access_token responses, a few short form fields.
const maxOAuthResponseBytes = 64 << 10

type authorizeView struct {
	AuthorizationURL string `json:"authorizationUrl"`
}

// startOAuth starts the 3-legged OAuth flow for the calling merchant. It
// obtains a request token from X with TWITTER__CALLBACK_URL as the
// callback and stores it with its sealed secret for oauthRequestLifetime.
// The response is the URL of the X page where the user authorizes the app.
func (s *server) startOAuth(w http.ResponseWriter, r *http.Request) {
	merchant := merchantID(r.Context())
	callback := s.settings.CallbackURL
	if callback == "" {
		s.rejectRequest(w, r, http.StatusServiceUnavailable, "not_configured",
			"OAuth authorization needs TWITTER__CALLBACK_URL or TWITTER__WEBHOOK_URL; set one and restart the service")
		return
	}
	token, secret, err := s.x.requestToken(r.Context(), callback)
	if err != nil {
		s.writeXError(w, r, err)
		return
	}
	sealed, err := s.sealer.seal(merchant, requestTokenBinding(token), credentials{Token: token, TokenSecret: secret})
	if err != nil {
		s.internalError(w, r, "seal request token", err)
		return
	}

	now := s.now()
	err = s.store.PutOAuthRequest(r.Context(), store.OAuthRequest{
		Token:        token,
		SealedSecret: sealed,
		MerchantID:   merchant,
		CreatedAt:    now,
		ExpiresAt:    now.Add(oauthRequestLifetime),
	})
	if err != nil {
		s.internalError(w, r, "store OAuth request", err)
		return
	}
	authURL, err := s.x.flowConfig("", nil).AuthorizationURL(token)
	if err != nil {
		s.internalError(w, r, "build authorization URL", err)
		return
	}
	s.log.Info("OAuth authorization started", "merchant", merchant)
	writeData(w, http.StatusOK, authorizeView{AuthorizationURL: authURL.String()})
}

// finishOAuth is the callback X redirects the user to. The request token in
// the query identifies the merchant that started the flow, so the route
// needs no JWT. It takes the stored request, exchanges the request token
// and verifier for the user's access token, identifies the user with GET
// /2/users/me and connects the account as POST /accounts does.
//
// A callback with a token and a verifier uses up the stored request. The
// exception is an exchange that fails in a way that may pass: a 429 or 5xx
// from X, a timeout or no response. The request is then stored again until
// its original expiry, so that the same callback can be retried. The
// service does not keep the access token, so when GET /2/users/me fails
// after a successful exchange, the response tells the user to start again.
//
// The request token is no secret: the authorization URL and the callback
// URL contain it. Anyone who sees it can cancel the pending authorization
// with a callback that carries denied= or a wrong verifier, because either
// uses up the stored request. Finishing it also needs the verifier, which
// X gives only to the user who approved.
func (s *server) finishOAuth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if denied := q.Get("denied"); denied != "" {
		s.denyOAuth(w, r, denied)
		return
	}
	token, verifier := q.Get("oauth_token"), q.Get("oauth_verifier")
	if token == "" || verifier == "" {
		s.rejectRequest(w, r, http.StatusBadRequest, "invalid_request", "oauth_token and oauth_verifier are required")
		return
	}
	pending, err := s.store.TakeOAuthRequest(r.Context(), token, s.now())
	if errors.Is(err, store.ErrNotFound) {
		s.rejectRequest(w, r, http.StatusBadRequest, "invalid_oauth_token",
			"the OAuth request token is unknown, expired or already used; start again with GET "+apiBase+"/oauth/authorize")
		return
	}
	if err != nil {
		s.internalError(w, r, "take OAuth request", err)
		return
	}

	request, err := s.sealer.open(pending.MerchantID, requestTokenBinding(token), pending.SealedSecret)
	if err != nil {
		s.internalError(w, r, "open request token secret", err)
		return
	}
	access, err := s.x.accessToken(r.Context(), request, verifier)
	if errors.Is(err, errXRejected) {
		s.rejectRequest(w, r, http.StatusBadRequest, "invalid_oauth_verifier",
			"X rejected the OAuth verifier; start again with GET "+apiBase+"/oauth/authorize")
		return
	}
	if err != nil {
		if retryableFlowError(err) {
			s.restoreOAuthRequest(r, pending)
		}
		s.writeXError(w, r, err)
		return
	}
	user, err := s.x.me(r.Context(), access.Token, access.TokenSecret)
	if err != nil {
		s.log.Error("X API call failed after the OAuth exchange; the authorization must start again",
			"merchant", pending.MerchantID, "err", err)
		writeError(w, http.StatusBadGateway, "x_unavailable",
			"X issued the access token, but GET /2/users/me failed or timed out, and the service did not keep the token; start again with GET "+apiBase+"/oauth/authorize")
		return
	}
	if acct, ok := s.storeAccount(w, r, pending.MerchantID, user, access); ok {
		s.log.Info("OAuth authorization finished", "merchant", pending.MerchantID, "account", acct.ID)
	}
}

// restoreOAuthRequest stores pending again, unchanged, after an exchange
// that may succeed when the user's browser retries the callback. The store
// call outlives a cancelled request, because a client that gave up is the
// likeliest to retry.
func (s *server) restoreOAuthRequest(r *http.Request, pending store.OAuthRequest) {
	if !s.now().Before(pending.ExpiresAt) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), restoreTimeout)
	defer cancel()
	if err := s.store.PutOAuthRequest(ctx, pending); err != nil {
		s.log.Error("storing the OAuth request again failed; a retry of the callback will get invalid_oauth_token",
			"merchant", pending.MerchantID, "err", err)
		return
	}
	s.log.Info("OAuth request stored again for a retry of the callback",
		"merchant", pending.MerchantID, "expires_at", pending.ExpiresAt.UTC().Format(time.RFC3339))
}

// denyOAuth responds to the callback of a user who denied the
// authorization, and removes the stored request of the token.
func (s *server) denyOAuth(w http.ResponseWriter, r *http.Request, token string) {
	pending, err := s.store.TakeOAuthRequest(r.Context(), token, s.now())
	switch {
	case err == nil:
		s.log.Info("OAuth authorization denied by the X user", "merchant", pending.MerchantID)
	case !errors.Is(err, store.ErrNotFound):
		s.internalError(w, r, "take OAuth request", err)
		return
	}
	s.rejectRequest(w, r, http.StatusBadRequest, "authorization_denied",
		"the X user denied the authorization, so no account was connected")
}

// requestTokenBinding is the value sealed into a request token secret in
// place of an X user id. The secret then opens only for the merchant and
// the token it was stored with, and never as an account's credentials,
// because X user ids are decimal numbers.
func requestTokenBinding(token string) string {
	return "oauth-request-token:" + token
}

// flowConfig returns the oauth1 configuration of X's 3-legged flow under
// the API base URL, with callback as oauth_callback. Its HTTP client sends
// through t, which may be nil when no request is made.
func (c *xClient) flowConfig(callback string, t *flowTransport) *oauth1.Config {
	config := &oauth1.Config{
		ConsumerKey:    c.config.ConsumerKey,
		ConsumerSecret: c.config.ConsumerSecret,
		CallbackURL:    callback,
		Endpoint: oauth1.Endpoint{
			RequestTokenURL: c.baseURL + "/oauth/request_token",
			AuthorizeURL:    c.baseURL + "/oauth/authorize",
			AccessTokenURL:  c.baseURL + "/oauth/access_token",
		},
		Noncer: oauth1.Base64Noncer{},
	}
	if t != nil {
		config.HTTPClient = &http.Client{Transport: t}
	}
	return config
}

// flowTransport sends the requests of oauth1's RequestToken and
// AccessToken, which take no context, with ctx, bounds the response body,
// and keeps the status and header of the response for the error mapping.
type flowTransport struct {
	ctx    context.Context
	base   http.RoundTripper
	status int
	header http.Header
}

func (c *xClient) newFlowTransport(ctx context.Context) *flowTransport {
	base := c.http.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	return &flowTransport{ctx: ctx, base: base}
}

func (t *flowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r.WithContext(t.ctx))
	if err != nil {
		return nil, err
	}
	t.status, t.header = resp.StatusCode, resp.Header
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, maxOAuthResponseBytes), resp.Body}
	return resp, nil
}

// requestToken obtains a request token and its secret from POST
// /oauth/request_token, with callback as oauth_callback. X rejecting the
// app's own credentials or the callback is a failure of the service, not
// of the caller, so it returns errXFailed for it.
func (c *xClient) requestToken(ctx context.Context, callback string) (token, secret string, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	t := c.newFlowTransport(ctx)
	token, secret, err = c.flowConfig(callback, t).RequestToken()
	if err == nil {
		return token, secret, nil
	}
	switch t.status {
	case http.StatusUnauthorized:
		return "", "", fmt.Errorf("%w: POST /oauth/request_token: X rejected the app's consumer key or secret (status 401)", errXFailed)
	case http.StatusForbidden:
		return "", "", fmt.Errorf("%w: POST /oauth/request_token: X rejected the callback URL (status 403); add TWITTER__CALLBACK_URL to the app's callback URLs", errXFailed)
	case http.StatusOK, http.StatusCreated:
		return "", "", fmt.Errorf("%w: POST /oauth/request_token: the response lacks a token or does not confirm the callback", errXFailed)
	}
	return "", "", c.flowError("POST /oauth/request_token", t, err)
}

// accessToken exchanges an authorized request token and its verifier for
// the user's access token at POST /oauth/access_token. It returns
// errXRejected when X refuses the request token or the verifier.
func (c *xClient) accessToken(ctx context.Context, request credentials, verifier string) (credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	t := c.newFlowTransport(ctx)
	token, secret, err := c.flowConfig("", t).AccessToken(request.Token, request.TokenSecret, verifier)
	if err == nil {
		return credentials{Token: token, TokenSecret: secret}, nil
	}
	switch t.status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return credentials{}, fmt.Errorf("%w (POST /oauth/access_token, status %d)", errXRejected, t.status)
	case http.StatusOK, http.StatusCreated:
		return credentials{}, fmt.Errorf("%w: POST /oauth/access_token: the response lacks the token or its secret", errXFailed)
	}
	return credentials{}, c.flowError("POST /oauth/access_token", t, err)
}

// flowError maps a failed call of the flow that got no response, a 429 or
// another status. The error text of oauth1 is kept only when no response
// arrived, because for a response it repeats the body. No response and a
// 5xx status return a temporaryError.
func (c *xClient) flowError(call string, t *flowTransport, err error) error {
	switch {
	case t.status == 0:
		return temporaryError{fmt.Errorf("%w: %s: %v", errXFailed, call, err)}
	case t.status == http.StatusTooManyRequests:
		return &xRateLimited{Reset: c.rateLimitReset(t.header)}
	case t.status >= 500:
		return temporaryError{fmt.Errorf("%w: %s: status %d", errXFailed, call, t.status)}
	}
	return fmt.Errorf("%w: %s: status %d", errXFailed, call, t.status)
}

// temporaryError is a failed call of the flow that may succeed when
// repeated: X did not respond in time or responded with a 5xx status.
type temporaryError struct{ error }

func (e temporaryError) Unwrap() error { return e.error }

// retryableFlowError reports whether a failed call of the flow may succeed
// when repeated: a temporaryError or a 429.
func retryableFlowError(err error) bool {
	var temporary temporaryError
	var limited *xRateLimited
	return errors.As(err, &temporary) || errors.As(err, &limited)
}
