package xtest

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentUse runs signed requests, registrations and reads of the
// request log at the same time; run it with -race.
func TestConcurrentUse(t *testing.T) {
	const clients, perClient = 8, 10
	s := NewServer()
	defer s.Close()
	app, err := s.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	users := make([]User, clients)
	for i := range users {
		if users[i], err = s.AddUser(app.ID, User{}); err != nil {
			t.Fatal(err)
		}
	}

	var wg sync.WaitGroup
	errs := make(chan error, clients*perClient+clients)
	for i, user := range users {
		wg.Go(func() {
			client := s.Client(app, user)
			for j := range perClient {
				path := []string{"/2/users/me", "/1.1/account/verify_credentials.json"}[j%2]
				resp, err := client.Get(fmt.Sprintf("%s%s?client=%d&n=%d", s.URL(), path, i, j))
				if err != nil {
					errs <- err
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("client %d request %d: status %d", i, j, resp.StatusCode)
				}
			}
		})
		wg.Go(func() {
			if _, err := s.AddUser(app.ID, User{}); err != nil {
				errs <- err
			}
			s.Requests()
			s.User(app.ID, user.ID)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := len(s.Requests()), clients*perClient; got != want {
		t.Errorf("recorded %d requests, want %d", got, want)
	}
}
