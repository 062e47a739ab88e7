package xtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// API is a generation of X's API.
type API string

// The API generations that can send a DM.
const (
	V2  API = "2"
	V11 API = "1.1"
)

// The event types of v2 DM events.
const (
	eventMessageCreate    = "MessageCreate"
	eventParticipantsJoin = "ParticipantsJoin"
)

// historyWindow is how far back DM events can be read, as on X.
const historyWindow = 30 * 24 * time.Hour

// firstEventID is the first id the fake gives a DM event, a group
// conversation or a welcome message. It is above 2^53 so that a client which
// decodes ids into float64 fails its tests, and it differs from the event ids
// of the sample deliveries under testdata.
const firstEventID = 1900000000000000000

// QuickReplyOption is one option of a v1.1 quick reply.
type QuickReplyOption struct {
	Label       string `json:"label"`
	Description string `json:"description,omitempty"`
	Metadata    string `json:"metadata,omitempty"`
}

// CTA is one v1.1 button, a call to action that opens a URL.
type CTA struct {
	Type  string `json:"type"` // "web_url"
	Label string `json:"label"`
	URL   string `json:"url"`
}

// SentDM is one DM the server accepted, as recorded for tests to inspect.
type SentDM struct {
	API      API
	AppID    string // the app whose credentials signed the request
	SenderID string
	// RecipientID is the other participant of a one-to-one conversation,
	// and empty for a group conversation.
	RecipientID    string
	ConversationID string
	EventID        string
	Text           string
	MediaIDs       []string
	QuickReplies   []QuickReplyOption // v1.1 only
	CTAs           []CTA              // v1.1 only
	Time           time.Time          // from the server's clock
	// ResponseDropped reports that the server closed the connection instead
	// of sending a response, after DropResponseAfterSend.
	ResponseDropped bool
}

// message is the content of a DM.
type message struct {
	text         string
	mediaIDs     []string
	quickReplies []QuickReplyOption
	ctas         []CTA
}

// dmEvent is one event of the DM world.
type dmEvent struct {
	id           string
	num          uint64 // id as a number, for ordering and cursors
	kind         string // eventMessageCreate or eventParticipantsJoin
	conversation string
	senderID     string
	recipientID  string   // one-to-one conversations only
	participants []string // every member, for group conversations
	msg          message
	created      time.Time
	appID        string
	hiddenFor    map[string]bool // users who deleted the event for themselves
}

// isGroup reports whether e belongs to a group conversation.
func (e *dmEvent) isGroup() bool { return e.recipientID == "" }

// has reports whether userID is a participant of e's conversation.
func (e *dmEvent) has(userID string) bool {
	if e.isGroup() {
		return slices.Contains(e.participants, userID)
	}
	return e.senderID == userID || e.recipientID == userID
}

// visibleTo reports whether userID can read e at now: a participant who has
// not deleted it, within the history window.
func (e *dmEvent) visibleTo(userID string, now time.Time) bool {
	return e.has(userID) && !e.hiddenFor[userID] && now.Sub(e.created) <= historyWindow
}

// DMRefusal is a user's setting that rejects the DMs sent to them, and its
// reason.
type DMRefusal int

const (
	// DMAccepted lets the user receive DMs. It is the default.
	DMAccepted DMRefusal = iota
	// DMRefusedNotFollowing rejects DMs as from a sender the user does not
	// follow: v1.1 error code 150 and a v2 403 problem.
	DMRefusedNotFollowing
	// DMRefused rejects all DMs: v1.1 error code 349 and a v2 403 problem.
	DMRefused
)

var (
	errNotFollowing = apiError{
		status: http.StatusForbidden, code: 150,
		message: "You cannot send messages to users who are not following you.",
		title:   "Forbidden", detail: "You cannot send messages to users who are not following you.",
	}
	errCannotMessage = apiError{
		status: http.StatusForbidden, code: 349, message: "You cannot send messages to this user.",
		title: "Forbidden", detail: "You are not permitted to send Direct Messages to this user.",
	}
	errMessageRequests = apiError{
		status: http.StatusForbidden, code: 476, message: "Sender is not verified to send message requests.",
		title: "Forbidden", detail: "You are not permitted to send message requests to this user.",
	}
)

// dmState is the mutex-guarded DM world of a Server: events, group
// conversations, recipients' settings, the record of sent DMs and the
// failures tests requested.
type dmState struct {
	mu         sync.Mutex
	nextID     uint64
	events     []*dmEvent // in id order, oldest first
	byID       map[string]*dmEvent
	groups     map[string][]string // group conversation id to participant ids
	refusals   map[string]DMRefusal
	restricted map[string]bool // senders that get error 476
	sent       []SentDM
	failures   []injectedFailure
	drops      int // sends whose response is still to be dropped
	indicators []Indicator
	welcome    welcomeStore
	emptyPages bool
}

func newDMState() *dmState {
	return &dmState{
		byID:       make(map[string]*dmEvent),
		groups:     make(map[string][]string),
		refusals:   make(map[string]DMRefusal),
		restricted: make(map[string]bool),
	}
}

// newID returns the next id of the DM world. The caller holds d.mu.
func (d *dmState) newID() (string, uint64) {
	n := firstEventID + d.nextID
	d.nextID++
	return strconv.FormatUint(n, 10), n
}

// SetDMRefusal sets why user userID rejects the DMs sent to them, or with
// DMAccepted lets them receive DMs again. It affects one-to-one sends in both
// API generations, and returns an error when the user is not registered. It
// is safe for concurrent use.
func (s *Server) SetDMRefusal(userID string, r DMRefusal) error {
	if !s.userExists(userID) {
		return fmt.Errorf("xtest: user %q not found", userID)
	}
	s.dm.mu.Lock()
	defer s.dm.mu.Unlock()
	s.dm.refusals[userID] = r
	return nil
}

// SetMessageRequestsBlocked sets whether user userID is barred from sending
// message requests. While it is set, every one-to-one DM the user sends is
// rejected with v1.1 error code 476 or a v2 403 problem. It returns an error
// when the user is not registered, and is safe for concurrent use.
func (s *Server) SetMessageRequestsBlocked(userID string, blocked bool) error {
	if !s.userExists(userID) {
		return fmt.Errorf("xtest: user %q not found", userID)
	}
	s.dm.mu.Lock()
	defer s.dm.mu.Unlock()
	s.dm.restricted[userID] = blocked
	return nil
}

// WithEmptyPages makes every DM listing, v2 and v1.1, respond with an empty page
// with a next token before each page that has events, as X sometimes does.
// A client must keep paginating until the token is absent.
func WithEmptyPages(on bool) Option {
	return func(s *Server) {
		s.dm.mu.Lock()
		defer s.dm.mu.Unlock()
		s.dm.emptyPages = on
	}
}

// SentDMs returns the DMs the server accepted, oldest first. A DM whose
// response was dropped is included, and one rejected for any reason is not.
// It is safe for concurrent use, and the caller may modify the result.
func (s *Server) SentDMs() []SentDM {
	s.dm.mu.Lock()
	defer s.dm.mu.Unlock()
	out := make([]SentDM, len(s.dm.sent))
	for i, dm := range s.dm.sent {
		dm.MediaIDs = slices.Clone(dm.MediaIDs)
		dm.QuickReplies = slices.Clone(dm.QuickReplies)
		dm.CTAs = slices.Clone(dm.CTAs)
		out[i] = dm
	}
	return out
}

// userExists reports whether a user with id is registered.
func (s *Server) userExists(id string) bool {
	s.world.mu.RLock()
	defer s.world.mu.RUnlock()
	_, ok := s.world.users[id]
	return ok
}

// profileOf returns the stored profile of the user with id.
func (s *Server) profileOf(id string) (profile, bool) {
	s.world.mu.RLock()
	defer s.world.mu.RUnlock()
	p, ok := s.world.users[id]
	return p, ok
}

// outgoing is a DM that a handler passes to dmState.send.
type outgoing struct {
	api         API
	c           caller
	recipientID string   // one-to-one sends
	groupID     string   // sends to an existing group conversation
	newGroup    []string // other participants of a group to create
	msg         message
}

// sendResult is the outcome of a send: the stored event, or an injected
// failure to send as the response, and whether to drop the response.
type sendResult struct {
	event    *dmEvent
	injected *injectedFailure
	drop     bool
}

// send stores out as an event and records it as sent, unless a failure is
// queued, which it returns instead, or the settings of a one-to-one send's
// sender or recipient reject it, in which case it returns their error. The
// caller has checked that all participants exist.
func (d *dmState) send(out outgoing, now time.Time) (sendResult, *apiError) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.failures) > 0 {
		f := d.failures[0]
		d.failures = d.failures[1:]
		return sendResult{injected: &f}, nil
	}
	if out.recipientID != "" {
		if err := d.refusal(out.c.user.ID, out.recipientID); err != nil {
			return sendResult{}, err
		}
	}
	e := d.store(out, now)
	res := sendResult{event: e, drop: d.drops > 0}
	if res.drop {
		d.drops--
	}
	d.sent = append(d.sent, SentDM{
		API: out.api, AppID: out.c.app.ID, SenderID: e.senderID, RecipientID: e.recipientID,
		ConversationID: e.conversation, EventID: e.id, Text: out.msg.text,
		MediaIDs: out.msg.mediaIDs, QuickReplies: out.msg.quickReplies, CTAs: out.msg.ctas,
		Time: now, ResponseDropped: res.drop,
	})
	return res, nil
}

// refusal returns the error for a one-to-one DM from senderID to
// recipientID, or nil when it may be sent. The caller holds d.mu.
func (d *dmState) refusal(senderID, recipientID string) *apiError {
	if d.restricted[senderID] {
		return &errMessageRequests
	}
	switch d.refusals[recipientID] {
	case DMRefusedNotFollowing:
		return &errNotFollowing
	case DMRefused:
		return &errCannotMessage
	}
	return nil
}

// store adds the events of out and returns its message event. A new group
// gets a ParticipantsJoin event first. The caller holds d.mu.
func (d *dmState) store(out outgoing, now time.Time) *dmEvent {
	base := dmEvent{senderID: out.c.user.ID, created: now, appID: out.c.app.ID}
	switch {
	case out.recipientID != "":
		base.recipientID = out.recipientID
		base.conversation = oneToOneID(out.c.user.ID, out.recipientID)
	case out.groupID != "":
		base.conversation = out.groupID
		base.participants = d.groups[out.groupID]
	default:
		id, _ := d.newID()
		members := append([]string{out.c.user.ID}, out.newGroup...)
		d.groups[id] = members
		base.conversation, base.participants = id, members
		join := base
		join.kind = eventParticipantsJoin
		d.add(&join)
	}
	e := base
	e.kind = eventMessageCreate
	e.msg = out.msg
	d.add(&e)
	return &e
}

// add gives e the next id and stores it. The caller holds d.mu.
func (d *dmState) add(e *dmEvent) {
	e.id, e.num = d.newID()
	d.events = append(d.events, e)
	d.byID[e.id] = e
}

// visible returns the events userID can read at now for which keep reports
// true, newest first.
func (d *dmState) visible(userID string, now time.Time, keep func(*dmEvent) bool) []*dmEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []*dmEvent
	for i := len(d.events) - 1; i >= 0; i-- {
		e := d.events[i]
		if e.visibleTo(userID, now) && keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// event returns the event with id if userID can read it at now.
func (d *dmState) event(id, userID string, now time.Time) (*dmEvent, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.byID[id]
	if !ok || !e.visibleTo(userID, now) {
		return nil, false
	}
	return e, true
}

// groupMembers returns the participants of the group conversation id.
func (d *dmState) groupMembers(id string) ([]string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	members, ok := d.groups[id]
	return members, ok
}

// hide deletes the event id for userID, when userID can read it at now and
// allowed reports true for it. It reports whether the event was found and
// whether it was deleted.
func (d *dmState) hide(id, userID string, now time.Time, allowed func(*dmEvent) bool) (found, deleted bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.byID[id]
	if !ok || !e.visibleTo(userID, now) {
		return false, false
	}
	if !allowed(e) {
		return true, false
	}
	if e.hiddenFor == nil {
		e.hiddenFor = make(map[string]bool)
	}
	e.hiddenFor[userID] = true
	return true, true
}

// oneToOneID returns the id of the one-to-one conversation of two users:
// both ids joined by "-", the numerically smaller first.
func oneToOneID(a, b string) string {
	if lessID(b, a) {
		a, b = b, a
	}
	return a + "-" + b
}

// lessID reports whether decimal id a is numerically smaller than b,
// comparing by length first so that ids beyond 2^53 compare exactly.
func lessID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
