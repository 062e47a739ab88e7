package xtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestV11EventsNew(t *testing.T) {
	f := newDMFixture(t)
	body := `{"event":{"type":"message_create","message_create":{"target":{"recipient_id":"` + f.bob.ID + `"},` +
		`"message_data":{"text":"Pick a size",` +
		`"quick_reply":{"type":"options","options":[{"label":"S","description":"small","metadata":"size_s"},{"label":"M"}]},` +
		`"attachment":{"type":"media","media":{"id":"1800000000000000555"}},` +
		`"ctas":[{"type":"web_url","label":"Shop","url":"https://shop.example/jackets"}]}}}}`
	resp := f.call(f.alice, "POST", "/1.1/direct_messages/events/new.json", body)
	if resp.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", resp.status, resp.body)
	}
	sent := f.srv.SentDMs()
	if len(sent) != 1 {
		t.Fatalf("recorded %d DMs, want 1", len(sent))
	}
	id := sent[0].EventID
	want := `{"event":{"type":"message_create","id":"` + id + `","created_timestamp":"` +
		fmt.Sprint(f.clock.Now().UnixMilli()) + `","message_create":{"target":{"recipient_id":"` + f.bob.ID + `"},` +
		`"sender_id":"` + f.alice.ID + `","source_app_id":"` + f.app.ID + `","message_data":{"text":"Pick a size",` +
		`"entities":{"hashtags":[],"symbols":[],"user_mentions":[],"urls":[]},` +
		`"quick_reply":{"type":"options","options":[{"label":"S","description":"small","metadata":"size_s"},{"label":"M"}]},` +
		`"attachment":{"type":"media","media":{"id":1800000000000000555,"id_str":"1800000000000000555"}},` +
		`"ctas":[{"type":"web_url","label":"Shop","url":"https://shop.example/jackets"}]}}}}`
	if resp.body != want {
		t.Errorf("body = %s\nwant   %s", resp.body, want)
	}
	wantSent := SentDM{
		API: V11, AppID: f.app.ID, SenderID: f.alice.ID, RecipientID: f.bob.ID,
		ConversationID: oneToOneID(f.alice.ID, f.bob.ID), EventID: id, Text: "Pick a size",
		MediaIDs:     []string{"1800000000000000555"},
		QuickReplies: []QuickReplyOption{{Label: "S", Description: "small", Metadata: "size_s"}, {Label: "M"}},
		CTAs:         []CTA{{Type: "web_url", Label: "Shop", URL: "https://shop.example/jackets"}},
		Time:         f.clock.Now(),
	}
	if diff := cmp.Diff(wantSent, sent[0]); diff != "" {
		t.Errorf("SentDM (-want +got):\n%s", diff)
	}
}

func TestV11EventsNewNumericIDs(t *testing.T) {
	f := newDMFixture(t)
	body := `{"event":{"type":"message_create","message_create":{"target":{"recipient_id":` + f.bob.ID + `},` +
		`"message_data":{"text":"","attachment":{"type":"media","media":{"id":77}}}}}}`
	resp := f.call(f.alice, "POST", "/1.1/direct_messages/events/new.json", body)
	if resp.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", resp.status, resp.body)
	}
	sent := f.srv.SentDMs()
	if len(sent) != 1 || sent[0].RecipientID != f.bob.ID || !cmp.Equal(sent[0].MediaIDs, []string{"77"}) {
		t.Errorf("SentDMs = %+v, want one DM to %s with media 77", sent, f.bob.ID)
	}
}

func TestV11EventsNewErrors(t *testing.T) {
	event := func(recipient, messageData string) string {
		return `{"event":{"type":"message_create","message_create":{"target":{"recipient_id":"` + recipient +
			`"},"message_data":` + messageData + `}}}`
	}
	options := make([]string, 21)
	for i := range options {
		options[i] = fmt.Sprintf(`{"label":"o%d"}`, i)
	}
	const bob = "1600000000000000042"
	tests := []struct {
		name, body  string
		wantStatus  int
		wantCode    int
		wantMessage string // part of the message
	}{
		{"not JSON", `recipient_id=1`, 400, 214, "not valid JSON"},
		{"no event", `{}`, 400, 214, "Required field 'event' is missing"},
		{"wrong type", `{"event":{"type":"message_delete"}}`, 400, 214, "event.type: 'message_delete'"},
		{"no message_create", `{"event":{"type":"message_create"}}`, 400, 214, "Required field 'message_create'"},
		{"no target", `{"event":{"type":"message_create","message_create":{"message_data":{"text":"x"}}}}`, 400, 214, "Required field 'target'"},
		{"recipient not numeric", event("bob", `{"text":"x"}`), 400, 214, "'bob' is not a valid Long"},
		{"no message_data", `{"event":{"type":"message_create","message_create":{"target":{"recipient_id":"` + bob + `"}}}}`,
			400, 214, "Required field 'message_data'"},
		{"no text", event(bob, `{}`), 400, 214, "Required field 'text' is missing"},
		{"empty text", event(bob, `{"text":""}`), 400, 214, "must not be empty"},
		{"text too long", event(bob, `{"text":"`+strings.Repeat("x", maxTextRunes+1)+`"}`), 403, 354, "over the max character limit"},
		{"text a number", event(bob, `{"text":5}`), 400, 214, "not valid JSON"},
		{"quick reply type", event(bob, `{"text":"x","quick_reply":{"type":"buttons","options":[{"label":"a"}]}}`), 400, 214, "quick_reply.type"},
		{"no options", event(bob, `{"text":"x","quick_reply":{"type":"options","options":[]}}`), 400, 214, "must have 1 to 20 options"},
		{"21 options", event(bob, `{"text":"x","quick_reply":{"type":"options","options":[`+strings.Join(options, ",")+`]}}`),
			400, 214, "must have 1 to 20 options, not 21"},
		{"option without label", event(bob, `{"text":"x","quick_reply":{"type":"options","options":[{"metadata":"m"}]}}`),
			400, 214, "options[0]: Required field 'label'"},
		{"label too long", event(bob, `{"text":"x","quick_reply":{"type":"options","options":[{"label":"`+strings.Repeat("l", 37)+`"}]}}`),
			400, 214, "label: must be at most 36"},
		{"description too long", event(bob, `{"text":"x","quick_reply":{"type":"options","options":[{"label":"a","description":"`+strings.Repeat("d", 73)+`"}]}}`),
			400, 214, "description: must be at most 72"},
		{"metadata too long", event(bob, `{"text":"x","quick_reply":{"type":"options","options":[{"label":"a","metadata":"`+strings.Repeat("m", 1001)+`"}]}}`),
			400, 214, "metadata: must be at most 1000"},
		{"attachment type", event(bob, `{"text":"x","attachment":{"type":"location","location":{}}}`), 400, 214, "attachment"},
		{"attachment id", event(bob, `{"text":"x","attachment":{"type":"media","media":{"id":"abc"}}}`), 400, 214, "attachment"},
		{"four buttons", event(bob, `{"text":"x","ctas":[`+strings.Repeat(`{"type":"web_url","label":"a","url":"https://a.example"},`, 3)+
			`{"type":"web_url","label":"a","url":"https://a.example"}]}`), 400, 214, "must have 1 to 3 buttons"},
		{"button type", event(bob, `{"text":"x","ctas":[{"type":"postback","label":"a","url":"https://a.example"}]}`), 400, 214, "ctas[0].type"},
		{"button url", event(bob, `{"text":"x","ctas":[{"type":"web_url","label":"a","url":"/relative"}]}`), 400, 214, "ctas[0].url"},
		{"button label", event(bob, `{"text":"x","ctas":[{"type":"web_url","url":"https://a.example"}]}`), 400, 214, "Required field 'label'"},
		{"unknown recipient", event("42", `{"text":"x"}`), 404, 50, "User not found."},
	}
	f := newDMFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(f.alice, "POST", "/1.1/direct_messages/events/new.json", tt.body)
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
	if n := len(f.srv.SentDMs()); n != 0 {
		t.Errorf("recorded %d DMs, want 0", n)
	}
}

func TestV11EventsNewRefused(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(f *dmFixture) error
		wantCode int
		wantMsg  string
	}{
		{"recipient refuses non-followers", func(f *dmFixture) error {
			return f.srv.SetDMRefusal(f.bob.ID, DMRefusedNotFollowing)
		}, 150, "You cannot send messages to users who are not following you."},
		{"recipient refuses all", func(f *dmFixture) error {
			return f.srv.SetDMRefusal(f.bob.ID, DMRefused)
		}, 349, "You cannot send messages to this user."},
		{"sender barred from message requests", func(f *dmFixture) error {
			return f.srv.SetMessageRequestsBlocked(f.alice.ID, true)
		}, 476, "Sender is not verified to send message requests."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDMFixture(t)
			if err := tt.setup(f); err != nil {
				t.Fatal(err)
			}
			resp := f.call(f.alice, "POST", "/1.1/direct_messages/events/new.json", v11Body(f.bob.ID, "hi"))
			if want := v1ErrorBody(tt.wantCode, tt.wantMsg); resp.status != 403 || resp.body != want {
				t.Errorf("answer = %d %s, want 403 %s", resp.status, resp.body, want)
			}
			if n := len(f.srv.SentDMs()); n != 0 {
				t.Errorf("recorded %d DMs, want 0", n)
			}
		})
	}
}

// listV11 pages through events/list.json as u with count and returns the
// event ids and the number of requests it took.
func (f *dmFixture) listV11(u User, count int) ([]string, int) {
	f.t.Helper()
	var ids []string
	cursor := ""
	for pages := 1; ; pages++ {
		path := fmt.Sprintf("/1.1/direct_messages/events/list.json?count=%d", count)
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		resp := f.call(u, "GET", path, "")
		if resp.status != http.StatusOK {
			f.t.Fatalf("GET %s: status %d, body %s", path, resp.status, resp.body)
		}
		var page struct {
			Events     []v1Event `json:"events"`
			NextCursor string    `json:"next_cursor"`
		}
		resp.decode(f.t, &page)
		for _, e := range page.Events {
			ids = append(ids, e.ID)
		}
		if page.NextCursor == "" {
			return ids, pages
		}
		if pages > 100 {
			f.t.Fatal("listing did not end after 100 pages")
		}
		cursor = page.NextCursor
	}
}

func TestV11EventsList(t *testing.T) {
	f := newDMFixture(t)
	var want []string
	for i := range 5 {
		from, to := f.alice, f.bob
		if i%2 == 1 {
			from, to = to, from
		}
		want = append([]string{f.sendV11(from, to, fmt.Sprintf("m%d", i))}, want...)
	}
	f.createGroup(f.alice, f.bob, f.carol) // groups do not exist in v1.1
	f.sendV11(f.bob, f.carol, "not alice's")
	got, pages := f.listV11(f.alice, 2)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("event ids (-want +got):\n%s", diff)
	}
	if pages != 3 {
		t.Errorf("took %d pages, want 3", pages)
	}
}

func TestV11EventsListCount(t *testing.T) {
	f := newDMFixture(t)
	for i := range maxV1Count + 5 {
		f.sendV11(f.alice, f.bob, fmt.Sprint(i))
	}
	tests := []struct {
		query string
		want  int
	}{
		{"", defaultV1Count},
		{"?count=7", 7},
		{"?count=500", maxV1Count},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp := f.call(f.alice, "GET", "/1.1/direct_messages/events/list.json"+tt.query, "")
			var page struct {
				Events []v1Event `json:"events"`
			}
			resp.decode(t, &page)
			if len(page.Events) != tt.want {
				t.Errorf("page has %d events, want %d", len(page.Events), tt.want)
			}
		})
	}
}

func TestV11EventsListEmpty(t *testing.T) {
	f := newDMFixture(t, WithEmptyPages(true))
	resp := f.call(f.carol, "GET", "/1.1/direct_messages/events/list.json", "")
	if want := `{"events":[]}`; resp.status != 200 || resp.body != want {
		t.Errorf("answer = %d %s, want 200 %s", resp.status, resp.body, want)
	}
	var want []string
	for i := range 3 {
		want = append([]string{f.sendV11(f.alice, f.carol, fmt.Sprint(i))}, want...)
	}
	got, pages := f.listV11(f.carol, 2)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("event ids (-want +got):\n%s", diff)
	}
	if pages != 4 {
		t.Errorf("took %d requests, want 4: an empty page before each of 2 pages", pages)
	}
}

func TestV11EventsListErrors(t *testing.T) {
	f := newDMFixture(t)
	tests := []struct {
		query, want string
	}{
		{"?count=0", v1ErrorBody(44, "count parameter is invalid.")},
		{"?count=ten", v1ErrorBody(44, "count parameter is invalid.")},
		{"?cursor=nope", v1ErrorBody(44, "cursor parameter is invalid.")},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp := f.call(f.alice, "GET", "/1.1/direct_messages/events/list.json"+tt.query, "")
			if resp.status != 400 || resp.body != tt.want {
				t.Errorf("answer = %d %s, want 400 %s", resp.status, resp.body, tt.want)
			}
		})
	}
}

func TestV11EventsShowAndDestroy(t *testing.T) {
	f := newDMFixture(t)
	id := f.sendV11(f.alice, f.bob, "to delete")
	const show = "/1.1/direct_messages/events/show.json?id="
	const destroy = "/1.1/direct_messages/events/destroy.json?id="

	resp := f.call(f.bob, "GET", show+id, "")
	var got v1EventResponse
	resp.decode(t, &got)
	if resp.status != 200 || got.Event.ID != id || got.Event.MessageCreate.MessageData.Text != "to delete" {
		t.Errorf("show = %d %s, want event %s", resp.status, resp.body, id)
	}
	missing := v1ErrorBody(34, "Sorry, that page does not exist.")
	if resp := f.call(f.carol, "GET", show+id, ""); resp.status != 404 || resp.body != missing {
		t.Errorf("show to a non-participant = %d %s, want 404 %s", resp.status, resp.body, missing)
	}
	if resp := f.call(f.carol, "DELETE", destroy+id, ""); resp.status != 404 || resp.body != missing {
		t.Errorf("destroy by a non-participant = %d %s, want 404 %s", resp.status, resp.body, missing)
	}
	if resp := f.call(f.bob, "DELETE", destroy+id, ""); resp.status != 204 || resp.body != "" {
		t.Errorf("destroy by the recipient = %d %q, want 204 and no body", resp.status, resp.body)
	}
	if resp := f.call(f.bob, "GET", show+id, ""); resp.status != 404 {
		t.Errorf("show after destroy = %d %s, want 404", resp.status, resp.body)
	}
	if resp := f.call(f.alice, "GET", show+id, ""); resp.status != 200 {
		t.Errorf("show to the sender after the recipient's destroy = %d %s, want 200", resp.status, resp.body)
	}
	for _, path := range []string{"/1.1/direct_messages/events/show.json", "/1.1/direct_messages/events/destroy.json"} {
		method := map[bool]string{true: "GET", false: "DELETE"}[strings.HasSuffix(path, "show.json")]
		want := v1ErrorBody(38, "id parameter is missing.")
		if resp := f.call(f.alice, method, path, ""); resp.status != 400 || resp.body != want {
			t.Errorf("%s %s without id = %d %s, want 400 %s", method, path, resp.status, resp.body, want)
		}
	}
}

func TestV11AndV2ShareEvents(t *testing.T) {
	f := newDMFixture(t)
	v11 := f.sendV11(f.alice, f.bob, "from v1.1")
	v2 := f.sendV2(f.bob, f.alice, "from v2")
	got := f.listV2(f.alice, "/2/dm_events")
	if len(got.Data) != 2 || got.Data[0].ID != v2 || got.Data[1].ID != v11 {
		t.Errorf("v2 listing = %+v, want %s then %s", got.Data, v2, v11)
	}
	ids, _ := f.listV11(f.alice, 50)
	if diff := cmp.Diff([]string{v2, v11}, ids); diff != "" {
		t.Errorf("v1.1 listing (-want +got):\n%s", diff)
	}
}

func TestV11IndicateTypingAndMarkRead(t *testing.T) {
	f := newDMFixture(t)
	last := f.sendV11(f.alice, f.bob, "are you there?")
	resp := f.form(f.bob, "POST", "/1.1/direct_messages/indicate_typing.json", url.Values{"recipient_id": {f.alice.ID}})
	if resp.status != 204 {
		t.Errorf("indicate_typing = %d %s, want 204", resp.status, resp.body)
	}
	f.clock.Advance(1000)
	resp = f.form(f.bob, "POST", "/1.1/direct_messages/mark_read.json",
		url.Values{"recipient_id": {f.alice.ID}, "last_read_event_id": {last}})
	if resp.status != 204 {
		t.Errorf("mark_read = %d %s, want 204", resp.status, resp.body)
	}
	want := []Indicator{
		{Kind: IndicatorTyping, SenderID: f.bob.ID, RecipientID: f.alice.ID, Time: f.clock.Now().Add(-1000)},
		{Kind: IndicatorRead, SenderID: f.bob.ID, RecipientID: f.alice.ID, LastReadEventID: last, Time: f.clock.Now()},
	}
	if diff := cmp.Diff(want, f.srv.Indicators()); diff != "" {
		t.Errorf("Indicators (-want +got):\n%s", diff)
	}
}

func TestV11IndicatorErrors(t *testing.T) {
	f := newDMFixture(t)
	event := f.sendV11(f.alice, f.bob, "hello")
	other := f.sendV11(f.alice, f.carol, "hello carol")
	const typing = "/1.1/direct_messages/indicate_typing.json"
	const read = "/1.1/direct_messages/mark_read.json"
	tests := []struct {
		name, path string
		form       url.Values
		wantStatus int
		want       string
	}{
		{"typing without recipient", typing, url.Values{}, 400, v1ErrorBody(38, "recipient_id parameter is missing.")},
		{"typing to unknown user", typing, url.Values{"recipient_id": {"42"}}, 404, v1ErrorBody(50, "User not found.")},
		{"read without event", read, url.Values{"recipient_id": {f.alice.ID}}, 400,
			v1ErrorBody(38, "last_read_event_id parameter is missing.")},
		{"read without recipient", read, url.Values{"last_read_event_id": {event}}, 400,
			v1ErrorBody(38, "recipient_id parameter is missing.")},
		{"read to unknown user", read, url.Values{"recipient_id": {"42"}, "last_read_event_id": {event}}, 404,
			v1ErrorBody(50, "User not found.")},
		{"read of another conversation", read, url.Values{"recipient_id": {f.alice.ID}, "last_read_event_id": {other}}, 400,
			v1ErrorBody(44, "last_read_event_id parameter is invalid.")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.form(f.bob, "POST", tt.path, tt.form)
			if resp.status != tt.wantStatus || resp.body != tt.want {
				t.Errorf("answer = %d %s, want %d %s", resp.status, resp.body, tt.wantStatus, tt.want)
			}
		})
	}
	if n := len(f.srv.Indicators()); n != 0 {
		t.Errorf("recorded %d indicators, want 0", n)
	}
}

func TestV11EventJSONNumbersExact(t *testing.T) {
	f := newDMFixture(t)
	body := `{"event":{"type":"message_create","message_create":{"target":{"recipient_id":"` + f.bob.ID + `"},` +
		`"message_data":{"text":"x","attachment":{"type":"media","media":{"id":"18446744073709551615"}}}}}}`
	resp := f.call(f.alice, "POST", "/1.1/direct_messages/events/new.json", body)
	var got struct {
		Event struct {
			MessageCreate struct {
				MessageData struct {
					Attachment struct {
						Media struct {
							ID json.Number `json:"id"`
						} `json:"media"`
					} `json:"attachment"`
				} `json:"message_data"`
			} `json:"message_create"`
		} `json:"event"`
	}
	dec := json.NewDecoder(strings.NewReader(resp.body))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("decode %s: %v", resp.body, err)
	}
	if id := got.Event.MessageCreate.MessageData.Attachment.Media.ID; id != "18446744073709551615" {
		t.Errorf("media id = %s, want 18446744073709551615", id)
	}
}
