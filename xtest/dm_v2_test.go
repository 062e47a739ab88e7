package xtest

import (
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestV2SendToParticipant(t *testing.T) {
	f := newDMFixture(t)
	resp := f.call(f.alice, "POST", "/2/dm_conversations/with/"+f.bob.ID+"/messages",
		`{"text":"Hello Bob","attachments":[{"media_id":"1455952740635586573"}]}`)
	if resp.status != http.StatusCreated {
		t.Fatalf("status = %d, want 201; body %s", resp.status, resp.body)
	}
	if got := resp.header.Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q, want application/json; charset=utf-8", got)
	}
	var got struct {
		Data v2Sent `json:"data"`
	}
	resp.decode(t, &got)
	wantConversation := f.alice.ID + "-" + f.bob.ID // alice's id has fewer digits
	if got.Data.ConversationID != wantConversation {
		t.Errorf("dm_conversation_id = %q, want %q", got.Data.ConversationID, wantConversation)
	}
	want := []SentDM{{
		API: V2, AppID: f.app.ID, SenderID: f.alice.ID, RecipientID: f.bob.ID,
		ConversationID: wantConversation, EventID: got.Data.EventID, Text: "Hello Bob",
		MediaIDs: []string{"1455952740635586573"}, Time: f.clock.Now(),
	}}
	if diff := cmp.Diff(want, f.srv.SentDMs()); diff != "" {
		t.Errorf("SentDMs (-want +got):\n%s", diff)
	}
}

func TestV2EventIDsIncreaseBeyond2To53(t *testing.T) {
	f := newDMFixture(t)
	limit := new(big.Int).Lsh(big.NewInt(1), 53)
	previous := big.NewInt(0)
	for i := range 3 {
		id := f.sendV2(f.alice, f.bob, fmt.Sprintf("message %d", i))
		n, ok := new(big.Int).SetString(id, 10)
		if !ok {
			t.Fatalf("event id %q is not a decimal number", id)
		}
		if n.Cmp(limit) <= 0 {
			t.Errorf("event id %s is not above 2^53", id)
		}
		if n.Cmp(previous) <= 0 {
			t.Errorf("event id %s does not increase after %s", id, previous)
		}
		previous = n
	}
}

func TestOneToOneID(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"ordered", "12", "34", "12-34"},
		{"reversed", "34", "12", "12-34"},
		{"shorter is smaller", "987654321", "9007199254740993", "987654321-9007199254740993"},
		{"shorter is smaller reversed", "9007199254740993", "987654321", "987654321-9007199254740993"},
		{"same length", "1600000000000000042", "1600000000000000041", "1600000000000000041-1600000000000000042"},
		{"same user", "5", "5", "5-5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := oneToOneID(tt.a, tt.b); got != tt.want {
				t.Errorf("oneToOneID(%s, %s) = %s, want %s", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestV2SendToConversation(t *testing.T) {
	f := newDMFixture(t)
	conversation := oneToOneID(f.alice.ID, f.carol.ID)
	reversed := f.alice.ID + "-" + f.carol.ID
	for _, id := range []string{conversation, reversed} {
		resp := f.call(f.carol, "POST", "/2/dm_conversations/"+id+"/messages", `{"text":"hi"}`)
		if resp.status != http.StatusCreated {
			t.Fatalf("send to %s: status %d, body %s, want 201", id, resp.status, resp.body)
		}
		var got struct {
			Data v2Sent `json:"data"`
		}
		resp.decode(t, &got)
		if got.Data.ConversationID != conversation {
			t.Errorf("send to %s: dm_conversation_id = %s, want %s", id, got.Data.ConversationID, conversation)
		}
	}
	for _, dm := range f.srv.SentDMs() {
		if dm.SenderID != f.carol.ID || dm.RecipientID != f.alice.ID {
			t.Errorf("recorded DM from %s to %s, want from %s to %s", dm.SenderID, dm.RecipientID, f.carol.ID, f.alice.ID)
		}
	}
}

func TestV2SendToConversationErrors(t *testing.T) {
	f := newDMFixture(t)
	group := f.createGroup(f.alice, f.bob, f.carol)
	outsider := f.addUser(User{ID: "1234567890123456", Username: "outsider"})
	tests := []struct {
		name       string
		user       User
		id         string
		wantStatus int
		wantType   string
	}{
		{"not a participant of one-to-one", outsider, oneToOneID(f.alice.ID, f.bob.ID), 403, "about:blank"},
		{"not a member of group", outsider, group, 403, "about:blank"},
		{"unknown group", f.alice, "1999999999999999999", 404, problemTypeBase + "resource-not-found"},
		{"unknown other participant", f.alice, oneToOneID(f.alice.ID, "42"), 404, problemTypeBase + "resource-not-found"},
		{"malformed id", f.alice, "abc", 400, problemTypeBase + "invalid-request"},
		{"short group id", f.alice, "12345", 400, problemTypeBase + "invalid-request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(tt.user, "POST", "/2/dm_conversations/"+tt.id+"/messages", `{"text":"hi"}`)
			if resp.status != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %s", resp.status, tt.wantStatus, resp.body)
			}
			var p v2Problem
			resp.decode(t, &p)
			if p.Type != tt.wantType {
				t.Errorf("problem type = %q, want %q", p.Type, tt.wantType)
			}
		})
	}
	if n := len(f.srv.SentDMs()); n != 1 {
		t.Errorf("recorded %d DMs, want only the group's first", n)
	}
}

// createGroup creates a group of owner and others and returns its id.
func (f *dmFixture) createGroup(owner User, others ...User) string {
	f.t.Helper()
	var ids []string
	for _, u := range others {
		ids = append(ids, `"`+u.ID+`"`)
	}
	body := `{"conversation_type":"Group","participant_ids":[` + strings.Join(ids, ",") +
		`],"message":{"text":"welcome to the group"}}`
	resp := f.call(owner, "POST", "/2/dm_conversations", body)
	if resp.status != http.StatusCreated {
		f.t.Fatalf("create group: status %d, body %s, want 201", resp.status, resp.body)
	}
	var got struct {
		Data v2Sent `json:"data"`
	}
	resp.decode(f.t, &got)
	return got.Data.ConversationID
}

func TestV2CreateGroup(t *testing.T) {
	f := newDMFixture(t)
	group := f.createGroup(f.alice, f.bob, f.carol)
	if !conversationIDPattern.MatchString(group) || strings.Contains(group, "-") {
		t.Errorf("group id %q is not a 15 to 19 digit number", group)
	}
	sent := f.srv.SentDMs()
	if len(sent) != 1 || sent[0].ConversationID != group || sent[0].RecipientID != "" || sent[0].Text != "welcome to the group" {
		t.Fatalf("SentDMs = %+v, want one group DM to %s", sent, group)
	}

	resp := f.call(f.carol, "GET", "/2/dm_conversations/"+group+"/dm_events?dm_event.fields=sender_id,participant_ids", "")
	if resp.status != http.StatusOK {
		t.Fatalf("list group: status %d, body %s", resp.status, resp.body)
	}
	var got v2ListResponse
	resp.decode(t, &got)
	want := v2ListResponse{
		Data: []v2Event{
			{ID: sent[0].EventID, EventType: "MessageCreate", Text: "welcome to the group", SenderID: f.alice.ID},
			{ID: got.Data[len(got.Data)-1].ID, EventType: "ParticipantsJoin", SenderID: f.alice.ID,
				ParticipantIDs: []string{f.alice.ID, f.bob.ID, f.carol.ID}},
		},
		Meta: v2Meta{ResultCount: 2},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported()); diff != "" {
		t.Errorf("group events (-want +got):\n%s", diff)
	}

	resp = f.call(f.bob, "POST", "/2/dm_conversations/"+group+"/messages", `{"text":"thanks"}`)
	if resp.status != http.StatusCreated {
		t.Errorf("send to group: status %d, body %s, want 201", resp.status, resp.body)
	}
}

func TestV2CreateGroupErrors(t *testing.T) {
	f := newDMFixture(t)
	many := make([]string, 50)
	for i := range many {
		many[i] = fmt.Sprintf(`"%d"`, 1000+i)
	}
	tests := []struct {
		name, body  string
		wantStatus  int
		wantMessage string // part of the first error's message or of the detail
	}{
		{"one participant", `{"conversation_type":"Group","participant_ids":["` + f.bob.ID + `"],"message":{"text":"x"}}`,
			400, "$.participant_ids: must have 2 to 49 items"},
		{"fifty participants", `{"conversation_type":"Group","participant_ids":[` + strings.Join(many, ",") + `],"message":{"text":"x"}}`,
			400, "$.participant_ids: must have 2 to 49 items"},
		{"wrong type", `{"conversation_type":"OneToOne","participant_ids":["` + f.bob.ID + `","` + f.carol.ID + `"],"message":{"text":"x"}}`,
			400, "$.conversation_type"},
		{"no message", `{"conversation_type":"Group","participant_ids":["` + f.bob.ID + `","` + f.carol.ID + `"]}`,
			400, "$.message: is required"},
		{"empty message", `{"conversation_type":"Group","participant_ids":["` + f.bob.ID + `","` + f.carol.ID + `"],"message":{}}`,
			400, "$.message: one of text or attachments is required"},
		{"extra member", `{"conversation_type":"Group","participant_ids":["` + f.bob.ID + `","` + f.carol.ID + `"],"message":{"text":"x"},"x":1}`,
			400, "$.x: is not defined in the schema"},
		{"malformed participant id", `{"conversation_type":"Group","participant_ids":["` + f.bob.ID + `","abc"],"message":{"text":"x"}}`,
			400, "$.participant_ids[1]: must match"},
		{"only the caller besides one", `{"conversation_type":"Group","participant_ids":["` + f.alice.ID + `","` + f.bob.ID + `"],"message":{"text":"x"}}`,
			400, "must name at least 2 users other than the authenticated user"},
		{"unknown participant", `{"conversation_type":"Group","participant_ids":["` + f.bob.ID + `","42"],"message":{"text":"x"}}`,
			404, "Could not find user with participant_ids: [42]."},
		{"not JSON", `conversation_type=Group`, 400, "$: the request body must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(f.alice, "POST", "/2/dm_conversations", tt.body)
			if resp.status != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %s", resp.status, tt.wantStatus, resp.body)
			}
			var p v2Problem
			resp.decode(t, &p)
			text := p.Detail
			if len(p.Errors) > 0 {
				text = p.Errors[0].Message
			}
			if !strings.Contains(text, tt.wantMessage) {
				t.Errorf("problem %s does not contain %q", resp.body, tt.wantMessage)
			}
		})
	}
	if n := len(f.srv.SentDMs()); n != 0 {
		t.Errorf("recorded %d DMs, want 0", n)
	}
}

func TestV2SendValidation(t *testing.T) {
	f := newDMFixture(t)
	longText := strings.Repeat("é", maxTextRunes+1)
	tests := []struct {
		name, participant, body string
		wantParameter           string // parameter of the first error, if any
		wantMessage             string
	}{
		{"not JSON", f.bob.ID, `text=hi`, "", "$: the request body must be a JSON object"},
		{"array", f.bob.ID, `["hi"]`, "", "$: the request body must be a JSON object"},
		{"neither text nor attachments", f.bob.ID, `{}`, "", "$: one of text or attachments is required"},
		{"empty text", f.bob.ID, `{"text":""}`, "", "$.text: must be at least 1 characters long"},
		{"text not a string", f.bob.ID, `{"text":5}`, "", "$.text: must be a string"},
		{"text too long", f.bob.ID, `{"text":"` + longText + `"}`, "", "$.text: must be at most 10000 characters long"},
		{"extra member", f.bob.ID, `{"text":"hi","quick_reply":{}}`, "", "$.quick_reply: is not defined in the schema"},
		{"two attachments", f.bob.ID, `{"attachments":[{"media_id":"1"},{"media_id":"2"}]}`, "", "$.attachments: must have at most 1 items"},
		{"media id not numeric", f.bob.ID, `{"attachments":[{"media_id":"abc"}]}`, "", "$.attachments[0].media_id"},
		{"media id a number", f.bob.ID, `{"attachments":[{"media_id":1}]}`, "", "$.attachments[0].media_id"},
		{"attachments not an array", f.bob.ID, `{"attachments":{"media_id":"1"}}`, "", "$.attachments: must be an array"},
		{"participant id not numeric", "bob", `{"text":"hi"}`, "participant_id",
			"The `participant_id` query parameter value [bob] does not match ^[0-9]{1,19}$"},
		{"participant id too long", "12345678901234567890", `{"text":"hi"}`, "participant_id", "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(f.alice, "POST", "/2/dm_conversations/with/"+tt.participant+"/messages", tt.body)
			if resp.status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400; body %s", resp.status, resp.body)
			}
			if got := resp.header.Get("Content-Type"); got != "application/problem+json" {
				t.Errorf("Content-Type = %q, want application/problem+json", got)
			}
			var p v2Problem
			resp.decode(t, &p)
			if p.Type != problemTypeBase+"invalid-request" || p.Title != "Invalid Request" {
				t.Errorf("problem type %q title %q, want invalid-request", p.Type, p.Title)
			}
			if len(p.Errors) == 0 {
				t.Fatalf("problem %s has no errors", resp.body)
			}
			if !strings.Contains(p.Errors[0].Message, tt.wantMessage) {
				t.Errorf("first error %q does not contain %q", p.Errors[0].Message, tt.wantMessage)
			}
			if tt.wantParameter != "" && p.Errors[0].Parameters[tt.wantParameter] == nil {
				t.Errorf("first error %+v does not name parameter %s", p.Errors[0], tt.wantParameter)
			}
		})
	}
	if n := len(f.srv.SentDMs()); n != 0 {
		t.Errorf("recorded %d DMs, want 0", n)
	}
}

func TestV2SendUnknownParticipant(t *testing.T) {
	f := newDMFixture(t)
	resp := f.call(f.alice, "POST", "/2/dm_conversations/with/42/messages", `{"text":"hi"}`)
	if resp.status != http.StatusNotFound {
		t.Fatalf("status = %d, want 404; body %s", resp.status, resp.body)
	}
	var got v2Problem
	resp.decode(t, &got)
	want := v2Problem{
		Title: "Not Found Error", Detail: "Could not find user with participant_id: [42].",
		Type: problemTypeBase + "resource-not-found", Status: 404,
		ResourceType: "user", ResourceID: "42", Parameter: "participant_id",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problem (-want +got):\n%s", diff)
	}
}

func TestV2SendRefused(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(f *dmFixture) error
		wantDetail string
	}{
		{"recipient refuses non-followers", func(f *dmFixture) error {
			return f.srv.SetDMRefusal(f.bob.ID, DMRefusedNotFollowing)
		}, errNotFollowing.detail},
		{"recipient refuses all", func(f *dmFixture) error {
			return f.srv.SetDMRefusal(f.bob.ID, DMRefused)
		}, errCannotMessage.detail},
		{"sender barred from message requests", func(f *dmFixture) error {
			return f.srv.SetMessageRequestsBlocked(f.alice.ID, true)
		}, errMessageRequests.detail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDMFixture(t)
			if err := tt.setup(f); err != nil {
				t.Fatal(err)
			}
			resp := f.call(f.alice, "POST", "/2/dm_conversations/with/"+f.bob.ID+"/messages", `{"text":"hi"}`)
			if want := blankProblem(http.StatusForbidden, tt.wantDetail); resp.status != 403 || resp.body != want {
				t.Errorf("answer = %d %s, want 403 %s", resp.status, resp.body, want)
			}
			if n := len(f.srv.SentDMs()); n != 0 {
				t.Errorf("recorded %d DMs, want 0", n)
			}
		})
	}
}

func TestSetDMRefusalUnknownUser(t *testing.T) {
	f := newDMFixture(t)
	if err := f.srv.SetDMRefusal("42", DMRefused); err == nil {
		t.Error("SetDMRefusal of an unknown user succeeded, want an error")
	}
	if err := f.srv.SetMessageRequestsBlocked("42", true); err == nil {
		t.Error("SetMessageRequestsBlocked of an unknown user succeeded, want an error")
	}
}

func TestV2SendAcceptedAgain(t *testing.T) {
	f := newDMFixture(t)
	if err := f.srv.SetDMRefusal(f.bob.ID, DMRefused); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.SetDMRefusal(f.bob.ID, DMAccepted); err != nil {
		t.Fatal(err)
	}
	f.sendV2(f.alice, f.bob, "hi again")
}

// listV2 lists path as u and fails the test unless the status is 200.
func (f *dmFixture) listV2(u User, path string) v2ListResponse {
	f.t.Helper()
	resp := f.call(u, "GET", path, "")
	if resp.status != http.StatusOK {
		f.t.Fatalf("GET %s: status %d, body %s, want 200", path, resp.status, resp.body)
	}
	var got v2ListResponse
	resp.decode(f.t, &got)
	return got
}

func TestV2ListFields(t *testing.T) {
	f := newDMFixture(t)
	first := f.sendV2(f.alice, f.bob, "first")
	firstTime := f.clock.Now()
	f.clock.Advance(1500 * time.Millisecond)
	resp := f.call(f.bob, "POST", "/2/dm_conversations/with/"+f.alice.ID+"/messages",
		`{"text":"second","attachments":[{"media_id":"77"}]}`)
	if resp.status != http.StatusCreated {
		t.Fatalf("send: status %d, body %s", resp.status, resp.body)
	}
	second := f.srv.SentDMs()[1].EventID
	secondTime := f.clock.Now()
	conversation := oneToOneID(f.alice.ID, f.bob.ID)

	got := f.listV2(f.alice, "/2/dm_events?dm_event.fields=id,text,event_type,created_at,dm_conversation_id,sender_id,attachments&expansions=sender_id&user.fields=username")
	want := v2ListResponse{
		Data: []v2Event{
			{ID: second, EventType: "MessageCreate", Text: "second", SenderID: f.bob.ID, ConversationID: conversation,
				CreatedAt: secondTime.UTC().Format("2006-01-02T15:04:05.000Z"), Attachments: &v2Attachments{MediaKeys: []string{"3_77"}}},
			{ID: first, EventType: "MessageCreate", Text: "first", SenderID: f.alice.ID, ConversationID: conversation,
				CreatedAt: firstTime.UTC().Format("2006-01-02T15:04:05.000Z")},
		},
		Includes: &v2Includes{Users: []v2User{
			{ID: f.bob.ID, Name: f.bob.Name, Username: "bob"},
			{ID: f.alice.ID, Name: f.alice.Name, Username: "alice"},
		}},
		Meta: v2Meta{ResultCount: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}

	defaults := f.listV2(f.alice, "/2/dm_events")
	wantDefaults := v2ListResponse{
		Data: []v2Event{
			{ID: second, EventType: "MessageCreate", Text: "second"},
			{ID: first, EventType: "MessageCreate", Text: "first"},
		},
		Meta: v2Meta{ResultCount: 2},
	}
	if diff := cmp.Diff(wantDefaults, defaults); diff != "" {
		t.Errorf("listing with default fields (-want +got):\n%s", diff)
	}
}

func TestV2ListPagination(t *testing.T) {
	f := newDMFixture(t)
	var want []string
	for i := range 7 {
		want = append([]string{f.sendV2(f.alice, f.bob, fmt.Sprintf("m%d", i))}, want...)
	}
	f.sendV2(f.alice, f.carol, "not in the conversation with bob")
	for _, path := range []string{
		"/2/dm_conversations/with/" + f.alice.ID + "/dm_events",
		"/2/dm_conversations/" + oneToOneID(f.alice.ID, f.bob.ID) + "/dm_events",
	} {
		t.Run(path, func(t *testing.T) {
			got, pages := f.collectV2(f.bob, path, 3)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("event ids (-want +got):\n%s", diff)
			}
			if pages != 3 {
				t.Errorf("took %d pages of 3, want 3", pages)
			}
		})
	}
}

// collectV2 pages through a listing as u with max_results max and returns
// the event ids, newest first, and the number of requests it took. It
// checks that result_count matches each page.
func (f *dmFixture) collectV2(u User, path string, max int) ([]string, int) {
	f.t.Helper()
	var ids []string
	token := ""
	for pages := 1; ; pages++ {
		query := fmt.Sprintf("?max_results=%d", max)
		if token != "" {
			query += "&pagination_token=" + token
		}
		page := f.listV2(u, path+query)
		if page.Meta.ResultCount != len(page.Data) {
			f.t.Errorf("result_count = %d, want %d", page.Meta.ResultCount, len(page.Data))
		}
		for _, e := range page.Data {
			ids = append(ids, e.ID)
		}
		if page.Meta.NextToken == "" {
			return ids, pages
		}
		if pages > 100 {
			f.t.Fatalf("listing %s did not end after 100 pages", path)
		}
		token = page.Meta.NextToken
	}
}

func TestV2ListStableUnderNewEvents(t *testing.T) {
	f := newDMFixture(t)
	var old []string
	for i := range 4 {
		old = append([]string{f.sendV2(f.alice, f.bob, fmt.Sprintf("m%d", i))}, old...)
	}
	page := f.listV2(f.alice, "/2/dm_events?max_results=2")
	f.sendV2(f.bob, f.alice, "arrives between pages")
	next := f.listV2(f.alice, "/2/dm_events?max_results=2&pagination_token="+page.Meta.NextToken)
	got := []string{page.Data[0].ID, page.Data[1].ID, next.Data[0].ID, next.Data[1].ID}
	if diff := cmp.Diff(old, got); diff != "" {
		t.Errorf("ids across pages (-want +got):\n%s", diff)
	}
}

func TestV2ListEmptyPages(t *testing.T) {
	f := newDMFixture(t, WithEmptyPages(true))
	var want []string
	for i := range 5 {
		want = append([]string{f.sendV2(f.alice, f.bob, fmt.Sprintf("m%d", i))}, want...)
	}
	first := f.listV2(f.alice, "/2/dm_events?max_results=2")
	if len(first.Data) != 0 || first.Meta.ResultCount != 0 || first.Meta.NextToken == "" {
		t.Errorf("first page = %+v, want empty with a next_token", first)
	}
	got, pages := f.collectV2(f.alice, "/2/dm_events", 2)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("event ids (-want +got):\n%s", diff)
	}
	if pages != 6 {
		t.Errorf("took %d requests, want 6: an empty page before each of 3 pages", pages)
	}
}

func TestV2ListEmpty(t *testing.T) {
	f := newDMFixture(t)
	f.sendV2(f.alice, f.bob, "not for carol")
	resp := f.call(f.carol, "GET", "/2/dm_events", "")
	if want := `{"meta":{"result_count":0}}`; resp.status != 200 || resp.body != want {
		t.Errorf("answer = %d %s, want 200 %s", resp.status, resp.body, want)
	}
}

func TestV2ListEventTypes(t *testing.T) {
	f := newDMFixture(t)
	group := f.createGroup(f.alice, f.bob, f.carol)
	f.sendV2(f.alice, f.bob, "one-to-one")
	tests := []struct {
		query     string
		wantTypes []string
	}{
		{"", []string{"MessageCreate", "MessageCreate", "ParticipantsJoin"}},
		{"?event_types=MessageCreate", []string{"MessageCreate", "MessageCreate"}},
		{"?event_types=ParticipantsJoin", []string{"ParticipantsJoin"}},
		{"?event_types=ParticipantsLeave", nil},
		{"?event_types=ParticipantsJoin,MessageCreate", []string{"MessageCreate", "MessageCreate", "ParticipantsJoin"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var got []string
			for _, e := range f.listV2(f.alice, "/2/dm_events"+tt.query).Data {
				got = append(got, e.EventType)
			}
			if diff := cmp.Diff(tt.wantTypes, got); diff != "" {
				t.Errorf("event types (-want +got):\n%s", diff)
			}
		})
	}
	got := f.listV2(f.bob, "/2/dm_conversations/"+group+"/dm_events?event_types=ParticipantsJoin&expansions=participant_ids&dm_event.fields=participant_ids")
	if got.Includes == nil || len(got.Includes.Users) != 3 {
		t.Errorf("includes = %+v, want the 3 participants", got.Includes)
	}
}

func TestV2ListQueryErrors(t *testing.T) {
	f := newDMFixture(t)
	tests := []struct {
		name, path, wantParameter string
	}{
		{"max_results zero", "/2/dm_events?max_results=0", "max_results"},
		{"max_results too large", "/2/dm_events?max_results=101", "max_results"},
		{"max_results not a number", "/2/dm_events?max_results=ten", "max_results"},
		{"pagination_token malformed", "/2/dm_events?pagination_token=abc", "pagination_token"},
		{"event_types unknown", "/2/dm_events?event_types=MessageDelete", "event_types"},
		{"dm_event.fields unknown", "/2/dm_events?dm_event.fields=id,color", "dm_event.fields"},
		{"dm_event.fields empty", "/2/dm_events?dm_event.fields=", "dm_event.fields"},
		{"expansions unknown", "/2/dm_events?expansions=author_id", "expansions"},
		{"user.fields unknown", "/2/dm_events?user.fields=shoe_size", "user.fields"},
		{"participant id malformed", "/2/dm_conversations/with/x1/dm_events", "participant_id"},
		{"conversation id malformed", "/2/dm_conversations/1-2-3/dm_events", "id"},
		{"event id malformed", "/2/dm_events/x", "event_id"},
		{"event fields unknown", "/2/dm_events/123?dm_event.fields=color", "dm_event.fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(f.alice, "GET", tt.path, "")
			if resp.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400; body %s", resp.status, resp.body)
			}
			var p v2Problem
			resp.decode(t, &p)
			if len(p.Errors) == 0 || p.Errors[0].Parameters[tt.wantParameter] == nil {
				t.Errorf("problem %s does not name parameter %s", resp.body, tt.wantParameter)
			}
			if p.Detail != "One or more parameters to your request was invalid." {
				t.Errorf("detail = %q", p.Detail)
			}
		})
	}
}

func TestV2ListConversationAccess(t *testing.T) {
	f := newDMFixture(t)
	f.sendV2(f.alice, f.bob, "private")
	group := f.createGroup(f.alice, f.bob, f.bob, f.addUser(User{ID: "555555555555555"}))
	tests := []struct {
		name string
		path string
	}{
		{"one-to-one of others", "/2/dm_conversations/" + oneToOneID(f.alice.ID, f.bob.ID) + "/dm_events"},
		{"group of others", "/2/dm_conversations/" + group + "/dm_events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(f.carol, "GET", tt.path, "")
			if want := blankProblem(http.StatusForbidden, "Forbidden"); resp.status != 403 || resp.body != want {
				t.Errorf("answer = %d %s, want 403 %s", resp.status, resp.body, want)
			}
		})
	}
	if got := f.listV2(f.carol, "/2/dm_conversations/with/"+f.alice.ID+"/dm_events"); len(got.Data) != 0 {
		t.Errorf("carol's conversation with alice has %d events, want 0", len(got.Data))
	}
}

func TestV2HistoryWindow(t *testing.T) {
	f := newDMFixture(t)
	old := f.sendV2(f.alice, f.bob, "old")
	f.clock.Advance(historyWindow)
	recent := f.sendV2(f.alice, f.bob, "recent")
	if got := f.listV2(f.bob, "/2/dm_events"); len(got.Data) != 2 {
		t.Fatalf("listing at the window's edge has %d events, want 2", len(got.Data))
	}
	f.clock.Advance(time.Second)
	got := f.listV2(f.bob, "/2/dm_events")
	if len(got.Data) != 1 || got.Data[0].ID != recent {
		t.Errorf("listing after 30 days = %+v, want only %s", got.Data, recent)
	}
	resp := f.call(f.bob, "GET", "/2/dm_events/"+old, "")
	if !strings.Contains(resp.body, "resource-not-found") {
		t.Errorf("lookup of an event older than 30 days = %s, want resource-not-found", resp.body)
	}
}

func TestV2GetEvent(t *testing.T) {
	f := newDMFixture(t)
	id := f.sendV2(f.alice, f.bob, "look me up")
	resp := f.call(f.bob, "GET", "/2/dm_events/"+id+"?dm_event.fields=sender_id&expansions=sender_id", "")
	if resp.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", resp.status, resp.body)
	}
	want := fmt.Sprintf(`{"data":{"id":"%s","event_type":"MessageCreate","text":"look me up","sender_id":"%s"},`+
		`"includes":{"users":[{"id":"%s","name":"%s","username":"alice"}]}}`, id, f.alice.ID, f.alice.ID, f.alice.Name)
	if resp.body != want {
		t.Errorf("body = %s, want %s", resp.body, want)
	}

	for _, tt := range []struct {
		name string
		user User
		id   string
	}{
		{"unknown event", f.bob, "1999999999999999999"},
		{"event of others", f.carol, id},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(tt.user, "GET", "/2/dm_events/"+tt.id, "")
			want := fmt.Sprintf(`{"errors":[{"title":"Not Found Error","detail":"Could not find dm_event with event_id: [%s].",`+
				`"type":"%sresource-not-found","resource_type":"dm_event","resource_id":"%s","parameter":"event_id","value":"%s"}]}`,
				tt.id, problemTypeBase, tt.id, tt.id)
			if resp.status != 200 || resp.body != want {
				t.Errorf("answer = %d %s, want 200 %s", resp.status, resp.body, want)
			}
		})
	}
}

func TestV2DeleteEvent(t *testing.T) {
	f := newDMFixture(t)
	id := f.sendV2(f.alice, f.bob, "regret")

	resp := f.call(f.bob, "DELETE", "/2/dm_events/"+id, "")
	if want := blankProblem(http.StatusForbidden, "Forbidden"); resp.status != 403 || resp.body != want {
		t.Errorf("recipient's delete = %d %s, want 403 %s", resp.status, resp.body, want)
	}
	resp = f.call(f.alice, "DELETE", "/2/dm_events/"+id, "")
	if want := `{"data":{"deleted":true}}`; resp.status != 200 || resp.body != want {
		t.Errorf("sender's delete = %d %s, want 200 %s", resp.status, resp.body, want)
	}
	if got := f.listV2(f.alice, "/2/dm_events"); len(got.Data) != 0 {
		t.Errorf("sender still lists %d events after deleting, want 0", len(got.Data))
	}
	if got := f.listV2(f.bob, "/2/dm_events"); len(got.Data) != 1 {
		t.Errorf("recipient lists %d events after the sender deleted, want 1", len(got.Data))
	}
	resp = f.call(f.alice, "DELETE", "/2/dm_events/"+id, "")
	if resp.status != http.StatusNotFound || !strings.Contains(resp.body, "resource-not-found") {
		t.Errorf("second delete = %d %s, want 404 resource-not-found", resp.status, resp.body)
	}
	resp = f.call(f.alice, "DELETE", "/2/dm_events/abc", "")
	if resp.status != http.StatusBadRequest {
		t.Errorf("delete of a malformed id = %d %s, want 400", resp.status, resp.body)
	}
}

func TestV2RequiresUserContext(t *testing.T) {
	f := newDMFixture(t)
	resp, err := http.Post(f.srv.URL()+"/2/dm_conversations/with/"+f.bob.ID+"/messages", "application/json",
		strings.NewReader(`{"text":"unsigned"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned send: status %d, want 401", resp.StatusCode)
	}
	if got := resp.Header.Get("x-rate-limit-limit"); got != "" {
		t.Errorf("unsigned send has x-rate-limit-limit %q, want none", got)
	}
	if n := len(f.srv.SentDMs()); n != 0 {
		t.Errorf("recorded %d DMs, want 0", n)
	}
}
