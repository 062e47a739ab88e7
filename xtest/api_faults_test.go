package xtest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/dm"
	"github.com/goodgo/xactivity/ratelimit"
)

// dmClientFixture is a dm.Client of alice against f's server, with rt, when
// set, wrapped around the signing transport.
func (f *dmFixture) dmClient(wrap func(http.RoundTripper) http.RoundTripper) *dm.Client {
	f.t.Helper()
	httpClient := f.client(f.alice)
	if wrap != nil {
		httpClient.Transport = wrap(httpClient.Transport)
	}
	client, err := dm.NewClient(httpClient, dm.WithBaseURL(f.srv.URL()))
	if err != nil {
		f.t.Fatal(err)
	}
	return client
}

func TestFailNextRateLimitSeenByDMClient(t *testing.T) {
	tests := []struct {
		name      string
		inject    func(s *Server)
		wantLimit int
	}{
		{"route", func(s *Server) {
			s.FailNext("POST /2/dm_conversations/with/{participant_id}/messages", http.StatusTooManyRequests)
		}, 15},
		{"group", func(s *Server) { s.FailNextGroup(GroupDMSend, http.StatusTooManyRequests) }, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDMFixture(t)
			tt.inject(f.srv)
			client := f.dmClient(nil)
			ctx := context.Background()

			_, err := client.SendToParticipant(ctx, f.bob.ID, dm.Message{Text: "limited"})
			var rl *ratelimit.Error
			if !errors.As(err, &rl) {
				t.Fatalf("send error = %v, want a *ratelimit.Error", err)
			}
			wantReset := f.clock.Now().Add(15 * time.Minute)
			if rl.StatusCode != http.StatusTooManyRequests || rl.Local || !rl.Reset.Equal(wantReset) {
				t.Errorf("ratelimit.Error = %+v, want a 429 from X resetting at %v", rl, wantReset)
			}
			if w := rl.Rate.Window; w == nil || w.Limit != tt.wantLimit || w.Remaining != 0 {
				t.Errorf("Rate.Window = %+v, want limit %d with 0 remaining", w, tt.wantLimit)
			}
			if !xactivity.IsRetryable(err) || xactivity.IsPermanent(err) {
				t.Errorf("error %v, want retryable", err)
			}
			if n := len(f.srv.SentDMs()); n != 0 {
				t.Errorf("SentDMs has %d DMs after the 429, want 0", n)
			}
			if _, err := client.SendToParticipant(ctx, f.bob.ID, dm.Message{Text: "again"}); err != nil {
				t.Errorf("send after the injected 429: %v", err)
			}
		})
	}
}

func TestFailNextRateLimitLearnedByTransport(t *testing.T) {
	f := newDMFixture(t)
	client := f.dmClient(func(base http.RoundTripper) http.RoundTripper {
		return &ratelimit.Transport{Base: base, FailFast: true, Clock: rateClock(f.clock.Now)}
	})
	f.srv.FailNext("POST /2/dm_conversations/with/{participant_id}/messages", http.StatusTooManyRequests)
	ctx := context.Background()

	for i, wantLocal := range []bool{false, true} {
		_, err := client.SendToParticipant(ctx, f.bob.ID, dm.Message{Text: "limited"})
		var rl *ratelimit.Error
		if !errors.As(err, &rl) {
			t.Fatalf("send %d error = %v, want a *ratelimit.Error", i+1, err)
		}
		if rl.Local != wantLocal {
			t.Errorf("send %d: Local = %v, want %v", i+1, rl.Local, wantLocal)
		}
	}
	if n := len(f.srv.Requests()); n != 1 {
		t.Errorf("server got %d requests, want 1: the transport held back the second send", n)
	}
}

// rateClock adapts a function to ratelimit.Clock.
type rateClock func() time.Time

func (c rateClock) Now() time.Time { return c() }

func (c rateClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return ctx.Err()
	}
}

func TestFailNextServerErrors(t *testing.T) {
	tests := []struct {
		name, method, path string
		status             int
		wantBody           string
		wantType           string
	}{
		{"v2 503", "GET", "/2/users/me", 503,
			`{"title":"Service Unavailable","type":"about:blank","status":503,"detail":"Service Unavailable"}`,
			"application/problem+json"},
		{"v2 500", "GET", "/2/users/me", 500,
			`{"title":"Internal Server Error","type":"about:blank","status":500,"detail":"Internal Server Error"}`,
			"application/problem+json"},
		{"v1.1 503", "GET", "/1.1/account/verify_credentials.json", 503,
			`{"errors":[{"code":130,"message":"Over capacity"}]}`, "application/json; charset=utf-8"},
		{"v1.1 502", "GET", "/1.1/account/verify_credentials.json", 502,
			`{"errors":[{"code":131,"message":"Internal error"}]}`, "application/json; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDMFixture(t)
			f.srv.FailNext(tt.path, tt.status)
			resp := f.call(f.alice, tt.method, tt.path, "")
			if resp.status != tt.status || resp.body != tt.wantBody {
				t.Errorf("response = %d %s, want %d %s", resp.status, resp.body, tt.status, tt.wantBody)
			}
			if got := resp.header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if got := resp.header.Get("x-rate-limit-reset"); got != "" {
				t.Errorf("x-rate-limit-reset = %q on a %d, want none", got, tt.status)
			}
			reqs := f.srv.Requests()
			if len(reqs) != 1 || reqs[0].Path != tt.path {
				t.Errorf("Requests = %+v, want the failed request recorded", reqs)
			}
			if resp := f.call(f.alice, tt.method, tt.path, ""); resp.status != http.StatusOK {
				t.Errorf("next request = %d %s, want 200", resp.status, resp.body)
			}
		})
	}
}

func TestFailNextMatching(t *testing.T) {
	f := newDMFixture(t)
	f.srv.FailNext("POST /2/users/me", 500)      // wrong method: never matches a GET
	f.srv.FailNext("/1.1/", 503)                 // every v1.1 endpoint
	f.srv.FailNext("GET /2/dm_events/{id}", 500) // one segment
	steps := []struct {
		path       string
		wantStatus int
	}{
		{"/2/users/me", 200},
		{"/2/dm_events", 200},
		{"/1.1/account/verify_credentials.json", 503},
		{"/1.1/account/verify_credentials.json", 200},
		{"/2/dm_events/123", 500},
		{"/2/dm_events/123", 200}, // X's not-found error in a 200 body
	}
	for _, step := range steps {
		if resp := f.call(f.alice, "GET", step.path, ""); resp.status != step.wantStatus {
			t.Errorf("GET %s = %d %s, want %d", step.path, resp.status, resp.body, step.wantStatus)
		}
	}
}

func TestFailNextBeforeAuthentication(t *testing.T) {
	f := newDMFixture(t)
	f.srv.FailNext("/2/users/me", 503)
	resp, err := http.Get(f.srv.URL() + "/2/users/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("unsigned request = %d, want the injected 503", resp.StatusCode)
	}
}

func TestFailNextGroupAfterAuthentication(t *testing.T) {
	f := newDMFixture(t)
	f.srv.FailNextGroup(GroupDMRead, 503)
	resp, err := http.Get(f.srv.URL() + "/2/dm_events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned request = %d, want 401 before the injected failure", resp.StatusCode)
	}
	if got := f.call(f.alice, "GET", "/2/dm_events", ""); got.status != 503 {
		t.Errorf("signed request = %d %s, want the injected 503", got.status, got.body)
	}
	if got := f.call(f.alice, "GET", "/2/dm_events", ""); got.header.Get("x-rate-limit-remaining") != "999" {
		t.Errorf("x-rate-limit-remaining = %q, want 999: the injected failure does not count",
			got.header.Get("x-rate-limit-remaining"))
	}
}

func TestFailNext429ResetModes(t *testing.T) {
	tests := []struct {
		mode      ResetMode
		wantReset func(now time.Time) string
	}{
		{ResetAccurate, func(now time.Time) string { return strconv.FormatInt(now.Add(15*time.Minute).Unix(), 10) }},
		{ResetOmitted, func(time.Time) string { return "" }},
		{ResetInPast, func(now time.Time) string { return strconv.FormatInt(now.Add(-time.Minute).Unix(), 10) }},
	}
	for _, tt := range tests {
		f := newDMFixture(t, With429Reset(tt.mode))
		f.srv.FailNext("/1.1/", 429)
		resp := f.call(f.alice, "GET", "/1.1/account/verify_credentials.json", "")
		if resp.status != 429 || !strings.Contains(resp.body, `"code":88`) {
			t.Errorf("mode %d: response = %d %s, want 429 with code 88", tt.mode, resp.status, resp.body)
		}
		if got, want := resp.header.Get("x-rate-limit-reset"), tt.wantReset(f.clock.Now()); got != want {
			t.Errorf("mode %d: x-rate-limit-reset = %q, want %q", tt.mode, got, want)
		}
	}
}

func TestFailNextPanics(t *testing.T) {
	s := New()
	for name, call := range map[string]func(){
		"status 404":      func() { s.FailNext("/2/users/me", 404) },
		"status 200":      func() { s.FailNextGroup(GroupDMSend, 200) },
		"invalid pattern": func() { s.FailNext("/2/dm_events/{id", 500) },
		"unknown group":   func() { s.FailNextGroup("dm", 500) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			call()
		})
	}
}

func TestClockSkewRejectsSignedRequest(t *testing.T) {
	tests := []struct {
		name       string
		skew       time.Duration
		path       string
		wantStatus int
		wantBody   string
	}{
		{"ahead v2", 6 * time.Minute, "/2/users/me", 401, `"Unauthorized"`},
		{"behind v1.1", -6 * time.Minute, "/1.1/account/verify_credentials.json", 401, `"code":135`},
		{"within window", 4 * time.Minute, "/2/users/me", 200, `"username"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, app, user := startServer(t)
			s.SetClockSkew(tt.skew)
			before := time.Now()
			status, body, header := getWithHeader(t, s.Client(app, user), s.URL()+tt.path)
			if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("response = %d %s, want %d with %s", status, body, tt.wantStatus, tt.wantBody)
			}
			if tt.wantStatus == 401 {
				reqs := s.Requests()
				if got := reqs[len(reqs)-1].AuthError; !strings.Contains(got, "oauth_timestamp") {
					t.Errorf("AuthError = %q, want the timestamp window named", got)
				}
			}
			date, err := http.ParseTime(header.Get("Date"))
			if err != nil {
				t.Fatalf("Date header %q: %v", header.Get("Date"), err)
			}
			want := before.Add(tt.skew).Truncate(time.Second)
			if d := date.Sub(want); d < 0 || d > 5*time.Second {
				t.Errorf("Date = %v, want about %v", date, want)
			}
		})
	}
}

func TestWithClockSkew(t *testing.T) {
	s, app, user := startServer(t, WithClockSkew(-10*time.Minute))
	if status, body, _ := getWithHeader(t, s.Client(app, user), s.URL()+"/2/users/me"); status != 401 {
		t.Errorf("response = %d %s, want 401", status, body)
	}
	s.SetClockSkew(0)
	if status, body, _ := getWithHeader(t, s.Client(app, user), s.URL()+"/2/users/me"); status != 200 {
		t.Errorf("response after SetClockSkew(0) = %d %s, want 200", status, body)
	}
}

// getWithHeader sends a GET and returns the status, body and header.
func getWithHeader(t *testing.T, client *http.Client, rawURL string) (int, string, http.Header) {
	t.Helper()
	resp, err := client.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

func TestRequestsRedactFormSignature(t *testing.T) {
	s, app, _ := startServer(t)
	form := url.Values{
		"oauth_consumer_key": {app.ConsumerKey}, "oauth_signature": {"c2lnbmF0dXJl"},
		"oauth_signature_method": {"HMAC-SHA1"}, "recipient_id": {"12"},
	}
	resp, err := http.PostForm(s.URL()+"/1.1/direct_messages/indicate_typing.json", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got, err := url.ParseQuery(string(s.Requests()[0].Body))
	if err != nil {
		t.Fatalf("recorded body: %v", err)
	}
	if got.Get("oauth_signature") != redacted || got.Get("recipient_id") != "12" ||
		got.Get("oauth_consumer_key") != app.ConsumerKey {
		t.Errorf("recorded form = %v, want the signature redacted and the rest kept", got)
	}
}

func TestRedactForm(t *testing.T) {
	tests := []struct {
		name, contentType, in, want string
	}{
		{"form", "application/x-www-form-urlencoded", "a=1&oauth_signature=abc%3D&b=2", "a=1&oauth_signature=REDACTED&b=2"},
		{"escaped name", "application/x-www-form-urlencoded; charset=utf-8", "oauth%5Fsignature=abc", "oauth%5Fsignature=REDACTED"},
		{"no value", "application/x-www-form-urlencoded", "oauth_signature", "oauth_signature=REDACTED"},
		{"repeated", "application/x-www-form-urlencoded", "oauth_signature=a&oauth_signature=b", "oauth_signature=REDACTED&oauth_signature=REDACTED"},
		{"no signature", "application/x-www-form-urlencoded", "a=1&b=%zz", "a=1&b=%zz"},
		{"json", "application/json", `{"oauth_signature":"abc"}`, `{"oauth_signature":"abc"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			if got := string(redactForm(tt.contentType, in)); got != tt.want {
				t.Errorf("redactForm = %q, want %q", got, tt.want)
			}
			if string(in) != tt.in {
				t.Errorf("redactForm changed its input to %q", in)
			}
		})
	}
}

func FuzzRedactForm(f *testing.F) {
	for _, seed := range []string{"a=1&oauth_signature=abc%3D", "oauth%5Fsignature=x&&=", "%zz=1&oauth_signature"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got := redactForm("application/x-www-form-urlencoded", []byte(body))
		want, wantErr := url.ParseQuery(body)
		parsed, err := url.ParseQuery(string(got))
		if err != nil && wantErr == nil {
			t.Fatalf("redactForm(%q) = %q, which no longer parses: %v", body, got, err)
		}
		for _, v := range parsed["oauth_signature"] {
			if v != redacted {
				t.Errorf("redactForm(%q) kept signature %q", body, v)
			}
		}
		for key, values := range want {
			if key != "oauth_signature" && strings.Join(parsed[key], "\x00") != strings.Join(values, "\x00") {
				t.Errorf("redactForm(%q) changed %q from %q to %q", body, key, values, parsed[key])
			}
		}
	})
}
