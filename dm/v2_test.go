package dm

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/goodgo/xactivity"
)

const sendResponse = `{"data":{"dm_conversation_id":"1582838223104090117","dm_event_id":"1582838223104090118"}}`

var sendResult = SendResult{ConversationID: "1582838223104090117", EventID: "1582838223104090118"}

// eventResponse is one MessageCreate event with every field X returns,
// and its includes.
const eventResponse = `{
  "data": {
    "id": "1580705921830768647",
    "event_type": "MessageCreate",
    "text": "Hello https://t.co/x",
    "sender_id": "906948460078698496",
    "dm_conversation_id": "906948460078698496-944480690",
    "created_at": "2022-10-13T23:00:31.000Z",
    "attachments": {"media_keys": ["3_1580705921830768648"]},
    "referenced_tweets": [{"id": "1578900353814519810"}]
  },
  "includes": {
    "users": [{"id": "906948460078698496", "name": "Shop", "username": "shop_demo"}],
    "media": [{"media_key": "3_1580705921830768648", "type": "photo", "url": "https://pbs.twimg.com/media/x.jpg", "width": 640, "height": 480}]
  }
}`

var wantEvent = Event{
	ID:                 "1580705921830768647",
	Type:               MessageCreate,
	Text:               "Hello https://t.co/x",
	SenderID:           "906948460078698496",
	ConversationID:     "906948460078698496-944480690",
	CreatedAt:          time.Date(2022, 10, 13, 23, 0, 31, 0, time.UTC),
	MediaKeys:          []string{"3_1580705921830768648"},
	ReferencedTweetIDs: []string{"1578900353814519810"},
}

var wantIncludes = Includes{
	Users: []User{{ID: "906948460078698496", Name: "Shop", Username: "shop_demo"}},
	Media: []Media{{
		MediaKey: "3_1580705921830768648", Type: "photo",
		URL: "https://pbs.twimg.com/media/x.jpg", Width: 640, Height: 480,
	}},
}

// v2Call is one client call and the exchange it must produce.
type v2Call struct {
	name string
	call func(context.Context, *Client) (any, error)
	ex   exchange
	want any
}

func v2Calls() []v2Call {
	return []v2Call{
		{
			name: "send to participant text",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.SendToParticipant(ctx, "9876543210", Message{Text: "Hello!"})
			},
			ex: exchange{
				method: "POST", path: "/2/dm_conversations/with/9876543210/messages",
				json:   `{"text":"Hello!"}`,
				status: http.StatusCreated, response: sendResponse,
			},
			want: sendResult,
		},
		{
			name: "send to participant media only",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.SendToParticipant(ctx, "9876543210", Message{MediaIDs: []string{"1455952740635586573"}})
			},
			ex: exchange{
				method: "POST", path: "/2/dm_conversations/with/9876543210/messages",
				json:   `{"attachments":[{"media_id":"1455952740635586573"}]}`,
				status: http.StatusCreated, response: sendResponse,
			},
			want: sendResult,
		},
		{
			name: "send to one-to-one conversation",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.SendToConversation(ctx, "906948460078698496-944480690",
					Message{Text: "Hi", MediaIDs: []string{"1455952740635586573"}})
			},
			ex: exchange{
				method: "POST", path: "/2/dm_conversations/906948460078698496-944480690/messages",
				json:   `{"text":"Hi","attachments":[{"media_id":"1455952740635586573"}]}`,
				status: http.StatusCreated, response: sendResponse,
			},
			want: sendResult,
		},
		{
			name: "send to group conversation",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.SendToConversation(ctx, "1582838223104090117", Message{Text: "Hi all"})
			},
			ex: exchange{
				method: "POST", path: "/2/dm_conversations/1582838223104090117/messages",
				json:   `{"text":"Hi all"}`,
				status: http.StatusCreated, response: sendResponse,
			},
			want: sendResult,
		},
		{
			name: "create group conversation",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateGroupConversation(ctx, []string{"944480690", "906948460078698496"},
					Message{Text: "Welcome", MediaIDs: []string{"1455952740635586573"}})
			},
			ex: exchange{
				method: "POST", path: "/2/dm_conversations",
				json: `{"conversation_type":"Group","participant_ids":["944480690","906948460078698496"],
					"message":{"text":"Welcome","attachments":[{"media_id":"1455952740635586573"}]}}`,
				status: http.StatusCreated, response: sendResponse,
			},
			want: sendResult,
		},
		{
			name: "send with partial errors",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.SendToParticipant(ctx, "9876543210", Message{Text: "Hello!"})
			},
			ex: exchange{
				method: "POST", path: "/2/dm_conversations/with/9876543210/messages",
				json:   `{"text":"Hello!"}`,
				status: http.StatusCreated,
				response: `{"data":{"dm_conversation_id":"1582838223104090117","dm_event_id":"1582838223104090118"},
					"errors":[{"type":"https://api.x.com/2/problems/resource-not-found","title":"Not Found Error",
					"detail":"Could not find media","resource_type":"media","resource_id":"1"}]}`,
			},
			want: SendResult{
				ConversationID: sendResult.ConversationID, EventID: sendResult.EventID,
				Partial: []xactivity.Problem{{
					Type:  "https://api.x.com/2/problems/resource-not-found",
					Title: "Not Found Error", Detail: "Could not find media",
					ResourceType: "media", ResourceID: "1",
				}},
			},
		},
		{
			name: "get event with fields",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Event(ctx, "1580705921830768647", Fields{
					DMEventFields: []string{"created_at", "dm_conversation_id", "attachments"},
					Expansions:    []string{"sender_id", "attachments.media_keys"},
					UserFields:    []string{"username", "name"},
					MediaFields:   []string{"url", "width", "height"},
				})
			},
			ex: exchange{
				method: "GET", path: "/2/dm_events/1580705921830768647",
				query: url.Values{
					"dm_event.fields": {"created_at,dm_conversation_id,attachments"},
					"expansions":      {"sender_id,attachments.media_keys"},
					"user.fields":     {"username,name"},
					"media.fields":    {"url,width,height"},
				},
				status: http.StatusOK, response: eventResponse,
			},
			want: EventResult{Event: wantEvent, Includes: wantIncludes},
		},
		{
			name: "delete event",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteEvent(ctx, "1580705921830768647")
			},
			ex: exchange{
				method: "DELETE", path: "/2/dm_events/1580705921830768647",
				status: http.StatusOK, response: `{"data":{"deleted":true}}`,
			},
		},
		{
			name: "first page of all events",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.EventPages(ListOptions{
					MaxResults: 50,
					EventTypes: []EventType{MessageCreate, ParticipantsJoin},
					Fields:     Fields{DMEventFields: []string{"created_at", "dm_conversation_id"}},
				}).Next(ctx)
			},
			ex: exchange{
				method: "GET", path: "/2/dm_events",
				query: url.Values{
					"max_results":     {"50"},
					"event_types":     {"MessageCreate,ParticipantsJoin"},
					"dm_event.fields": {"created_at,dm_conversation_id"},
				},
				status:   http.StatusOK,
				response: `{"data":[{"id":"1580705921830768647","event_type":"MessageCreate","text":"Hi"}],"meta":{"result_count":1,"next_token":"18LAA581J5II7LA00000"}}`,
			},
			want: Page{
				Events:      []Event{{ID: "1580705921830768647", Type: MessageCreate, Text: "Hi"}},
				ResultCount: 1, NextToken: "18LAA581J5II7LA00000",
			},
		},
		{
			name: "resumed page of one conversation",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ConversationEventPages("1582838223104090117",
					ListOptions{PaginationToken: "18LAA581J5II7LA00000"}).Next(ctx)
			},
			ex: exchange{
				method: "GET", path: "/2/dm_conversations/1582838223104090117/dm_events",
				query:    url.Values{"pagination_token": {"18LAA581J5II7LA00000"}},
				status:   http.StatusOK,
				response: `{"meta":{"result_count":0}}`,
			},
			want: Page{},
		},
		{
			name: "page of a participant's conversation",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ParticipantEventPages("944480690", ListOptions{
					MaxResults: 1,
					Fields:     Fields{Expansions: []string{"participant_ids"}},
				}).Next(ctx)
			},
			ex: exchange{
				method: "GET", path: "/2/dm_conversations/with/944480690/dm_events",
				query:  url.Values{"max_results": {"1"}, "expansions": {"participant_ids"}},
				status: http.StatusOK,
				response: `{"data":[{"id":"1580705921830768649","event_type":"ParticipantsJoin",
					"dm_conversation_id":"1582838223104090117","participant_ids":["944480690"]}],
					"includes":{"users":[{"id":"944480690","name":"Ann","username":"ann"}]},
					"meta":{"result_count":1}}`,
			},
			want: Page{
				Events: []Event{{
					ID: "1580705921830768649", Type: ParticipantsJoin,
					ConversationID: "1582838223104090117", ParticipantIDs: []string{"944480690"},
				}},
				Includes:    Includes{Users: []User{{ID: "944480690", Name: "Ann", Username: "ann"}}},
				ResultCount: 1,
			},
		},
	}
}

// TestV2Calls pins the method, path, query, body and Authorization of
// every v2 call, validates each request and canned response against X's
// OpenAPI description, and checks the decoded result.
func TestV2Calls(t *testing.T) {
	for _, tc := range v2Calls() {
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

// TestV2CallsWithBearer shows that the client works with an OAuth 2.0
// user-context client: it adds no credentials of its own, and the bearer
// header satisfies the OpenAPI description's OAuth2UserToken scheme.
func TestV2CallsWithBearer(t *testing.T) {
	var got *http.Request
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		got = req
		if err := validateV2Request(t, req); err != nil {
			t.Errorf("request does not conform to X's OpenAPI description: %v", err)
		}
		return jsonResponse(req, http.StatusCreated, sendResponse), nil
	})
	c, err := NewClient(&http.Client{Transport: bearer{token: "user-access-token", base: rt}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.SendToParticipant(context.Background(), "9876543210", Message{Text: "Hello!"})
	if err != nil {
		t.Fatalf("SendToParticipant: %v", err)
	}
	if res.EventID != sendResult.EventID {
		t.Errorf("EventID = %q, want %q", res.EventID, sendResult.EventID)
	}
	if auth := got.Header.Get("Authorization"); auth != "Bearer user-access-token" {
		t.Errorf("Authorization = %q, want the bearer token only", auth)
	}
}

// TestOpenAPIValidatorRejects guards the OpenAPI checks above: a request
// that breaks the description must fail them.
func TestOpenAPIValidatorRejects(t *testing.T) {
	tests := []struct {
		name, method, url, body, auth string
	}{
		{"unknown body field", "POST", "https://api.x.com/2/dm_conversations/with/123/messages", `{"txt":"hi"}`, "OAuth x"},
		{"empty text", "POST", "https://api.x.com/2/dm_conversations/with/123/messages", `{"text":""}`, "OAuth x"},
		{"max results above 100", "GET", "https://api.x.com/2/dm_events?max_results=500", "", "OAuth x"},
		{"no authorization", "GET", "https://api.x.com/2/dm_events", "", ""},
		{"group of one", "POST", "https://api.x.com/2/dm_conversations",
			`{"conversation_type":"Group","participant_ids":["1"],"message":{"text":"x"}}`, "OAuth x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := newTestRequest(t, tc.method, tc.url, tc.body)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			if err := validateV2Request(t, req); err == nil {
				t.Error("validateV2Request accepted the request, want an error")
			}
		})
	}
}

// TestOpenAPIResponseValidatorRejects guards the response checks: a body
// that breaks the description must fail them.
func TestOpenAPIResponseValidatorRejects(t *testing.T) {
	req := newTestRequest(t, "POST", "https://api.x.com/2/dm_conversations/with/123/messages", `{"text":"hi"}`)
	header := http.Header{"Content-Type": {"application/json"}}
	body := `{"data":{"dm_event_id":5}}`
	if err := validateV2Response(t, req, http.StatusCreated, header, body); err == nil {
		t.Errorf("validateV2Response accepted %s, want an error", body)
	}
}
