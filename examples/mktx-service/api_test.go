package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestAPIBodyOverLimit sends each JSON route of the API a body one byte
// over maxRequestBytes.
func TestAPIBodyOverLimit(t *testing.T) {
	h := newHarness(t)
	routes := []struct{ method, path string }{
		{http.MethodPost, apiBase + "/accounts"},
		{http.MethodPost, apiBase + "/campaigns"},
		{http.MethodPost, apiBase + "/conversations/1/messages"},
	}
	prefix, suffix := `{"content":"`, `"}`
	body := prefix + strings.Repeat("a", maxRequestBytes+1-len(prefix)-len(suffix)) + suffix
	for _, route := range routes {
		t.Run(route.path, func(t *testing.T) {
			req, err := http.NewRequest(route.method, h.http.URL+route.path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+h.token("m1"))
			r := h.send(req)
			if r.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413: %s", r.Status, r.Raw)
			}
			if r.Error.Code != "payload_too_large" {
				t.Errorf("code %q, want payload_too_large", r.Error.Code)
			}
			if want := fmt.Sprintf("larger than %d bytes", maxRequestBytes); !strings.Contains(r.Error.Message, want) {
				t.Errorf("message %q lacks %q", r.Error.Message, want)
			}
		})
	}
}

// TestAPIBodyAtLimit checks that a body of exactly maxRequestBytes is
// decoded, so that only a larger one gets 413.
func TestAPIBodyAtLimit(t *testing.T) {
	h := newHarness(t)
	prefix, suffix := `{"oauthToken":"`, `","oauthTokenSecret":""}`
	body := prefix + strings.Repeat("a", maxRequestBytes-len(prefix)-len(suffix)) + suffix
	req, err := http.NewRequest(http.MethodPost, h.http.URL+apiBase+"/accounts", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token("m1"))
	r := h.send(req)
	if r.Status != http.StatusBadRequest || r.Error.Code != "invalid_request" {
		t.Errorf("status %d code %q, want 400 invalid_request for the empty secret: %s", r.Status, r.Error.Code, r.Raw)
	}
	if !strings.Contains(r.Error.Message, "oauthTokenSecret") {
		t.Errorf("message %q, want the missing oauthTokenSecret", r.Error.Message)
	}
}
