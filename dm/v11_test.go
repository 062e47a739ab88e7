package dm

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// v11EventResponse is X's response to events/new.json and events/show.json
// for a message with every optional part.
const v11EventResponse = `{"event":{
  "type":"message_create","id":"1580705921830768650","created_timestamp":"1665702031000",
  "initiated_via":{"welcome_message_id":"1580705921830768700"},
  "message_create":{
    "target":{"recipient_id":"944480690"},
    "sender_id":"906948460078698496","source_app_id":"268278",
    "message_data":{
      "text":"Pick one","entities":{"hashtags":[],"symbols":[],"urls":[],"user_mentions":[]},
      "quick_reply":{"type":"options","options":[
        {"label":"Red","description":"warm","metadata":"color-red"},
        {"label":"Blue","description":"cold","metadata":"color-blue"}]},
      "attachment":{"type":"media","media":{"id":1455952740635586573,"id_str":"1455952740635586573","type":"photo"}},
      "ctas":[{"type":"web_url","label":"Shop","url":"https://example.com/shop","tco_url":"https://t.co/abc"}]
    }
  }
}}`

var v11Message = V11Message{
	Text: "Pick one",
	QuickReplies: []QuickReplyOption{
		{Label: "Red", Description: "warm", Metadata: "color-red"},
		{Label: "Blue", Description: "cold", Metadata: "color-blue"},
	},
	MediaID: "1455952740635586573",
	Buttons: []Button{{Type: "web_url", Label: "Shop", URL: "https://example.com/shop"}},
}

var wantV11Event = V11Event{
	ID:               "1580705921830768650",
	Type:             "message_create",
	CreatedAt:        time.Date(2022, 10, 13, 23, 0, 31, 0, time.UTC),
	RecipientID:      "944480690",
	SenderID:         "906948460078698496",
	SourceAppID:      "268278",
	Message:          v11Message,
	WelcomeMessageID: "1580705921830768700",
}

const welcomeResponse = `{"welcome_message":{"id":"1580705921830768700","created_timestamp":"1665702031000",
  "name":"default","message_data":{"text":"Welcome!","entities":{"hashtags":[]}}},
  "apps":{"268278":{"id":"268278","name":"Shop app"}}}`

var wantWelcome = WelcomeMessage{
	ID: "1580705921830768700", Name: "default",
	CreatedAt: time.Date(2022, 10, 13, 23, 0, 31, 0, time.UTC),
	Message:   V11Message{Text: "Welcome!"},
}

const ruleResponse = `{"welcome_message_rule":{"id":"9910934913490319","created_timestamp":"1665702031000","welcome_message_id":"1580705921830768700"}}`

var wantRule = WelcomeRule{
	ID: "9910934913490319", WelcomeMessageID: "1580705921830768700",
	CreatedAt: time.Date(2022, 10, 13, 23, 0, 31, 0, time.UTC),
}

func v11Calls() []v2Call {
	return []v2Call{
		{
			name: "send with quick replies media and buttons",
			call: func(ctx context.Context, c *Client) (any, error) {
				m := v11Message
				m.Buttons = []Button{{Label: "Shop", URL: "https://example.com/shop"}}
				return c.SendV11(ctx, "944480690", m)
			},
			ex: exchange{
				method: "POST", path: "/1.1/direct_messages/events/new.json",
				json: `{"event":{"type":"message_create","message_create":{
					"target":{"recipient_id":"944480690"},
					"message_data":{"text":"Pick one",
					  "quick_reply":{"type":"options","options":[
					    {"label":"Red","description":"warm","metadata":"color-red"},
					    {"label":"Blue","description":"cold","metadata":"color-blue"}]},
					  "attachment":{"type":"media","media":{"id":"1455952740635586573"}},
					  "ctas":[{"type":"web_url","label":"Shop","url":"https://example.com/shop"}]}}}}`,
				status: http.StatusOK, response: v11EventResponse,
			},
			want: wantV11Event,
		},
		{
			name: "send text only",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.SendV11(ctx, "944480690", V11Message{Text: "Hi"})
			},
			ex: exchange{
				method: "POST", path: "/1.1/direct_messages/events/new.json",
				json: `{"event":{"type":"message_create","message_create":{
					"target":{"recipient_id":"944480690"},"message_data":{"text":"Hi"}}}}`,
				status: http.StatusOK, response: v11EventResponse,
			},
			want: wantV11Event,
		},
		{
			name: "show event",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ShowV11(ctx, "1580705921830768650")
			},
			ex: exchange{
				method: "GET", path: "/1.1/direct_messages/events/show.json",
				query:  url.Values{"id": {"1580705921830768650"}},
				status: http.StatusOK, response: v11EventResponse,
			},
			want: wantV11Event,
		},
		{
			name: "destroy event",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DestroyV11(ctx, "1580705921830768650")
			},
			ex: exchange{
				method: "DELETE", path: "/1.1/direct_messages/events/destroy.json",
				query:  url.Values{"id": {"1580705921830768650"}},
				status: http.StatusNoContent,
			},
		},
		{
			name: "indicate typing",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.IndicateTyping(ctx, "944480690")
			},
			ex: exchange{
				method: "POST", path: "/1.1/direct_messages/indicate_typing.json",
				form:   url.Values{"recipient_id": {"944480690"}},
				status: http.StatusNoContent,
			},
		},
		{
			name: "mark read",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.MarkRead(ctx, "944480690", "1580705921830768650")
			},
			ex: exchange{
				method: "POST", path: "/1.1/direct_messages/mark_read.json",
				form: url.Values{
					"recipient_id":       {"944480690"},
					"last_read_event_id": {"1580705921830768650"},
				},
				status: http.StatusNoContent,
			},
		},
		{
			name: "list first page omits cursor",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListV11(ctx, 50, "")
			},
			ex: exchange{
				method: "GET", path: "/1.1/direct_messages/events/list.json",
				query:  url.Values{"count": {"50"}},
				status: http.StatusOK,
				response: `{"events":[` + v11EventResponse[len(`{"event":`):len(v11EventResponse)-1] + `],
					"next_cursor":"MTU4MDcwNTkyMTgzMDc2ODY1MA"}`,
			},
			want: V11Page{Events: []V11Event{wantV11Event}, NextCursor: "MTU4MDcwNTkyMTgzMDc2ODY1MA"},
		},
		{
			name: "list next page with default count",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListV11(ctx, 0, "MTU4MDcwNTkyMTgzMDc2ODY1MA")
			},
			ex: exchange{
				method: "GET", path: "/1.1/direct_messages/events/list.json",
				query:  url.Values{"cursor": {"MTU4MDcwNTkyMTgzMDc2ODY1MA"}},
				status: http.StatusOK, response: `{"events":[]}`,
			},
			want: V11Page{},
		},
		{
			name: "new welcome message",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.NewWelcomeMessage(ctx, "default", V11Message{Text: "Welcome!"})
			},
			ex: exchange{
				method: "POST", path: "/1.1/direct_messages/welcome_messages/new.json",
				json:   `{"welcome_message":{"name":"default","message_data":{"text":"Welcome!"}}}`,
				status: http.StatusOK, response: welcomeResponse,
			},
			want: wantWelcome,
		},
		{
			name: "show welcome message",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ShowWelcomeMessage(ctx, "1580705921830768700")
			},
			ex: exchange{
				method: "GET", path: "/1.1/direct_messages/welcome_messages/show.json",
				query:  url.Values{"id": {"1580705921830768700"}},
				status: http.StatusOK, response: welcomeResponse,
			},
			want: wantWelcome,
		},
		{
			name: "list welcome messages",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.WelcomeMessages(ctx, 20, "")
			},
			ex: exchange{
				method: "GET", path: "/1.1/direct_messages/welcome_messages/list.json",
				query:  url.Values{"count": {"20"}},
				status: http.StatusOK,
				response: `{"welcome_messages":[{"id":"1580705921830768700","created_timestamp":"1665702031000",
					"name":"default","message_data":{"text":"Welcome!"}}],"next_cursor":"NDUzNDUzNDU"}`,
			},
			want: WelcomeMessagePage{WelcomeMessages: []WelcomeMessage{wantWelcome}, NextCursor: "NDUzNDUzNDU"},
		},
		{
			name: "destroy welcome message",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DestroyWelcomeMessage(ctx, "1580705921830768700")
			},
			ex: exchange{
				method: "DELETE", path: "/1.1/direct_messages/welcome_messages/destroy.json",
				query:  url.Values{"id": {"1580705921830768700"}},
				status: http.StatusNoContent,
			},
		},
		{
			name: "new welcome rule",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.NewWelcomeRule(ctx, "1580705921830768700")
			},
			ex: exchange{
				method: "POST", path: "/1.1/direct_messages/welcome_messages/rules/new.json",
				json:   `{"welcome_message_rule":{"welcome_message_id":"1580705921830768700"}}`,
				status: http.StatusOK, response: ruleResponse,
			},
			want: wantRule,
		},
		{
			name: "show welcome rule",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ShowWelcomeRule(ctx, "9910934913490319")
			},
			ex: exchange{
				method: "GET", path: "/1.1/direct_messages/welcome_messages/rules/show.json",
				query:  url.Values{"id": {"9910934913490319"}},
				status: http.StatusOK, response: ruleResponse,
			},
			want: wantRule,
		},
		{
			name: "list welcome rules",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.WelcomeRules(ctx, 0, "")
			},
			ex: exchange{
				method: "GET", path: "/1.1/direct_messages/welcome_messages/rules/list.json",
				status: http.StatusOK,
				response: `{"welcome_message_rules":[{"id":"9910934913490319","created_timestamp":"1665702031000",
					"welcome_message_id":"1580705921830768700"}]}`,
			},
			want: WelcomeRulePage{Rules: []WelcomeRule{wantRule}},
		},
		{
			name: "destroy welcome rule",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DestroyWelcomeRule(ctx, "9910934913490319")
			},
			ex: exchange{
				method: "DELETE", path: "/1.1/direct_messages/welcome_messages/rules/destroy.json",
				query:  url.Values{"id": {"9910934913490319"}},
				status: http.StatusNoContent,
			},
		},
	}
}

// TestV11Calls pins the method, path, query, body and Authorization of
// every v1.1 call and checks the decoded result.
func TestV11Calls(t *testing.T) {
	for _, tc := range v11Calls() {
		t.Run(tc.name, func(t *testing.T) {
			c, mock := newMock(t)
			expect(t, mock, tc.ex)
			got, err := tc.call(context.Background(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			checkCalls(t, mock, 1)
			if tc.want == nil {
				return
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
