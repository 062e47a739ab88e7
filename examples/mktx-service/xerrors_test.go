package main

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// TestConnectAccountXFailures points the service at a stand-in X API that
// fails in the ways X does, and checks the answer the merchant gets.
func TestConnectAccountXFailures(t *testing.T) {
	reset := time.Now().Add(90 * time.Second).Unix()
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		status     int
		code       string
		retryAfter bool
	}{
		{"rate limited", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("x-rate-limit-reset", strconv.FormatInt(reset, 10))
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"title":"Too Many Requests","type":"about:blank","status":429}`))
		}, http.StatusTooManyRequests, "x_rate_limited", true},
		{"forbidden", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
		}, http.StatusBadRequest, "invalid_oauth_token", false},
		{"server error", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}, http.StatusBadGateway, "x_unavailable", false},
		{"malformed answer", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"data":{"id":12.5}}`))
		}, http.StatusBadGateway, "x_unavailable", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			x := httptest.NewServer(tt.handler)
			defer x.Close()
			h.srv.x.baseURL = x.URL
			r := h.do(http.MethodPost, apiBase+"/accounts", h.token("m1"), map[string]string{"oauthToken": "t", "oauthTokenSecret": "s"})
			if r.Status != tt.status || r.Error.Code != tt.code {
				t.Errorf("status %d code %q, want %d %q", r.Status, r.Error.Code, tt.status, tt.code)
			}
			if got := r.Header.Get("Retry-After"); tt.retryAfter {
				secs, err := strconv.Atoi(got)
				if err != nil || secs < 80 || secs > 91 {
					t.Errorf("Retry-After = %q, want about 90", got)
				}
			}
		})
	}
}

func TestConnectAccountXTimeout(t *testing.T) {
	h := newHarness(t)
	block := make(chan struct{})
	x := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer x.Close()
	defer close(block)
	h.srv.x.baseURL = x.URL
	h.srv.x.timeout = 50 * time.Millisecond
	r := h.do(http.MethodPost, apiBase+"/accounts", h.token("m1"), map[string]string{"oauthToken": "t", "oauthTokenSecret": "s"})
	if r.Status != http.StatusBadGateway {
		t.Errorf("status %d, want 502 on a timeout", r.Status)
	}
}

func TestInvalidCursorIs400(t *testing.T) {
	h := newHarness(t)
	r := h.do(http.MethodGet, apiBase+"/conversations?cursor=%21%21not-a-cursor", h.token("m1"), nil)
	if r.Status != http.StatusBadRequest {
		t.Errorf("status %d, want 400", r.Status)
	}
}
