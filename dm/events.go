package dm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/internal/wire"
	"github.com/goodgo/xactivity/ratelimit"
)

// EventType is the kind of a v2 DM event.
type EventType string

// The event types X documents. Others may appear and are kept as sent.
const (
	MessageCreate     EventType = "MessageCreate"
	ParticipantsJoin  EventType = "ParticipantsJoin"
	ParticipantsLeave EventType = "ParticipantsLeave"
)

// Event is one v2 DM event. Fields that were not requested with
// Fields.DMEventFields are empty; X always returns ID and Type.
type Event struct {
	ID             string
	Type           EventType
	Text           string
	SenderID       string
	ConversationID string
	// CreatedAt is the zero Time when absent or not RFC 3339.
	CreatedAt      time.Time
	ParticipantIDs []string
	MediaKeys      []string
	CardIDs        []string
	// ReferencedTweetIDs lists the posts the message links to, from
	// referenced_tweets (API responses) or referenced_posts (X's OpenAPI
	// description).
	ReferencedTweetIDs []string
}

// User is an expanded user of a response's includes.
type User struct {
	ID       string
	Name     string
	Username string
}

// Media is an expanded media item of a response's includes.
type Media struct {
	MediaKey        string
	Type            string
	URL             string
	PreviewImageURL string
	Width, Height   int
}

// Tweet is an expanded post of a response's includes.
type Tweet struct {
	ID       string
	Text     string
	AuthorID string
}

// Includes holds the objects expanded with Fields.Expansions.
type Includes struct {
	Users  []User
	Media  []Media
	Tweets []Tweet
}

// Fields selects the optional fields and expansions of v2 DM lookups. Each
// list is sent comma-separated, in order, without duplicates; nil sends
// nothing and X returns its defaults (id, event_type, text).
type Fields struct {
	// DMEventFields is dm_event.fields, such as "created_at",
	// "sender_id", "dm_conversation_id", "participant_ids", "attachments".
	DMEventFields []string
	// Expansions is expansions, such as "sender_id", "participant_ids",
	// "attachments.media_keys".
	Expansions []string
	// UserFields is user.fields, such as "username".
	UserFields []string
	// MediaFields is media.fields, such as "url".
	MediaFields []string
}

func (f Fields) validate() error {
	for name, list := range f.byParameter() {
		for _, v := range list {
			if v == "" || strings.ContainsAny(v, ", ") {
				return invalidf("%s value %q is empty or contains a comma or space", name, v)
			}
		}
	}
	return nil
}

func (f Fields) byParameter() map[string][]string {
	return map[string][]string{
		"dm_event.fields": f.DMEventFields,
		"expansions":      f.Expansions,
		"user.fields":     f.UserFields,
		"media.fields":    f.MediaFields,
	}
}

func (f Fields) addTo(q url.Values) {
	for name, list := range f.byParameter() {
		if len(list) > 0 {
			q.Set(name, joinUnique(list))
		}
	}
}

func joinUnique(list []string) string {
	seen := make(map[string]bool, len(list))
	out := make([]string, 0, len(list))
	for _, v := range list {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return strings.Join(out, ",")
}

// EventResult is the response of a single-event lookup.
type EventResult struct {
	Event    Event
	Includes Includes
	// Partial lists problems X reported beside the event, such as an
	// expansion it could not resolve.
	Partial []xactivity.Problem
	// Rate contains the limits of the response's rate-limit headers.
	Rate ratelimit.Rate
}

// Event returns the DM event id (GET /2/dm_events/:event_id). A lookup of
// an event that does not exist, or that the user cannot see, returns an
// *xactivity.APIError for which xactivity.IsPermanent is true.
func (c *Client) Event(ctx context.Context, id string, f Fields) (EventResult, error) {
	if err := checkID("event id", id); err != nil {
		return EventResult{}, err
	}
	if err := f.validate(); err != nil {
		return EventResult{}, err
	}
	q := url.Values{}
	f.addTo(q)
	call := wire.Call{Method: http.MethodGet, Path: path("2", "dm_events", id), Query: q}
	resp, err := c.do(ctx, "get event", call)
	if err != nil {
		return EventResult{}, err
	}
	result, found, err := decodeEventResult(resp.Body)
	if err != nil {
		return EventResult{}, err
	}
	if !found {
		return EventResult{}, wire.NewPartialError(call.Endpoint(), resp, result.Partial)
	}
	result.Rate = ratelimit.Parse(resp.Header)
	return result, nil
}

// DeleteEvent deletes the DM event id for the user
// (DELETE /2/dm_events/:event_id). It returns an error when X reports
// "deleted": false.
func (c *Client) DeleteEvent(ctx context.Context, id string) error {
	if err := checkID("event id", id); err != nil {
		return err
	}
	call := wire.Call{Method: http.MethodDelete, Path: path("2", "dm_events", id)}
	resp, err := c.do(ctx, "delete event", call)
	if err != nil {
		return err
	}
	deleted, problems, err := decodeDeleted(resp.Body)
	if err != nil {
		return err
	}
	if !deleted {
		if len(problems) > 0 {
			return fmt.Errorf("dm: delete event: %w", wire.NewPartialError(call.Endpoint(), resp, problems))
		}
		return fmt.Errorf("dm: delete event %s: X reported it was not deleted", id)
	}
	return nil
}

func decodeDeleted(body []byte) (bool, []xactivity.Problem, error) {
	var v struct {
		Data *struct {
			Deleted bool `json:"deleted"`
		} `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return false, nil, fmt.Errorf("dm: delete event: decode response: %w", err)
	}
	return v.Data != nil && v.Data.Deleted, wire.Problems(v.Errors), nil
}

// eventJSON is the wire form of a DM event. Ids are FlexString because X
// has sent ids as numbers in other endpoints; tolerating it costs nothing.
type eventJSON struct {
	ID               wire.FlexString   `json:"id"`
	EventType        string            `json:"event_type"`
	Text             string            `json:"text"`
	SenderID         wire.FlexString   `json:"sender_id"`
	ConversationID   wire.FlexString   `json:"dm_conversation_id"`
	CreatedAt        string            `json:"created_at"`
	ParticipantIDs   []wire.FlexString `json:"participant_ids"`
	ReferencedTweets []referenceJSON   `json:"referenced_tweets"`
	ReferencedPosts  []referenceJSON   `json:"referenced_posts"`
	Attachments      struct {
		MediaKeys []string `json:"media_keys"`
		CardIDs   []string `json:"card_ids"`
	} `json:"attachments"`
}

type referenceJSON struct {
	ID wire.FlexString `json:"id"`
}

func (e eventJSON) event() Event {
	out := Event{
		ID:             string(e.ID),
		Type:           EventType(e.EventType),
		Text:           e.Text,
		SenderID:       string(e.SenderID),
		ConversationID: string(e.ConversationID),
		ParticipantIDs: flexStrings(e.ParticipantIDs),
		MediaKeys:      e.Attachments.MediaKeys,
		CardIDs:        e.Attachments.CardIDs,
	}
	if t, err := time.Parse(time.RFC3339, e.CreatedAt); err == nil {
		out.CreatedAt = t.UTC()
	}
	for _, r := range append(e.ReferencedTweets, e.ReferencedPosts...) {
		out.ReferencedTweetIDs = append(out.ReferencedTweetIDs, string(r.ID))
	}
	return out
}

func flexStrings(in []wire.FlexString) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}

// includesJSON is the wire form of includes. X's API responses name the
// posts "tweets"; X's OpenAPI description names them "posts". Both are
// read.
type includesJSON struct {
	Users []struct {
		ID       wire.FlexString `json:"id"`
		Name     string          `json:"name"`
		Username string          `json:"username"`
	} `json:"users"`
	Media []struct {
		MediaKey        string `json:"media_key"`
		Type            string `json:"type"`
		URL             string `json:"url"`
		PreviewImageURL string `json:"preview_image_url"`
		Width           int    `json:"width"`
		Height          int    `json:"height"`
	} `json:"media"`
	Tweets []tweetJSON `json:"tweets"`
	Posts  []tweetJSON `json:"posts"`
}

type tweetJSON struct {
	ID       wire.FlexString `json:"id"`
	Text     string          `json:"text"`
	AuthorID wire.FlexString `json:"author_id"`
}

func (in includesJSON) includes() Includes {
	var out Includes
	for _, u := range in.Users {
		out.Users = append(out.Users, User{ID: string(u.ID), Name: u.Name, Username: u.Username})
	}
	for _, m := range in.Media {
		out.Media = append(out.Media, Media{
			MediaKey: m.MediaKey, Type: m.Type, URL: m.URL,
			PreviewImageURL: m.PreviewImageURL, Width: m.Width, Height: m.Height,
		})
	}
	for _, t := range append(in.Tweets, in.Posts...) {
		out.Tweets = append(out.Tweets, Tweet{ID: string(t.ID), Text: t.Text, AuthorID: string(t.AuthorID)})
	}
	return out
}

// decodeEventResult decodes {"data":DmEvent,"includes","errors"}. found is
// false when data is absent, and Partial then holds X's reasons.
func decodeEventResult(body []byte) (result EventResult, found bool, err error) {
	var v struct {
		Data     *eventJSON      `json:"data"`
		Includes includesJSON    `json:"includes"`
		Errors   json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return EventResult{}, false, fmt.Errorf("dm: get event: decode response: %w", err)
	}
	result.Partial = wire.Problems(v.Errors)
	if v.Data == nil {
		return result, false, nil
	}
	result.Event = v.Data.event()
	result.Includes = v.Includes.includes()
	return result, true, nil
}

// ListOptions selects what a v2 event listing returns.
type ListOptions struct {
	// MaxResults is the page size, 1 to 100; 0 leaves X's default (100).
	MaxResults int
	// EventTypes restricts the events to these types; nil means all.
	EventTypes []EventType
	// PaginationToken starts the listing at a page returned earlier as
	// Page.NextToken; "" starts at the newest events.
	PaginationToken string
	Fields
}

func (o ListOptions) validate() error {
	if o.MaxResults < 0 || o.MaxResults > 100 {
		return invalidf("max results %d is outside 1 to 100", o.MaxResults)
	}
	for _, t := range o.EventTypes {
		if t == "" || strings.ContainsAny(string(t), ", ") {
			return invalidf("event type %q is empty or contains a comma or space", t)
		}
	}
	return o.Fields.validate()
}

func (o ListOptions) query(token string) url.Values {
	q := url.Values{}
	if o.MaxResults > 0 {
		q.Set("max_results", strconv.Itoa(o.MaxResults))
	}
	if len(o.EventTypes) > 0 {
		types := make([]string, len(o.EventTypes))
		for i, t := range o.EventTypes {
			types[i] = string(t)
		}
		q.Set("event_types", joinUnique(types))
	}
	if token != "" {
		q.Set("pagination_token", token)
	}
	o.Fields.addTo(q)
	return q
}

// Page is one page of a v2 event listing, newest events first. A page may
// be empty while NextToken is set; the listing ends only when NextToken is
// "".
type Page struct {
	Events        []Event
	Includes      Includes
	ResultCount   int
	NextToken     string
	PreviousToken string
	// Partial lists problems X reported beside the page.
	Partial []xactivity.Problem
	// Rate contains the limits of the response's rate-limit headers.
	Rate ratelimit.Rate
}

// decodePage decodes {"data":[DmEvent],"includes","meta","errors"}. found
// is false when the body has errors and no data, which X uses for a
// request that failed as a whole.
func decodePage(body []byte) (page Page, found bool, err error) {
	var v struct {
		Data     []eventJSON     `json:"data"`
		Includes includesJSON    `json:"includes"`
		Errors   json.RawMessage `json:"errors"`
		Meta     struct {
			ResultCount   wire.FlexInt    `json:"result_count"`
			NextToken     wire.FlexString `json:"next_token"`
			PreviousToken wire.FlexString `json:"previous_token"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return Page{}, false, fmt.Errorf("dm: list events: decode response: %w", err)
	}
	page.Partial = wire.Problems(v.Errors)
	if v.Data == nil && len(page.Partial) > 0 {
		return page, false, nil
	}
	for _, e := range v.Data {
		page.Events = append(page.Events, e.event())
	}
	page.Includes = v.Includes.includes()
	page.ResultCount = int(v.Meta.ResultCount)
	page.NextToken = string(v.Meta.NextToken)
	page.PreviousToken = string(v.Meta.PreviousToken)
	return page, true, nil
}

// errRepeatedToken stops a listing whose next page token equals the token
// of the page just read, which would otherwise loop forever.
var errRepeatedToken = errors.New("dm: X returned the same pagination token again")
