package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// configureOAuth points the OAuth callback at the service's own callback
// route, so the callback URLs that the fake X returns reach the service.
func configureOAuth(h *harness) {
	h.srv.settings.CallbackURL = h.http.URL + apiBase + "/oauth/callback"
}

// authorize starts the flow for merchant and returns the request token of
// the authorization URL.
func (h *harness) authorize(merchant string) string {
	h.t.Helper()
	r := h.do(http.MethodGet, apiBase+"/oauth/authorize", h.token(merchant), nil)
	if r.Status != http.StatusOK {
		h.t.Fatalf("authorize: status %d: %s", r.Status, r.Raw)
	}
	var view authorizeView
	decode(h.t, r.Data, &view)
	u, err := url.Parse(view.AuthorizationURL)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != h.fake.URL()+"/oauth/authorize" {
		h.t.Fatalf("authorizationUrl = %q, want X's /oauth/authorize", view.AuthorizationURL)
	}
	token := u.Query().Get("oauth_token")
	if token == "" {
		h.t.Fatalf("authorizationUrl %q has no oauth_token", view.AuthorizationURL)
	}
	return token
}

// approve approves the request token as the X user and returns the
// callback URL that X redirects to.
func (h *harness) approve(token, userID string) *url.URL {
	h.t.Helper()
	callback, err := h.fake.Approve(token, userID)
	if err != nil {
		h.t.Fatalf("Approve: %v", err)
	}
	return callback
}

// get sends a GET of an absolute URL without a JWT.
func (h *harness) get(rawURL string) response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.send(req)
}

// callbackURL returns the service's callback URL with the query q.
func (h *harness) callbackURL(q url.Values) string {
	return h.http.URL + apiBase + "/oauth/callback?" + q.Encode()
}

func wantAPIError(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	if r.Status != status || r.Error.Code != code {
		t.Errorf("%s: status %d code %q, want %d %q; body %s", what, r.Status, r.Error.Code, status, code, r.Raw)
	}
}

func TestOAuthConnectsAccount(t *testing.T) {
	h := newHarness(t)
	configureOAuth(h)
	ctx := context.Background()

	callback := h.approve(h.authorize("m1"), h.user.ID)
	if !strings.HasPrefix(callback.String(), h.srv.settings.CallbackURL+"?") {
		t.Fatalf("callback = %s, want the service's callback route", callback)
	}
	r := h.get(callback.String())
	if r.Status != http.StatusCreated {
		t.Fatalf("callback: status %d: %s", r.Status, r.Raw)
	}
	var first accountView
	decode(t, r.Data, &first)
	if first.TwitterUserID != shopID || first.Username != "shop_demo" || first.Status != "active" || first.ID == "" {
		t.Errorf("account = %+v, want the active @shop_demo account", first)
	}
	if bytes.Contains(r.Raw, []byte(h.user.TokenSecret)) || bytes.Contains(r.Raw, []byte(h.user.Token)) {
		t.Error("callback response contains the access token or its secret")
	}

	acct, err := h.srv.store.Account(ctx, "m1", first.ID)
	if err != nil {
		t.Fatalf("account of merchant m1: %v", err)
	}
	creds, err := h.srv.sealer.open("m1", shopID, acct.Credentials)
	if err != nil {
		t.Fatalf("open stored credentials: %v", err)
	}
	user, err := h.srv.x.me(ctx, creds.Token, creds.TokenSecret)
	if err != nil || user.ID != shopID {
		t.Errorf("GET /2/users/me with the stored token: user %+v, error %v; want %s", user, err, shopID)
	}

	wantAPIError(t, "reused callback", h.get(callback.String()), http.StatusBadRequest, "invalid_oauth_token")

	if _, err := h.srv.store.RevokeAccount(ctx, shopID); err != nil {
		t.Fatal(err)
	}
	r = h.get(h.approve(h.authorize("m1"), h.user.ID).String())
	var again accountView
	decode(t, r.Data, &again)
	if r.Status != http.StatusOK || again.ID != first.ID || again.Status != "active" {
		t.Errorf("reconnect of a revoked account: status %d, account %+v; want 200, id %s, active", r.Status, again, first.ID)
	}

	r = h.get(h.approve(h.authorize("m2"), h.user.ID).String())
	wantAPIError(t, "another merchant", r, http.StatusConflict, "account_connected_elsewhere")
	if list, err := h.srv.store.Accounts(ctx, "m2"); err != nil || len(list) != 0 {
		t.Errorf("accounts of m2 = %+v, %v; want none", list, err)
	}

	logs := h.logs.String()
	for _, want := range []string{
		`msg="OAuth authorization started" merchant=m1`,
		`msg="OAuth authorization finished" merchant=m1 account=` + first.ID,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s", want)
		}
	}
	for name, secret := range map[string]string{"access token": h.user.Token, "token secret": h.user.TokenSecret} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain the %s", name)
		}
	}
}

// TestOAuthThroughAuthorizePage follows the redirects a browser follows:
// the fake's authorization page approves as the user and redirects to the
// service's callback.
func TestOAuthThroughAuthorizePage(t *testing.T) {
	h := newHarness(t)
	configureOAuth(h)
	token := h.authorize("m1")
	page := h.fake.URL() + "/oauth/authorize?" + url.Values{"oauth_token": {token}, "user_id": {h.user.ID}}.Encode()
	r := h.get(page)
	if r.Status != http.StatusCreated {
		t.Fatalf("status %d: %s; want 201 after the redirect to the callback", r.Status, r.Raw)
	}
}

func TestOAuthCallbackRejections(t *testing.T) {
	h := newHarness(t)
	configureOAuth(h)

	t.Run("unknown token", func(t *testing.T) {
		r := h.get(h.callbackURL(url.Values{"oauth_token": {"unknown"}, "oauth_verifier": {"v"}}))
		wantAPIError(t, "callback", r, http.StatusBadRequest, "invalid_oauth_token")
	})

	t.Run("missing verifier", func(t *testing.T) {
		token := h.authorize("m1")
		r := h.get(h.callbackURL(url.Values{"oauth_token": {token}}))
		wantAPIError(t, "callback", r, http.StatusBadRequest, "invalid_request")
	})

	t.Run("expired", func(t *testing.T) {
		callback := h.approve(h.authorize("m1"), h.user.ID)
		h.clock.advance(oauthRequestLifetime)
		wantAPIError(t, "callback", h.get(callback.String()), http.StatusBadRequest, "invalid_oauth_token")
	})

	t.Run("denied", func(t *testing.T) {
		token := h.authorize("m1")
		callback, err := h.fake.Deny(token)
		if err != nil {
			t.Fatal(err)
		}
		wantAPIError(t, "denied callback", h.get(callback.String()), http.StatusBadRequest, "authorization_denied")
		r := h.get(h.callbackURL(url.Values{"oauth_token": {token}, "oauth_verifier": {"v"}}))
		wantAPIError(t, "callback after the denial", r, http.StatusBadRequest, "invalid_oauth_token")
		if !strings.Contains(h.logs.String(), `msg="OAuth authorization denied by the X user" merchant=m1`) {
			t.Error("logs lack the denial")
		}
	})

	t.Run("wrong verifier", func(t *testing.T) {
		callback := h.approve(h.authorize("m1"), h.user.ID)
		wrong := callback.Query()
		wrong.Set("oauth_verifier", "wrong")
		wantAPIError(t, "wrong verifier", h.get(h.callbackURL(wrong)), http.StatusBadRequest, "invalid_oauth_verifier")
		wantAPIError(t, "right verifier after a wrong one", h.get(callback.String()), http.StatusBadRequest, "invalid_oauth_token")
	})

	if list, err := h.srv.store.Accounts(context.Background(), "m1"); err != nil || len(list) != 0 {
		t.Errorf("accounts after rejected callbacks = %+v, %v; want none", list, err)
	}
}

func TestOAuthAuthorizeRejections(t *testing.T) {
	h := newHarness(t)
	configureOAuth(h)
	r := h.do(http.MethodGet, apiBase+"/oauth/authorize", "", nil)
	wantAPIError(t, "no JWT", r, http.StatusUnauthorized, "unauthorized")

	h.srv.settings.CallbackURL = ""
	r = h.do(http.MethodGet, apiBase+"/oauth/authorize", h.token("m1"), nil)
	wantAPIError(t, "not configured", r, http.StatusServiceUnavailable, "not_configured")
	for _, name := range []string{"TWITTER__CALLBACK_URL", "TWITTER__WEBHOOK_URL"} {
		if !strings.Contains(r.Error.Message, name) {
			t.Errorf("message %q does not name %s", r.Error.Message, name)
		}
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("the fake X got %d requests, want none", n)
	}
}

// stubX is a stand-in X API for the flow. Its request_token and
// access_token endpoints respond with the configured status and body.
type stubX struct {
	requestStatus int
	requestBody   string
	accessStatus  int
	accessBody    string
	header        http.Header
}

func (x stubX) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, v := range x.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	switch r.URL.Path {
	case "/oauth/request_token":
		w.WriteHeader(x.requestStatus)
		w.Write([]byte(x.requestBody))
	case "/oauth/access_token":
		w.WriteHeader(x.accessStatus)
		w.Write([]byte(x.accessBody))
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// stubRequestToken is a request_token response body that confirms the
// callback.
const stubRequestToken = "oauth_token=stub-request-token&oauth_token_secret=stub-request-secret&oauth_callback_confirmed=true"

func TestOAuthXFailures(t *testing.T) {
	reset := time.Now().Add(90 * time.Second).Unix()
	limited := http.Header{"X-Rate-Limit-Reset": {strconv.FormatInt(reset, 10)}}
	tests := []struct {
		name       string
		x          stubX
		status     int
		code       string
		retryAfter bool
	}{
		{"request token rate limited", stubX{requestStatus: http.StatusTooManyRequests, header: limited},
			http.StatusTooManyRequests, "x_rate_limited", true},
		{"request token server error", stubX{requestStatus: http.StatusInternalServerError},
			http.StatusBadGateway, "x_unavailable", false},
		{"app credentials rejected", stubX{requestStatus: http.StatusUnauthorized,
			requestBody: `{"errors":[{"code":32,"message":"Could not authenticate you."}]}`},
			http.StatusBadGateway, "x_unavailable", false},
		{"callback not confirmed", stubX{requestStatus: http.StatusOK,
			requestBody: "oauth_token=t&oauth_token_secret=s&oauth_callback_confirmed=false"},
			http.StatusBadGateway, "x_unavailable", false},
		{"access token rate limited", stubX{requestStatus: http.StatusOK, requestBody: stubRequestToken,
			accessStatus: http.StatusTooManyRequests, header: limited},
			http.StatusTooManyRequests, "x_rate_limited", true},
		{"access token server error", stubX{requestStatus: http.StatusOK, requestBody: stubRequestToken,
			accessStatus: http.StatusBadGateway}, http.StatusBadGateway, "x_unavailable", false},
		{"access token without secret", stubX{requestStatus: http.StatusOK, requestBody: stubRequestToken,
			accessStatus: http.StatusOK, accessBody: "oauth_token=a"}, http.StatusBadGateway, "x_unavailable", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			configureOAuth(h)
			x := httptest.NewServer(tt.x)
			defer x.Close()
			h.srv.x.baseURL = x.URL
			r := h.do(http.MethodGet, apiBase+"/oauth/authorize", h.token("m1"), nil)
			if r.Status == http.StatusOK {
				r = h.get(h.callbackURL(url.Values{"oauth_token": {"stub-request-token"}, "oauth_verifier": {"v"}}))
			}
			wantAPIError(t, "flow", r, tt.status, tt.code)
			if got := r.Header.Get("Retry-After"); tt.retryAfter {
				if secs, err := strconv.Atoi(got); err != nil || secs < 80 || secs > 91 {
					t.Errorf("Retry-After = %q, want about 90", got)
				}
			}
			if strings.Contains(h.logs.String(), "stub-request-secret") {
				t.Error("logs contain the request token secret")
			}
		})
	}
}

// TestOAuthRequestSealed checks that the stored request holds the request
// token secret sealed for its merchant and token, and that neither the
// response nor the logs contain it.
func TestOAuthRequestSealed(t *testing.T) {
	h := newHarness(t)
	configureOAuth(h)
	x := httptest.NewServer(stubX{requestStatus: http.StatusOK, requestBody: stubRequestToken})
	defer x.Close()
	h.srv.x.baseURL = x.URL
	r := h.do(http.MethodGet, apiBase+"/oauth/authorize", h.token("m1"), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("authorize: status %d: %s", r.Status, r.Raw)
	}
	var view authorizeView
	decode(t, r.Data, &view)
	if want := x.URL + "/oauth/authorize?oauth_token=stub-request-token"; view.AuthorizationURL != want {
		t.Errorf("authorizationUrl = %q, want %q", view.AuthorizationURL, want)
	}
	if bytes.Contains(r.Raw, []byte("stub-request-secret")) || strings.Contains(h.logs.String(), "stub-request-secret") {
		t.Error("response or logs contain the request token secret")
	}

	pending, err := h.srv.store.TakeOAuthRequest(context.Background(), "stub-request-token", h.clock.now())
	if err != nil {
		t.Fatalf("TakeOAuthRequest: %v", err)
	}
	if pending.MerchantID != "m1" || pending.ExpiresAt.Sub(pending.CreatedAt) != oauthRequestLifetime {
		t.Errorf("stored request of merchant %q from %s to %s, want m1 for %s",
			pending.MerchantID, pending.CreatedAt, pending.ExpiresAt, oauthRequestLifetime)
	}
	if bytes.Contains(pending.SealedSecret, []byte("stub-request-secret")) {
		t.Error("stored request contains the plaintext secret")
	}
	creds, err := h.srv.sealer.open("m1", requestTokenBinding("stub-request-token"), pending.SealedSecret)
	if err != nil || creds.TokenSecret != "stub-request-secret" {
		t.Errorf("sealed secret opens to %q, %v; want the request token secret", creds.TokenSecret, err)
	}
	if _, err := h.srv.sealer.open("m2", requestTokenBinding("stub-request-token"), pending.SealedSecret); err == nil {
		t.Error("sealed secret opens for another merchant")
	}
	if _, err := h.srv.store.TakeOAuthRequest(context.Background(), "stub-request-token", h.clock.now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second take: %v, want store.ErrNotFound", err)
	}
}

func TestOAuthXTimeout(t *testing.T) {
	h := newHarness(t)
	configureOAuth(h)
	block := make(chan struct{})
	x := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer x.Close()
	defer close(block)
	h.srv.x.baseURL = x.URL
	h.srv.x.timeout = 50 * time.Millisecond
	r := h.do(http.MethodGet, apiBase+"/oauth/authorize", h.token("m1"), nil)
	wantAPIError(t, "authorize", r, http.StatusBadGateway, "x_unavailable")
}

// TestOAuthCallbackRetry checks that a 429, a 5xx, a timeout or no
// response at the exchange keeps the stored request, so that the same
// callback then succeeds against a working X. Other failures use the
// request up.
func TestOAuthCallbackRetry(t *testing.T) {
	reset := time.Now().Add(90 * time.Second).Unix()
	limited := http.Header{"X-Rate-Limit-Reset": {strconv.FormatInt(reset, 10)}}
	tests := []struct {
		name      string
		x         http.Handler // nil for a closed server, which refuses connections
		status    int
		code      string
		retryable bool
	}{
		{"rate limited", stubX{accessStatus: http.StatusTooManyRequests, header: limited},
			http.StatusTooManyRequests, "x_rate_limited", true},
		{"server error", stubX{accessStatus: http.StatusServiceUnavailable},
			http.StatusBadGateway, "x_unavailable", true},
		{"timeout", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }),
			http.StatusBadGateway, "x_unavailable", true},
		{"connection refused", nil, http.StatusBadGateway, "x_unavailable", true},
		{"bad request", stubX{accessStatus: http.StatusBadRequest},
			http.StatusBadGateway, "x_unavailable", false},
		{"rejected verifier", stubX{accessStatus: http.StatusUnauthorized},
			http.StatusBadRequest, "invalid_oauth_verifier", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			configureOAuth(h)
			callback := h.approve(h.authorize("m1"), h.user.ID)

			x := httptest.NewServer(tt.x)
			if tt.x == nil {
				x.Close()
			} else {
				defer x.Close()
			}
			h.srv.x.baseURL = x.URL
			h.srv.x.timeout = time.Second
			wantAPIError(t, "callback against the failing X", h.get(callback.String()), tt.status, tt.code)

			h.srv.x.baseURL = h.fake.URL()
			r := h.get(callback.String())
			if !tt.retryable {
				wantAPIError(t, "retried callback", r, http.StatusBadRequest, "invalid_oauth_token")
				return
			}
			if r.Status != http.StatusCreated {
				t.Fatalf("retried callback: status %d: %s; want 201", r.Status, r.Raw)
			}
			if !strings.Contains(h.logs.String(), `msg="OAuth request stored again for a retry of the callback" merchant=m1`) {
				t.Error("logs lack the stored request")
			}
		})
	}
}

// TestOAuthCallbackRetryKeepsExpiry checks that a request stored again
// after a failed exchange expires when the original one did.
func TestOAuthCallbackRetryKeepsExpiry(t *testing.T) {
	h := newHarness(t)
	configureOAuth(h)
	callback := h.approve(h.authorize("m1"), h.user.ID)
	h.clock.advance(oauthRequestLifetime - time.Minute)

	x := httptest.NewServer(stubX{accessStatus: http.StatusBadGateway})
	defer x.Close()
	h.srv.x.baseURL = x.URL
	wantAPIError(t, "callback against the failing X", h.get(callback.String()), http.StatusBadGateway, "x_unavailable")

	h.srv.x.baseURL = h.fake.URL()
	h.clock.advance(time.Minute)
	wantAPIError(t, "callback after the original expiry", h.get(callback.String()), http.StatusBadRequest, "invalid_oauth_token")
}

// TestOAuthUserLookupFails checks the callback whose exchange succeeded but
// whose GET /2/users/me failed. X used up the request token, so the
// response tells the user to start again, and a new authorization connects
// the account.
func TestOAuthUserLookupFails(t *testing.T) {
	h := newHarness(t)
	configureOAuth(h)
	fakeURL, err := url.Parse(h.fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	// The proxy keeps the Host header of the service's request, so the fake
	// checks the OAuth signatures against the proxy's URL, which signed them.
	proxy := httputil.NewSingleHostReverseProxy(fakeURL)
	x := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/2/users/me" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer x.Close()
	callback := h.approve(h.authorize("m1"), h.user.ID)
	h.srv.x.baseURL = x.URL

	r := h.get(callback.String())
	wantAPIError(t, "callback", r, http.StatusBadGateway, "x_unavailable")
	if want := "start again with GET " + apiBase + "/oauth/authorize"; !strings.Contains(r.Error.Message, want) {
		t.Errorf("message %q does not contain %q", r.Error.Message, want)
	}
	if bytes.Contains(r.Raw, []byte(h.user.Token)) || bytes.Contains(r.Raw, []byte(h.user.TokenSecret)) {
		t.Error("response contains the access token or its secret")
	}
	logs := h.logs.String()
	if strings.Contains(logs, h.user.Token) || strings.Contains(logs, h.user.TokenSecret) {
		t.Error("logs contain the access token or its secret")
	}
	if !strings.Contains(logs, `msg="X API call failed after the OAuth exchange; the authorization must start again" merchant=m1`) {
		t.Error("logs lack the failed lookup")
	}
	wantAPIError(t, "retried callback", h.get(callback.String()), http.StatusBadRequest, "invalid_oauth_token")
	if list, err := h.srv.store.Accounts(context.Background(), "m1"); err != nil || len(list) != 0 {
		t.Errorf("accounts after the failed lookup = %+v, %v; want none", list, err)
	}

	h.srv.x.baseURL = h.fake.URL()
	r = h.get(h.approve(h.authorize("m1"), h.user.ID).String())
	if r.Status != http.StatusCreated {
		t.Fatalf("callback of a new authorization: status %d: %s; want 201", r.Status, r.Raw)
	}
}
