package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/internal/fixtures"
	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/store/sqlstore"
	"github.com/goodgo/xactivity/webhook"
	"github.com/goodgo/xactivity/xtest"
)

const (
	testJWTSecret     = "test-jwt-secret-0123456789"
	testEncryptionKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // base64 of 32 ASCII bytes
)

// harness is one service under test: an in-process server over a SQLite
// file or a PostgreSQL schema, a fake X API, and an HTTP client for the
// service's routes.
type harness struct {
	t      testing.TB
	srv    *server
	http   *httptest.Server
	fake   *xtest.Server
	app    xtest.App
	user   xtest.User // the demo merchant account, @shop_demo
	secret string     // the app's consumer secret, which signs deliveries
	dbURL  string     // MKTX__DATABASE_URL of the service
	logs   *syncBuffer
	clock  *testClock
}

// testClock is the real time plus an offset that tests advance, so that
// leases and retry times expire without waiting.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
	frozen time.Time // when set, the clock does not move between advances
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen.IsZero() {
		return c.frozen.Add(c.offset)
	}
	return time.Now().Add(c.offset)
}

// freeze stops the clock at the current whole second.
func (c *testClock) freeze() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = time.Now().Add(c.offset).Truncate(time.Second)
	c.offset = 0
}

// set moves a frozen clock to t.
func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen, c.offset = t, 0
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// newHarness starts a service whose consumer secret is the one that signed
// the sample deliveries, so they verify unchanged. The service stores into
// a SQLite file in a temporary folder, or into a new PostgreSQL schema when
// the test runs under TestPostgres (see postgresDatabaseURL).
func newHarness(t testing.TB) *harness {
	t.Helper()
	if dbURL, ok := postgresDatabaseURL(t); ok {
		return newHarnessOn(t, dbURL)
	}
	return newHarnessOn(t, "sqlite:"+filepath.Join(t.TempDir(), "mktx.db"))
}

// newHarnessOn starts a service on the database that dbURL names.
func newHarnessOn(t testing.TB, dbURL string) *harness {
	t.Helper()
	secret := fixtures.LoadVectors(t).DeliveriesSecret
	clock := &testClock{}
	// The fake X shares the test's clock, so its rate-limit windows move
	// with it; OAuth timestamps come from the real clock, hence the wide
	// timestamp window.
	fake := xtest.NewServer(xtest.WithClock(clock.now), xtest.WithTimestampWindow(365*24*time.Hour), xtest.WithInsecureWebhooks())
	t.Cleanup(fake.Close)
	app, err := fake.AddApp(xtest.App{ConsumerKey: "test-consumer-key", ConsumerSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	user, err := fake.AddUser(app.ID, xtest.User{ID: "1470000000000000001", Username: "shop_demo", Name: "Shop Demo"})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, fake: fake, app: app, user: user, secret: secret, dbURL: dbURL, logs: &syncBuffer{}, clock: clock}
	h.start()
	return h
}

// start opens the database and serves the service over a fresh test
// server. Processing runs only when the test calls process.
func (h *harness) start() {
	t := h.t
	t.Helper()
	cfg := Config{}
	cfg.Twitter.APIKey = setting(h.app.ConsumerKey)
	cfg.Twitter.APIKeySecret = setting(h.secret)
	cfg.Twitter.APIBaseURL = setting(h.fake.URL())
	cfg.Mktx.JWTSecret = testJWTSecret
	cfg.Mktx.EncryptionKey = testEncryptionKey
	cfg.Mktx.DatabaseURL = setting(h.dbURL)
	cfg.Mktx.WebhookEventsPerMinute = "0"
	settings, err := cfg.Settings()
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStore(context.Background(), settings.DatabaseURL, sqlstore.WithClock(h.clock.now))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.srv, err = newServer(settings, st, log)
	if err != nil {
		t.Fatal(err)
	}
	h.srv.now = h.clock.now
	h.http = httptest.NewServer(h.srv.handler())
	t.Cleanup(h.stop)
}

// stop closes the test server and the database; stopping twice is safe.
func (h *harness) stop() {
	if h.http == nil {
		return
	}
	h.http.Close()
	h.srv.store.Close()
	h.http = nil
}

// restart stops the service and starts a new one on the same database.
func (h *harness) restart() {
	h.stop()
	h.start()
}

// process runs the inbox worker until no row is left to claim.
func (h *harness) process() {
	h.t.Helper()
	if err := h.srv.worker.drain(context.Background()); err != nil {
		h.t.Fatalf("processing the inbox: %v", err)
	}
}

func (h *harness) token(merchant string) string {
	h.t.Helper()
	tok, err := issueToken([]byte(testJWTSecret), merchant, time.Hour, time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// response is a decoded response of the service.
type response struct {
	Status     int
	Header     http.Header
	Success    bool            `json:"success"`
	Data       json.RawMessage `json:"data"`
	NextCursor string          `json:"nextCursor"`
	Error      struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Raw []byte
}

// do sends a request to the service; a non-empty bearer is sent as the
// Authorization header.
func (h *harness) do(method, path, bearer string, body any) response {
	h.t.Helper()
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, h.http.URL+path, reader)
	if err != nil {
		h.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return h.send(req)
}

func (h *harness) send(req *http.Request) response {
	h.t.Helper()
	resp, err := h.http.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	r := response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r); err != nil {
			h.t.Fatalf("%s %s: answer is not JSON: %v\n%s", req.Method, req.URL.Path, err, raw)
		}
	}
	return r
}

// deliver posts body as a signed delivery and returns the status.
func (h *harness) deliver(body []byte) int {
	h.t.Helper()
	return h.deliverSigned(body, webhook.Sign(h.secret, body))
}

func (h *harness) deliverSigned(body []byte, signature string) int {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.http.URL+apiBase+"/webhooks/twitter", bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if signature != "" {
		req.Header.Set("x-twitter-webhooks-signature", signature)
	}
	return h.send(req).Status
}

// connect connects the demo account for merchant and returns its id.
func (h *harness) connect(merchant string) string {
	h.t.Helper()
	r := h.do(http.MethodPost, apiBase+"/accounts", h.token(merchant), map[string]string{
		"oauthToken": h.user.Token, "oauthTokenSecret": h.user.TokenSecret,
	})
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		h.t.Fatalf("connect account: status %d: %s", r.Status, r.Raw)
	}
	var acct accountView
	decode(h.t, r.Data, &acct)
	return acct.ID
}

func decode(t testing.TB, data json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
}

// conversations lists all of the merchant's conversations.
func (h *harness) conversations(merchant string) []conversationView {
	h.t.Helper()
	r := h.do(http.MethodGet, apiBase+"/conversations?limit=200", h.token(merchant), nil)
	if r.Status != http.StatusOK {
		h.t.Fatalf("list conversations: status %d: %s", r.Status, r.Raw)
	}
	var out []conversationView
	decode(h.t, r.Data, &out)
	return out
}

// messages lists all messages of a conversation, following cursors.
func (h *harness) messages(merchant, conversationID string) []messageView {
	h.t.Helper()
	var out []messageView
	cursor := ""
	for {
		r := h.do(http.MethodGet, apiBase+"/conversations/"+conversationID+"/messages?limit=2&cursor="+url.QueryEscape(cursor), h.token(merchant), nil)
		if r.Status != http.StatusOK {
			h.t.Fatalf("list messages: status %d: %s", r.Status, r.Raw)
		}
		var page []messageView
		decode(h.t, r.Data, &page)
		out = append(out, page...)
		if r.NextCursor == "" {
			return out
		}
		cursor = r.NextCursor
	}
}

func (h *harness) inboxCounts() map[store.InboxStatus]int {
	h.t.Helper()
	counts, err := h.srv.store.InboxCounts(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return counts
}

// xtestUser returns a fake X user with a distinct id, for tests that
// connect several accounts.
func xtestUser(i int, username string) xtest.User {
	return xtest.User{ID: "14700000000000009" + string(rune('0'+i)) + "0", Username: username}
}

// fixturesDM returns the sample delivery of a customer's DM to the shop.
func fixturesDM(t testing.TB) []byte {
	t.Helper()
	return fixtures.LoadDelivery(t, "dm_received.json").Body
}
