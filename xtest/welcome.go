package xtest

import (
	"net/http"
	"time"
)

// welcomeMessage is a v1.1 welcome message, owned by the user who created
// it.
type welcomeMessage struct {
	id      string
	num     uint64
	owner   string
	name    string
	msg     message
	created time.Time
}

// welcomeRule is a v1.1 welcome message rule: the welcome message its owner
// shows in new conversations.
type welcomeRule struct {
	id        string
	num       uint64
	owner     string
	messageID string
	created   time.Time
}

// welcomeStore contains the welcome messages and rules of a dmState, oldest
// first. dmState.mu guards it.
type welcomeStore struct {
	messages []*welcomeMessage
	rules    []*welcomeRule
}

var (
	// NOTE: X documents that a user has at most one welcome message rule,
	// but not its response to a second one, so the fake sends code 214
	// with status 403.
	errRuleExists = apiError{
		status: http.StatusForbidden, code: 214, message: "You can only have one welcome message rule.",
	}
	errWelcomeMissing = apiError{
		status: http.StatusBadRequest, code: 214,
		message: "welcome_message_rule.welcome_message_id: no welcome message of the user has this id",
	}
)

// serveWelcomeNew creates a welcome message.
func (s *Server) serveWelcomeNew(w http.ResponseWriter, r *http.Request, c caller) {
	name, msg, perr := parseWelcomeMessage(bodyBytes(r))
	if perr != nil {
		writeError(w, r, *perr)
		return
	}
	d := s.dm
	d.mu.Lock()
	wm := &welcomeMessage{owner: c.user.ID, name: name, msg: msg, created: s.now()}
	wm.id, wm.num = d.newID()
	d.welcome.messages = append(d.welcome.messages, wm)
	d.mu.Unlock()
	writeData(w, welcomeMessageResponse{WelcomeMessage: renderWelcome(wm)})
}

type welcomeMessageResponse struct {
	WelcomeMessage v1Welcome `json:"welcome_message"`
}

// v1Welcome is a welcome message in the v1.1 shape.
type v1Welcome struct {
	ID               string        `json:"id"`
	CreatedTimestamp string        `json:"created_timestamp"`
	MessageData      v1MessageData `json:"message_data"`
	Name             string        `json:"name,omitempty"`
}

func renderWelcome(wm *welcomeMessage) v1Welcome {
	return v1Welcome{
		ID: wm.id, CreatedTimestamp: millis(wm.created),
		MessageData: renderV1Message(wm.msg), Name: wm.name,
	}
}

// serveWelcomeList lists the user's welcome messages, newest first.
func (s *Server) serveWelcomeList(w http.ResponseWriter, r *http.Request, c caller) {
	count, tok, perr := v1PageParams(r)
	if perr != nil {
		writeError(w, r, *perr)
		return
	}
	d := s.dm
	d.mu.Lock()
	owned := ownedNewestFirst(d.welcome.messages, func(wm *welcomeMessage) string { return wm.owner }, c.user.ID)
	d.mu.Unlock()
	page, next := pageOf(owned, func(wm *welcomeMessage) uint64 { return wm.num }, tok, count, false)
	resp := struct {
		WelcomeMessages []v1Welcome `json:"welcome_messages"`
		NextCursor      string      `json:"next_cursor,omitempty"`
	}{WelcomeMessages: []v1Welcome{}}
	for _, wm := range page {
		resp.WelcomeMessages = append(resp.WelcomeMessages, renderWelcome(wm))
	}
	if next != nil {
		resp.NextCursor = next.encode()
	}
	writeData(w, resp)
}

// ownedNewestFirst returns the items of items, which are oldest first, that
// userID owns, newest first.
func ownedNewestFirst[T any](items []T, owner func(T) string, userID string) []T {
	var out []T
	for i := len(items) - 1; i >= 0; i-- {
		if owner(items[i]) == userID {
			out = append(out, items[i])
		}
	}
	return out
}

// serveWelcomeShow responds with one welcome message of the user.
func (s *Server) serveWelcomeShow(w http.ResponseWriter, r *http.Request, c caller) {
	id := r.FormValue("id")
	if id == "" {
		writeError(w, r, errParamMissing("id"))
		return
	}
	d := s.dm
	d.mu.Lock()
	wm := d.welcome.message(id, c.user.ID)
	d.mu.Unlock()
	if wm == nil {
		writeError(w, r, errPageMissing)
		return
	}
	writeData(w, welcomeMessageResponse{WelcomeMessage: renderWelcome(wm)})
}

// message returns the welcome message id of owner, or nil.
func (ws *welcomeStore) message(id, owner string) *welcomeMessage {
	for _, wm := range ws.messages {
		if wm.id == id && wm.owner == owner {
			return wm
		}
	}
	return nil
}

// serveWelcomeDestroy deletes a welcome message of the user, together with
// the rule that shows it, if any.
func (s *Server) serveWelcomeDestroy(w http.ResponseWriter, r *http.Request, c caller) {
	id := r.FormValue("id")
	if id == "" {
		writeError(w, r, errParamMissing("id"))
		return
	}
	d := s.dm
	d.mu.Lock()
	found := d.welcome.deleteMessage(id, c.user.ID)
	d.mu.Unlock()
	if !found {
		writeError(w, r, errPageMissing)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteMessage deletes the welcome message id of owner and the rules that
// show it, and reports whether the message existed.
func (ws *welcomeStore) deleteMessage(id, owner string) bool {
	if ws.message(id, owner) == nil {
		return false
	}
	ws.messages = deleteWhere(ws.messages, func(wm *welcomeMessage) bool { return wm.id == id })
	ws.rules = deleteWhere(ws.rules, func(rule *welcomeRule) bool { return rule.messageID == id })
	return true
}

// deleteWhere returns items without those for which del reports true.
func deleteWhere[T any](items []T, del func(T) bool) []T {
	out := items[:0]
	for _, item := range items {
		if !del(item) {
			out = append(out, item)
		}
	}
	return out
}

// serveRuleNew creates the user's welcome message rule.
func (s *Server) serveRuleNew(w http.ResponseWriter, r *http.Request, c caller) {
	messageID, perr := parseWelcomeRule(bodyBytes(r))
	if perr != nil {
		writeError(w, r, *perr)
		return
	}
	d := s.dm
	d.mu.Lock()
	rule, err := d.welcome.addRule(d, messageID, c.user.ID, s.now())
	d.mu.Unlock()
	if err != nil {
		writeError(w, r, *err)
		return
	}
	writeData(w, ruleResponse{Rule: renderRule(rule)})
}

// addRule adds a rule of owner that shows welcome message messageID. The
// caller holds d.mu.
func (ws *welcomeStore) addRule(d *dmState, messageID, owner string, now time.Time) (*welcomeRule, *apiError) {
	if ws.message(messageID, owner) == nil {
		return nil, &errWelcomeMissing
	}
	for _, rule := range ws.rules {
		if rule.owner == owner {
			return nil, &errRuleExists
		}
	}
	rule := &welcomeRule{owner: owner, messageID: messageID, created: now}
	rule.id, rule.num = d.newID()
	ws.rules = append(ws.rules, rule)
	return rule, nil
}

type ruleResponse struct {
	Rule v1Rule `json:"welcome_message_rule"`
}

// v1Rule is a welcome message rule in the v1.1 shape.
type v1Rule struct {
	ID               string `json:"id"`
	CreatedTimestamp string `json:"created_timestamp"`
	WelcomeMessageID string `json:"welcome_message_id"`
}

func renderRule(rule *welcomeRule) v1Rule {
	return v1Rule{ID: rule.id, CreatedTimestamp: millis(rule.created), WelcomeMessageID: rule.messageID}
}

// serveRuleList lists the user's welcome message rules, newest first.
func (s *Server) serveRuleList(w http.ResponseWriter, r *http.Request, c caller) {
	count, tok, perr := v1PageParams(r)
	if perr != nil {
		writeError(w, r, *perr)
		return
	}
	d := s.dm
	d.mu.Lock()
	owned := ownedNewestFirst(d.welcome.rules, func(rule *welcomeRule) string { return rule.owner }, c.user.ID)
	d.mu.Unlock()
	page, next := pageOf(owned, func(rule *welcomeRule) uint64 { return rule.num }, tok, count, false)
	resp := struct {
		Rules      []v1Rule `json:"welcome_message_rules"`
		NextCursor string   `json:"next_cursor,omitempty"`
	}{Rules: []v1Rule{}}
	for _, rule := range page {
		resp.Rules = append(resp.Rules, renderRule(rule))
	}
	if next != nil {
		resp.NextCursor = next.encode()
	}
	writeData(w, resp)
}

// serveRuleShow responds with one welcome message rule of the user.
func (s *Server) serveRuleShow(w http.ResponseWriter, r *http.Request, c caller) {
	id := r.FormValue("id")
	if id == "" {
		writeError(w, r, errParamMissing("id"))
		return
	}
	d := s.dm
	d.mu.Lock()
	rule := d.welcome.rule(id, c.user.ID)
	d.mu.Unlock()
	if rule == nil {
		writeError(w, r, errPageMissing)
		return
	}
	writeData(w, ruleResponse{Rule: renderRule(rule)})
}

// rule returns the rule id of owner, or nil.
func (ws *welcomeStore) rule(id, owner string) *welcomeRule {
	for _, rule := range ws.rules {
		if rule.id == id && rule.owner == owner {
			return rule
		}
	}
	return nil
}

// serveRuleDestroy deletes a welcome message rule of the user.
func (s *Server) serveRuleDestroy(w http.ResponseWriter, r *http.Request, c caller) {
	id := r.FormValue("id")
	if id == "" {
		writeError(w, r, errParamMissing("id"))
		return
	}
	d := s.dm
	d.mu.Lock()
	found := d.welcome.rule(id, c.user.ID) != nil
	if found {
		d.welcome.rules = deleteWhere(d.welcome.rules, func(rule *welcomeRule) bool { return rule.id == id })
	}
	d.mu.Unlock()
	if !found {
		writeError(w, r, errPageMissing)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
