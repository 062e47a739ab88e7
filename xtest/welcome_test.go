package xtest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const welcomePath = "/1.1/direct_messages/welcome_messages/"

// newWelcome creates a welcome message as u and returns its id.
func (f *dmFixture) newWelcome(u User, name, text string) string {
	f.t.Helper()
	body := fmt.Sprintf(`{"welcome_message":{"name":%q,"message_data":{"text":%q,`+
		`"quick_reply":{"type":"options","options":[{"label":"Orders","metadata":"orders"}]}}}}`, name, text)
	resp := f.call(u, "POST", welcomePath+"new.json", body)
	if resp.status != http.StatusOK {
		f.t.Fatalf("new welcome message: status %d, body %s", resp.status, resp.body)
	}
	var got welcomeMessageResponse
	resp.decode(f.t, &got)
	return got.WelcomeMessage.ID
}

func TestWelcomeMessageLifecycle(t *testing.T) {
	f := newDMFixture(t)
	first := f.newWelcome(f.alice, "first", "Hi! How can we help?")
	second := f.newWelcome(f.alice, "", "Welcome back")
	f.newWelcome(f.bob, "bob's", "not alice's")

	resp := f.call(f.alice, "GET", welcomePath+"show.json?id="+first, "")
	want := `{"welcome_message":{"id":"` + first + `","created_timestamp":"` + millis(f.clock.Now()) +
		`","message_data":{"text":"Hi! How can we help?","entities":{"hashtags":[],"symbols":[],"user_mentions":[],"urls":[]},` +
		`"quick_reply":{"type":"options","options":[{"label":"Orders","metadata":"orders"}]}},"name":"first"}}`
	if resp.status != 200 || resp.body != want {
		t.Errorf("show = %d %s\nwant 200 %s", resp.status, resp.body, want)
	}

	if got := f.listWelcome(f.alice, "list.json", "welcome_messages"); !cmp.Equal(got, []string{second, first}) {
		t.Errorf("list = %v, want %v", got, []string{second, first})
	}
	missing := v1ErrorBody(34, "Sorry, that page does not exist.")
	if resp := f.call(f.bob, "GET", welcomePath+"show.json?id="+first, ""); resp.status != 404 || resp.body != missing {
		t.Errorf("show of another user's message = %d %s, want 404 %s", resp.status, resp.body, missing)
	}
	if resp := f.call(f.alice, "DELETE", welcomePath+"destroy.json?id="+first, ""); resp.status != 204 {
		t.Errorf("destroy = %d %s, want 204", resp.status, resp.body)
	}
	if resp := f.call(f.alice, "DELETE", welcomePath+"destroy.json?id="+first, ""); resp.status != 404 || resp.body != missing {
		t.Errorf("second destroy = %d %s, want 404 %s", resp.status, resp.body, missing)
	}
	if got := f.listWelcome(f.alice, "list.json", "welcome_messages"); !cmp.Equal(got, []string{second}) {
		t.Errorf("list after destroy = %v, want %v", got, []string{second})
	}
}

// listWelcome lists path under welcome_messages/ as u and returns the ids
// in member.
func (f *dmFixture) listWelcome(u User, path, member string) []string {
	f.t.Helper()
	resp := f.call(u, "GET", welcomePath+path, "")
	if resp.status != http.StatusOK {
		f.t.Fatalf("GET %s: status %d, body %s", path, resp.status, resp.body)
	}
	var page map[string][]struct {
		ID string `json:"id"`
	}
	resp.decode(f.t, &page)
	var ids []string
	for _, item := range page[member] {
		ids = append(ids, item.ID)
	}
	return ids
}

func TestWelcomeMessagePagination(t *testing.T) {
	f := newDMFixture(t)
	var want []string
	for i := range 5 {
		want = append([]string{f.newWelcome(f.alice, "", fmt.Sprint(i))}, want...)
	}
	var got []string
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		path := welcomePath + "list.json?count=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		var page struct {
			WelcomeMessages []v1Welcome `json:"welcome_messages"`
			NextCursor      string      `json:"next_cursor"`
		}
		f.call(f.alice, "GET", path, "").decode(t, &page)
		for _, wm := range page.WelcomeMessages {
			got = append(got, wm.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

func TestWelcomeRuleLifecycle(t *testing.T) {
	f := newDMFixture(t)
	message := f.newWelcome(f.alice, "", "Hi")
	resp := f.call(f.alice, "POST", welcomePath+"rules/new.json", `{"welcome_message_rule":{"welcome_message_id":"`+message+`"}}`)
	if resp.status != 200 {
		t.Fatalf("new rule = %d %s, want 200", resp.status, resp.body)
	}
	var created ruleResponse
	resp.decode(t, &created)
	want := ruleResponse{Rule: v1Rule{ID: created.Rule.ID, CreatedTimestamp: millis(f.clock.Now()), WelcomeMessageID: message}}
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("new rule (-want +got):\n%s", diff)
	}
	rule := created.Rule.ID

	second := f.call(f.alice, "POST", welcomePath+"rules/new.json", `{"welcome_message_rule":{"welcome_message_id":"`+message+`"}}`)
	if want := v1ErrorBody(214, errRuleExists.message); second.status != 403 || second.body != want {
		t.Errorf("second rule = %d %s, want 403 %s", second.status, second.body, want)
	}
	if got := f.listWelcome(f.alice, "rules/list.json", "welcome_message_rules"); !cmp.Equal(got, []string{rule}) {
		t.Errorf("rules = %v, want %v", got, []string{rule})
	}
	if got := f.listWelcome(f.bob, "rules/list.json", "welcome_message_rules"); len(got) != 0 {
		t.Errorf("bob's rules = %v, want none", got)
	}
	var shown ruleResponse
	f.call(f.alice, "GET", welcomePath+"rules/show.json?id="+rule, "").decode(t, &shown)
	if diff := cmp.Diff(want, shown); diff != "" {
		t.Errorf("show rule (-want +got):\n%s", diff)
	}
	if resp := f.call(f.alice, "DELETE", welcomePath+"rules/destroy.json?id="+rule, ""); resp.status != 204 {
		t.Errorf("destroy rule = %d %s, want 204", resp.status, resp.body)
	}
	missing := v1ErrorBody(34, "Sorry, that page does not exist.")
	for _, method := range []string{"GET", "DELETE"} {
		path := map[string]string{"GET": "rules/show.json?id=", "DELETE": "rules/destroy.json?id="}[method]
		if resp := f.call(f.alice, method, welcomePath+path+rule, ""); resp.status != 404 || resp.body != missing {
			t.Errorf("%s %s after destroy = %d %s, want 404 %s", method, path, resp.status, resp.body, missing)
		}
	}
}

func TestWelcomeDestroyRemovesRule(t *testing.T) {
	f := newDMFixture(t)
	message := f.newWelcome(f.alice, "", "Hi")
	f.call(f.alice, "POST", welcomePath+"rules/new.json", `{"welcome_message_rule":{"welcome_message_id":"`+message+`"}}`)
	f.call(f.alice, "DELETE", welcomePath+"destroy.json?id="+message, "")
	if got := f.listWelcome(f.alice, "rules/list.json", "welcome_message_rules"); len(got) != 0 {
		t.Errorf("rules after destroying their message = %v, want none", got)
	}
}

func TestWelcomeErrors(t *testing.T) {
	f := newDMFixture(t)
	bobsMessage := f.newWelcome(f.bob, "", "bob's")
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantCode                 int
		wantMessage              string
	}{
		{"message without body", "POST", "new.json", `{}`, 400, 214, "Required field 'welcome_message'"},
		{"message without text", "POST", "new.json", `{"welcome_message":{"message_data":{}}}`, 400, 214, "Required field 'text'"},
		{"message without data", "POST", "new.json", `{"welcome_message":{"name":"n"}}`, 400, 214, "Required field 'message_data'"},
		{"name too long", "POST", "new.json", `{"welcome_message":{"name":"` + strings.Repeat("n", 101) +
			`","message_data":{"text":"x"}}}`, 400, 214, "name: must be at most 100"},
		{"rule without body", "POST", "rules/new.json", `{}`, 400, 214, "Required field 'welcome_message_rule'"},
		{"rule with bad id", "POST", "rules/new.json", `{"welcome_message_rule":{"welcome_message_id":"x"}}`, 400, 214, "not a valid Long"},
		{"rule for another user's message", "POST", "rules/new.json",
			`{"welcome_message_rule":{"welcome_message_id":"` + bobsMessage + `"}}`, 400, 214, "no welcome message of the user"},
		{"show without id", "GET", "show.json", "", 400, 38, "id parameter is missing."},
		{"destroy without id", "DELETE", "destroy.json", "", 400, 38, "id parameter is missing."},
		{"rule show without id", "GET", "rules/show.json", "", 400, 38, "id parameter is missing."},
		{"rule destroy without id", "DELETE", "rules/destroy.json", "", 400, 38, "id parameter is missing."},
		{"list with bad count", "GET", "list.json?count=-1", "", 400, 44, "count parameter is invalid."},
		{"rules list with bad cursor", "GET", "rules/list.json?cursor=x", "", 400, 44, "cursor parameter is invalid."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(f.alice, tt.method, welcomePath+tt.path, tt.body)
			if resp.status != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %s", resp.status, tt.wantStatus, resp.body)
			}
			var got v1Errors
			resp.decode(t, &got)
			if len(got.Errors) != 1 || got.Errors[0].Code != tt.wantCode || !strings.Contains(got.Errors[0].Message, tt.wantMessage) {
				t.Errorf("body = %s, want code %d with %q", resp.body, tt.wantCode, tt.wantMessage)
			}
		})
	}
}
