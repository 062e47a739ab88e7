package xtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Page sizes of the v1.1 listings: count defaults to 20, and larger values
// than 50 are lowered to 50.
const (
	defaultV1Count = 20
	maxV1Count     = 50
)

// The kinds of Indicator.
const (
	IndicatorTyping = "typing"
	IndicatorRead   = "read"
)

// Indicator is one typing indicator or read receipt the server received,
// as recorded for tests to inspect.
type Indicator struct {
	Kind            string // IndicatorTyping or IndicatorRead
	SenderID        string // the user who is typing or has read
	RecipientID     string
	LastReadEventID string // read receipts only
	Time            time.Time
}

// Indicators returns the typing indicators and read receipts the server
// accepted, oldest first. It is safe for concurrent use, and the caller may
// modify the result.
func (s *Server) Indicators() []Indicator {
	s.dm.mu.Lock()
	defer s.dm.mu.Unlock()
	return slices.Clone(s.dm.indicators)
}

var (
	// NOTE: X does not document its response to a DM for an unknown
	// user, so the fake sends v1.1 error code 50 with status 404.
	errUserNotFound = apiError{status: http.StatusNotFound, code: 50, message: "User not found."}
	errPageMissing  = apiError{status: http.StatusNotFound, code: 34, message: "Sorry, that page does not exist."}
)

// errParamMissing returns X's v1.1 error code 38 for a missing parameter.
func errParamMissing(name string) apiError {
	return apiError{status: http.StatusBadRequest, code: 38, message: name + " parameter is missing."}
}

// errParamInvalid returns X's v1.1 error code 44 for an invalid parameter.
func errParamInvalid(name string) apiError {
	return apiError{status: http.StatusBadRequest, code: 44, message: name + " parameter is invalid."}
}

// route is one endpoint with its rate-limit group.
type route struct {
	pattern string
	group   Group
	handler userHandler
}

// v11Routes returns the v1.1 DM endpoints.
func (s *Server) v11Routes() []route {
	const dm = "/1.1/direct_messages/"
	const wm = dm + "welcome_messages/"
	return []route{
		{"POST " + dm + "events/new.json", GroupDMSendV11, s.serveEventsNew},
		{"GET " + dm + "events/list.json", GroupDMReadV11, s.serveEventsList},
		{"GET " + dm + "events/show.json", GroupDMReadV11, s.serveEventsShow},
		{"DELETE " + dm + "events/destroy.json", GroupDMDeleteV11, s.serveEventsDestroy},
		{"POST " + dm + "indicate_typing.json", GroupIndicatorsV11, s.serveIndicateTyping},
		{"POST " + dm + "mark_read.json", GroupIndicatorsV11, s.serveMarkRead},
		{"POST " + wm + "new.json", GroupWelcomeV11, s.serveWelcomeNew},
		{"GET " + wm + "list.json", GroupWelcomeV11, s.serveWelcomeList},
		{"GET " + wm + "show.json", GroupWelcomeV11, s.serveWelcomeShow},
		{"DELETE " + wm + "destroy.json", GroupWelcomeV11, s.serveWelcomeDestroy},
		{"POST " + wm + "rules/new.json", GroupWelcomeV11, s.serveRuleNew},
		{"GET " + wm + "rules/list.json", GroupWelcomeV11, s.serveRuleList},
		{"GET " + wm + "rules/show.json", GroupWelcomeV11, s.serveRuleShow},
		{"DELETE " + wm + "rules/destroy.json", GroupWelcomeV11, s.serveRuleDestroy},
	}
}

// serveEventsNew sends a one-to-one DM from a v1.1 message_create event.
func (s *Server) serveEventsNew(w http.ResponseWriter, r *http.Request, c caller) {
	recipient, msg, perr := parseV1Event(bodyBytes(r))
	if perr != nil {
		writeError(w, r, *perr)
		return
	}
	if !s.userExists(recipient) {
		writeError(w, r, errUserNotFound)
		return
	}
	res, refusal := s.dm.send(outgoing{api: V11, c: c, recipientID: recipient, msg: msg}, s.now())
	if res.event != nil {
		// A failed delivery is recorded in Deliveries, and X's response to the
		// send does not depend on it.
		s.deliverDMEvent(r.Context(), res.event)
	}
	switch {
	case refusal != nil:
		writeError(w, r, *refusal)
	case res.injected != nil:
		writeInjected(w, r, res.injected)
	case res.drop:
		abortResponse()
	default:
		writeData(w, v1EventResponse{Event: renderV1(res.event)})
	}
}

type v1EventResponse struct {
	Event v1Event `json:"event"`
}

// isV1Event reports whether e exists in v1.1, which has one-to-one
// messages only.
func isV1Event(e *dmEvent) bool {
	return e.kind == eventMessageCreate && !e.isGroup()
}

// serveEventsList lists the user's one-to-one message events, newest first.
func (s *Server) serveEventsList(w http.ResponseWriter, r *http.Request, c caller) {
	count, tok, perr := v1PageParams(r)
	if perr != nil {
		writeError(w, r, *perr)
		return
	}
	events := s.dm.visible(c.user.ID, s.now(), isV1Event)
	page, next := s.dm.paginate(events, tok, count)
	resp := struct {
		Events     []v1Event `json:"events"`
		NextCursor string    `json:"next_cursor,omitempty"`
	}{Events: []v1Event{}}
	for _, e := range page {
		resp.Events = append(resp.Events, renderV1(e))
	}
	if next != nil {
		resp.NextCursor = next.encode()
	}
	writeData(w, resp)
}

// v1PageParams parses count and cursor of a v1.1 listing.
func v1PageParams(r *http.Request) (int, pageToken, *apiError) {
	count, tok := defaultV1Count, firstPage
	if v := r.FormValue("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			e := errParamInvalid("count")
			return 0, pageToken{}, &e
		}
		count = min(n, maxV1Count)
	}
	if v := r.FormValue("cursor"); v != "" {
		var err error
		if tok, err = decodePageToken(v); err != nil {
			e := errParamInvalid("cursor")
			return 0, pageToken{}, &e
		}
	}
	return count, tok, nil
}

// serveEventsShow responds with one message event of the user.
func (s *Server) serveEventsShow(w http.ResponseWriter, r *http.Request, c caller) {
	id := r.FormValue("id")
	if id == "" {
		writeError(w, r, errParamMissing("id"))
		return
	}
	e, ok := s.dm.event(id, c.user.ID, s.now())
	if !ok || !isV1Event(e) {
		writeError(w, r, errPageMissing)
		return
	}
	writeData(w, v1EventResponse{Event: renderV1(e)})
}

// serveEventsDestroy deletes a message event, sent or received, for the
// user only: the other participant can still read it.
func (s *Server) serveEventsDestroy(w http.ResponseWriter, r *http.Request, c caller) {
	id := r.FormValue("id")
	if id == "" {
		writeError(w, r, errParamMissing("id"))
		return
	}
	if _, deleted := s.dm.hide(id, c.user.ID, s.now(), isV1Event); !deleted {
		writeError(w, r, errPageMissing)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// serveIndicateTyping records a typing indicator to recipient_id.
func (s *Server) serveIndicateTyping(w http.ResponseWriter, r *http.Request, c caller) {
	recipient := r.FormValue("recipient_id")
	if recipient == "" {
		writeError(w, r, errParamMissing("recipient_id"))
		return
	}
	if !s.userExists(recipient) {
		writeError(w, r, errUserNotFound)
		return
	}
	s.dm.note(Indicator{Kind: IndicatorTyping, SenderID: c.user.ID, RecipientID: recipient, Time: s.now()})
	w.WriteHeader(http.StatusNoContent)
}

// serveMarkRead records a read receipt for an event of the one-to-one
// conversation with recipient_id.
func (s *Server) serveMarkRead(w http.ResponseWriter, r *http.Request, c caller) {
	recipient, last := r.FormValue("recipient_id"), r.FormValue("last_read_event_id")
	switch {
	case last == "":
		writeError(w, r, errParamMissing("last_read_event_id"))
		return
	case recipient == "":
		writeError(w, r, errParamMissing("recipient_id"))
		return
	case !s.userExists(recipient):
		writeError(w, r, errUserNotFound)
		return
	}
	e, ok := s.dm.event(last, c.user.ID, s.now())
	if !ok || e.conversation != oneToOneID(c.user.ID, recipient) {
		writeError(w, r, errParamInvalid("last_read_event_id"))
		return
	}
	s.dm.note(Indicator{
		Kind: IndicatorRead, SenderID: c.user.ID, RecipientID: recipient,
		LastReadEventID: last, Time: s.now(),
	})
	w.WriteHeader(http.StatusNoContent)
}

// note records an indicator.
func (d *dmState) note(ind Indicator) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.indicators = append(d.indicators, ind)
}

// v1Event is a DM event in the v1.1 shape.
type v1Event struct {
	Type             string          `json:"type"`
	ID               string          `json:"id"`
	CreatedTimestamp string          `json:"created_timestamp"`
	MessageCreate    v1MessageCreate `json:"message_create"`
}

type v1MessageCreate struct {
	Target      v1Target      `json:"target"`
	SenderID    string        `json:"sender_id"`
	SourceAppID string        `json:"source_app_id,omitempty"`
	MessageData v1MessageData `json:"message_data"`
}

type v1Target struct {
	RecipientID string `json:"recipient_id"`
}

// v1MessageData is message_data in v1.1 responses.
type v1MessageData struct {
	Text       string        `json:"text"`
	Entities   v1Entities    `json:"entities"`
	QuickReply *v1QuickReply `json:"quick_reply,omitempty"`
	Attachment *v1Attachment `json:"attachment,omitempty"`
	CTAs       []CTA         `json:"ctas,omitempty"`
}

// v1Entities lists the entities of a text. The fake finds none, so every
// list is empty, as X sends it for plain text.
type v1Entities struct {
	Hashtags     []struct{} `json:"hashtags"`
	Symbols      []struct{} `json:"symbols"`
	UserMentions []struct{} `json:"user_mentions"`
	URLs         []struct{} `json:"urls"`
}

type v1QuickReply struct {
	Type    string             `json:"type"`
	Options []QuickReplyOption `json:"options"`
}

type v1Attachment struct {
	Type  string  `json:"type"`
	Media v1Media `json:"media"`
}

// v1Media is the media object of an attachment: its id as an exact JSON
// number and as a string.
type v1Media struct {
	ID    json.Number `json:"id"`
	IDStr string      `json:"id_str"`
}

// renderV1 returns e in the v1.1 shape.
func renderV1(e *dmEvent) v1Event {
	return v1Event{
		Type:             "message_create",
		ID:               e.id,
		CreatedTimestamp: millis(e.created),
		MessageCreate: v1MessageCreate{
			Target:      v1Target{RecipientID: e.recipientID},
			SenderID:    e.senderID,
			SourceAppID: e.appID,
			MessageData: renderV1Message(e.msg),
		},
	}
}

// renderV1Message returns msg as v1.1 message_data.
func renderV1Message(msg message) v1MessageData {
	data := v1MessageData{
		Text: msg.text,
		Entities: v1Entities{
			Hashtags: []struct{}{}, Symbols: []struct{}{}, UserMentions: []struct{}{}, URLs: []struct{}{},
		},
		CTAs: msg.ctas,
	}
	if msg.quickReplies != nil {
		data.QuickReply = &v1QuickReply{Type: "options", Options: msg.quickReplies}
	}
	if len(msg.mediaIDs) > 0 {
		id := msg.mediaIDs[0]
		data.Attachment = &v1Attachment{Type: "media", Media: v1Media{ID: json.Number(id), IDStr: id}}
	}
	return data
}

// millis returns t as decimal milliseconds since the Unix epoch, the form of
// v1.1 timestamps.
func millis(t time.Time) string {
	return strconv.FormatInt(t.UnixMilli(), 10)
}
