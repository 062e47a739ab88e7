package xtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/webhook"
)

// hookFixture is a started server on a fake clock that accepts httptest
// webhook URLs, with one app and two of its users.
type hookFixture struct {
	t          *testing.T
	srv        *Server
	clock      *fakeClock
	app        App
	alice, bob User
}

func newHookFixture(t *testing.T, opts ...Option) *hookFixture {
	t.Helper()
	clock := newFakeClock()
	opts = append([]Option{WithClock(clock.Now), WithTimestampWindow(365 * 24 * time.Hour),
		WithInsecureWebhooks()}, opts...)
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	app, err := s.AddApp(App{})
	if err != nil {
		t.Fatalf("AddApp: %v", err)
	}
	f := &hookFixture{t: t, srv: s, clock: clock, app: app}
	for _, u := range []*User{&f.alice, &f.bob} {
		if *u, err = s.AddUser(app.ID, User{}); err != nil {
			t.Fatalf("AddUser: %v", err)
		}
	}
	return f
}

// bearerTransport adds an app-only bearer token to every request.
type bearerTransport struct {
	token string
	next  http.RoundTripper
}

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// appClient returns a client with the app's bearer token whose responses are
// checked against X's OpenAPI description.
func (f *hookFixture) appClient() *http.Client {
	return f.bearerClient(f.app.BearerToken)
}

func (f *hookFixture) bearerClient(token string) *http.Client {
	return &http.Client{Transport: specCheck{t: f.t, next: bearerTransport{token, http.DefaultTransport}}}
}

// user returns a client signing as u whose responses are checked against
// X's OpenAPI description.
func (f *hookFixture) user(u User) *http.Client {
	c := f.srv.Client(f.app, u)
	c.Transport = specCheck{t: f.t, next: c.Transport}
	return c
}

// call sends a request with client and a JSON body, or none when body is
// empty.
func (f *hookFixture) call(client *http.Client, method, path, body string) response {
	f.t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL()+path, reader)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("read body of %s %s: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

// createWebhook registers rawURL with the app's bearer token and returns
// the new webhook's id.
func (f *hookFixture) createWebhook(rawURL string) string {
	f.t.Helper()
	resp := f.call(f.appClient(), "POST", "/2/webhooks", `{"url":"`+rawURL+`"}`)
	if resp.status != http.StatusOK {
		f.t.Fatalf("POST /2/webhooks = %d %s, want 200", resp.status, resp.body)
	}
	var got struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	resp.decode(f.t, &got)
	return got.Data.ID
}

// subscribe subscribes u to the webhook.
func (f *hookFixture) subscribe(u User, webhookID string) {
	f.t.Helper()
	resp := f.call(f.user(u), "POST", "/2/account_activity/webhooks/"+webhookID+"/subscriptions/all", "")
	if resp.status != http.StatusOK {
		f.t.Fatalf("subscribe %s = %d %s, want 200", u.ID, resp.status, resp.body)
	}
}

// wantFailure checks that resp is a 400 problem naming reason.
func wantFailure(t *testing.T, resp response, status int, reason string) {
	t.Helper()
	if resp.status != status {
		t.Errorf("status = %d, want %d; body %s", resp.status, status, resp.body)
	}
	if !strings.Contains(resp.body, reason) {
		t.Errorf("body %s does not name %s", resp.body, reason)
	}
}

// recorder is a webhook receiver that keeps the verified bodies it gets.
// While gate is set, every delivery first sends on entered and then waits
// for gate to be closed.
type recorder struct {
	mu      sync.Mutex
	bodies  []string
	gate    chan struct{}
	entered chan struct{}
}

func (r *recorder) Receive(ctx context.Context, d *webhook.Delivery) error {
	r.mu.Lock()
	gate, entered := r.gate, r.entered
	r.mu.Unlock()
	if gate != nil {
		entered <- struct{}{}
		<-gate
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, string(d.Body))
	return nil
}

func (r *recorder) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// newReceiver starts a webhook.Handler for consumer secret secret that
// records verified deliveries.
func newReceiver(t *testing.T, secret string) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	ts := httptest.NewServer(&webhook.Handler{ConsumerSecrets: []string{secret}, Receiver: rec})
	t.Cleanup(ts.Close)
	return ts, rec
}

// decodeJSON decodes s into a generic value, failing the test when it is
// not JSON.
func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}
