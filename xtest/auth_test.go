package xtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dghubble/oauth1"
	"github.com/google/go-cmp/cmp"
)

const (
	v1Unauthorized = `{"errors":[{"code":32,"message":"Could not authenticate you."}]}`
	v1Timestamp    = `{"errors":[{"code":135,"message":"Timestamp out of bounds."}]}`
	v2Unauthorized = `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`
)

// signedClient returns a dghubble/oauth1 client for app and user whose
// requests pass through base after signing, and which uses nonce when it is
// not empty.
func signedClient(app App, user User, nonce string, base http.RoundTripper) *http.Client {
	config := oauth1.NewConfig(app.ConsumerKey, app.ConsumerSecret)
	if nonce != "" {
		config.Noncer = fixedNoncer(nonce)
	}
	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: base})
	return config.Client(ctx, oauth1.NewToken(user.Token, user.TokenSecret))
}

func TestClientAuthenticates(t *testing.T) {
	s, app, user := startServer(t)
	tests := []struct {
		name, path, want string
	}{
		{"v2 users me", "/2/users/me",
			`{"data":{"id":"` + user.ID + `","name":"Big Id","username":"big_id"}}`},
		{"v2 with query", "/2/users/me?user.fields=created_at%2Cdescription&expansions=pinned_tweet_id&x=%E2%98%83+y",
			`{"data":{"id":"` + user.ID + `","name":"Big Id","username":"big_id"}}`},
		{"v1.1 verify credentials", "/1.1/account/verify_credentials.json?include_email=true&skip_status=1",
			`{"id":` + user.ID + `,"id_str":"` + user.ID + `","name":"Big Id","screen_name":"big_id"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, s.Client(app, user), s.URL()+tt.path)
			if status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", status, body)
			}
			if body != tt.want {
				t.Errorf("body = %s, want %s", body, tt.want)
			}
		})
	}
}

// echoForm responds with the authenticated user id and the parsed form.
func echoForm(w http.ResponseWriter, r *http.Request, c caller) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeData(w, map[string]any{"user": c.user.ID, "form": r.Form})
}

// startEchoServer starts a server with a test-only POST route that
// requires user-context OAuth 1.0a.
func startEchoServer(t *testing.T) (*Server, App, User) {
	t.Helper()
	s := New()
	s.mux.Handle("POST /2/xtest/echo", s.userAuth(echoForm))
	s.Start()
	t.Cleanup(s.Close)
	app, user := addAppUser(t, s)
	return s, app, user
}

func TestClientAuthenticatesFormPost(t *testing.T) {
	s, app, user := startEchoServer(t)
	form := url.Values{"text": {"Hello Ladies + Gentlemen, 100% ~ ☃!"}, "empty": {""}}
	resp, err := s.Client(app, user).PostForm(s.URL()+"/2/xtest/echo?q=a%20b", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status = %d, want 200; body %s", resp.StatusCode, body)
	}
	var got struct {
		User string
		Form url.Values
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := url.Values{"text": form["text"], "empty": {""}, "q": {"a b"}}
	if got.User != user.ID {
		t.Errorf("user = %s, want %s", got.User, user.ID)
	}
	if diff := cmp.Diff(want, got.Form); diff != "" {
		t.Errorf("form seen by the handler (-want +got):\n%s", diff)
	}
}

func TestFormPostTamperedBody(t *testing.T) {
	s, app, user := startEchoServer(t)
	tamper := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		body := "text=changed"
		r.Body, r.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
		return http.DefaultTransport.RoundTrip(r)
	})
	client := signedClient(app, user, "", tamper)
	resp, err := client.PostForm(s.URL()+"/2/xtest/echo", url.Values{"text": {"original"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", resp.StatusCode)
	}
}

// authCase is a way to send a request that the server must reject.
type authCase struct {
	name   string
	opts   []Option
	client func(t *testing.T, s *Server, app App, user User) *http.Client
	reason string // expected Request.AuthError
	v1Body string // expected body on v1.1 routes
}

func rejectedCases() []authCase {
	later := func() time.Time { return time.Now().Add(10 * time.Minute) }
	earlier := func() time.Time { return time.Now().Add(-10 * time.Minute) }
	return []authCase{
		{name: "wrong consumer secret",
			client: func(t *testing.T, s *Server, app App, user User) *http.Client {
				app.ConsumerSecret += "x"
				return s.Client(app, user)
			},
			reason: "signature mismatch", v1Body: v1Unauthorized},
		{name: "wrong token secret",
			client: func(t *testing.T, s *Server, app App, user User) *http.Client {
				user.TokenSecret += "x"
				return s.Client(app, user)
			},
			reason: "signature mismatch", v1Body: v1Unauthorized},
		{name: "unknown token",
			client: func(t *testing.T, s *Server, app App, user User) *http.Client {
				user.Token = "1-unknown"
				return s.Client(app, user)
			},
			reason: "access token unknown or not granted to this app", v1Body: v1Unauthorized},
		{name: "token of another app",
			client: func(t *testing.T, s *Server, app App, user User) *http.Client {
				other, err := s.AddApp(App{})
				if err != nil {
					t.Fatal(err)
				}
				return s.Client(other, user)
			},
			reason: "access token unknown or not granted to this app", v1Body: v1Unauthorized},
		{name: "unknown consumer key",
			client: func(t *testing.T, s *Server, app App, user User) *http.Client {
				app.ConsumerKey = "unknown"
				return s.Client(app, user)
			},
			reason: "unknown consumer key", v1Body: v1Unauthorized},
		{name: "tampered query",
			client: func(t *testing.T, s *Server, app App, user User) *http.Client {
				return signedClient(app, user, "", roundTripFunc(func(r *http.Request) (*http.Response, error) {
					r = r.Clone(r.Context())
					r.URL.RawQuery = "user.fields=created_at"
					return http.DefaultTransport.RoundTrip(r)
				}))
			},
			reason: "signature mismatch", v1Body: v1Unauthorized},
		{name: "no credentials",
			client: func(*testing.T, *Server, App, User) *http.Client { return http.DefaultClient },
			reason: "missing oauth_consumer_key", v1Body: v1Unauthorized},
		{name: "bearer token",
			client: func(t *testing.T, s *Server, app App, user User) *http.Client {
				return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
					r = r.Clone(r.Context())
					r.Header.Set("Authorization", "Bearer "+app.BearerToken)
					return http.DefaultTransport.RoundTrip(r)
				})}
			},
			reason: "authorization scheme is not OAuth", v1Body: v1Unauthorized},
		{name: "stale timestamp", opts: []Option{WithClock(later)},
			client: func(t *testing.T, s *Server, app App, user User) *http.Client { return s.Client(app, user) },
			reason: "oauth_timestamp outside the allowed window", v1Body: v1Timestamp},
		{name: "future timestamp", opts: []Option{WithClock(earlier)},
			client: func(t *testing.T, s *Server, app App, user User) *http.Client { return s.Client(app, user) },
			reason: "oauth_timestamp outside the allowed window", v1Body: v1Timestamp},
	}
}

func TestRejectedCredentials(t *testing.T) {
	for _, tt := range rejectedCases() {
		t.Run(tt.name, func(t *testing.T) {
			s, app, user := startServer(t, tt.opts...)
			client := tt.client(t, s, app, user)
			routes := []struct{ path, want string }{
				{"/2/users/me?user.fields=id", v2Unauthorized},
				{"/1.1/account/verify_credentials.json", tt.v1Body},
			}
			for _, route := range routes {
				status, body := get(t, client, s.URL()+route.path)
				if status != http.StatusUnauthorized {
					t.Errorf("GET %s: status = %d, want 401", route.path, status)
				}
				if body != route.want {
					t.Errorf("GET %s: body = %s, want %s", route.path, body, route.want)
				}
			}
			for i, req := range s.Requests() {
				if req.AuthError != tt.reason {
					t.Errorf("request %d AuthError = %q, want %q", i, req.AuthError, tt.reason)
				}
			}
		})
	}
}

func TestReusedNonce(t *testing.T) {
	s, app, user := startServer(t)
	client := signedClient(app, user, "same-nonce", s.ts.Client().Transport)
	if status, body := get(t, client, s.URL()+"/2/users/me"); status != http.StatusOK {
		t.Fatalf("first request: status = %d, want 200; body %s", status, body)
	}
	status, body := get(t, client, s.URL()+"/1.1/account/verify_credentials.json")
	if status != http.StatusUnauthorized || body != v1Unauthorized {
		t.Errorf("second request: got %d %s, want 401 %s", status, body, v1Unauthorized)
	}
	reqs := s.Requests()
	if got := reqs[len(reqs)-1].AuthError; got != "nonce already used" {
		t.Errorf("AuthError = %q, want %q", got, "nonce already used")
	}

	other, err := s.AddUser(app.ID, User{})
	if err != nil {
		t.Fatal(err)
	}
	client = signedClient(app, other, "same-nonce", s.ts.Client().Transport)
	if status, body := get(t, client, s.URL()+"/2/users/me"); status != http.StatusOK {
		t.Errorf("same nonce with another token: status = %d, want 200; body %s", status, body)
	}
}

// TestRejectedNonceNotBurned checks that a request failing its signature
// check does not use up its nonce.
func TestRejectedNonceNotBurned(t *testing.T) {
	s, app, user := startServer(t)
	bad := user
	bad.TokenSecret += "x"
	transport := s.ts.Client().Transport
	if status, _ := get(t, signedClient(app, bad, "n1", transport), s.URL()+"/2/users/me"); status != http.StatusUnauthorized {
		t.Fatalf("bad signature: status = %d, want 401", status)
	}
	if status, body := get(t, signedClient(app, user, "n1", transport), s.URL()+"/2/users/me"); status != http.StatusOK {
		t.Errorf("good signature, same nonce: status = %d, want 200; body %s", status, body)
	}
}

func TestNonceCacheWindow(t *testing.T) {
	const window = 5 * time.Minute
	t0 := time.Unix(1700000000, 0)
	key := nonceKey{"key", "token", "nonce"}
	var c nonceCache
	steps := []struct {
		name string
		ts   time.Time
		now  time.Time
		want bool
	}{
		{"first use", t0, t0, true},
		{"reuse at once", t0, t0, false},
		{"reuse at window end", t0, t0.Add(window), false},
		{"reuse after window", t0.Add(window + time.Second), t0.Add(window + time.Second), true},
	}
	for _, step := range steps {
		if got := c.use(key, step.ts, step.now, window); got != step.want {
			t.Errorf("%s: use = %v, want %v", step.name, got, step.want)
		}
	}
}

func TestNonceCachePrunes(t *testing.T) {
	const window = time.Minute
	t0 := time.Unix(1700000000, 0)
	var c nonceCache
	for i := range 5000 {
		now := t0.Add(time.Duration(i) * time.Second)
		c.use(nonceKey{nonce: now.String()}, now, now, window)
	}
	if n := len(c.seen); n > 2048 {
		t.Errorf("cache holds %d nonces after 5000 requests over a 60-nonce window, want at most 2048", n)
	}
}

func TestCheckProtocol(t *testing.T) {
	valid := func() map[string]string {
		return map[string]string{
			"oauth_consumer_key": "k", "oauth_signature": "s", "oauth_signature_method": "HMAC-SHA1",
			"oauth_timestamp": "1", "oauth_nonce": "n", "oauth_token": "t",
		}
	}
	tests := []struct {
		name         string
		change       func(map[string]string)
		requireToken bool
		want         string
	}{
		{"valid", func(map[string]string) {}, true, ""},
		{"version 1.0", func(m map[string]string) { m["oauth_version"] = "1.0" }, true, ""},
		{"version 2.0", func(m map[string]string) { m["oauth_version"] = "2.0" }, true, "unsupported oauth_version"},
		{"plaintext", func(m map[string]string) { m["oauth_signature_method"] = "PLAINTEXT" }, true,
			"unsupported oauth_signature_method"},
		{"lowercase method", func(m map[string]string) { m["oauth_signature_method"] = "hmac-sha1" }, true,
			"unsupported oauth_signature_method"},
		{"no token required", func(m map[string]string) { delete(m, "oauth_token") }, false, ""},
		{"no token", func(m map[string]string) { delete(m, "oauth_token") }, true, "missing oauth_token"},
		{"no nonce", func(m map[string]string) { delete(m, "oauth_nonce") }, true, "missing oauth_nonce"},
		{"empty timestamp", func(m map[string]string) { m["oauth_timestamp"] = "" }, true, "missing oauth_timestamp"},
		{"no signature", func(m map[string]string) { delete(m, "oauth_signature") }, true, "missing oauth_signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid()
			tt.change(m)
			got := ""
			if f := checkProtocol(m, tt.requireToken); f != nil {
				got = f.reason
			}
			if got != tt.want {
				t.Errorf("checkProtocol reason = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestOAuthParamsInQuery checks that protocol parameters sent in the query
// instead of the Authorization header are accepted.
func TestOAuthParamsInQuery(t *testing.T) {
	s, app, user := startServer(t)
	moveToQuery := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		params, err := parseAuthorization(r.Header.Get("Authorization"))
		if err != nil {
			return nil, err
		}
		q := r.URL.Query()
		for k, v := range params {
			q.Set(k, v)
		}
		r.URL.RawQuery = q.Encode()
		r.Header.Del("Authorization")
		return http.DefaultTransport.RoundTrip(r)
	})
	client := signedClient(app, user, "", moveToQuery)
	if status, body := get(t, client, s.URL()+"/2/users/me?a=1"); status != http.StatusOK {
		t.Errorf("status = %d, want 200; body %s", status, body)
	}
	if got := s.Requests()[0].Query.Get("oauth_signature"); got != redacted {
		t.Errorf("recorded oauth_signature = %q, want %q", got, redacted)
	}
}

func TestDuplicateOAuthParam(t *testing.T) {
	s, app, user := startServer(t)
	duplicate := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.RawQuery = "oauth_nonce=again"
		return http.DefaultTransport.RoundTrip(r)
	})
	client := signedClient(app, user, "", duplicate)
	if status, _ := get(t, client, s.URL()+"/2/users/me"); status != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", status)
	}
	if got, want := s.Requests()[0].AuthError, "OAuth parameter oauth_nonce sent twice"; got != want {
		t.Errorf("AuthError = %q, want %q", got, want)
	}
}

// TestBaseURLBehindProxy signs for an external HTTPS URL with a path prefix
// and delivers to the fake as a proxy would.
func TestBaseURLBehindProxy(t *testing.T) {
	s, app, user := startServer(t, WithBaseURL("https://API.Example.test:443/x/"))
	target, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = target.Scheme, target.Host, ""
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/x")
		return http.DefaultTransport.RoundTrip(r)
	})
	client := signedClient(app, user, "", proxy)
	if status, body := get(t, client, "https://api.example.test/x/2/users/me"); status != http.StatusOK {
		t.Errorf("status = %d, want 200; body %s", status, body)
	}
	direct := s.Client(app, user)
	if status, _ := get(t, direct, s.URL()+"/2/users/me"); status != http.StatusUnauthorized {
		t.Errorf("request signed for the listening address: status = %d, want 401", status)
	}
}
