package xtest

import (
	"net/http"
	"testing"
)

func TestUsersMeMatchesOpenAPI(t *testing.T) {
	s, app, user := startServer(t)
	checked := func(c *http.Client) *http.Client {
		c.Transport = specCheck{t: t, next: c.Transport, paths: []string{"/2/users/me"}}
		return c
	}
	if status, body := get(t, checked(s.Client(app, user)), s.URL()+"/2/users/me"); status != http.StatusOK {
		t.Errorf("signed request: status %d: %s", status, body)
	}
	bad := user
	bad.TokenSecret = "not-the-token-secret"
	if status, body := get(t, checked(s.Client(app, bad)), s.URL()+"/2/users/me"); status != http.StatusUnauthorized {
		t.Errorf("wrong token secret: status %d: %s", status, body)
	}
	if status, body := get(t, checked(&http.Client{Transport: http.DefaultTransport}), s.URL()+"/2/users/me"); status != http.StatusUnauthorized {
		t.Errorf("unsigned request: status %d: %s", status, body)
	}
}
