package xtest

import (
	"net/http"
	"slices"
	"strings"
)

// routeDMs registers the DM endpoints of both API generations, each behind
// OAuth 1.0a user authentication and its rate-limit group.
func (s *Server) routeDMs() {
	routes := []route{
		{"POST /2/dm_conversations/with/{participant_id}/messages", GroupDMSend, s.serveSendToParticipant},
		{"POST /2/dm_conversations/{dm_conversation_id}/messages", GroupDMSend, s.serveSendToConversation},
		{"POST /2/dm_conversations", GroupDMSend, s.serveCreateGroup},
		{"GET /2/dm_events", GroupDMRead, s.serveListAll},
		{"GET /2/dm_conversations/with/{participant_id}/dm_events", GroupDMRead, s.serveListWith},
		{"GET /2/dm_conversations/{id}/dm_events", GroupDMRead, s.serveListConversation},
		{"GET /2/dm_events/{event_id}", GroupDMRead, s.serveGetEvent},
		{"DELETE /2/dm_events/{event_id}", GroupDMDelete, s.serveDeleteEvent},
	}
	routes = append(routes, s.v11Routes()...)
	for _, rt := range routes {
		s.mux.Handle(rt.pattern, s.userAuth(s.limited(rt.group, rt.handler)))
	}
}

// v2Sent is the data of a successful v2 send.
type v2Sent struct {
	ConversationID string `json:"dm_conversation_id"`
	EventID        string `json:"dm_event_id"`
}

// errForbidden is the response to a request for a conversation or event the
// user may not use.
var errForbidden = apiError{
	status: http.StatusForbidden, code: 200, message: "Forbidden.",
	title: "Forbidden", detail: "Forbidden",
}

// serveSendToParticipant sends a one-to-one DM to the user named by the
// path.
func (s *Server) serveSendToParticipant(w http.ResponseWriter, r *http.Request, c caller) {
	participant := r.PathValue("participant_id")
	msg, errs := parseV2Message(bodyBytes(r))
	if !numericID.MatchString(participant) {
		errs = append([]paramError{paramErr("participant_id", participant,
			"The `participant_id` query parameter value [%s] does not match %s", participant, numericID)}, errs...)
	}
	if len(errs) > 0 {
		writeProblem(w, http.StatusBadRequest, invalidRequest(errs))
		return
	}
	if !s.userExists(participant) {
		writeNotFound(w, notFound("user", "participant_id", participant))
		return
	}
	s.sendV2(w, r, outgoing{api: V2, c: c, recipientID: participant, msg: msg})
}

// serveSendToConversation sends a DM to the one-to-one or group
// conversation named by the path.
func (s *Server) serveSendToConversation(w http.ResponseWriter, r *http.Request, c caller) {
	id := r.PathValue("dm_conversation_id")
	msg, errs := parseV2Message(bodyBytes(r))
	if !conversationIDPattern.MatchString(id) {
		errs = append([]paramError{paramErr("dm_conversation_id", id,
			"The `dm_conversation_id` query parameter value [%s] does not match %s", id, conversationIDPattern)}, errs...)
	}
	if len(errs) > 0 {
		writeProblem(w, http.StatusBadRequest, invalidRequest(errs))
		return
	}
	out := outgoing{api: V2, c: c, msg: msg}
	if first, second, ok := strings.Cut(id, "-"); ok {
		other, member := otherParticipant(first, second, c.user.ID)
		if !member {
			writeError(w, r, errForbidden)
			return
		}
		if !s.userExists(other) {
			writeNotFound(w, notFound("dm_conversation", "dm_conversation_id", id))
			return
		}
		out.recipientID = other
	} else {
		members, ok := s.dm.groupMembers(id)
		if !ok {
			writeNotFound(w, notFound("dm_conversation", "dm_conversation_id", id))
			return
		}
		if !slices.Contains(members, c.user.ID) {
			writeError(w, r, errForbidden)
			return
		}
		out.groupID = id
	}
	s.sendV2(w, r, out)
}

// otherParticipant returns the participant of one-to-one conversation
// first-second who is not userID, and false when userID is neither.
func otherParticipant(first, second, userID string) (string, bool) {
	switch userID {
	case first:
		return second, true
	case second:
		return first, true
	}
	return "", false
}

// serveCreateGroup creates a group conversation with its first message.
func (s *Server) serveCreateGroup(w http.ResponseWriter, r *http.Request, c caller) {
	req, errs := parseGroupRequest(bodyBytes(r))
	if len(errs) > 0 {
		writeProblem(w, http.StatusBadRequest, invalidRequest(errs))
		return
	}
	var others []string
	for _, id := range req.participants {
		if !s.userExists(id) {
			writeNotFound(w, notFound("user", "participant_ids", id))
			return
		}
		if id != c.user.ID && !slices.Contains(others, id) {
			others = append(others, id)
		}
	}
	if len(others) < 2 {
		writeProblem(w, http.StatusBadRequest, invalidRequest([]paramError{bodyError("$.participant_ids",
			"must name at least 2 users other than the authenticated user")}))
		return
	}
	s.sendV2(w, r, outgoing{api: V2, c: c, newGroup: others, msg: req.msg})
}

// sendV2 sends out and responds as X's v2 API does.
func (s *Server) sendV2(w http.ResponseWriter, r *http.Request, out outgoing) {
	res, refusal := s.dm.send(out, s.now())
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
		writeJSON(w, "application/json; charset=utf-8", http.StatusCreated, struct {
			Data v2Sent `json:"data"`
		}{v2Sent{ConversationID: res.event.conversation, EventID: res.event.id}})
	}
}

// writeNotFound sends p as the 404 response to a write that names a resource
// that does not exist.
//
// NOTE: X does not document the status of this response; the fake uses 404
// with X's resource-not-found problem.
func writeNotFound(w http.ResponseWriter, p typedProblem) {
	p.Status = http.StatusNotFound
	writeProblem(w, http.StatusNotFound, p)
}

// bodyBytes returns the request body, which ServeHTTP has already read
// within its limit.
func bodyBytes(r *http.Request) []byte {
	if req, ok := r.Context().Value(recordKey{}).(*Request); ok {
		return req.Body
	}
	return nil
}

// serveListAll lists the DM events of every conversation of the user.
func (s *Server) serveListAll(w http.ResponseWriter, r *http.Request, c caller) {
	s.listV2(w, r, c, nil, func(*dmEvent) bool { return true })
}

// serveListWith lists the events of the one-to-one conversation with the
// user named by the path.
func (s *Server) serveListWith(w http.ResponseWriter, r *http.Request, c caller) {
	participant := r.PathValue("participant_id")
	if !numericID.MatchString(participant) {
		s.listV2(w, r, c, []paramError{paramErr("participant_id", participant,
			"The `participant_id` query parameter value [%s] does not match %s", participant, numericID)}, nil)
		return
	}
	conversation := oneToOneID(c.user.ID, participant)
	s.listV2(w, r, c, nil, func(e *dmEvent) bool { return e.conversation == conversation })
}

// serveListConversation lists the events of the conversation named by the
// path, which must include the user.
func (s *Server) serveListConversation(w http.ResponseWriter, r *http.Request, c caller) {
	id := r.PathValue("id")
	if !conversationIDPattern.MatchString(id) {
		s.listV2(w, r, c, []paramError{paramErr("id", id,
			"The `id` query parameter value [%s] does not match %s", id, conversationIDPattern)}, nil)
		return
	}
	if first, second, ok := strings.Cut(id, "-"); ok {
		if _, member := otherParticipant(first, second, c.user.ID); !member {
			writeError(w, r, errForbidden)
			return
		}
		id = oneToOneID(first, second)
	} else if members, ok := s.dm.groupMembers(id); ok && !slices.Contains(members, c.user.ID) {
		writeError(w, r, errForbidden)
		return
	}
	s.listV2(w, r, c, nil, func(e *dmEvent) bool { return e.conversation == id })
}

// v2ListResponse is the response of a v2 DM listing.
type v2ListResponse struct {
	Data     []v2Event   `json:"data,omitempty"`
	Includes *v2Includes `json:"includes,omitempty"`
	Meta     v2Meta      `json:"meta"`
}

type v2Meta struct {
	ResultCount int    `json:"result_count"`
	NextToken   string `json:"next_token,omitempty"`
}

// listV2 responds with a v2 listing of the events keep selects, or a 400 problem
// for pathErrs and the query's errors.
func (s *Server) listV2(w http.ResponseWriter, r *http.Request, c caller, pathErrs []paramError, keep func(*dmEvent) bool) {
	q, errs := parseListQuery(r.URL.Query())
	if errs = append(pathErrs, errs...); len(errs) > 0 {
		writeProblem(w, http.StatusBadRequest, invalidRequest(errs))
		return
	}
	events := s.dm.visible(c.user.ID, s.now(), func(e *dmEvent) bool {
		return (q.types == nil || q.types[e.kind]) && keep(e)
	})
	page, next := s.dm.paginate(events, q.token, q.max)
	resp := v2ListResponse{Meta: v2Meta{ResultCount: len(page)}}
	if next != nil {
		resp.Meta.NextToken = next.encode()
	}
	for _, e := range page {
		resp.Data = append(resp.Data, renderV2(e, q.fields))
	}
	resp.Includes = s.includes(page, q.expansions)
	writeData(w, resp)
}

// serveGetEvent responds with one event. An event the user cannot read gets
// X's lookup response: status 200 with a resource-not-found problem in errors.
func (s *Server) serveGetEvent(w http.ResponseWriter, r *http.Request, c caller) {
	id := r.PathValue("event_id")
	q, errs := parseLookupQuery(r.URL.Query())
	if !numericID.MatchString(id) {
		errs = append([]paramError{paramErr("event_id", id,
			"The `event_id` query parameter value [%s] does not match %s", id, numericID)}, errs...)
	}
	if len(errs) > 0 {
		writeProblem(w, http.StatusBadRequest, invalidRequest(errs))
		return
	}
	e, ok := s.dm.event(id, c.user.ID, s.now())
	if !ok {
		writeData(w, struct {
			Errors []typedProblem `json:"errors"`
		}{[]typedProblem{notFound("dm_event", "event_id", id)}})
		return
	}
	writeData(w, struct {
		Data     v2Event     `json:"data"`
		Includes *v2Includes `json:"includes,omitempty"`
	}{renderV2(e, q.fields), s.includes([]*dmEvent{e}, q.expansions)})
}

// serveDeleteEvent deletes an event the user sent, for that user only.
func (s *Server) serveDeleteEvent(w http.ResponseWriter, r *http.Request, c caller) {
	id := r.PathValue("event_id")
	if !numericID.MatchString(id) {
		writeProblem(w, http.StatusBadRequest, invalidRequest([]paramError{paramErr("event_id", id,
			"The `event_id` query parameter value [%s] does not match %s", id, numericID)}))
		return
	}
	found, deleted := s.dm.hide(id, c.user.ID, s.now(), func(e *dmEvent) bool {
		return e.senderID == c.user.ID && e.kind == eventMessageCreate
	})
	switch {
	case !found:
		writeNotFound(w, notFound("dm_event", "event_id", id))
	case !deleted:
		writeError(w, r, errForbidden)
	default:
		writeData(w, v2DeleteResponse{Data: v2Deleted{Deleted: true}})
	}
}

type v2DeleteResponse struct {
	Data v2Deleted `json:"data"`
}

type v2Deleted struct {
	Deleted bool `json:"deleted"`
}

// v2Event is a DM event in the v2 shape.
type v2Event struct {
	ID             string         `json:"id"`
	EventType      string         `json:"event_type"`
	Text           string         `json:"text,omitempty"`
	SenderID       string         `json:"sender_id,omitempty"`
	ConversationID string         `json:"dm_conversation_id,omitempty"`
	CreatedAt      string         `json:"created_at,omitempty"`
	ParticipantIDs []string       `json:"participant_ids,omitempty"`
	Attachments    *v2Attachments `json:"attachments,omitempty"`
}

type v2Attachments struct {
	MediaKeys []string `json:"media_keys"`
}

// v2TimeFormat is the layout of created_at in X's v2 objects.
const v2TimeFormat = "2006-01-02T15:04:05.000Z"

// renderV2 returns e with its default fields, id, event_type and text, and
// the optional ones in fields. Fields that e does not have, and the
// entities and referenced posts the fake does not model, are left out.
func renderV2(e *dmEvent, fields map[string]bool) v2Event {
	out := v2Event{ID: e.id, EventType: e.kind, Text: e.msg.text}
	if fields["sender_id"] {
		out.SenderID = e.senderID
	}
	if fields["dm_conversation_id"] {
		out.ConversationID = e.conversation
	}
	if fields["created_at"] {
		out.CreatedAt = e.created.UTC().Format(v2TimeFormat)
	}
	if fields["participant_ids"] && e.kind == eventParticipantsJoin {
		out.ParticipantIDs = slices.Clone(e.participants)
	}
	if fields["attachments"] && len(e.msg.mediaIDs) > 0 {
		out.Attachments = &v2Attachments{MediaKeys: mediaKeys(e.msg.mediaIDs)}
	}
	return out
}

// mediaKeys returns the media keys of media ids.
//
// NOTE: a media key is the media type's number, "_" and the media id. The
// fake stores no media, so it gives every attachment type 3, a photo.
func mediaKeys(ids []string) []string {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = "3_" + id
	}
	return keys
}

// v2Includes is the includes object of a v2 response.
type v2Includes struct {
	Users []v2User `json:"users,omitempty"`
}

type v2User struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
}

// includes returns the users that the sender_id and participant_ids
// expansions name in events, each once, or nil when there are none. The
// other expansions name media and posts, which the fake does not store.
func (s *Server) includes(events []*dmEvent, expansions map[string]bool) *v2Includes {
	var ids []string
	for _, e := range events {
		if expansions["sender_id"] {
			ids = append(ids, e.senderID)
		}
		if expansions["participant_ids"] && e.kind == eventParticipantsJoin {
			ids = append(ids, e.participants...)
		}
	}
	var inc v2Includes
	seen := make(map[string]bool)
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if p, ok := s.profileOf(id); ok {
			inc.Users = append(inc.Users, v2User{ID: p.id, Name: p.name, Username: p.username})
		}
	}
	if len(inc.Users) == 0 {
		return nil
	}
	return &inc
}
