package xtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestVerifyCredentialsIDExact(t *testing.T) {
	s := NewServer()
	defer s.Close()
	app, err := s.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	user, err := s.AddUser(app.ID, User{ID: "18446744073709551615"})
	if err != nil {
		t.Fatal(err)
	}
	status, body := get(t, s.Client(app, user), s.URL()+"/1.1/account/verify_credentials.json")
	if status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", status, body)
	}
	var got struct {
		ID    json.Number `json:"id"`
		IDStr string      `json:"id_str"`
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if string(got.ID) != user.ID || got.IDStr != user.ID {
		t.Errorf("id = %s, id_str = %s, want both %s", got.ID, got.IDStr, user.ID)
	}
}

func TestUnknownRoutes(t *testing.T) {
	s, app, user := startServer(t)
	tests := []struct {
		name, method, path, want, contentType string
	}{
		{"v2 path", "GET", "/2/tweets/search/recent",
			`{"title":"Not Found","type":"about:blank","status":404,"detail":"Not Found"}`, "application/problem+json"},
		{"root", "GET", "/",
			`{"title":"Not Found","type":"about:blank","status":404,"detail":"Not Found"}`, "application/problem+json"},
		{"wrong method", "POST", "/2/users/me",
			`{"title":"Not Found","type":"about:blank","status":404,"detail":"Not Found"}`, "application/problem+json"},
		{"v1.1 path", "GET", "/1.1/statuses/home_timeline.json",
			`{"errors":[{"code":34,"message":"Sorry, that page does not exist."}]}`, "application/json; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, s.URL()+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := s.Client(app, user).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			body.ReadFrom(resp.Body)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("status = %d, want 404", resp.StatusCode)
			}
			if body.String() != tt.want {
				t.Errorf("body = %s, want %s", body.String(), tt.want)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
		})
	}
}

func TestDateHeaderFromClock(t *testing.T) {
	clock := time.Date(2024, 2, 29, 12, 30, 0, 0, time.FixedZone("CET", 3600))
	s := NewServer(WithClock(func() time.Time { return clock }))
	defer s.Close()
	resp, err := http.Get(s.URL() + "/2/users/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.Header.Get("Date"), "Thu, 29 Feb 2024 11:30:00 GMT"; got != want {
		t.Errorf("Date = %q, want %q", got, want)
	}
}

func TestBodyTooLarge(t *testing.T) {
	s, _, _ := startServer(t)
	body := bytes.Repeat([]byte("a"), maxBodyBytes+1)
	resp, err := http.Post(s.URL()+"/2/dm_conversations", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", resp.StatusCode)
	}
	if got := len(s.Requests()[0].Body); got != maxBodyBytes {
		t.Errorf("recorded body length = %d, want %d", got, maxBodyBytes)
	}
}
