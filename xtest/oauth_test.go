package xtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dghubble/oauth1"
)

const testCallback = "https://shop.example.test/oauth/callback?from=test"

// flowConfig returns a dghubble/oauth1 configuration of the 3-legged flow
// against s for app, with callback as oauth_callback.
func flowConfig(s *Server, app App, callback string) *oauth1.Config {
	return &oauth1.Config{
		ConsumerKey:    app.ConsumerKey,
		ConsumerSecret: app.ConsumerSecret,
		CallbackURL:    callback,
		Endpoint: oauth1.Endpoint{
			RequestTokenURL: s.URL() + "/oauth/request_token",
			AuthorizeURL:    s.URL() + "/oauth/authorize",
			AccessTokenURL:  s.URL() + "/oauth/access_token",
		},
		HTTPClient: &http.Client{},
	}
}

// requestToken obtains a request token and its secret, failing the test on
// error.
func requestToken(t *testing.T, config *oauth1.Config) (token, secret string) {
	t.Helper()
	token, secret, err := config.RequestToken()
	if err != nil {
		t.Fatalf("RequestToken: %v", err)
	}
	if token == "" || secret == "" || token == secret {
		t.Fatalf("RequestToken = %q, %q; want two different non-empty values", token, secret)
	}
	return token, secret
}

// approve approves token as user and returns the verifier from the
// callback URL.
func approve(t *testing.T, s *Server, token, userID string) string {
	t.Helper()
	callback, err := s.Approve(token, userID)
	if err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if got := callback.Query().Get("oauth_token"); got != token {
		t.Errorf("callback oauth_token = %q, want the request token %q", got, token)
	}
	verifier := callback.Query().Get("oauth_verifier")
	if verifier == "" {
		t.Fatalf("callback %s has no oauth_verifier", callback)
	}
	return verifier
}

// lastAuthError returns the AuthError of the last request the server
// recorded.
func lastAuthError(t *testing.T, s *Server) string {
	t.Helper()
	requests := s.Requests()
	if len(requests) == 0 {
		t.Fatal("no request recorded")
	}
	return requests[len(requests)-1].AuthError
}

func TestOAuthFlow(t *testing.T) {
	s, app, user := startServer(t)
	config := flowConfig(s, app, testCallback)
	token, secret := requestToken(t, config)

	authURL, err := config.AuthorizationURL(token)
	if err != nil {
		t.Fatalf("AuthorizationURL: %v", err)
	}
	if want := s.URL() + "/oauth/authorize?oauth_token=" + url.QueryEscape(token); authURL.String() != want {
		t.Errorf("authorization URL = %s, want %s", authURL, want)
	}

	callback, err := s.Approve(token, user.ID)
	if err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if got := callback.Scheme + "://" + callback.Host + callback.Path; got != "https://shop.example.test/oauth/callback" {
		t.Errorf("callback = %s, want the oauth_callback URL", callback)
	}
	if got := callback.Query().Get("from"); got != "test" {
		t.Errorf("callback lost its own query parameter: from = %q", got)
	}
	verifier := callback.Query().Get("oauth_verifier")

	accessToken, accessSecret, err := config.AccessToken(token, secret, verifier)
	if err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	if accessToken != user.Token || accessSecret != user.TokenSecret {
		t.Errorf("AccessToken returned another token than the user's access token")
	}
	granted := User{Token: accessToken, TokenSecret: accessSecret}
	if status, body := get(t, s.Client(app, granted), s.URL()+"/2/users/me"); status != http.StatusOK || !strings.Contains(body, `"id":"`+user.ID+`"`) {
		t.Errorf("GET /2/users/me with the access token: status %d, body %s; want 200 with id %s", status, body, user.ID)
	}
}

// TestOAuthCallbackInFormBody sends oauth_callback as a signed form
// parameter instead of in the Authorization header, with the empty
// oauth_token that a signing transport adds.
func TestOAuthCallbackInFormBody(t *testing.T) {
	s, app, _ := startServer(t)
	config := flowConfig(s, app, "")
	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{})
	client := config.Client(ctx, oauth1.NewToken("", ""))
	form := url.Values{"oauth_callback": {"oob"}}
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/oauth/request_token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, body := do(t, client, req)
	if status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", status, body)
	}
	values, err := url.ParseQuery(body)
	if err != nil || values.Get("oauth_token") == "" || values.Get("oauth_callback_confirmed") != "true" {
		t.Errorf("body = %q, want a confirmed request token", body)
	}
	requests := s.Requests()
	if got := requests[len(requests)-1].Header.Get("Authorization"); !strings.Contains(got, `oauth_signature="REDACTED"`) {
		t.Errorf("recorded Authorization = %q, want the signature redacted", got)
	}
}

func TestOAuthRequestTokenFormat(t *testing.T) {
	s, app, _ := startServer(t)
	config := flowConfig(s, app, testCallback)
	var recorded *http.Response
	var body []byte
	config.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body = io.NopCloser(bytes.NewReader(body))
			recorded = resp
		}
		return resp, err
	})}
	token, secret := requestToken(t, config)
	if got := recorded.Header.Get("Content-Type"); got != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q, want application/x-www-form-urlencoded", got)
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatalf("body %q is not form encoded: %v", body, err)
	}
	want := url.Values{"oauth_token": {token}, "oauth_token_secret": {secret}, "oauth_callback_confirmed": {"true"}}
	if values.Encode() != want.Encode() {
		t.Errorf("body = %q, want %q", body, want.Encode())
	}
}

// TestOAuthAccessTokenFormBody exchanges the request token with
// oauth_verifier in a signed form body instead of the Authorization header,
// and checks every field of the response.
func TestOAuthAccessTokenFormBody(t *testing.T) {
	s, app, user := startServer(t)
	config := flowConfig(s, app, testCallback)
	token, secret := requestToken(t, config)
	verifier := approve(t, s, token, user.ID)

	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{})
	client := config.Client(ctx, oauth1.NewToken(token, secret))
	form := url.Values{"oauth_verifier": {verifier}}
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/oauth/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, body := do(t, client, req)
	if status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", status, body)
	}
	want := url.Values{
		"oauth_token":        {user.Token},
		"oauth_token_secret": {user.TokenSecret},
		"user_id":            {user.ID},
		"screen_name":        {user.Username},
	}
	if body != want.Encode() {
		t.Errorf("body = %q, want %q", body, want.Encode())
	}
}

func TestOAuthAccessTokenRejections(t *testing.T) {
	s, app, user := startServer(t)
	config := flowConfig(s, app, testCallback)

	t.Run("wrong verifier", func(t *testing.T) {
		token, secret := requestToken(t, config)
		verifier := approve(t, s, token, user.ID)
		if _, _, err := config.AccessToken(token, secret, verifier+"x"); err == nil {
			t.Fatal("AccessToken with a wrong verifier succeeded")
		}
		if got := lastAuthError(t, s); got != "oauth_verifier mismatch" {
			t.Errorf("AuthError = %q, want oauth_verifier mismatch", got)
		}
		// A wrong verifier does not use up the request token.
		if _, _, err := config.AccessToken(token, secret, verifier); err != nil {
			t.Errorf("AccessToken with the right verifier after a wrong one: %v", err)
		}
	})

	t.Run("reused request token", func(t *testing.T) {
		token, secret := requestToken(t, config)
		verifier := approve(t, s, token, user.ID)
		if _, _, err := config.AccessToken(token, secret, verifier); err != nil {
			t.Fatalf("first AccessToken: %v", err)
		}
		_, _, err := config.AccessToken(token, secret, verifier)
		if err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("second AccessToken: error %v, want status 401", err)
		}
		if got := lastAuthError(t, s); !strings.Contains(got, "request token unknown") {
			t.Errorf("AuthError = %q, want an unknown request token", got)
		}
	})

	t.Run("not approved", func(t *testing.T) {
		token, secret := requestToken(t, config)
		if _, _, err := config.AccessToken(token, secret, "guess"); err == nil {
			t.Fatal("AccessToken of an unapproved request token succeeded")
		}
		if got := lastAuthError(t, s); got != "request token not authorized by a user" {
			t.Errorf("AuthError = %q, want the token not authorized", got)
		}
	})

	t.Run("wrong request token secret", func(t *testing.T) {
		token, secret := requestToken(t, config)
		verifier := approve(t, s, token, user.ID)
		if _, _, err := config.AccessToken(token, secret+"x", verifier); err == nil {
			t.Fatal("AccessToken signed with a wrong secret succeeded")
		}
		if got := lastAuthError(t, s); got != "signature mismatch" {
			t.Errorf("AuthError = %q, want signature mismatch", got)
		}
	})

	t.Run("another app's request token", func(t *testing.T) {
		other, err := s.AddApp(App{})
		if err != nil {
			t.Fatal(err)
		}
		token, secret := requestToken(t, config)
		verifier := approve(t, s, token, user.ID)
		if _, _, err := flowConfig(s, other, testCallback).AccessToken(token, secret, verifier); err == nil {
			t.Fatal("AccessToken by another app succeeded")
		}
		if got := lastAuthError(t, s); !strings.Contains(got, "not issued to this app") {
			t.Errorf("AuthError = %q, want the token not issued to this app", got)
		}
	})
}

func TestOAuthExpiredRequestToken(t *testing.T) {
	clock := newFakeClock()
	s, app, user := startServer(t, WithClock(clock.Now), WithTimestampWindow(time.Hour))
	config := flowConfig(s, app, testCallback)

	t.Run("before approval", func(t *testing.T) {
		token, _ := requestToken(t, config)
		clock.Advance(requestTokenLifetime)
		if _, err := s.Approve(token, user.ID); !errors.Is(err, errRequestTokenInvalid) {
			t.Errorf("Approve of an expired token: error %v, want errRequestTokenInvalid", err)
		}
	})

	t.Run("before exchange", func(t *testing.T) {
		token, secret := requestToken(t, config)
		clock.Advance(requestTokenLifetime - time.Second)
		verifier := approve(t, s, token, user.ID)
		clock.Advance(time.Second)
		if _, _, err := config.AccessToken(token, secret, verifier); err == nil {
			t.Fatal("AccessToken of an expired request token succeeded")
		}
		if got := lastAuthError(t, s); got != "request token expired" {
			t.Errorf("AuthError = %q, want request token expired", got)
		}
	})
}

func TestOAuthDeny(t *testing.T) {
	s, app, user := startServer(t)
	config := flowConfig(s, app, testCallback)
	token, secret := requestToken(t, config)
	callback, err := s.Deny(token)
	if err != nil {
		t.Fatalf("Deny: %v", err)
	}
	q := callback.Query()
	if q.Get("denied") != token || q.Has("oauth_token") || q.Has("oauth_verifier") {
		t.Errorf("callback query = %v, want only denied=%s besides the callback's own", q, token)
	}
	if _, err := s.Approve(token, user.ID); !errors.Is(err, errRequestTokenInvalid) {
		t.Errorf("Approve after Deny: error %v, want errRequestTokenInvalid", err)
	}
	if _, _, err := config.AccessToken(token, secret, "any"); err == nil {
		t.Error("AccessToken after Deny succeeded")
	}
}

func TestOAuthApproveChecks(t *testing.T) {
	s, app, user := startServer(t)
	config := flowConfig(s, app, testCallback)
	token, _ := requestToken(t, config)

	other, err := s.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := s.AddUser(other.ID, User{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Approve(token, stranger.ID); err == nil || errors.Is(err, errRequestTokenInvalid) {
		t.Errorf("Approve by a user of another app: error %v, want a user error", err)
	}
	if _, err := s.Approve("no-such-token", user.ID); !errors.Is(err, errRequestTokenInvalid) {
		t.Errorf("Approve of an unknown token: error %v, want errRequestTokenInvalid", err)
	}
	approve(t, s, token, user.ID)
	if _, err := s.Approve(token, user.ID); !errors.Is(err, errRequestTokenInvalid) {
		t.Errorf("second Approve: error %v, want errRequestTokenInvalid", err)
	}
	if _, err := s.Deny(token); !errors.Is(err, errRequestTokenInvalid) {
		t.Errorf("Deny after Approve: error %v, want errRequestTokenInvalid", err)
	}
}

func TestOAuthRequestTokenRejections(t *testing.T) {
	s, app, _ := startServer(t)
	const notApproved = `{"errors":[{"code":415,"message":"Callback URL not approved for this client application. ` +
		`Approved callback URLs can be adjusted in your application settings"}]}`
	tests := []struct {
		name        string
		config      func() *oauth1.Config
		status      int
		body        string
		authError   string
		allowlist   []string
		wantSuccess bool
	}{
		{"bad consumer secret", func() *oauth1.Config {
			wrong := app
			wrong.ConsumerSecret += "x"
			return flowConfig(s, wrong, testCallback)
		}, http.StatusUnauthorized, v1Unauthorized, "signature mismatch", nil, false},
		{"unknown consumer key", func() *oauth1.Config {
			return flowConfig(s, App{ConsumerKey: "unknown", ConsumerSecret: app.ConsumerSecret}, testCallback)
		}, http.StatusUnauthorized, v1Unauthorized, "unknown consumer key", nil, false},
		{"missing callback", func() *oauth1.Config {
			return flowConfig(s, app, "")
		}, http.StatusForbidden, notApproved, "missing oauth_callback", nil, false},
		{"relative callback", func() *oauth1.Config {
			return flowConfig(s, app, "/oauth/callback")
		}, http.StatusForbidden, notApproved, "oauth_callback is neither an absolute URL nor oob", nil, false},
		{"javascript callback", func() *oauth1.Config {
			return flowConfig(s, app, "javascript:alert(1)")
		}, http.StatusForbidden, notApproved, "oauth_callback is not an http or https URL with a host", nil, false},
		{"file callback", func() *oauth1.Config {
			return flowConfig(s, app, "file:///etc/passwd")
		}, http.StatusForbidden, notApproved, "oauth_callback is not an http or https URL with a host", nil, false},
		{"custom scheme callback", func() *oauth1.Config {
			return flowConfig(s, app, "myapp://oauth/callback")
		}, http.StatusForbidden, notApproved, "oauth_callback is not an http or https URL with a host", nil, false},
		{"http callback without host", func() *oauth1.Config {
			return flowConfig(s, app, "http:///cb")
		}, http.StatusForbidden, notApproved, "oauth_callback is not an http or https URL with a host", nil, false},
		{"callback not approved", func() *oauth1.Config {
			return flowConfig(s, app, "https://evil.example.test/cb")
		}, http.StatusForbidden, notApproved, "oauth_callback not among the app's callback URLs", []string{testCallback}, false},
		{"approved callback", func() *oauth1.Config {
			return flowConfig(s, app, testCallback)
		}, http.StatusOK, "", "", []string{testCallback}, true},
		{"oob with a list", func() *oauth1.Config {
			return flowConfig(s, app, "oob")
		}, http.StatusOK, "", "", []string{testCallback}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.SetCallbackURLs(app.ID, tt.allowlist...); err != nil {
				t.Fatalf("SetCallbackURLs: %v", err)
			}
			config := tt.config()
			var status int
			var body []byte
			config.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				resp, err := http.DefaultTransport.RoundTrip(r)
				if err == nil {
					status = resp.StatusCode
					body, _ = io.ReadAll(resp.Body)
					resp.Body = io.NopCloser(bytes.NewReader(body))
				}
				return resp, err
			})}
			_, _, err := config.RequestToken()
			if tt.wantSuccess {
				if err != nil {
					t.Fatalf("RequestToken: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("RequestToken succeeded")
			}
			if status != tt.status {
				t.Errorf("status = %d, want %d", status, tt.status)
			}
			if string(body) != tt.body {
				t.Errorf("body = %s, want %s", body, tt.body)
			}
			if got := lastAuthError(t, s); got != tt.authError {
				t.Errorf("AuthError = %q, want %q", got, tt.authError)
			}
		})
	}
	if err := s.SetCallbackURLs("404", testCallback); err == nil {
		t.Error("SetCallbackURLs of an unknown app succeeded")
	}
}

func TestOAuthOutOfBand(t *testing.T) {
	s, app, user := startServer(t)
	config := flowConfig(s, app, "oob")
	token, secret := requestToken(t, config)
	callback, err := s.Approve(token, user.ID)
	if err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if callback.Path != "oob" || callback.Scheme != "" {
		t.Errorf("callback = %s, want oob with a query", callback)
	}
	if _, _, err := config.AccessToken(token, secret, callback.Query().Get("oauth_verifier")); err != nil {
		t.Errorf("AccessToken with the PIN: %v", err)
	}
}

// TestOAuthConcurrentExchange exchanges one approved request token from
// several goroutines: exactly one gets the access token.
func TestOAuthConcurrentExchange(t *testing.T) {
	s, app, user := startServer(t)
	config := flowConfig(s, app, testCallback)
	token, secret := requestToken(t, config)
	verifier := approve(t, s, token, user.ID)

	const callers = 8
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := config.AccessToken(token, secret, verifier)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	succeeded := 0
	for err := range errs {
		if err == nil {
			succeeded++
		}
	}
	if succeeded != 1 {
		t.Errorf("%d of %d concurrent exchanges succeeded, want 1", succeeded, callers)
	}
}

// noRedirect is a client that returns redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

func TestOAuthAuthorizePage(t *testing.T) {
	s, app, user := startServer(t)
	second, err := s.AddUser(app.ID, User{Username: "second_user"})
	if err != nil {
		t.Fatal(err)
	}
	config := flowConfig(s, app, testCallback)

	for _, path := range []string{"/oauth/authorize", "/oauth/authenticate"} {
		t.Run(path, func(t *testing.T) {
			token, secret := requestToken(t, config)
			page := s.URL() + path + "?oauth_token=" + url.QueryEscape(token)
			resp, body := fetch(t, page)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Fatalf("page: status %d, Content-Type %q; want 200 HTML", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			for _, u := range []User{user, second} {
				link := `href="?oauth_token=` + url.QueryEscape(token) + `&amp;user_id=` + u.ID + `"`
				if !strings.Contains(body, link) || !strings.Contains(body, "@"+u.Username) {
					t.Errorf("page does not link %s as %s:\n%s", u.Username, link, body)
				}
			}

			resp, _ = fetch(t, page+"&user_id="+second.ID)
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("approve link: status %d, want 302", resp.StatusCode)
			}
			location, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || !strings.HasPrefix(location.String(), "https://shop.example.test/oauth/callback?") {
				t.Fatalf("Location = %q, want the callback", resp.Header.Get("Location"))
			}
			accessToken, _, err := config.AccessToken(token, secret, location.Query().Get("oauth_verifier"))
			if err != nil {
				t.Fatalf("AccessToken: %v", err)
			}
			if accessToken != second.Token {
				t.Errorf("access token is not the approving user's")
			}
			if resp, _ := fetch(t, page); resp.StatusCode != http.StatusNotFound {
				t.Errorf("page of a used token: status %d, want 404", resp.StatusCode)
			}
		})
	}

	t.Run("deny link", func(t *testing.T) {
		token, _ := requestToken(t, config)
		resp, _ := fetch(t, s.URL()+"/oauth/authorize?deny=true&oauth_token="+url.QueryEscape(token))
		location, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || location.Query().Get("denied") != token {
			t.Errorf("deny: status %d, Location %q; want 302 with denied", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("out of band PIN", func(t *testing.T) {
		token, _ := requestToken(t, flowConfig(s, app, "oob"))
		resp, body := fetch(t, s.URL()+"/oauth/authorize?oauth_token="+url.QueryEscape(token)+"&user_id="+user.ID)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<code id="pin">`) {
			t.Errorf("oob approval: status %d, body %s; want 200 with the PIN", resp.StatusCode, body)
		}
	})

	errorCases := []struct {
		name, query string
		status      int
	}{
		{"missing token", "", http.StatusBadRequest},
		{"unknown token", "?oauth_token=nope", http.StatusNotFound},
		{"unknown token with user", "?oauth_token=nope&user_id=" + user.ID, http.StatusNotFound},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			if resp, _ := fetch(t, s.URL()+"/oauth/authorize"+tt.query); resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
	t.Run("user of another app", func(t *testing.T) {
		token, _ := requestToken(t, config)
		if resp, _ := fetch(t, s.URL()+"/oauth/authorize?oauth_token="+url.QueryEscape(token)+"&user_id=1"); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
}

// fetch sends a GET without following redirects and returns the response
// with its body read.
func fetch(t *testing.T, rawURL string) (*http.Response, string) {
	t.Helper()
	resp, err := noRedirect.Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", rawURL, err)
	}
	return resp, string(body)
}

// FuzzOAuthEndpoints sends arbitrary Authorization headers and form bodies
// to the flow's endpoints. No unsigned request may get a token, and none
// may make the server fail.
func FuzzOAuthEndpoints(f *testing.F) {
	f.Add("/oauth/request_token", `OAuth oauth_consumer_key="k", oauth_callback="oob"`, "")
	f.Add("/oauth/access_token", `OAuth oauth_token="t", oauth_verifier="v"`, "oauth_verifier=v")
	f.Add("/oauth/access_token", `OAuth oauth_consumer_key="app20000000-consumer-key", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1", oauth_nonce="n", oauth_signature="c2ln", oauth_token="x"`, "a=%zz")
	f.Add("/oauth/request_token", "Bearer abc", "oauth_callback=https%3A%2F%2Fx")
	s := New()
	f.Cleanup(s.Close)
	app, err := s.AddApp(App{})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.AddUser(app.ID, User{}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path, authorization, body string) {
		if path != "/oauth/request_token" {
			path = "/oauth/access_token"
		}
		req, err := http.NewRequest(http.MethodPost, "http://api.x.test"+path, strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		req.Header.Set("Authorization", authorization)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("status %d for an unsigned request, want 401; body %s", rec.Code, rec.Body.String())
		}
	})
}
