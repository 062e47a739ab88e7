package xtest

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRequestsRecorded(t *testing.T) {
	s, app, user := startServer(t)
	client := s.Client(app, user)
	get(t, client, s.URL()+"/2/users/me?user.fields=id")
	req, err := http.NewRequest("POST", s.URL()+"/2/dm_conversations/with/1/messages", strings.NewReader(`{"text":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	do(t, client, req)

	got := s.Requests()
	if len(got) != 2 {
		t.Fatalf("recorded %d requests, want 2", len(got))
	}
	first, second := got[0], got[1]
	if first.Method != "GET" || first.Path != "/2/users/me" {
		t.Errorf("first request = %s %s, want GET /2/users/me", first.Method, first.Path)
	}
	if diff := cmp.Diff(url.Values{"user.fields": {"id"}}, first.Query); diff != "" {
		t.Errorf("first query (-want +got):\n%s", diff)
	}
	if first.AuthError != "" {
		t.Errorf("first AuthError = %q, want empty", first.AuthError)
	}
	if second.Method != "POST" || second.Path != "/2/dm_conversations/with/1/messages" {
		t.Errorf("second request = %s %s, want POST /2/dm_conversations/with/1/messages", second.Method, second.Path)
	}
	if !bytes.Equal(second.Body, []byte(`{"text":"hi"}`)) {
		t.Errorf("second body = %q, want %q", second.Body, `{"text":"hi"}`)
	}
	if got := second.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("second Content-Type = %q, want application/json", got)
	}
}

func TestRequestsRedactSignature(t *testing.T) {
	s, app, user := startServer(t)
	get(t, s.Client(app, user), s.URL()+"/2/users/me")
	auth := s.Requests()[0].Header.Get("Authorization")
	params, err := parseAuthorization(auth)
	if err != nil {
		t.Fatalf("recorded Authorization %q: %v", auth, err)
	}
	if got := params["oauth_signature"]; got != redacted {
		t.Errorf("recorded oauth_signature = %q, want %q", got, redacted)
	}
	if got := params["oauth_consumer_key"]; got != app.ConsumerKey {
		t.Errorf("recorded oauth_consumer_key = %q, want %q", got, app.ConsumerKey)
	}
	if got := params["oauth_token"]; got != user.Token {
		t.Errorf("recorded oauth_token = %q, want %q", got, user.Token)
	}
}

func TestRedactHeader(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"bearer", "Bearer AAAA-secret", "Bearer REDACTED"},
		{"malformed oauth", `OAuth oauth_signature="abc`, "OAuth REDACTED"},
		{"oauth", `OAuth oauth_nonce="n", oauth_signature="abc%3D"`, `OAuth oauth_nonce="n", oauth_signature="REDACTED"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Authorization": {tt.in}}
			got := redactHeader(h).Get("Authorization")
			if got != tt.want {
				t.Errorf("redacted Authorization = %q, want %q", got, tt.want)
			}
			if h.Get("Authorization") != tt.in {
				t.Errorf("redactHeader changed its input to %q", h.Get("Authorization"))
			}
		})
	}
}

func TestRequestsReturnsCopies(t *testing.T) {
	s, app, user := startServer(t)
	get(t, s.Client(app, user), s.URL()+"/2/users/me?a=1")
	first := s.Requests()
	first[0].Query.Set("a", "changed")
	first[0].Header.Set("X-Changed", "1")
	again := s.Requests()
	if got := again[0].Query.Get("a"); got != "1" {
		t.Errorf("query after caller change = %q, want 1", got)
	}
	if got := again[0].Header.Get("X-Changed"); got != "" {
		t.Errorf("header after caller change = %q, want empty", got)
	}
}

func TestRequestLogBounded(t *testing.T) {
	var l requestLog
	for i := range 2*maxRecorded + 5 {
		l.add(&Request{Path: "/" + string(rune('a'+i%26))})
	}
	got := l.list()
	if len(got) != maxRecorded {
		t.Errorf("list holds %d requests, want %d", len(got), maxRecorded)
	}
	if len(l.requests) >= 2*maxRecorded {
		t.Errorf("log keeps %d requests, want fewer than %d", len(l.requests), 2*maxRecorded)
	}
	last := 2*maxRecorded + 4
	if want := "/" + string(rune('a'+last%26)); got[len(got)-1].Path != want {
		t.Errorf("newest path = %q, want %q", got[len(got)-1].Path, want)
	}
}
