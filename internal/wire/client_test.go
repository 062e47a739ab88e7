package wire

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/ratelimit"
)

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestNewRequest(t *testing.T) {
	tests := []struct {
		name            string
		base            string
		call            Call
		wantURL         string
		wantBody        string
		wantContentType string
	}{
		{
			name:            "JSON body",
			base:            "https://api.x.com",
			call:            Call{Method: "POST", Path: "/2/dm_conversations", JSON: map[string]string{"text": "a&b"}},
			wantURL:         "https://api.x.com/2/dm_conversations",
			wantBody:        `{"text":"a\u0026b"}`,
			wantContentType: "application/json",
		},
		{
			name:            "form body has no charset",
			base:            "https://api.x.com/",
			call:            Call{Method: "POST", Path: "/1.1/direct_messages/indicate_typing.json", Form: url.Values{"recipient_id": {"1"}}},
			wantURL:         "https://api.x.com/1.1/direct_messages/indicate_typing.json",
			wantBody:        "recipient_id=1",
			wantContentType: "application/x-www-form-urlencoded",
		},
		{
			name:    "query and path prefix",
			base:    "http://127.0.0.1:8080/fake/",
			call:    Call{Method: "GET", Path: "/2/dm_events", Query: url.Values{"dm_event.fields": {"id,text"}}},
			wantURL: "http://127.0.0.1:8080/fake/2/dm_events?dm_event.fields=id%2Ctext",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{HTTP: http.DefaultClient, BaseURL: mustParse(t, tc.base), UserAgent: "ua/1"}
			req, err := c.NewRequest(context.Background(), tc.call)
			if err != nil {
				t.Fatalf("NewRequest: %v", err)
			}
			if got := req.URL.String(); got != tc.wantURL {
				t.Errorf("URL = %q, want %q", got, tc.wantURL)
			}
			if got := req.Header.Get("Content-Type"); got != tc.wantContentType {
				t.Errorf("Content-Type = %q, want %q", got, tc.wantContentType)
			}
			if got := req.Header.Get("User-Agent"); got != "ua/1" {
				t.Errorf("User-Agent = %q, want ua/1", got)
			}
			var body string
			if req.Body != nil {
				b, _ := io.ReadAll(req.Body)
				body = string(b)
				if req.GetBody == nil {
					t.Error("GetBody is nil, so the body cannot be resent after a redirect or 429")
				}
			}
			if body != tc.wantBody {
				t.Errorf("body = %q, want %q", body, tc.wantBody)
			}
		})
	}
}

func TestNewRequestRejectsTwoBodies(t *testing.T) {
	c := &Client{HTTP: http.DefaultClient, BaseURL: mustParse(t, "https://api.x.com")}
	_, err := c.NewRequest(context.Background(), Call{Method: "POST", Path: "/x", JSON: 1, Form: url.Values{}})
	if err == nil {
		t.Fatal("NewRequest accepted a JSON and a form body")
	}
}

func TestDoBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			io.WriteString(w, `{"data":1}`)
		case "/big":
			io.WriteString(w, strings.Repeat("x", 100))
		case "/big-error":
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, strings.Repeat("<html>", 100))
		}
	}))
	defer srv.Close()
	c := &Client{HTTP: srv.Client(), BaseURL: mustParse(t, srv.URL), MaxBody: 50}
	ctx := context.Background()

	resp, err := c.Do(ctx, Call{Method: "GET", Path: "/ok"})
	if err != nil || string(resp.Body) != `{"data":1}` {
		t.Errorf("Do(/ok) = %q, %v; want the body", resp.Body, err)
	}

	_, err = c.Do(ctx, Call{Method: "GET", Path: "/big"})
	if err == nil || !strings.Contains(err.Error(), "exceeds 50 bytes") {
		t.Errorf("Do(/big) error = %v, want a size error", err)
	}

	_, err = c.Do(ctx, Call{Method: "GET", Path: "/big-error"})
	var apiErr *xactivity.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadGateway {
		t.Fatalf("Do(/big-error) error = %v, want an APIError with status 502", err)
	}
	if !strings.Contains(apiErr.Detail, "50 bytes") {
		t.Errorf("Detail = %q, want the read capped at 50 bytes", apiErr.Detail)
	}
}

// closedAddr returns the address of a loopback listener that has been
// closed, so connecting to it fails at once.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestDoRequestErrors(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	localLimit := roundTrip(func(*http.Request) (*http.Response, error) {
		return nil, &ratelimit.Error{Local: true, Endpoint: "POST /2/dm_conversations"}
	})
	timeoutClient := &http.Client{Timeout: 50 * time.Millisecond}

	tests := []struct {
		name          string
		client        *http.Client
		base          string
		ctx           context.Context
		method        string
		wantNotSent   bool
		wantCanceled  bool
		wantRetryable bool
	}{
		{"connection refused POST", http.DefaultClient, "http://" + closedAddr(t), context.Background(), "POST", true, false, true},
		{"timeout after sending POST", timeoutClient, srv.URL, context.Background(), "POST", false, false, false},
		{"timeout after sending GET", timeoutClient, srv.URL, context.Background(), "GET", false, false, true},
		{"caller canceled GET", http.DefaultClient, srv.URL, canceled, "GET", false, true, false},
		{"local rate limit POST", &http.Client{Transport: localLimit}, srv.URL, context.Background(), "POST", true, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{HTTP: tc.client, BaseURL: mustParse(t, tc.base)}
			_, err := c.Do(tc.ctx, Call{Method: tc.method, Path: "/2/dm_conversations"})
			var reqErr *xactivity.RequestError
			if !errors.As(err, &reqErr) {
				t.Fatalf("Do error = %v (%T), want *xactivity.RequestError", err, err)
			}
			if reqErr.NotSent != tc.wantNotSent {
				t.Errorf("NotSent = %v, want %v (cause %v)", reqErr.NotSent, tc.wantNotSent, reqErr.Err)
			}
			if reqErr.Canceled != tc.wantCanceled {
				t.Errorf("Canceled = %v, want %v", reqErr.Canceled, tc.wantCanceled)
			}
			if got := xactivity.IsRetryable(err); got != tc.wantRetryable {
				t.Errorf("IsRetryable = %v, want %v", got, tc.wantRetryable)
			}
			if strings.Contains(err.Error(), tc.base) {
				t.Errorf("error %q contains the full URL", err)
			}
		})
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
