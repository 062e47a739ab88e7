package xtest

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/xactivity/webhook"
)

// engineFixture is a started server on a manual Clock that accepts
// httptest webhook URLs, with one app and two of its users.
type engineFixture struct {
	*hookFixture
	clock *Clock
	start time.Time
}

func newEngineFixture(t *testing.T, opts ...Option) *engineFixture {
	t.Helper()
	start := time.Now().Truncate(time.Second)
	clock := NewClock(start)
	opts = append([]Option{WithManualClock(clock), WithTimestampWindow(365 * 24 * time.Hour),
		WithInsecureWebhooks()}, opts...)
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	app, err := s.AddApp(App{})
	if err != nil {
		t.Fatalf("AddApp: %v", err)
	}
	f := &hookFixture{t: t, srv: s, app: app}
	for _, u := range []*User{&f.alice, &f.bob} {
		if *u, err = s.AddUser(app.ID, User{}); err != nil {
			t.Fatalf("AddUser: %v", err)
		}
	}
	return &engineFixture{hookFixture: f, clock: clock, start: start}
}

// deliver calls Deliver and fails the test on an error.
func (f *engineFixture) deliver(webhookID, body string) int {
	f.t.Helper()
	status, err := f.srv.Deliver(context.Background(), webhookID, []byte(body))
	if err != nil {
		f.t.Fatalf("Deliver(%s): %v", body, err)
	}
	return status
}

// crcMode selects the response of a scriptedHook to CRC checks.
type crcMode int32

const (
	crcAnswer      crcMode = iota // the right response token
	crcWrongToken                 // 200 with a wrong response token
	crcRedirect                   // 302 to another URL
	crcUnavailable                // 503
	crcNotFound                   // 404
	crcHang                       // no response until the request ends
)

// scriptedHook is a webhook: a webhook.Handler whose receiver responds to
// deliveries with scripted statuses, behind a switch that can make CRC
// checks fail in the ways X distinguishes.
type scriptedHook struct {
	handler *webhook.Handler
	crc     atomic.Int32 // a crcMode

	mu       sync.Mutex
	statuses []int         // statuses of successive deliveries, then 200
	hang     map[int]bool  // deliveries, by index, that get no response in time
	bodies   []string      // every delivery received, in order
	crcGets  int           // CRC checks received
	release  chan struct{} // closed by Close, ends hanging requests
	closing  sync.Once
}

func newScriptedHook(secret string) *scriptedHook {
	h := &scriptedHook{hang: make(map[int]bool), release: make(chan struct{})}
	h.handler = &webhook.Handler{ConsumerSecrets: []string{secret}, Receiver: webhook.ReceiverFunc(h.receive)}
	return h
}

// start serves h on a loopback httptest server that the test closes.
func (h *scriptedHook) start(t *testing.T) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		h.closing.Do(func() { close(h.release) })
		ts.Close()
	})
	return ts
}

func (h *scriptedHook) setCRC(m crcMode) { h.crc.Store(int32(m)) }

// failDeliveries makes the next deliveries answer with statuses, in order.
func (h *scriptedHook) failDeliveries(statuses ...int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.statuses = append(h.statuses, statuses...)
}

// hangDelivery makes delivery number i (0 for the first) get no response
// until its request ends.
func (h *scriptedHook) hangDelivery(i int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hang[i] = true
}

func (h *scriptedHook) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...)
}

func (h *scriptedHook) crcCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.crcGets
}

func (h *scriptedHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		h.handler.ServeHTTP(w, r)
		return
	}
	h.mu.Lock()
	h.crcGets++
	h.mu.Unlock()
	switch crcMode(h.crc.Load()) {
	case crcWrongToken:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"response_token":"sha256=d3JvbmcgdG9rZW4="}`)
	case crcRedirect:
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	case crcUnavailable:
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	case crcNotFound:
		http.NotFound(w, r)
	case crcHang:
		select {
		case <-r.Context().Done():
		case <-h.release:
		}
	default:
		h.handler.ServeHTTP(w, r)
	}
}

func (h *scriptedHook) receive(ctx context.Context, d *webhook.Delivery) error {
	h.mu.Lock()
	i := len(h.bodies)
	h.bodies = append(h.bodies, string(d.Body))
	status := http.StatusOK
	if i < len(h.statuses) {
		status = h.statuses[i]
	}
	hang := h.hang[i]
	h.mu.Unlock()
	if hang {
		select {
		case <-ctx.Done():
		case <-h.release:
		}
		return ctx.Err()
	}
	if status != http.StatusOK {
		return &webhook.StatusError{Status: status, Err: errors.New("scripted failure")}
	}
	return nil
}

// quietLog discards the error log of an httptest server whose TLS
// handshakes fail on purpose.
var quietLog = log.New(io.Discard, "", 0)

// attemptTimes returns the offsets from start of the deliveries' times.
func attemptTimes(start time.Time, ds []Delivery) []time.Duration {
	var out []time.Duration
	for _, d := range ds {
		out = append(out, d.Time.Sub(start))
	}
	return out
}
