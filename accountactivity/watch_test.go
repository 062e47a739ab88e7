package accountactivity_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
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
// forgets them.
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
