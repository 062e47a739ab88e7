package xtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// newFakeClock returns a clock at the current time, so that the OAuth
// timestamps of signed requests start inside the server's window.
func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Now().Truncate(time.Second)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// dmFixture is a started server on a fake clock with one app and three of
// its users.
type dmFixture struct {
	t                 *testing.T
	srv               *Server
	clock             *fakeClock
	app               App
	alice, bob, carol User
}

// newDMFixture starts a server with opts on a fake clock. The OAuth
// timestamp window is a year wide, because signed requests carry the real
// time while tests move the server's clock forward by days.
func newDMFixture(t *testing.T, opts ...Option) *dmFixture {
	t.Helper()
	clock := newFakeClock()
	opts = append([]Option{WithClock(clock.Now), WithTimestampWindow(365 * 24 * time.Hour)}, opts...)
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	app, err := s.AddApp(App{})
	if err != nil {
		t.Fatalf("AddApp: %v", err)
	}
	f := &dmFixture{t: t, srv: s, clock: clock, app: app}
	f.alice = f.addUser(User{ID: "9007199254740993", Username: "alice"})
	f.bob = f.addUser(User{ID: "1600000000000000042", Username: "bob"})
	f.carol = f.addUser(User{ID: "987654321", Username: "carol"})
	return f
}

func (f *dmFixture) addUser(u User) User {
	f.t.Helper()
	u, err := f.srv.AddUser(f.app.ID, u)
	if err != nil {
		f.t.Fatalf("AddUser: %v", err)
	}
	return u
}

// client returns a client signing as u whose v2 DM responses are checked
// against X's OpenAPI description.
func (f *dmFixture) client(u User) *http.Client {
	c := f.srv.Client(f.app, u)
	c.Transport = specCheck{t: f.t, next: c.Transport}
	return c
}

// response is a received HTTP response.
type response struct {
	status int
	header http.Header
	body   string
}

// decode decodes the body into v, failing the test when it is not JSON.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// call sends a request as u with a JSON body, or none when body is empty.
func (f *dmFixture) call(u User, method, path, body string) response {
	f.t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL()+path, reader)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return f.do(u, req)
}

// form sends a request as u with a form body.
func (f *dmFixture) form(u User, method, path string, form url.Values) response {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL()+path, strings.NewReader(form.Encode()))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return f.do(u, req)
}

func (f *dmFixture) do(u User, req *http.Request) response {
	f.t.Helper()
	resp, err := f.client(u).Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("read body of %s %s: %v", req.Method, req.URL.Path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// sendV2 sends text from one user to another with the v2 API and returns
// the new event's id, failing the test unless the status is 201.
func (f *dmFixture) sendV2(from, to User, text string) string {
	f.t.Helper()
	body, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		f.t.Fatal(err)
	}
	resp := f.call(from, "POST", "/2/dm_conversations/with/"+to.ID+"/messages", string(body))
	if resp.status != http.StatusCreated {
		f.t.Fatalf("v2 send: status %d, body %s, want 201", resp.status, resp.body)
	}
	var got struct {
		Data v2Sent `json:"data"`
	}
	resp.decode(f.t, &got)
	return got.Data.EventID
}

// sendV11 sends text from one user to another with the v1.1 API and returns
// the new event's id, failing the test unless the status is 200.
func (f *dmFixture) sendV11(from, to User, text string) string {
	f.t.Helper()
	resp := f.call(from, "POST", "/1.1/direct_messages/events/new.json", v11Body(to.ID, text))
	if resp.status != http.StatusOK {
		f.t.Fatalf("v1.1 send: status %d, body %s, want 200", resp.status, resp.body)
	}
	var got v1EventResponse
	resp.decode(f.t, &got)
	return got.Event.ID
}

// v11Body returns a v1.1 message_create body with a text.
func v11Body(recipientID, text string) string {
	body, err := json.Marshal(map[string]any{"event": map[string]any{
		"type": "message_create",
		"message_create": map[string]any{
			"target":       map[string]string{"recipient_id": recipientID},
			"message_data": map[string]string{"text": text},
		},
	}})
	if err != nil {
		panic(err)
	}
	return string(body)
}

// v2Problem is a decoded v2 problem JSON.
type v2Problem struct {
	Errors []struct {
		Parameters map[string][]string `json:"parameters"`
		Message    string              `json:"message"`
	} `json:"errors"`
	Title        string `json:"title"`
	Detail       string `json:"detail"`
	Type         string `json:"type"`
	Status       int    `json:"status"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	Parameter    string `json:"parameter"`
}

// v1ErrorBody returns the v1.1 error body for code and message.
func v1ErrorBody(code int, message string) string {
	body, err := json.Marshal(v1Errors{Errors: []v1Error{{Code: code, Message: message}}})
	if err != nil {
		panic(err)
	}
	return string(body)
}

// blankProblem returns the about:blank problem body for status and detail.
func blankProblem(status int, detail string) string {
	body, err := json.Marshal(problem{Title: http.StatusText(status), Type: "about:blank", Status: status, Detail: detail})
	if err != nil {
		panic(err)
	}
	return string(body)
}
