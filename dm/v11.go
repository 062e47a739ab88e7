package dm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/goodgo/xactivity/internal/wire"
	"github.com/goodgo/xactivity/ratelimit"
)

// Limits X documents for v1.1 messages, checked before a request is sent.
// Lengths count Unicode code points.
const (
	MaxQuickReplyOptions     = 20
	MaxQuickReplyLabel       = 36
	MaxQuickReplyDescription = 72
	MaxQuickReplyMetadata    = 1000
	MaxButtons               = 3
	MaxButtonLabel           = 36
	// MaxV11PageSize is the largest count of the v1.1 list endpoints.
	MaxV11PageSize = 50
)

// ButtonTypeWebURL is the only button type X supports: a button that
// opens URL.
const ButtonTypeWebURL = "web_url"

// V11Message is the content of a v1.1 Direct Message or welcome message.
// Text or MediaID must be set.
type V11Message struct {
	// Text is at most MaxTextLength code points of valid UTF-8.
	Text string
	// QuickReplies lists up to MaxQuickReplyOptions options the
	// recipient can tap; the chosen option's Label comes back as the
	// reply's text and its Metadata as quick_reply_response.
	QuickReplies []QuickReplyOption
	// MediaID attaches one uploaded DM media item.
	MediaID string
	// Buttons lists up to MaxButtons call-to-action buttons.
	Buttons []Button
}

// QuickReplyOption is one option of a quick reply. If any option of a
// message has a Description, all must have one.
type QuickReplyOption struct {
	// Label is 1 to MaxQuickReplyLabel code points and must not contain a
	// URL; X rejects one, but the client does not check for it.
	Label string
	// Description is shown under the label, at most
	// MaxQuickReplyDescription code points.
	Description string
	// Metadata is returned in the reply's webhook event, at most
	// MaxQuickReplyMetadata code points.
	Metadata string
}

// Button is a call-to-action button that opens a web page.
type Button struct {
	// Type is ButtonTypeWebURL; "" means the same.
	Type string
	// Label is 1 to MaxButtonLabel code points.
	Label string
	// URL is an absolute http or https URL.
	URL string
}

func (m V11Message) validate() error {
	if m.Text == "" && m.MediaID == "" {
		return invalidf("message has neither text nor media")
	}
	if err := checkText(m.Text); err != nil {
		return err
	}
	if m.MediaID != "" {
		if err := checkID("media id", m.MediaID); err != nil {
			return err
		}
	}
	if err := checkQuickReplies(m.QuickReplies); err != nil {
		return err
	}
	return checkButtons(m.Buttons)
}

func checkQuickReplies(options []QuickReplyOption) error {
	if len(options) > MaxQuickReplyOptions {
		return invalidf("%d quick reply options; the maximum is %d", len(options), MaxQuickReplyOptions)
	}
	described := 0
	for i, o := range options {
		if err := checkLength(fmt.Sprintf("quick reply option %d label", i), o.Label, 1, MaxQuickReplyLabel); err != nil {
			return err
		}
		if err := checkLength(fmt.Sprintf("quick reply option %d description", i), o.Description, 0, MaxQuickReplyDescription); err != nil {
			return err
		}
		if err := checkLength(fmt.Sprintf("quick reply option %d metadata", i), o.Metadata, 0, MaxQuickReplyMetadata); err != nil {
			return err
		}
		if o.Description != "" {
			described++
		}
	}
	if described != 0 && described != len(options) {
		return invalidf("%d of %d quick reply options have a description; X requires all or none", described, len(options))
	}
	return nil
}

func checkButtons(buttons []Button) error {
	if len(buttons) > MaxButtons {
		return invalidf("%d buttons; the maximum is %d", len(buttons), MaxButtons)
	}
	for i, b := range buttons {
		if b.Type != "" && b.Type != ButtonTypeWebURL {
			return invalidf("button %d has type %q; X supports only %q", i, b.Type, ButtonTypeWebURL)
		}
		if err := checkLength(fmt.Sprintf("button %d label", i), b.Label, 1, MaxButtonLabel); err != nil {
			return err
		}
		u, err := url.Parse(b.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !utf8.ValidString(b.URL) {
			return invalidf("button %d URL %q is not an absolute http or https URL", i, b.URL)
		}
	}
	return nil
}

func checkLength(name, s string, minLen, maxLen int) error {
	if !utf8.ValidString(s) {
		return invalidf("%s is not valid UTF-8", name)
	}
	if n := utf8.RuneCountInString(s); n < minLen || n > maxLen {
		return invalidf("%s has %d characters; it must have %d to %d", name, n, minLen, maxLen)
	}
	return nil
}

// messageDataJSON is the message_data object of v1.1, in requests and
// responses.
type messageDataJSON struct {
	Text               string          `json:"text"`
	QuickReply         *quickReplyJSON `json:"quick_reply,omitempty"`
	QuickReplyResponse *quickReplyJSON `json:"quick_reply_response,omitempty"`
	Attachment         *attachmentJSON `json:"attachment,omitempty"`
	CTAs               []buttonJSON    `json:"ctas,omitempty"`
}

type quickReplyJSON struct {
	Type     string            `json:"type"`
	Options  []quickOptionJSON `json:"options,omitempty"`
	Metadata string            `json:"metadata,omitempty"`
}

type quickOptionJSON struct {
	Label       string `json:"label"`
	Description string `json:"description,omitempty"`
	Metadata    string `json:"metadata,omitempty"`
}

type attachmentJSON struct {
	Type  string `json:"type"`
	Media struct {
		ID    wire.FlexString `json:"id"`
		IDStr string          `json:"id_str,omitempty"`
	} `json:"media"`
}

type buttonJSON struct {
	Type  string `json:"type"`
	Label string `json:"label"`
	URL   string `json:"url"`
}

func (m V11Message) data() messageDataJSON {
	d := messageDataJSON{Text: m.Text}
	if len(m.QuickReplies) > 0 {
		d.QuickReply = &quickReplyJSON{Type: "options"}
		for _, o := range m.QuickReplies {
			d.QuickReply.Options = append(d.QuickReply.Options, quickOptionJSON(o))
		}
	}
	if m.MediaID != "" {
		d.Attachment = &attachmentJSON{Type: "media"}
		d.Attachment.Media.ID = wire.FlexString(m.MediaID)
	}
	for _, b := range m.Buttons {
		t := b.Type
		if t == "" {
			t = ButtonTypeWebURL
		}
		d.CTAs = append(d.CTAs, buttonJSON{Type: t, Label: b.Label, URL: b.URL})
	}
	return d
}

// message converts a received message_data back into a V11Message.
func (d messageDataJSON) message() V11Message {
	m := V11Message{Text: d.Text}
	if d.QuickReply != nil {
		for _, o := range d.QuickReply.Options {
			m.QuickReplies = append(m.QuickReplies, QuickReplyOption(o))
		}
	}
	if d.Attachment != nil {
		m.MediaID = d.Attachment.Media.IDStr
		if m.MediaID == "" {
			m.MediaID = string(d.Attachment.Media.ID)
		}
	}
	for _, b := range d.CTAs {
		m.Buttons = append(m.Buttons, Button(b))
	}
	return m
}

// V11Event is a v1.1 DM event of type message_create.
type V11Event struct {
	ID   string
	Type string
	// CreatedAt is from created_timestamp; the zero Time when absent.
	CreatedAt   time.Time
	RecipientID string
	SenderID    string
	SourceAppID string
	Message     V11Message
	// QuickReplyResponse is the Metadata of the quick reply option the
	// sender chose, or "".
	QuickReplyResponse string
	// WelcomeMessageID is the welcome message that preceded the
	// conversation, from initiated_via, or "".
	WelcomeMessageID string
}

type v11EventJSON struct {
	Type             string          `json:"type"`
	ID               wire.FlexString `json:"id"`
	CreatedTimestamp wire.FlexString `json:"created_timestamp"`
	InitiatedVia     struct {
		WelcomeMessageID wire.FlexString `json:"welcome_message_id"`
	} `json:"initiated_via"`
	MessageCreate struct {
		Target struct {
			RecipientID wire.FlexString `json:"recipient_id"`
		} `json:"target"`
		SenderID    wire.FlexString `json:"sender_id"`
		SourceAppID wire.FlexString `json:"source_app_id"`
		MessageData messageDataJSON `json:"message_data"`
	} `json:"message_create"`
}

func (e v11EventJSON) event() V11Event {
	mc := e.MessageCreate
	out := V11Event{
		ID:               string(e.ID),
		Type:             e.Type,
		RecipientID:      string(mc.Target.RecipientID),
		SenderID:         string(mc.SenderID),
		SourceAppID:      string(mc.SourceAppID),
		Message:          mc.MessageData.message(),
		WelcomeMessageID: string(e.InitiatedVia.WelcomeMessageID),
	}
	if t, ok := wire.ParseMillis(string(e.CreatedTimestamp)); ok {
		out.CreatedAt = t
	}
	if r := mc.MessageData.QuickReplyResponse; r != nil {
		out.QuickReplyResponse = r.Metadata
	}
	return out
}

type v11NewEventBody struct {
	Event struct {
		Type          string `json:"type"`
		MessageCreate struct {
			Target struct {
				RecipientID string `json:"recipient_id"`
			} `json:"target"`
			MessageData messageDataJSON `json:"message_data"`
		} `json:"message_create"`
	} `json:"event"`
}

// SendV11 sends m to the user recipientID with the v1.1 API
// (POST /1.1/direct_messages/events/new.json) and returns the created
// event. It needs an OAuth 1.0a user-context client. Errors are as for
// SendToParticipant; X's codes 150, 349 and 476 are permanent.
func (c *Client) SendV11(ctx context.Context, recipientID string, m V11Message) (V11Event, error) {
	if err := checkID("recipient id", recipientID); err != nil {
		return V11Event{}, err
	}
	if err := m.validate(); err != nil {
		return V11Event{}, err
	}
	var body v11NewEventBody
	body.Event.Type = "message_create"
	body.Event.MessageCreate.Target.RecipientID = recipientID
	body.Event.MessageCreate.MessageData = m.data()
	call := wire.Call{Method: http.MethodPost, Path: v11Path("events", "new.json"), JSON: body}
	resp, err := c.do(ctx, "send v1.1 message", call)
	if err != nil {
		return V11Event{}, err
	}
	event, err := decodeV11Event(resp.Body)
	if err != nil {
		return V11Event{}, fmt.Errorf("%w; X may have sent the message", err)
	}
	return event, nil
}

// ShowV11 returns the v1.1 DM event id
// (GET /1.1/direct_messages/events/show.json).
func (c *Client) ShowV11(ctx context.Context, id string) (V11Event, error) {
	if err := checkID("event id", id); err != nil {
		return V11Event{}, err
	}
	resp, err := c.do(ctx, "show v1.1 event", wire.Call{
		Method: http.MethodGet,
		Path:   v11Path("events", "show.json"),
		Query:  url.Values{"id": {id}},
	})
	if err != nil {
		return V11Event{}, err
	}
	return decodeV11Event(resp.Body)
}

// DestroyV11 deletes the DM event id for the user
// (DELETE /1.1/direct_messages/events/destroy.json). The recipient's copy
// is not deleted.
func (c *Client) DestroyV11(ctx context.Context, id string) error {
	if err := checkID("event id", id); err != nil {
		return err
	}
	_, err := c.do(ctx, "destroy v1.1 event", wire.Call{
		Method: http.MethodDelete,
		Path:   v11Path("events", "destroy.json"),
		Query:  url.Values{"id": {id}},
	})
	return err
}

// IndicateTyping shows the typing indicator to recipientID
// (POST /1.1/direct_messages/indicate_typing.json, form body). The form
// parameters are part of the OAuth 1.0a signature.
func (c *Client) IndicateTyping(ctx context.Context, recipientID string) error {
	if err := checkID("recipient id", recipientID); err != nil {
		return err
	}
	_, err := c.do(ctx, "indicate typing", wire.Call{
		Method: http.MethodPost,
		Path:   v11Path("indicate_typing.json"),
		Form:   url.Values{"recipient_id": {recipientID}},
	})
	return err
}

// MarkRead marks the conversation with recipientID as read up to the
// event lastReadEventID (POST /1.1/direct_messages/mark_read.json, form
// body).
func (c *Client) MarkRead(ctx context.Context, recipientID, lastReadEventID string) error {
	if err := checkID("recipient id", recipientID); err != nil {
		return err
	}
	if err := checkID("last read event id", lastReadEventID); err != nil {
		return err
	}
	_, err := c.do(ctx, "mark read", wire.Call{
		Method: http.MethodPost,
		Path:   v11Path("mark_read.json"),
		Form: url.Values{
			"last_read_event_id": {lastReadEventID},
			"recipient_id":       {recipientID},
		},
	})
	return err
}

// V11Page is one page of the v1.1 event list.
type V11Page struct {
	Events []V11Event
	// NextCursor is passed to ListV11 for the next page; "" after the
	// last page.
	NextCursor string
	// Rate contains the limits of the response's rate-limit headers.
	Rate ratelimit.Rate
}

// ListV11 returns one page of the user's DM events of the last 30 days,
// newest first (GET /1.1/direct_messages/events/list.json). count is 1 to
// MaxV11PageSize, or 0 for X's default (20). cursor is "" for the first
// page, which then sends no cursor parameter, or a previous NextCursor.
func (c *Client) ListV11(ctx context.Context, count int, cursor string) (V11Page, error) {
	q, err := v11ListQuery(count, cursor)
	if err != nil {
		return V11Page{}, err
	}
	resp, err := c.do(ctx, "list v1.1 events", wire.Call{
		Method: http.MethodGet,
		Path:   v11Path("events", "list.json"),
		Query:  q,
	})
	if err != nil {
		return V11Page{}, err
	}
	page, err := decodeV11Page(resp.Body)
	page.Rate = ratelimit.Parse(resp.Header)
	return page, err
}

func v11ListQuery(count int, cursor string) (url.Values, error) {
	if count < 0 || count > MaxV11PageSize {
		return nil, invalidf("count %d is outside 1 to %d", count, MaxV11PageSize)
	}
	q := url.Values{}
	if count > 0 {
		q.Set("count", strconv.Itoa(count))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return q, nil
}

// V11Events returns an iterator over the user's v1.1 DM events across
// pages of count events, following next_cursor until X omits it. It yields
// a non-nil error at most once, as its last pair.
func (c *Client) V11Events(ctx context.Context, count int) iter.Seq2[V11Event, error] {
	return func(yield func(V11Event, error) bool) {
		cursor := ""
		for {
			page, err := c.ListV11(ctx, count, cursor)
			if err == nil && page.NextCursor != "" && page.NextCursor == cursor {
				err = errRepeatedCursor
			}
			if err != nil {
				yield(V11Event{}, err)
				return
			}
			for _, e := range page.Events {
				if !yield(e, nil) {
					return
				}
			}
			if page.NextCursor == "" {
				return
			}
			cursor = page.NextCursor
		}
	}
}

var errRepeatedCursor = errors.New("dm: X returned the same cursor again")

func v11Path(segments ...string) string {
	return path(append([]string{"1.1", "direct_messages"}, segments...)...)
}

// decodeV11Event decodes {"event":{...}}.
func decodeV11Event(body []byte) (V11Event, error) {
	var v struct {
		Event *v11EventJSON `json:"event"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return V11Event{}, fmt.Errorf("dm: decode v1.1 event: %w", err)
	}
	if v.Event == nil || v.Event.ID == "" {
		return V11Event{}, fmt.Errorf("dm: decode v1.1 event: response has no event id")
	}
	return v.Event.event(), nil
}

// decodeV11Page decodes {"events":[...],"next_cursor":"..."}.
func decodeV11Page(body []byte) (V11Page, error) {
	var v struct {
		Events     []v11EventJSON  `json:"events"`
		NextCursor wire.FlexString `json:"next_cursor"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return V11Page{}, fmt.Errorf("dm: decode v1.1 event list: %w", err)
	}
	page := V11Page{NextCursor: string(v.NextCursor)}
	for _, e := range v.Events {
		page.Events = append(page.Events, e.event())
	}
	return page, nil
}
