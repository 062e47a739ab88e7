package dm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/internal/wire"
	"github.com/goodgo/xactivity/ratelimit"
)

// Limits X documents for Direct Messages, checked before a request is sent.
const (
	// MaxTextLength is the maximum length of a message's text, in Unicode
	// code points, in both API generations.
	MaxTextLength = 10000
	// MaxMediaPerMessage is the number of media X accepts on one v2
	// message. The OpenAPI description sets no maximum, but X's guide to
	// sending DMs allows one attachment per message.
	MaxMediaPerMessage = 1
	// MinGroupParticipants and MaxGroupParticipants bound the
	// participant_ids of a new group conversation.
	MinGroupParticipants = 2
	MaxGroupParticipants = 49
)

// Message is the content of a v2 Direct Message. Text, MediaIDs or both
// must be set. Media must have been uploaded by the sending user with a DM
// category (dm_image, dm_gif or dm_video) within the last 24 hours.
type Message struct {
	// Text is at most MaxTextLength code points of valid UTF-8.
	Text string
	// MediaIDs lists at most MaxMediaPerMessage media ids.
	MediaIDs []string
}

// validate checks m against X's documented limits.
func (m Message) validate() error {
	if m.Text == "" && len(m.MediaIDs) == 0 {
		return invalidf("message has neither text nor media")
	}
	if err := checkText(m.Text); err != nil {
		return err
	}
	if len(m.MediaIDs) > MaxMediaPerMessage {
		return invalidf("message has %d media ids; X accepts %d", len(m.MediaIDs), MaxMediaPerMessage)
	}
	for _, id := range m.MediaIDs {
		if err := checkID("media id", id); err != nil {
			return err
		}
	}
	return nil
}

func checkText(text string) error {
	if !utf8.ValidString(text) {
		return invalidf("message text is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(text); n > MaxTextLength {
		return invalidf("message text has %d characters; the maximum is %d", n, MaxTextLength)
	}
	return nil
}

// messageBody is the JSON of a v2 message.
type messageBody struct {
	Text        string       `json:"text,omitempty"`
	Attachments []attachment `json:"attachments,omitempty"`
}

type attachment struct {
	MediaID string `json:"media_id"`
}

func (m Message) body() messageBody {
	b := messageBody{Text: m.Text}
	for _, id := range m.MediaIDs {
		b.Attachments = append(b.Attachments, attachment{MediaID: id})
	}
	return b
}

// groupBody is the JSON of POST /2/dm_conversations.
type groupBody struct {
	ConversationType string      `json:"conversation_type"`
	ParticipantIDs   []string    `json:"participant_ids"`
	Message          messageBody `json:"message"`
}

// SendResult identifies a message X accepted.
type SendResult struct {
	ConversationID string
	EventID        string
	// Partial lists problems X reported beside a successful result. It is
	// usually empty.
	Partial []xactivity.Problem
	// Rate contains the limits of the response's rate-limit headers.
	Rate ratelimit.Rate
}

// SendToParticipant sends m to the one-to-one conversation with the user
// participantID, creating the conversation if needed
// (POST /2/dm_conversations/with/:participant_id/messages).
//
// Errors: ErrInvalid (no request sent); *xactivity.APIError for X's
// refusal, with xactivity.IsPermanent true when the recipient cannot
// receive the message; *xactivity.RequestError when no response arrived.
// A failure to decode a success response is neither permanent nor
// retryable: X may have sent the message, so do not resend it blindly.
func (c *Client) SendToParticipant(ctx context.Context, participantID string, m Message) (SendResult, error) {
	if err := checkID("participant id", participantID); err != nil {
		return SendResult{}, err
	}
	if err := m.validate(); err != nil {
		return SendResult{}, err
	}
	return c.send(ctx, wire.Call{
		Method: http.MethodPost,
		Path:   path("2", "dm_conversations", "with", participantID, "messages"),
		JSON:   m.body(),
	})
}

// SendToConversation sends m to an existing conversation that the user
// takes part in (POST /2/dm_conversations/:dm_conversation_id/messages).
// conversationID must satisfy ValidConversationID. Errors are as for
// SendToParticipant.
func (c *Client) SendToConversation(ctx context.Context, conversationID string, m Message) (SendResult, error) {
	if !ValidConversationID(conversationID) {
		return SendResult{}, invalidf("conversation id %q is neither an X id nor two ids joined by a hyphen", conversationID)
	}
	if err := m.validate(); err != nil {
		return SendResult{}, err
	}
	return c.send(ctx, wire.Call{
		Method: http.MethodPost,
		Path:   path("2", "dm_conversations", conversationID, "messages"),
		JSON:   m.body(),
	})
}

// CreateGroupConversation creates a group conversation with the users
// participantIDs (2 to 49 distinct ids, not counting the sender) and sends
// m as its first message (POST /2/dm_conversations). Errors are as for
// SendToParticipant.
func (c *Client) CreateGroupConversation(ctx context.Context, participantIDs []string, m Message) (SendResult, error) {
	if err := checkParticipants(participantIDs); err != nil {
		return SendResult{}, err
	}
	if err := m.validate(); err != nil {
		return SendResult{}, err
	}
	return c.send(ctx, wire.Call{
		Method: http.MethodPost,
		Path:   path("2", "dm_conversations"),
		JSON: groupBody{
			ConversationType: "Group",
			ParticipantIDs:   participantIDs,
			Message:          m.body(),
		},
	})
}

func checkParticipants(ids []string) error {
	if len(ids) < MinGroupParticipants || len(ids) > MaxGroupParticipants {
		return invalidf("a group needs %d to %d participant ids, got %d",
			MinGroupParticipants, MaxGroupParticipants, len(ids))
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if err := checkID("participant id", id); err != nil {
			return err
		}
		if seen[id] {
			return invalidf("participant id %s is listed twice", id)
		}
		seen[id] = true
	}
	return nil
}

func (c *Client) send(ctx context.Context, call wire.Call) (SendResult, error) {
	resp, err := c.do(ctx, "send message", call)
	if err != nil {
		return SendResult{}, err
	}
	result, problems, err := decodeSendResult(resp.Body)
	if err != nil {
		return SendResult{}, err
	}
	if result.EventID == "" {
		if len(problems) > 0 {
			return SendResult{}, wire.NewPartialError(call.Endpoint(), resp, problems)
		}
		return SendResult{}, errors.New("dm: send message: response has no dm_event_id; X may have sent the message")
	}
	result.Partial = problems
	result.Rate = ratelimit.Parse(resp.Header)
	return result, nil
}

// decodeSendResult decodes {"data":{"dm_conversation_id","dm_event_id"},
// "errors":[...]}. Ids sent as numbers are accepted.
func decodeSendResult(body []byte) (SendResult, []xactivity.Problem, error) {
	var v struct {
		Data *struct {
			ConversationID wire.FlexString `json:"dm_conversation_id"`
			EventID        wire.FlexString `json:"dm_event_id"`
		} `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return SendResult{}, nil, errors.New("dm: send message: response is not the expected JSON; X may have sent the message")
	}
	problems := wire.Problems(v.Errors)
	if v.Data == nil {
		return SendResult{}, problems, nil
	}
	return SendResult{
		ConversationID: string(v.Data.ConversationID),
		EventID:        string(v.Data.EventID),
	}, problems, nil
}
