package accountactivity_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/webhook"
	"github.com/goodgo/xactivity/xtest"
)

// watchRig is a fake X with one app, a receiver whose CRC secret a test
// can break, and a watcher for the receiver's URL that records changes.
type watchRig struct {
	fake    *xtest.Server
	app     xtest.App
	client  *accountactivity.Client
	url     string
	broken  *atomic.Bool // the receiver signs CRC tokens with a wrong secret
	watcher *accountactivity.Watcher

	mu      sync.Mutex
	changes []accountactivity.HealthChange
}

func newWatchRig(t *testing.T) *watchRig {
	t.Helper()
	fake := xtest.NewServer(xtest.WithInsecureWebhooks())
	t.Cleanup(fake.Close)
	app, err := fake.AddApp(xtest.App{ConsumerSecret: "app-consumer-secret"})
	if err != nil {
		t.Fatal(err)
	}
	discard := webhook.ReceiverFunc(func(context.Context, *webhook.Delivery) error { return nil })
	good := &webhook.Handler{ConsumerSecrets: []string{"app-consumer-secret"}, Receiver: discard}
	bad := &webhook.Handler{ConsumerSecrets: []string{"a-rotated-secret"}, Receiver: discard}
	broken := new(atomic.Bool)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() {
			bad.ServeHTTP(w, r)
			return
		}
		good.ServeHTTP(w, r)
	}))
	t.Cleanup(receiver.Close)
	bearer, err := accountactivity.NewBearerClient(app.BearerToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	client, err := accountactivity.NewClient(accountactivity.Config{App: bearer},
		accountactivity.WithBaseURL(fake.URL()), accountactivity.WithInsecureWebhookURLs())
	if err != nil {
		t.Fatal(err)
	}
	r := &watchRig{fake: fake, app: app, client: client, url: receiver.URL + "/webhook", broken: broken}
	r.watcher = &accountactivity.Watcher{Client: client, URL: r.url, OnChange: r.record}
	return r
}

func (r *watchRig) record(c accountactivity.HealthChange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, c)
}

// transitions returns the recorded changes as "from>to" strings and
// clears the record.
func (r *watchRig) transitions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.changes {
		out = append(out, string(c.From)+">"+string(c.To))
	}
	r.changes = nil
	return out
}

func (r *watchRig) register(t *testing.T) accountactivity.Webhook {
	t.Helper()
	h, err := r.client.EnsureWebhook(context.Background(), r.url)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWatcherRevalidatesInvalidWebhook(t *testing.T) {
	r := newWatchRig(t)
	hook := r.register(t)
	ctx := context.Background()

	if s := r.watcher.Status(); s.Health != accountactivity.HealthUnknown {
		t.Errorf("status before the first poll = %q, want unknown", s.Health)
	}
	s := r.watcher.Poll(ctx)
	if s.Health != accountactivity.HealthValid || s.Webhook.ID != hook.ID || s.Err != nil {
		t.Errorf("first poll = %+v, want webhook %s valid", s, hook.ID)
	}
	if s.CheckedAt.IsZero() {
		t.Error("first poll has no CheckedAt")
	}
	if got, want := r.transitions(), []string{"unknown>valid"}; !equalStrings(got, want) {
		t.Errorf("changes = %v, want %v", got, want)
	}

	r.watcher.Poll(ctx)
	if got := r.transitions(); len(got) != 0 {
		t.Errorf("a poll without change reported %v", got)
	}

	if err := r.fake.InvalidateWebhook(hook.ID); err != nil {
		t.Fatal(err)
	}
	s = r.watcher.Poll(ctx)
	if s.Health != accountactivity.HealthValid || !s.Webhook.Valid {
		t.Errorf("poll after invalidation = %+v, want valid again", s)
	}
	if got, want := r.transitions(), []string{"valid>invalid", "invalid>valid"}; !equalStrings(got, want) {
		t.Errorf("changes = %v, want %v", got, want)
	}
	if hooks := r.fake.Webhooks(r.app.ID); len(hooks) != 1 || !hooks[0].Valid {
		t.Errorf("fake webhooks = %+v, want the webhook valid again", hooks)
	}
}

func TestWatcherReportsFailedCRC(t *testing.T) {
	r := newWatchRig(t)
	hook := r.register(t)
	ctx := context.Background()
	r.watcher.Poll(ctx)
	r.transitions()

	r.broken.Store(true)
	if err := r.fake.InvalidateWebhook(hook.ID); err != nil {
		t.Fatal(err)
	}
	s := r.watcher.Poll(ctx)
	if s.Health != accountactivity.HealthInvalid {
		t.Errorf("health = %q, want invalid", s.Health)
	}
	if !errors.Is(s.Err, accountactivity.ErrCRCValidationFailed) {
		t.Errorf("err = %v, want ErrCRCValidationFailed", s.Err)
	}
	if got, want := r.transitions(), []string{"valid>invalid"}; !equalStrings(got, want) {
		t.Errorf("changes = %v, want %v", got, want)
	}

	// The next poll tries again; once the receiver is fixed, it passes.
	r.broken.Store(false)
	s = r.watcher.Poll(ctx)
	if s.Health != accountactivity.HealthValid || s.Err != nil {
		t.Errorf("after the fix = %+v, want valid without error", s)
	}
	if got, want := r.transitions(), []string{"invalid>valid"}; !equalStrings(got, want) {
		t.Errorf("changes = %v, want %v", got, want)
	}
}

func TestWatcherMissingAndUnreachable(t *testing.T) {
	r := newWatchRig(t)
	ctx := context.Background()
	if s := r.watcher.Poll(ctx); s.Health != accountactivity.HealthMissing || s.Err != nil {
		t.Errorf("poll without webhook = %+v, want missing", s)
	}
	if n := len(r.fake.Webhooks(r.app.ID)); n != 0 {
		t.Errorf("watcher created %d webhooks, want none", n)
	}
	hook := r.register(t)
	if s := r.watcher.Poll(ctx); s.Health != accountactivity.HealthValid {
		t.Errorf("poll after registration = %+v, want valid", s)
	}

	r.fake.Close()
	s := r.watcher.Poll(ctx)
	if s.Health != accountactivity.HealthUnreachable {
		t.Errorf("health with X down = %q, want unreachable", s.Health)
	}
	if s.Err == nil {
		t.Error("unreachable status has no error")
	}
	if s.Webhook.ID != hook.ID {
		t.Errorf("unreachable status webhook = %q, want the last listed %s", s.Webhook.ID, hook.ID)
	}
	want := []string{"unknown>missing", "missing>valid", "valid>unreachable"}
	if got := r.transitions(); !equalStrings(got, want) {
		t.Errorf("changes = %v, want %v", got, want)
	}
}

func TestWatcherRunPollsUntilCancelled(t *testing.T) {
	r := newWatchRig(t)
	hook := r.register(t)
	r.watcher.Interval = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.watcher.Run(ctx) }()

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("the first poll", func() bool { return r.watcher.Status().Health == accountactivity.HealthValid })
	if err := r.fake.InvalidateWebhook(hook.ID); err != nil {
		t.Fatal(err)
	}
	// Run keeps polling, so a later poll finds the webhook invalid and has
	// it checked again.
	waitFor("the re-validation", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.changes) >= 3
	})
	if got, want := r.transitions(), []string{"unknown>valid", "valid>invalid", "invalid>valid"}; !equalStrings(got[:3], want) {
		t.Errorf("changes = %v, want %v first", got, want)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop after its context was cancelled")
	}
}

func TestWatcherRunRejectsConfig(t *testing.T) {
	r := newWatchRig(t)
	tests := []struct {
		name string
		w    *accountactivity.Watcher
	}{
		{"no client", &accountactivity.Watcher{URL: r.url}},
		{"no url", &accountactivity.Watcher{Client: r.client}},
		{"negative interval", &accountactivity.Watcher{Client: r.client, URL: r.url, Interval: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := tt.w.Run(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Run = %v, want a configuration error at once", err)
			}
		})
	}
}

// stubX is a v2 webhook API whose list and validate responses a test
// controls.
type stubX struct {
	srv      *httptest.Server
	mu       sync.Mutex
	valid    bool
	validate string        // the body of the PUT response
	block    chan struct{} // when set, the PUT waits for it to close
	lists    int
	status   int // when set, the list call responds with it
	reset    time.Time
}

func newStubX(t *testing.T) (*stubX, *accountactivity.Client) {
	t.Helper()
	x := &stubX{validate: `{"data":{"attempted":true}}`}
	x.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x.mu.Lock()
		block := x.block
		w.Header().Set("Content-Type", "application/json")
		switch r.Method {
		case http.MethodGet:
			x.lists++
			if x.status != 0 {
				w.Header().Set("x-rate-limit-limit", "15")
				w.Header().Set("x-rate-limit-remaining", "0")
				w.Header().Set("x-rate-limit-reset", strconv.FormatInt(x.reset.Unix(), 10))
				w.WriteHeader(x.status)
				fmt.Fprint(w, `{"title":"Too Many Requests","type":"about:blank","status":429,"detail":"Too Many Requests"}`)
				x.mu.Unlock()
				return
			}
			fmt.Fprintf(w, `{"data":[{"id":"1","url":"https://example.com/webhook","valid":%t,"created_at":"2026-01-01T00:00:00.000Z"}],"meta":{"result_count":1}}`, x.valid)
			x.mu.Unlock()
		case http.MethodPut:
			body := x.validate
			x.mu.Unlock()
			if block != nil {
				<-block
			}
			fmt.Fprint(w, body)
		}
	}))
	t.Cleanup(x.srv.Close)
	client, err := accountactivity.NewClient(accountactivity.Config{App: x.srv.Client()},
		accountactivity.WithBaseURL(x.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	return x, client
}

func TestWatcherAttemptedCheckStaysInvalid(t *testing.T) {
	x, client := newStubX(t)
	var changes []string
	w := &accountactivity.Watcher{Client: client, URL: "https://example.com/webhook",
		OnChange: func(c accountactivity.HealthChange) { changes = append(changes, string(c.From)+">"+string(c.To)) }}
	x.valid = true
	w.Poll(context.Background())
	x.valid = false
	s := w.Poll(context.Background())
	if s.Health != accountactivity.HealthInvalid || s.Err != nil {
		t.Errorf("status after an attempted check = %+v, want invalid without error", s)
	}
	if want := []string{"unknown>valid", "valid>invalid"}; !equalStrings(changes, want) {
		t.Errorf("changes = %v, want %v", changes, want)
	}
}

func TestWatcherStatusDuringCheck(t *testing.T) {
	x, client := newStubX(t)
	w := &accountactivity.Watcher{Client: client, URL: "https://example.com/webhook"}
	x.valid = true
	before := w.Poll(context.Background())

	x.mu.Lock()
	x.valid = false
	x.block = make(chan struct{})
	x.validate = `{"data":{"valid":true}}`
	x.mu.Unlock()
	done := make(chan accountactivity.WebhookStatus)
	go func() { done <- w.Poll(context.Background()) }()
	// While X runs the CRC check, readers see the previous poll's result.
	time.Sleep(50 * time.Millisecond)
	if mid := w.Status(); mid.Health != accountactivity.HealthValid || !mid.CheckedAt.Equal(before.CheckedAt) {
		t.Errorf("status during the check = %+v, want the previous poll's %+v", mid, before)
	}
	close(x.block)
	if after := <-done; after.Health != accountactivity.HealthValid {
		t.Errorf("status after the check = %+v, want valid", after)
	}
}

func TestWatcherCancelledPollRecordsNothing(t *testing.T) {
	x, client := newStubX(t)
	w := &accountactivity.Watcher{Client: client, URL: "https://example.com/webhook"}
	x.valid = true
	before := w.Poll(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if s := w.Poll(ctx); s.Health != accountactivity.HealthValid || s.Err != nil || !s.CheckedAt.Equal(before.CheckedAt) {
		t.Errorf("cancelled poll returned %+v, want the previous status %+v", s, before)
	}
	x.mu.Lock()
	lists := x.lists
	x.mu.Unlock()
	if err := w.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context = %v, want context.Canceled", err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.lists != lists {
		t.Errorf("Run with a cancelled context polled %d times, want none", x.lists-lists)
	}
}

func TestWatcherWaitsForRateLimitReset(t *testing.T) {
	x, client := newStubX(t)
	x.status = http.StatusTooManyRequests
	x.reset = time.Now().Add(time.Hour)
	w := &accountactivity.Watcher{Client: client, URL: "https://example.com/webhook", Interval: 10 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	w.Run(ctx)
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.lists != 1 {
		t.Errorf("watcher listed webhooks %d times in 300 ms after a 429 resetting in an hour, want 1", x.lists)
	}
	if s := w.Status(); s.Health != accountactivity.HealthUnreachable || s.Err == nil {
		t.Errorf("status after a 429 = %+v, want unreachable with the error", s)
	}
}

func TestWatcherEnterpriseNeedsOwner(t *testing.T) {
	fake := xtest.NewServer(xtest.WithInsecureWebhooks())
	t.Cleanup(fake.Close)
	app, err := fake.AddApp(xtest.App{ConsumerSecret: "app-consumer-secret"})
	if err != nil {
		t.Fatal(err)
	}
	owner, err := fake.AddUser(app.ID, xtest.User{ID: "1470000000000000002", Username: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	receiver := httptest.NewServer(&webhook.Handler{
		ConsumerSecrets: []string{"app-consumer-secret"},
		Receiver:        webhook.ReceiverFunc(func(context.Context, *webhook.Delivery) error { return nil }),
	})
	t.Cleanup(receiver.Close)
	url := receiver.URL + "/webhook"
	bearer, err := accountactivity.NewBearerClient(app.BearerToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	newClient := func(user *http.Client) *accountactivity.Client {
		c, err := accountactivity.NewClient(accountactivity.Config{App: bearer, User: user, Generation: accountactivity.Enterprise},
			accountactivity.WithBaseURL(fake.URL()), accountactivity.WithInsecureWebhookURLs())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	withOwner := newClient(fake.Client(app, owner))
	hook, err := withOwner.EnsureWebhook(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.InvalidateWebhook(hook.ID); err != nil {
		t.Fatal(err)
	}

	bearerOnly := &accountactivity.Watcher{Client: newClient(nil), URL: url}
	s := bearerOnly.Poll(context.Background())
	if s.Health != accountactivity.HealthInvalid || !errors.Is(s.Err, accountactivity.ErrNoUserAuth) {
		t.Errorf("Enterprise watcher without a user client = %+v, want invalid with ErrNoUserAuth", s)
	}
	w := &accountactivity.Watcher{Client: withOwner, URL: url}
	if s := w.Poll(context.Background()); s.Health != accountactivity.HealthValid {
		t.Errorf("Enterprise watcher with the owner's token = %+v, want valid again", s)
	}
	if hooks := fake.Webhooks(app.ID); len(hooks) != 1 || !hooks[0].Valid {
		t.Errorf("fake webhooks = %+v, want the webhook valid again", hooks)
	}
}
