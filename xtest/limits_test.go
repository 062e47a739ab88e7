package xtest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sendAttempt sends a DM from one user to another with api and returns the
// response, whatever its status.
func (f *dmFixture) sendAttempt(api API, from, to User) response {
	f.t.Helper()
	if api == V11 {
		return f.call(from, "POST", "/1.1/direct_messages/events/new.json", v11Body(to.ID, "hi"))
	}
	return f.call(from, "POST", "/2/dm_conversations/with/"+to.ID+"/messages", `{"text":"hi"}`)
}

// okStatus is the success status of a send with api.
func okStatus(api API) int {
	if api == V11 {
		return http.StatusOK
	}
	return http.StatusCreated
}

// tooManyBody is X's 429 body for api.
func tooManyBody(api API) string {
	if api == V11 {
		return v1ErrorBody(88, "Rate limit exceeded")
	}
	return blankProblem(http.StatusTooManyRequests, "Too Many Requests")
}

// limitHeaders returns the headers of prefix in h, such as
// "x-rate-limit", as limit, remaining and reset strings.
func limitHeaders(h http.Header, prefix string) [3]string {
	return [3]string{h.Get(prefix + "-limit"), h.Get(prefix + "-remaining"), h.Get(prefix + "-reset")}
}

// wantHeaders returns the header values for limit, remaining and reset.
func wantHeaders(limit, remaining int, reset time.Time) [3]string {
	return [3]string{strconv.Itoa(limit), strconv.Itoa(remaining), strconv.FormatInt(reset.Unix(), 10)}
}

func TestSendLimit15MinuteWindow(t *testing.T) {
	for _, api := range []API{V2, V11} {
		t.Run(string(api), func(t *testing.T) {
			f := newDMFixture(t, WithDMLimits(Limits{PerUser15m: 3}))
			reset := f.clock.Now().Add(15 * time.Minute)
			for i := 1; i <= 3; i++ {
				resp := f.sendAttempt(api, f.alice, f.bob)
				if resp.status != okStatus(api) {
					t.Fatalf("send %d: status %d, body %s", i, resp.status, resp.body)
				}
				if got, want := limitHeaders(resp.header, "x-rate-limit"), wantHeaders(3, 3-i, reset); got != want {
					t.Errorf("send %d: x-rate-limit-* = %v, want %v", i, got, want)
				}
				if got := resp.header.Get("x-user-limit-24hour-limit"); got != "" {
					t.Errorf("send %d: x-user-limit-24hour-limit = %q, want none without a 24-hour limit", i, got)
				}
				f.clock.Advance(time.Minute)
			}

			resp := f.sendAttempt(api, f.alice, f.bob)
			if resp.status != http.StatusTooManyRequests || resp.body != tooManyBody(api) {
				t.Errorf("send 4: answer %d %s, want 429 %s", resp.status, resp.body, tooManyBody(api))
			}
			if got, want := limitHeaders(resp.header, "x-rate-limit"), wantHeaders(3, 0, reset); got != want {
				t.Errorf("send 4: x-rate-limit-* = %v, want %v", got, want)
			}
			if n := len(f.srv.SentDMs()); n != 3 {
				t.Errorf("recorded %d DMs, want 3", n)
			}

			f.clock.Set(reset.Add(-time.Second))
			if resp := f.sendAttempt(api, f.alice, f.bob); resp.status != http.StatusTooManyRequests {
				t.Errorf("send a second before the reset: status %d, want 429", resp.status)
			}
			f.clock.Set(reset)
			resp = f.sendAttempt(api, f.alice, f.bob)
			if resp.status != okStatus(api) {
				t.Fatalf("send at the reset: status %d, body %s", resp.status, resp.body)
			}
			if got, want := limitHeaders(resp.header, "x-rate-limit"), wantHeaders(3, 2, reset.Add(15*time.Minute)); got != want {
				t.Errorf("send at the reset: x-rate-limit-* = %v, want %v", got, want)
			}
		})
	}
}

func TestSendLimitPerUser(t *testing.T) {
	f := newDMFixture(t, WithDMLimits(Limits{PerUser15m: 1}))
	if resp := f.sendAttempt(V2, f.alice, f.bob); resp.status != http.StatusCreated {
		t.Fatalf("alice's send: status %d", resp.status)
	}
	if resp := f.sendAttempt(V2, f.alice, f.bob); resp.status != http.StatusTooManyRequests {
		t.Errorf("alice's second send: status %d, want 429", resp.status)
	}
	if resp := f.sendAttempt(V2, f.bob, f.alice); resp.status != http.StatusCreated {
		t.Errorf("bob's send: status %d, want 201 because each user has a window", resp.status)
	}
	if resp := f.sendAttempt(V11, f.alice, f.bob); resp.status != http.StatusOK {
		t.Errorf("alice's v1.1 send: status %d, want 200 because v1.1 sends are another group", resp.status)
	}

	// The same account through another app has another access token and so
	// another per-user window.
	app2, err := f.srv.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	alice2, err := f.srv.AddUser(app2.ID, User{ID: f.alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.srv.Client(app2, alice2).Post(f.srv.URL()+"/2/dm_conversations/with/"+f.bob.ID+"/messages",
		"application/json", strings.NewReader(`{"text":"via the second app"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("alice's send through another app: status %d, want 201", resp.StatusCode)
	}
}

func TestSendLimit24HourWindows(t *testing.T) {
	f := newDMFixture(t, WithDMLimits(Limits{PerUser15m: 100, PerUser24h: 2, PerApp24h: 3}))
	start := f.clock.Now()
	day := start.Add(24 * time.Hour)
	steps := []struct {
		from       User
		wantStatus int
		wantUser   [3]string
		wantApp    [3]string
	}{
		{f.alice, 201, wantHeaders(2, 1, day), wantHeaders(3, 2, day)},
		{f.alice, 201, wantHeaders(2, 0, day), wantHeaders(3, 1, day)},
		{f.alice, 429, wantHeaders(2, 0, day), wantHeaders(3, 1, day)},
		{f.bob, 201, wantHeaders(2, 1, day), wantHeaders(3, 0, day)},
		{f.carol, 429, wantHeaders(2, 2, day), wantHeaders(3, 0, day)},
	}
	for i, step := range steps {
		resp := f.sendAttempt(V2, step.from, f.alice)
		if resp.status != step.wantStatus {
			t.Errorf("step %d: status %d, want %d; body %s", i, resp.status, step.wantStatus, resp.body)
		}
		if got := limitHeaders(resp.header, "x-user-limit-24hour"); got != step.wantUser {
			t.Errorf("step %d: x-user-limit-24hour-* = %v, want %v", i, got, step.wantUser)
		}
		if got := limitHeaders(resp.header, "x-app-limit-24hour"); got != step.wantApp {
			t.Errorf("step %d: x-app-limit-24hour-* = %v, want %v", i, got, step.wantApp)
		}
	}
	f.clock.Advance(15 * time.Minute)
	if resp := f.sendAttempt(V2, f.carol, f.alice); resp.status != http.StatusTooManyRequests {
		t.Errorf("send after 15 minutes: status %d, want 429 until the 24-hour reset", resp.status)
	}
	f.clock.Set(day)
	if resp := f.sendAttempt(V2, f.carol, f.alice); resp.status != http.StatusCreated {
		t.Errorf("send at the 24-hour reset: status %d, want 201", resp.status)
	}
	if n := len(f.srv.SentDMs()); n != 4 {
		t.Errorf("recorded %d DMs, want 4", n)
	}
}

func TestLimitResetRoundsUp(t *testing.T) {
	f := newDMFixture(t, WithDMLimits(Limits{PerUser15m: 1}))
	f.clock.Advance(400 * time.Millisecond)
	resp := f.sendAttempt(V2, f.alice, f.bob)
	reset := f.clock.Now().Truncate(time.Second).Add(15*time.Minute + time.Second)
	if got, want := resp.header.Get("x-rate-limit-reset"), strconv.FormatInt(reset.Unix(), 10); got != want {
		t.Errorf("x-rate-limit-reset = %s, want %s", got, want)
	}
	f.clock.Set(reset.Add(-time.Millisecond))
	if resp := f.sendAttempt(V2, f.alice, f.bob); resp.status != http.StatusTooManyRequests {
		t.Errorf("send just before the stated reset: status %d, want 429", resp.status)
	}
	f.clock.Set(reset)
	if resp := f.sendAttempt(V2, f.alice, f.bob); resp.status != http.StatusCreated {
		t.Errorf("send at the stated reset: status %d, want 201", resp.status)
	}
}

func Test429ResetModes(t *testing.T) {
	tests := []struct {
		name      string
		mode      ResetMode
		wantReset func(now, reset time.Time) string
	}{
		{"accurate", ResetAccurate, func(_, reset time.Time) string { return strconv.FormatInt(reset.Unix(), 10) }},
		{"omitted", ResetOmitted, func(time.Time, time.Time) string { return "" }},
		{"in the past", ResetInPast, func(now, _ time.Time) string { return strconv.FormatInt(now.Add(-time.Minute).Unix(), 10) }},
	}
	for _, tt := range tests {
		for _, api := range []API{V2, V11} {
			t.Run(tt.name+"/"+string(api), func(t *testing.T) {
				f := newDMFixture(t, WithDMLimits(Limits{PerUser15m: 1, PerUser24h: 5, PerApp24h: 5}), With429Reset(tt.mode))
				reset15 := f.clock.Now().Add(15 * time.Minute)
				reset24 := f.clock.Now().Add(24 * time.Hour)
				ok := f.sendAttempt(api, f.alice, f.bob)
				if got := ok.header.Get("x-rate-limit-reset"); got != strconv.FormatInt(reset15.Unix(), 10) {
					t.Errorf("accepted send: x-rate-limit-reset = %q, want the real reset", got)
				}
				f.clock.Advance(time.Minute)
				resp := f.sendAttempt(api, f.alice, f.bob)
				if resp.status != http.StatusTooManyRequests || resp.body != tooManyBody(api) {
					t.Fatalf("answer %d %s, want 429 %s", resp.status, resp.body, tooManyBody(api))
				}
				now := f.clock.Now()
				if got, want := resp.header.Get("x-rate-limit-reset"), tt.wantReset(now, reset15); got != want {
					t.Errorf("x-rate-limit-reset = %q, want %q", got, want)
				}
				if got, want := resp.header.Get("x-user-limit-24hour-reset"), tt.wantReset(now, reset24); got != want {
					t.Errorf("x-user-limit-24hour-reset = %q, want %q", got, want)
				}
				if got, want := resp.header.Get("x-app-limit-24hour-reset"), tt.wantReset(now, reset24); got != want {
					t.Errorf("x-app-limit-24hour-reset = %q, want %q", got, want)
				}
				if got := resp.header.Get("x-rate-limit-remaining"); got != "0" {
					t.Errorf("x-rate-limit-remaining = %q, want 0", got)
				}
				f.clock.Set(reset15)
				if resp := f.sendAttempt(api, f.alice, f.bob); resp.status != okStatus(api) {
					t.Errorf("send at the real reset: status %d, want %d", resp.status, okStatus(api))
				}
			})
		}
	}
}

func TestSetLimitsStartsWindowsAfresh(t *testing.T) {
	f := newDMFixture(t, WithDMLimits(Limits{PerUser15m: 1}))
	f.sendAttempt(V2, f.alice, f.bob)
	if resp := f.sendAttempt(V2, f.alice, f.bob); resp.status != http.StatusTooManyRequests {
		t.Fatalf("second send: status %d, want 429", resp.status)
	}
	f.srv.SetLimits(GroupDMSend, Limits{PerUser15m: 2})
	resp := f.sendAttempt(V2, f.alice, f.bob)
	if resp.status != http.StatusCreated {
		t.Errorf("send after SetLimits: status %d, want 201", resp.status)
	}
	if got := resp.header.Get("x-rate-limit-remaining"); got != "1" {
		t.Errorf("x-rate-limit-remaining = %q, want 1", got)
	}
	f.srv.SetLimits(GroupDMSend, Limits{})
	resp = f.sendAttempt(V2, f.alice, f.bob)
	if resp.status != http.StatusCreated {
		t.Errorf("send without limits: status %d, want 201", resp.status)
	}
	if got := resp.header.Get("x-rate-limit-limit"); got != "" {
		t.Errorf("x-rate-limit-limit = %q, want none without limits", got)
	}
}

func TestReadLimit(t *testing.T) {
	f := newDMFixture(t, WithLimits(GroupDMRead, Limits{PerUser15m: 2}))
	for i := range 2 {
		if resp := f.call(f.alice, "GET", "/2/dm_events", ""); resp.status != http.StatusOK {
			t.Fatalf("read %d: status %d", i, resp.status)
		}
	}
	resp := f.call(f.alice, "GET", "/2/dm_events", "")
	if want := blankProblem(http.StatusTooManyRequests, "Too Many Requests"); resp.status != 429 || resp.body != want {
		t.Errorf("third read: answer %d %s, want 429 %s", resp.status, resp.body, want)
	}
	if got := resp.header.Get("Content-Type"); got != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", got)
	}
	if resp := f.sendAttempt(V2, f.alice, f.bob); resp.status != http.StatusCreated {
		t.Errorf("send after reads: status %d, want 201", resp.status)
	}
}

// TestEveryRouteCounted checks that each DM route counts against its group:
// every group gets a distinct limit, and each response must state its own.
func TestEveryRouteCounted(t *testing.T) {
	var opts []Option
	limitOf := make(map[Group]int)
	for i, g := range groups {
		limitOf[g] = 100 + i
		opts = append(opts, WithLimits(g, Limits{PerUser15m: 100 + i}))
	}
	f := newDMFixture(t, opts...)
	event := f.sendV2(f.alice, f.bob, "hi")
	conversation := oneToOneID(f.alice.ID, f.bob.ID)
	const wm = "/1.1/direct_messages/welcome_messages/"
	tests := []struct {
		group        Group
		method, path string
		body         string
		form         url.Values
	}{
		{GroupDMSend, "POST", "/2/dm_conversations/with/" + f.bob.ID + "/messages", `{"text":"x"}`, nil},
		{GroupDMSend, "POST", "/2/dm_conversations/" + conversation + "/messages", `{"text":"x"}`, nil},
		{GroupDMSend, "POST", "/2/dm_conversations", `{}`, nil},
		{GroupDMRead, "GET", "/2/dm_events", "", nil},
		{GroupDMRead, "GET", "/2/dm_conversations/with/" + f.bob.ID + "/dm_events", "", nil},
		{GroupDMRead, "GET", "/2/dm_conversations/" + conversation + "/dm_events", "", nil},
		{GroupDMRead, "GET", "/2/dm_events/" + event, "", nil},
		{GroupDMDelete, "DELETE", "/2/dm_events/" + event, "", nil},
		{GroupDMSendV11, "POST", "/1.1/direct_messages/events/new.json", v11Body(f.bob.ID, "x"), nil},
		{GroupDMReadV11, "GET", "/1.1/direct_messages/events/list.json", "", nil},
		{GroupDMReadV11, "GET", "/1.1/direct_messages/events/show.json?id=" + event, "", nil},
		{GroupDMDeleteV11, "DELETE", "/1.1/direct_messages/events/destroy.json?id=" + event, "", nil},
		{GroupIndicatorsV11, "POST", "/1.1/direct_messages/indicate_typing.json", "", url.Values{"recipient_id": {f.bob.ID}}},
		{GroupIndicatorsV11, "POST", "/1.1/direct_messages/mark_read.json", "", url.Values{"recipient_id": {f.bob.ID}}},
		{GroupWelcomeV11, "POST", wm + "new.json", `{}`, nil},
		{GroupWelcomeV11, "GET", wm + "list.json", "", nil},
		{GroupWelcomeV11, "GET", wm + "show.json?id=1", "", nil},
		{GroupWelcomeV11, "DELETE", wm + "destroy.json?id=1", "", nil},
		{GroupWelcomeV11, "POST", wm + "rules/new.json", `{}`, nil},
		{GroupWelcomeV11, "GET", wm + "rules/list.json", "", nil},
		{GroupWelcomeV11, "GET", wm + "rules/show.json?id=1", "", nil},
		{GroupWelcomeV11, "DELETE", wm + "rules/destroy.json?id=1", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			var resp response
			if tt.form != nil {
				resp = f.form(f.alice, tt.method, tt.path, tt.form)
			} else {
				resp = f.call(f.alice, tt.method, tt.path, tt.body)
			}
			if got, want := resp.header.Get("x-rate-limit-limit"), strconv.Itoa(limitOf[tt.group]); got != want {
				t.Errorf("x-rate-limit-limit = %q, want %s of group %s; status %d", got, want, tt.group, resp.status)
			}
		})
	}
}

func TestLimitOptionsReject(t *testing.T) {
	tests := []struct {
		name string
		call func()
	}{
		{"unknown group", func() { WithLimits("dm-everything", Limits{PerUser15m: 1}) }},
		{"negative limit", func() { WithLimits(GroupDMRead, Limits{PerUser15m: -1}) }},
		{"negative DM limit", func() { WithDMLimits(Limits{PerApp24h: -1}) }},
		{"SetLimits unknown group", func() { New().SetLimits("x", Limits{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			tt.call()
		})
	}
}

func TestDefaultLimits(t *testing.T) {
	f := newDMFixture(t)
	send := f.sendAttempt(V2, f.alice, f.bob)
	read := f.call(f.alice, "GET", "/2/dm_events", "")
	got := map[string]string{
		"send x-rate-limit-limit":        send.header.Get("x-rate-limit-limit"),
		"send x-user-limit-24hour-limit": send.header.Get("x-user-limit-24hour-limit"),
		"send x-app-limit-24hour-limit":  send.header.Get("x-app-limit-24hour-limit"),
		"read x-rate-limit-limit":        read.header.Get("x-rate-limit-limit"),
		"read x-user-limit-24hour-limit": read.header.Get("x-user-limit-24hour-limit"),
	}
	want := map[string]string{
		"send x-rate-limit-limit":        "1000",
		"send x-user-limit-24hour-limit": "10000",
		"send x-app-limit-24hour-limit":  "100000",
		"read x-rate-limit-limit":        "1000",
		"read x-user-limit-24hour-limit": "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default limit headers (-want +got):\n%s", diff)
	}
}
