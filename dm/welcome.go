package dm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/goodgo/xactivity/internal/wire"
)

// WelcomeMessage is a v1.1 welcome message: a message X shows to people
// who open a conversation with the user, when a welcome rule or a deep
// link selects it.
type WelcomeMessage struct {
	ID string
	// Name is the label the owner gave it; recipients never see it.
	Name      string
	CreatedAt time.Time
	Message   V11Message
}

// WelcomeRule makes a welcome message the user's default one.
type WelcomeRule struct {
	ID               string
	WelcomeMessageID string
	CreatedAt        time.Time
}

// WelcomeMessagePage is one page of welcome messages.
type WelcomeMessagePage struct {
	WelcomeMessages []WelcomeMessage
	// NextCursor is "" after the last page.
	NextCursor string
}

// WelcomeRulePage is one page of welcome rules.
type WelcomeRulePage struct {
	Rules      []WelcomeRule
	NextCursor string
}

// NewWelcomeMessage creates a welcome message
// (POST /1.1/direct_messages/welcome_messages/new.json). name may be "";
// m is checked as for SendV11. Media on a welcome message must have been
// uploaded with shared set to true.
func (c *Client) NewWelcomeMessage(ctx context.Context, name string, m V11Message) (WelcomeMessage, error) {
	if !utf8.ValidString(name) {
		return WelcomeMessage{}, invalidf("welcome message name is not valid UTF-8")
	}
	if err := m.validate(); err != nil {
		return WelcomeMessage{}, err
	}
	type newWelcome struct {
		Name        string          `json:"name,omitempty"`
		MessageData messageDataJSON `json:"message_data"`
	}
	body := map[string]newWelcome{"welcome_message": {Name: name, MessageData: m.data()}}
	resp, err := c.do(ctx, "new welcome message", wire.Call{
		Method: http.MethodPost,
		Path:   v11Path("welcome_messages", "new.json"),
		JSON:   body,
	})
	if err != nil {
		return WelcomeMessage{}, err
	}
	return decodeWelcomeMessage(resp.Body)
}

// ShowWelcomeMessage returns the welcome message id
// (GET /1.1/direct_messages/welcome_messages/show.json).
func (c *Client) ShowWelcomeMessage(ctx context.Context, id string) (WelcomeMessage, error) {
	resp, err := c.byID(ctx, "show welcome message", http.MethodGet, id, "welcome_messages", "show.json")
	if err != nil {
		return WelcomeMessage{}, err
	}
	return decodeWelcomeMessage(resp.Body)
}

// DestroyWelcomeMessage deletes the welcome message id
// (DELETE /1.1/direct_messages/welcome_messages/destroy.json).
func (c *Client) DestroyWelcomeMessage(ctx context.Context, id string) error {
	_, err := c.byID(ctx, "destroy welcome message", http.MethodDelete, id, "welcome_messages", "destroy.json")
	return err
}

// WelcomeMessages returns one page of the user's welcome messages
// (GET /1.1/direct_messages/welcome_messages/list.json). count and cursor
// are as for ListV11.
func (c *Client) WelcomeMessages(ctx context.Context, count int, cursor string) (WelcomeMessagePage, error) {
	resp, err := c.list(ctx, "list welcome messages", count, cursor, "welcome_messages", "list.json")
	if err != nil {
		return WelcomeMessagePage{}, err
	}
	return decodeWelcomeMessagePage(resp.Body)
}

// NewWelcomeRule makes the welcome message welcomeMessageID the default
// (POST /1.1/direct_messages/welcome_messages/rules/new.json). X allows
// one rule per user: delete the old rule first.
func (c *Client) NewWelcomeRule(ctx context.Context, welcomeMessageID string) (WelcomeRule, error) {
	if err := checkID("welcome message id", welcomeMessageID); err != nil {
		return WelcomeRule{}, err
	}
	body := map[string]map[string]string{
		"welcome_message_rule": {"welcome_message_id": welcomeMessageID},
	}
	resp, err := c.do(ctx, "new welcome rule", wire.Call{
		Method: http.MethodPost,
		Path:   v11Path("welcome_messages", "rules", "new.json"),
		JSON:   body,
	})
	if err != nil {
		return WelcomeRule{}, err
	}
	return decodeWelcomeRule(resp.Body)
}

// ShowWelcomeRule returns the welcome rule id
// (GET /1.1/direct_messages/welcome_messages/rules/show.json).
func (c *Client) ShowWelcomeRule(ctx context.Context, id string) (WelcomeRule, error) {
	resp, err := c.byID(ctx, "show welcome rule", http.MethodGet, id, "welcome_messages", "rules", "show.json")
	if err != nil {
		return WelcomeRule{}, err
	}
	return decodeWelcomeRule(resp.Body)
}

// DestroyWelcomeRule deletes the welcome rule id
// (DELETE /1.1/direct_messages/welcome_messages/rules/destroy.json).
func (c *Client) DestroyWelcomeRule(ctx context.Context, id string) error {
	_, err := c.byID(ctx, "destroy welcome rule", http.MethodDelete, id, "welcome_messages", "rules", "destroy.json")
	return err
}

// WelcomeRules returns one page of the user's welcome rules
// (GET /1.1/direct_messages/welcome_messages/rules/list.json).
func (c *Client) WelcomeRules(ctx context.Context, count int, cursor string) (WelcomeRulePage, error) {
	resp, err := c.list(ctx, "list welcome rules", count, cursor, "welcome_messages", "rules", "list.json")
	if err != nil {
		return WelcomeRulePage{}, err
	}
	return decodeWelcomeRulePage(resp.Body)
}

// byID sends a v1.1 call whose only parameter is the id in the query.
func (c *Client) byID(ctx context.Context, op, method, id string, segments ...string) (wire.Response, error) {
	if err := checkID("id", id); err != nil {
		return wire.Response{}, err
	}
	return c.do(ctx, op, wire.Call{
		Method: method,
		Path:   v11Path(segments...),
		Query:  url.Values{"id": {id}},
	})
}

func (c *Client) list(ctx context.Context, op string, count int, cursor string, segments ...string) (wire.Response, error) {
	q, err := v11ListQuery(count, cursor)
	if err != nil {
		return wire.Response{}, err
	}
	return c.do(ctx, op, wire.Call{Method: http.MethodGet, Path: v11Path(segments...), Query: q})
}

type welcomeMessageJSON struct {
	ID               wire.FlexString `json:"id"`
	Name             string          `json:"name"`
	CreatedTimestamp wire.FlexString `json:"created_timestamp"`
	MessageData      messageDataJSON `json:"message_data"`
}

func (w welcomeMessageJSON) welcomeMessage() WelcomeMessage {
	t, _ := wire.ParseMillis(string(w.CreatedTimestamp))
	return WelcomeMessage{
		ID:        string(w.ID),
		Name:      w.Name,
		CreatedAt: t,
		Message:   w.MessageData.message(),
	}
}

type welcomeRuleJSON struct {
	ID               wire.FlexString `json:"id"`
	WelcomeMessageID wire.FlexString `json:"welcome_message_id"`
	CreatedTimestamp wire.FlexString `json:"created_timestamp"`
}

func (r welcomeRuleJSON) rule() WelcomeRule {
	t, _ := wire.ParseMillis(string(r.CreatedTimestamp))
	return WelcomeRule{ID: string(r.ID), WelcomeMessageID: string(r.WelcomeMessageID), CreatedAt: t}
}

// decodeWelcomeMessage decodes {"welcome_message":{...},"apps":{...}}.
func decodeWelcomeMessage(body []byte) (WelcomeMessage, error) {
	var v struct {
		WelcomeMessage *welcomeMessageJSON `json:"welcome_message"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return WelcomeMessage{}, fmt.Errorf("dm: decode welcome message: %w", err)
	}
	if v.WelcomeMessage == nil || v.WelcomeMessage.ID == "" {
		return WelcomeMessage{}, fmt.Errorf("dm: decode welcome message: response has no welcome message id")
	}
	return v.WelcomeMessage.welcomeMessage(), nil
}

// decodeWelcomeMessagePage decodes {"welcome_messages":[...],"next_cursor"}.
func decodeWelcomeMessagePage(body []byte) (WelcomeMessagePage, error) {
	var v struct {
		WelcomeMessages []welcomeMessageJSON `json:"welcome_messages"`
		NextCursor      wire.FlexString      `json:"next_cursor"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return WelcomeMessagePage{}, fmt.Errorf("dm: decode welcome message list: %w", err)
	}
	page := WelcomeMessagePage{NextCursor: string(v.NextCursor)}
	for _, w := range v.WelcomeMessages {
		page.WelcomeMessages = append(page.WelcomeMessages, w.welcomeMessage())
	}
	return page, nil
}

// decodeWelcomeRule decodes {"welcome_message_rule":{...}}.
func decodeWelcomeRule(body []byte) (WelcomeRule, error) {
	var v struct {
		Rule *welcomeRuleJSON `json:"welcome_message_rule"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return WelcomeRule{}, fmt.Errorf("dm: decode welcome rule: %w", err)
	}
	if v.Rule == nil || v.Rule.ID == "" {
		return WelcomeRule{}, fmt.Errorf("dm: decode welcome rule: response has no rule id")
	}
	return v.Rule.rule(), nil
}

// decodeWelcomeRulePage decodes {"welcome_message_rules":[...],
// "next_cursor"}.
func decodeWelcomeRulePage(body []byte) (WelcomeRulePage, error) {
	var v struct {
		Rules      []welcomeRuleJSON `json:"welcome_message_rules"`
		NextCursor wire.FlexString   `json:"next_cursor"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return WelcomeRulePage{}, fmt.Errorf("dm: decode welcome rule list: %w", err)
	}
	page := WelcomeRulePage{NextCursor: string(v.NextCursor)}
	for _, r := range v.Rules {
		page.Rules = append(page.Rules, r.rule())
	}
	return page, nil
}
