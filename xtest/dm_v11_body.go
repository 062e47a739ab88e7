package xtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"unicode/utf8"
)

// Limits of v1.1 message data, from X's v1.1 Direct Message reference.
const (
	maxQuickReplyOptions = 20
	maxOptionLabel       = 36
	maxOptionDescription = 72
	maxOptionMetadata    = 1000
	maxCTAs              = 3
	maxCTALabel          = 36
	maxWelcomeName       = 100
)

// invalidV1 returns X's v1.1 error code 214 for a malformed request body,
// with a message that names the member at fault.
func invalidV1(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: 214, message: fmt.Sprintf(format, args...)}
}

var errTextTooLong = apiError{
	status: http.StatusForbidden, code: 354,
	message: "The text of your direct message is over the max character limit.",
}

// flexID is an id that a request may send as a JSON string or number. It
// keeps the digits as sent.
type flexID string

func (id *flexID) UnmarshalJSON(data []byte) error {
	if bytes.HasPrefix(data, []byte(`"`)) {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*id = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return err
	}
	*id = flexID(n)
	return nil
}

// v1MessageDataRequest is message_data as a v1.1 request sends it.
type v1MessageDataRequest struct {
	Text       *string `json:"text"`
	QuickReply *struct {
		Type    string             `json:"type"`
		Options []QuickReplyOption `json:"options"`
	} `json:"quick_reply"`
	Attachment *struct {
		Type  string `json:"type"`
		Media *struct {
			ID flexID `json:"id"`
		} `json:"media"`
	} `json:"attachment"`
	CTAs []CTA `json:"ctas"`
}

// v1EventRequest is the body of POST /1.1/direct_messages/events/new.json.
type v1EventRequest struct {
	Event *struct {
		Type          string `json:"type"`
		MessageCreate *struct {
			Target *struct {
				RecipientID flexID `json:"recipient_id"`
			} `json:"target"`
			MessageData *v1MessageDataRequest `json:"message_data"`
		} `json:"message_create"`
	} `json:"event"`
}

// decodeV1Body decodes a v1.1 JSON request body into v. Members that v does
// not name are ignored, as X's v1.1 API ignores them.
func decodeV1Body(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return invalidV1("the request body is not valid JSON for this endpoint: %v", err)
	}
	return nil
}

// parseV1Event parses the body of POST /1.1/direct_messages/events/new.json
// and returns the recipient and the message.
func parseV1Event(body []byte) (string, message, *apiError) {
	var req v1EventRequest
	if err := decodeV1Body(body, &req); err != nil {
		return "", message{}, err
	}
	ev := req.Event
	switch {
	case ev == nil:
		return "", message{}, invalidV1("Required field 'event' is missing")
	case ev.Type != "message_create":
		return "", message{}, invalidV1("event.type: '%s' is not one of [message_create]", ev.Type)
	case ev.MessageCreate == nil:
		return "", message{}, invalidV1("event: Required field 'message_create' is missing")
	case ev.MessageCreate.Target == nil:
		return "", message{}, invalidV1("event.message_create: Required field 'target' is missing")
	}
	recipient := string(ev.MessageCreate.Target.RecipientID)
	if !isDecimalID(recipient) {
		return "", message{}, invalidV1("event.message_create.target.recipient_id: '%s' is not a valid Long", recipient)
	}
	msg, err := parseV1MessageData(ev.MessageCreate.MessageData, "event.message_create.message_data")
	return recipient, msg, err
}

// parseV1MessageData checks message_data at path and returns its message.
func parseV1MessageData(data *v1MessageDataRequest, path string) (message, *apiError) {
	if data == nil {
		return message{}, invalidV1("%s: Required field 'message_data' is missing", path)
	}
	var msg message
	if data.Attachment != nil {
		a := data.Attachment
		if a.Type != "media" || a.Media == nil || !isDecimalID(string(a.Media.ID)) {
			return message{}, invalidV1("%s.attachment: must be of type media with a numeric media.id", path)
		}
		msg.mediaIDs = []string{string(a.Media.ID)}
	}
	if data.Text == nil {
		return message{}, invalidV1("%s: Required field 'text' is missing", path)
	}
	if *data.Text == "" && msg.mediaIDs == nil {
		return message{}, invalidV1("%s.text: must not be empty without an attachment", path)
	}
	if utf8.RuneCountInString(*data.Text) > maxTextRunes {
		return message{}, &errTextTooLong
	}
	msg.text = *data.Text
	if data.QuickReply != nil {
		if err := checkQuickReply(data.QuickReply.Type, data.QuickReply.Options, path+".quick_reply"); err != nil {
			return message{}, err
		}
		msg.quickReplies = data.QuickReply.Options
	}
	if data.CTAs != nil {
		if err := checkCTAs(data.CTAs, path+".ctas"); err != nil {
			return message{}, err
		}
		msg.ctas = data.CTAs
	}
	return msg, nil
}

func checkQuickReply(kind string, options []QuickReplyOption, path string) *apiError {
	if kind != "options" {
		return invalidV1("%s.type: '%s' is not one of [options]", path, kind)
	}
	if len(options) < 1 || len(options) > maxQuickReplyOptions {
		return invalidV1("%s.options: must have 1 to %d options, not %d", path, maxQuickReplyOptions, len(options))
	}
	for i, o := range options {
		p := fmt.Sprintf("%s.options[%d]", path, i)
		switch {
		case o.Label == "":
			return invalidV1("%s: Required field 'label' is missing", p)
		case utf8.RuneCountInString(o.Label) > maxOptionLabel:
			return invalidV1("%s.label: must be at most %d characters", p, maxOptionLabel)
		case utf8.RuneCountInString(o.Description) > maxOptionDescription:
			return invalidV1("%s.description: must be at most %d characters", p, maxOptionDescription)
		case utf8.RuneCountInString(o.Metadata) > maxOptionMetadata:
			return invalidV1("%s.metadata: must be at most %d characters", p, maxOptionMetadata)
		}
	}
	return nil
}

func checkCTAs(ctas []CTA, path string) *apiError {
	if len(ctas) < 1 || len(ctas) > maxCTAs {
		return invalidV1("%s: must have 1 to %d buttons, not %d", path, maxCTAs, len(ctas))
	}
	for i, cta := range ctas {
		p := fmt.Sprintf("%s[%d]", path, i)
		u, err := url.Parse(cta.URL)
		switch {
		case cta.Type != "web_url":
			return invalidV1("%s.type: '%s' is not one of [web_url]", p, cta.Type)
		case cta.Label == "":
			return invalidV1("%s: Required field 'label' is missing", p)
		case utf8.RuneCountInString(cta.Label) > maxCTALabel:
			return invalidV1("%s.label: must be at most %d characters", p, maxCTALabel)
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			return invalidV1("%s.url: '%s' is not an absolute http or https URL", p, cta.URL)
		}
	}
	return nil
}

// parseWelcomeMessage parses the body of POST
// /1.1/direct_messages/welcome_messages/new.json and returns the optional
// name and the message.
func parseWelcomeMessage(body []byte) (string, message, *apiError) {
	var req struct {
		WelcomeMessage *struct {
			Name        string                `json:"name"`
			MessageData *v1MessageDataRequest `json:"message_data"`
		} `json:"welcome_message"`
	}
	if err := decodeV1Body(body, &req); err != nil {
		return "", message{}, err
	}
	wm := req.WelcomeMessage
	if wm == nil {
		return "", message{}, invalidV1("Required field 'welcome_message' is missing")
	}
	if utf8.RuneCountInString(wm.Name) > maxWelcomeName {
		return "", message{}, invalidV1("welcome_message.name: must be at most %d characters", maxWelcomeName)
	}
	msg, err := parseV1MessageData(wm.MessageData, "welcome_message.message_data")
	return wm.Name, msg, err
}

// parseWelcomeRule parses the body of POST
// /1.1/direct_messages/welcome_messages/rules/new.json and returns the
// welcome message id.
func parseWelcomeRule(body []byte) (string, *apiError) {
	var req struct {
		Rule *struct {
			WelcomeMessageID flexID `json:"welcome_message_id"`
		} `json:"welcome_message_rule"`
	}
	if err := decodeV1Body(body, &req); err != nil {
		return "", err
	}
	if req.Rule == nil {
		return "", invalidV1("Required field 'welcome_message_rule' is missing")
	}
	id := string(req.Rule.WelcomeMessageID)
	if !isDecimalID(id) {
		return "", invalidV1("welcome_message_rule.welcome_message_id: '%s' is not a valid Long", id)
	}
	return id, nil
}
