package xtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// occurrence is one event of the simulated world: the Account Activity
// bodies it produces, each with the webhooks it goes to, and the X Activity
// API events it fires.
type occurrence struct {
	aaa []aaaCopy
	xaa []xaaEvent
}

// aaaCopy is one Account Activity body and the webhooks to deliver it to.
type aaaCopy struct {
	webhookIDs []string
	body       any
}

// xaaEvent is one X Activity API event: its type, the users it concerns,
// and its payload and includes. A subscription to the type matches when
// its filter names one of the users and, where the event has a direction
// for that user, the same direction or none.
type xaaEvent struct {
	eventType string
	roles     []xaaRole
	// text is what keyword filters look in: the text of a post.
	text     string
	payload  any
	includes any
	// targets, when not nil, replaces the matching of subscriptions: the
	// event goes to exactly these webhooks.
	targets []xaaTarget
}

// xaaRole is a user an event concerns, with the event's direction from
// that user's side: "inbound", "outbound", or empty for an event without
// direction.
type xaaRole struct {
	userID, direction string
}

// xaaTarget is one delivery of an X Activity API event: the webhook and
// the filter and tag of the subscription that matched.
type xaaTarget struct {
	webhookID string
	filter    activityFilter
	tag       string
}

// aaaCopyFor returns body addressed to every webhook that user userID is
// subscribed to, of any app.
func (s *Server) aaaCopyFor(userID string, body any) aaaCopy {
	return aaaCopy{webhookIDs: s.hooks.subscribedWebhooks(userID), body: body}
}

// emit delivers the Account Activity bodies of occ, then an envelope for
// each X Activity API subscription that matches one of its events. Every
// body goes through Deliver, so it is signed, recorded and replayable like
// any other delivery. It returns the errors of the deliveries that failed
// to send, joined.
func (s *Server) emit(ctx context.Context, occ occurrence) error {
	var errs []error
	for _, c := range occ.aaa {
		if len(c.webhookIDs) == 0 {
			continue
		}
		body, err := json.Marshal(c.body)
		if err != nil {
			return fmt.Errorf("xtest: encode Account Activity delivery: %w", err)
		}
		for _, id := range c.webhookIDs {
			if _, err := s.Deliver(ctx, id, body); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, ev := range occ.xaa {
		targets := ev.targets
		if targets == nil {
			targets = s.matchActivity(ev)
		}
		for _, t := range targets {
			body, err := json.Marshal(xaaBody{xaaEnvelope{
				EventUUID: s.xaa.newUUID(), Filter: t.filter, EventType: ev.eventType,
				Tag: t.tag, Payload: ev.payload, Includes: ev.includes,
			}})
			if err != nil {
				return fmt.Errorf("xtest: encode %s delivery: %w", ev.eventType, err)
			}
			if _, err := s.Deliver(ctx, t.webhookID, body); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// matchActivity returns a target for each subscription with a webhook that
// matches ev, in the order the subscriptions were created.
func (s *Server) matchActivity(ev xaaEvent) []xaaTarget {
	s.pruneActivity()
	st := s.xaa
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []xaaTarget
	for _, sub := range st.subs {
		if sub.eventType == ev.eventType && sub.webhookID != "" && sub.filter.matches(ev) {
			out = append(out, xaaTarget{webhookID: sub.webhookID, filter: sub.filter, tag: sub.tag})
		}
	}
	return out
}

// matches reports whether f selects ev. A keyword filter matches an event
// whose text contains the keyword, ignoring case.
func (f activityFilter) matches(ev xaaEvent) bool {
	if f.Keyword != "" {
		return ev.text != "" && strings.Contains(strings.ToLower(ev.text), strings.ToLower(f.Keyword))
	}
	for _, r := range ev.roles {
		if r.userID == f.UserID && (f.Direction == "" || r.direction == "" || r.direction == f.Direction) {
			return true
		}
	}
	return false
}

// newUUID returns the event_uuid of the next X Activity API delivery.
func (st *activityState) newUUID() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	id := strconv.FormatUint(firstEventUUID+st.nextUUID, 10)
	st.nextUUID++
	return id
}

// deliverDMActivity delivers one-to-one DM event e to the X Activity API
// subscriptions that match it: dm.received, inbound, for the recipient and
// dm.sent, outbound, for the sender. It does nothing for a group event.
// It returns the errors of the deliveries that failed to send.
func (s *Server) deliverDMActivity(ctx context.Context, e *dmEvent) error {
	if e.isGroup() {
		return nil
	}
	sender, _ := s.profileOf(e.senderID)
	recipient, _ := s.profileOf(e.recipientID)
	payload := xaaDMPayload{
		Messages: dmDeliveryBody(e.recipientID, e, sender, recipient).Events,
		Users:    xaaUsers(sender, recipient),
	}
	return s.emit(ctx, occurrence{xaa: []xaaEvent{
		{eventType: "dm.received", roles: []xaaRole{{e.recipientID, "inbound"}}, payload: payload, includes: emptyIncludes{}},
		{eventType: "dm.sent", roles: []xaaRole{{e.senderID, "outbound"}}, payload: payload, includes: emptyIncludes{}},
	}})
}
