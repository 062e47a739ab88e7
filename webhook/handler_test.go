package webhook_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/crc"
	"github.com/goodgo/xactivity/internal/fixtures"
	"github.com/goodgo/xactivity/webhook"
)

// recorder is a Receiver that keeps what it received.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
	err    error
}

func (r *recorder) Receive(_ context.Context, d *webhook.Delivery) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, d.Body)
	return r.err
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

type rejection struct {
	status int
	err    error
}

func newHandler(t *testing.T, secret string) (*webhook.Handler, *recorder, *[]rejection) {
	t.Helper()
	rec := &recorder{}
	var mu sync.Mutex
	rejections := &[]rejection{}
	h := &webhook.Handler{
		ConsumerSecrets: []string{secret},
		Receiver:        rec,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, status int, err error) {
			mu.Lock()
			*rejections = append(*rejections, rejection{status, err})
			mu.Unlock()
			w.WriteHeader(status)
		},
	}
	return h, rec, rejections
}

func post(t *testing.T, h http.Handler, body []byte, signature string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/twitter", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if signature != "" {
		req.Header.Set("x-twitter-webhooks-signature", signature)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestHandlerAcceptsEveryDelivery(t *testing.T) {
	secret := fixtures.LoadVectors(t).DeliveriesSecret
	h, rec, _ := newHandler(t, secret)
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, d := range fixtures.LoadDeliveries(t) {
		t.Run(d.Name, func(t *testing.T) {
			before := rec.count()
			req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(d.Body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(webhook.SignatureHeader, d.Signature)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", resp.StatusCode)
			}
			if rec.count() != before+1 {
				t.Fatalf("receiver called %d times, want 1", rec.count()-before)
			}
			if got := rec.bodies[len(rec.bodies)-1]; !bytes.Equal(got, d.Body) {
				t.Errorf("receiver got %d bytes that differ from the %d sent", len(got), len(d.Body))
			}
		})
	}
}

func TestHandlerRejectsTamperedDeliveries(t *testing.T) {
	secret := fixtures.LoadVectors(t).DeliveriesSecret
	for _, d := range fixtures.LoadDeliveries(t) {
		t.Run(d.Name, func(t *testing.T) {
			h, rec, rejections := newHandler(t, secret)
			digest := strings.TrimPrefix(d.Signature, "sha256=")
			hex := fmt.Sprintf("sha256=%x", []byte(digest)[:32])
			cases := map[string]struct {
				body      []byte
				signature string
				want      error
			}{
				"missing header":      {d.Body, "", webhook.ErrMissingSignature},
				"hex digest":          {d.Body, hex, webhook.ErrMalformedSignature},
				"bare digest":         {d.Body, digest, webhook.ErrMalformedSignature},
				"truncated signature": {d.Body, d.Signature[:len(d.Signature)-4], webhook.ErrMalformedSignature},
				"other secret":        {d.Body, webhook.Sign("other", d.Body), webhook.ErrSignatureMismatch},
				"trailing newline":    {append(append([]byte(nil), d.Body...), '\n'), d.Signature, webhook.ErrSignatureMismatch},
			}
			for name, c := range cases {
				w := post(t, h, c.body, c.signature)
				if w.Code != http.StatusUnauthorized {
					t.Errorf("%s: status = %d, want 401", name, w.Code)
				}
				last := (*rejections)[len(*rejections)-1]
				if !errors.Is(last.err, c.want) {
					t.Errorf("%s: error = %v, want %v", name, last.err, c.want)
				}
			}
			body := append([]byte(nil), d.Body...)
			for i := range body {
				body[i]++
				if w := post(t, h, body, d.Signature); w.Code != http.StatusUnauthorized {
					t.Fatalf("byte %d changed: status = %d, want 401", i, w.Code)
				}
				body[i]--
			}
			if n := rec.count(); n != 0 {
				t.Errorf("receiver called %d times, want 0", n)
			}
		})
	}
}

func TestHandlerBodyLimit(t *testing.T) {
	body := []byte(`{"for_user_id":"1","direct_message_events":[],"pad":"` + strings.Repeat("x", 200) + `"}`)
	sig := webhook.Sign("s", body)
	limit := int64(len(body))
	tests := []struct {
		name    string
		limit   int64
		chunked bool
		want    int
	}{
		{"at limit", limit, false, http.StatusOK},
		{"at limit, chunked", limit, true, http.StatusOK},
		{"one byte over", limit - 1, false, http.StatusRequestEntityTooLarge},
		{"one byte over, chunked", limit - 1, true, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec, _ := newHandler(t, "s")
			h.MaxBodyBytes = tt.limit
			srv := httptest.NewServer(h)
			defer srv.Close()
			var reader io.Reader = bytes.NewReader(body)
			if tt.chunked {
				reader = io.MultiReader(reader) // hides the length, so the client streams
			}
			req, _ := http.NewRequest(http.MethodPost, srv.URL, reader)
			req.Header.Set(webhook.SignatureHeader, sig)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			wantCalls := 0
			if tt.want == http.StatusOK {
				wantCalls = 1
			}
			if rec.count() != wantCalls {
				t.Errorf("receiver called %d times, want %d", rec.count(), wantCalls)
			}
		})
	}
}

func TestHandlerDefaultLimit(t *testing.T) {
	h, rec, _ := newHandler(t, "s")
	body := bytes.Repeat([]byte("a"), webhook.DefaultMaxBodyBytes+1)
	if w := post(t, h, body, webhook.Sign("s", body)); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", w.Code)
	}
	if rec.count() != 0 {
		t.Errorf("receiver called %d times, want 0", rec.count())
	}
}

func TestHandlerReceiverErrorStatus(t *testing.T) {
	body := []byte(`{"for_user_id":"1"}`)
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"stored", nil, http.StatusOK},
		{"store failed", errors.New("disk full"), http.StatusServiceUnavailable},
		{"invalid body", fmt.Errorf("decode: %w", webhook.ErrInvalidBody), http.StatusBadRequest},
		{"status error", &webhook.StatusError{Status: http.StatusInternalServerError, Err: errors.New("x")}, http.StatusInternalServerError},
		{"status error out of range", &webhook.StatusError{Status: http.StatusOK, Err: errors.New("x")}, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec, _ := newHandler(t, "s")
			rec.err = tt.err
			if w := post(t, h, body, webhook.Sign("s", body)); w.Code != tt.want {
				t.Errorf("status = %d, want %d", w.Code, tt.want)
			}
		})
	}
}

func TestHandlerMethods(t *testing.T) {
	h, rec, rejections := newHandler(t, "s")
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		req := httptest.NewRequest(m, "/?crc_token=test", nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s: status = %d, want 405", m, w.Code)
		}
		if allow := w.Header().Get("Allow"); allow != "GET, HEAD, POST" {
			t.Errorf("%s: Allow = %q", m, allow)
		}
	}
	if rec.count() != 0 {
		t.Errorf("receiver called %d times, want 0", rec.count())
	}
	for _, r := range *rejections {
		if !errors.Is(r.err, webhook.ErrMethodNotAllowed) {
			t.Errorf("rejection error = %v, want ErrMethodNotAllowed", r.err)
		}
	}
}

func TestHandlerCRC(t *testing.T) {
	h, _, _ := newHandler(t, "current")
	h.ConsumerSecrets = append(h.ConsumerSecrets, "old")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?crc_token=test&nonce=1", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", w.Code)
	}
	var got struct {
		ResponseToken string `json:"response_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if want := crc.ResponseToken("current", "test"); got.ResponseToken != want {
		t.Errorf("response_token = %q, want %q (signed with the first secret)", got.ResponseToken, want)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?crc_token=%7B%7D", nil))
	if w.Code != http.StatusBadRequest {
		t.Errorf("JSON-shaped token: status = %d, want 400", w.Code)
	}
}

func TestHandlerMisconfigured(t *testing.T) {
	body := []byte(`{}`)
	t.Run("no secret", func(t *testing.T) {
		rec := &recorder{}
		h := &webhook.Handler{Receiver: rec}
		if w := post(t, h, body, webhook.Sign("", body)); w.Code != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", w.Code)
		}
		if rec.count() != 0 {
			t.Errorf("receiver called")
		}
	})
	t.Run("no receiver", func(t *testing.T) {
		h := &webhook.Handler{ConsumerSecrets: []string{"s"}}
		if w := post(t, h, body, webhook.Sign("s", body)); w.Code != http.StatusInternalServerError {
			t.Errorf("status = %d, want 500", w.Code)
		}
	})
}

func TestHandlerRepeatedSignatureHeader(t *testing.T) {
	h, rec, _ := newHandler(t, "s")
	body := []byte(`{}`)
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Add(webhook.SignatureHeader, webhook.Sign("s", body))
	req.Header.Add(webhook.SignatureHeader, webhook.Sign("s", body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", w.Code)
	}
	if rec.count() != 0 {
		t.Errorf("receiver called")
	}
}

// TestHandlerRawLowercaseHeader sends the header exactly as X does, in lower
// case, over a raw connection, to show no canonicalisation is assumed.
func TestHandlerRawLowercaseHeader(t *testing.T) {
	d := fixtures.LoadDelivery(t, "dm_received.json")
	h, rec, _ := newHandler(t, fixtures.LoadVectors(t).DeliveriesSecret)
	srv := httptest.NewServer(h)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /webhooks/twitter HTTP/1.1\r\nhost: x\r\ncontent-type: application/json;charset=UTF-8\r\n"+
		"x-twitter-webhooks-signature: %s\r\ncontent-length: %d\r\nconnection: close\r\n\r\n", d.Signature, len(d.Body))
	conn.Write(d.Body)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.StatusCode)
	}
	if rec.count() != 1 {
		t.Errorf("receiver called %d times, want 1", rec.count())
	}
}

func FuzzHandler(f *testing.F) {
	const secret = "fuzz-secret"
	f.Add([]byte(`{"for_user_id":"1"}`), "", false)
	f.Add([]byte(`{"for_user_id":"1"}`), "sha256=AAAA", true)
	f.Add([]byte{}, "sha256=", false)
	f.Fuzz(func(t *testing.T, body []byte, header string, signIt bool) {
		if signIt {
			header = webhook.Sign(secret, body)
		}
		rec := &recorder{}
		h := &webhook.Handler{ConsumerSecrets: []string{secret}, Receiver: rec, MaxBodyBytes: 1 << 16}
		w := post(t, h, body, header)
		valid := webhook.Verify(body, header, secret) == nil && len(body) <= 1<<16
		switch {
		case valid && w.Code != http.StatusOK:
			t.Fatalf("valid delivery: status %d", w.Code)
		case !valid && w.Code == http.StatusOK:
			t.Fatalf("invalid delivery accepted")
		}
		if want := map[bool]int{true: 1, false: 0}[valid]; rec.count() != want {
			t.Fatalf("receiver called %d times, want %d", rec.count(), want)
		}
	})
}

func TestHandlerMaxInFlight(t *testing.T) {
	release := make(chan struct{})
	var active, peak int
	var mu sync.Mutex
	h := &webhook.Handler{
		ConsumerSecrets: []string{"s"},
		MaxInFlight:     2,
		Receiver: webhook.ReceiverFunc(func(ctx context.Context, d *webhook.Delivery) error {
			mu.Lock()
			active++
			peak = max(peak, active)
			mu.Unlock()
			<-release
			mu.Lock()
			active--
			mu.Unlock()
			return nil
		}),
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := []byte(`{"for_user_id":"1"}`)
	results := make(chan int, 5)
	for range 5 {
		go func() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
			req.Header.Set(webhook.SignatureHeader, webhook.Sign("s", body))
			resp, err := srv.Client().Do(req)
			if err != nil {
				results <- 0
				return
			}
			resp.Body.Close()
			results <- resp.StatusCode
		}()
	}
	// While deliveries hold both slots, a CRC check is still answered.
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return active == 2 })
	resp, err := srv.Client().Get(srv.URL + "?crc_token=test")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("CRC status = %d while deliveries wait, want 200", resp.StatusCode)
	}
	close(release)
	for range 5 {
		if status := <-results; status != http.StatusOK {
			t.Errorf("delivery status = %d, want 200", status)
		}
	}
	if peak != 2 {
		t.Errorf("peak concurrent receivers = %d, want 2", peak)
	}
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestHandlerCRCRejectionsReachErrorHandler(t *testing.T) {
	h, _, rejections := newHandler(t, "s")
	for _, target := range []string{"/", "/?crc_token=%7B%7D", "/?crc_token=a&crc_token=b"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: status = %d, want 400", target, w.Code)
		}
		last := (*rejections)[len(*rejections)-1]
		if !errors.Is(last.err, webhook.ErrInvalidCRCToken) || last.status != http.StatusBadRequest {
			t.Errorf("%s: rejection = %d %v, want 400 ErrInvalidCRCToken", target, last.status, last.err)
		}
	}
	noSecret := &webhook.Handler{Receiver: &recorder{}}
	w := httptest.NewRecorder()
	noSecret.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?crc_token=test", nil))
	if w.Code != http.StatusInternalServerError {
		t.Errorf("no secret: status = %d, want 500", w.Code)
	}
}

// countingReader records whether the handler read the body.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

func TestHandlerSkipsBodyWithoutSignature(t *testing.T) {
	h, rec, _ := newHandler(t, "s")
	for _, signature := range []string{"", "sha256=short", "md5=abc"} {
		body := &countingReader{r: strings.NewReader(`{"for_user_id":"1"}`)}
		req := httptest.NewRequest(http.MethodPost, "/", body)
		if signature != "" {
			req.Header.Set(webhook.SignatureHeader, signature)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("signature %q: status = %d, want 401", signature, w.Code)
		}
		if body.reads != 0 {
			t.Errorf("signature %q: body read %d times before the header was checked", signature, body.reads)
		}
	}
	if rec.count() != 0 {
		t.Errorf("receiver called %d times", rec.count())
	}
}

// TestHandlerAnnouncedLengthCostsLittle sends a request that announces the
// maximum body size but carries one byte: the handler must not allocate a
// buffer of the announced size before the bytes arrive.
func TestHandlerAnnouncedLengthCostsLittle(t *testing.T) {
	h, _, _ := newHandler(t, "s")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 20 {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{"))
		req.ContentLength = webhook.DefaultMaxBodyBytes
		req.Header.Set(webhook.SignatureHeader, webhook.Sign("s", []byte("{}")))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 8<<20 {
		t.Errorf("20 requests allocated %d bytes, want far less than 20 × 4 MiB", grown)
	}
}
