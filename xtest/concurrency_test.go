package xtest

import (
	"fmt"
	"net/http"
	"strings"
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

// TestConcurrentDMs sends, lists and inspects DMs from several users at
// once through both API generations; run it with -race.
func TestConcurrentDMs(t *testing.T) {
	const senders, perSender = 6, 8
	f := newDMFixture(t)
	users := make([]User, senders)
	for i := range users {
		users[i] = f.addUser(User{})
	}
	var wg sync.WaitGroup
	errs := make(chan error, senders*perSender*2)
	for i, user := range users {
		to := users[(i+1)%senders]
		wg.Go(func() {
			client := f.srv.Client(f.app, user)
			for j := range perSender {
				path, body, want := "/2/dm_conversations/with/"+to.ID+"/messages", `{"text":"v2"}`, http.StatusCreated
				if j%2 == 1 {
					path, body, want = "/1.1/direct_messages/events/new.json", v11Body(to.ID, "v1.1"), http.StatusOK
				}
				resp, err := client.Post(f.srv.URL()+path, "application/json", strings.NewReader(body))
				if err != nil {
					errs <- err
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != want {
					errs <- fmt.Errorf("user %d send %d: status %d, want %d", i, j, resp.StatusCode, want)
				}
			}
		})
		wg.Go(func() {
			client := f.srv.Client(f.app, user)
			for range perSender {
				resp, err := client.Get(f.srv.URL() + "/2/dm_events?max_results=3")
				if err != nil {
					errs <- err
					continue
				}
				resp.Body.Close()
				f.srv.SentDMs()
				f.srv.Indicators()
			}
		})
	}
	wg.Go(func() { f.srv.SetLimits(GroupDMRead, Limits{PerUser15m: 1000}) })
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	sent := f.srv.SentDMs()
	if len(sent) != senders*perSender {
		t.Fatalf("recorded %d DMs, want %d", len(sent), senders*perSender)
	}
	for i := 1; i < len(sent); i++ {
		if !lessID(sent[i-1].EventID, sent[i].EventID) {
			t.Errorf("event ids %s and %s are not increasing in record order", sent[i-1].EventID, sent[i].EventID)
		}
	}
}
