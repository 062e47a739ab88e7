package xtest

import (
	"io"
	"net/http"
	"testing"
)

// startServer starts a server with opts, registers one app and one user,
// and closes the server when the test ends.
func startServer(t *testing.T, opts ...Option) (*Server, App, User) {
	t.Helper()
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	app, user := addAppUser(t, s)
	return s, app, user
}

// addAppUser registers a generated app and a user with an id beyond 2^53.
func addAppUser(t *testing.T, s *Server) (App, User) {
	t.Helper()
	app, err := s.AddApp(App{})
	if err != nil {
		t.Fatalf("AddApp: %v", err)
	}
	user, err := s.AddUser(app.ID, User{ID: "9007199254740993", Username: "big_id", Name: "Big Id"})
	if err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	return app, user
}

// do sends req with client and returns the status and body.
func do(t *testing.T, client *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %s %s: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, string(body)
}

// get sends a GET to url with client and returns the status and body.
func get(t *testing.T, client *http.Client, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, client, req)
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// fixedNoncer returns the same nonce for every request.
type fixedNoncer string

func (n fixedNoncer) Nonce() string { return string(n) }
