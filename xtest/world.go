package xtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// socialState is the mutex-guarded social graph, posts and profile fields
// of a Server's simulated world.
type socialState struct {
	mu       sync.Mutex
	rels     map[relationKind]map[edge]bool
	posts    map[string]*post
	likes    map[edge]bool                // liker and post id
	profiles map[string]map[string]string // user id to profile field to value
	nextPost uint64
	nextLike uint64
}

func newSocialState() *socialState {
	return &socialState{
		rels: map[relationKind]map[edge]bool{
			relFollow: make(map[edge]bool), relBlock: make(map[edge]bool), relMute: make(map[edge]bool),
		},
		posts:    make(map[string]*post),
		likes:    make(map[edge]bool),
		profiles: make(map[string]map[string]string),
	}
}

// edge is a directed pair, such as a follower and the followed user.
type edge struct {
	from, to string
}

// relationKind is a kind of relationship one user sets up with another.
type relationKind int

const (
	relFollow relationKind = iota
	relBlock
	relMute
)

// relationActions are the action names of each kind: the first creates the
// relationship, the second ends it. The first is also the prefix of the X
// Activity API event types, as in follow.unfollow.
var relationActions = map[relationKind][2]string{
	relFollow: {"follow", "unfollow"},
	relBlock:  {"block", "unblock"},
	relMute:   {"mute", "unmute"},
}

// Follow makes user sourceID follow user targetID. It delivers a
// follow_events body with type "follow" to the webhooks each of the two
// users is subscribed to, each copy with its own for_user_id. It also
// delivers a follow.follow envelope to each matching X Activity API
// subscription: the source's with direction outbound or none, and the
// target's with inbound or none.
//
// It returns an error when a user is not registered, when the users are
// the same, when sourceID already follows targetID, and when deliveries
// fail to send. The relationship is changed even then. Like every method of
// the simulated world, it is safe for concurrent use.
func (s *Server) Follow(ctx context.Context, sourceID, targetID string) error {
	return s.relate(ctx, relFollow, sourceID, targetID, true)
}

// Unfollow ends a follow that Follow started. It delivers the same bodies
// as Follow, with type "unfollow" in follow_events and the event type
// follow.unfollow. It returns an error when sourceID does not follow
// targetID, and otherwise as Follow.
func (s *Server) Unfollow(ctx context.Context, sourceID, targetID string) error {
	return s.relate(ctx, relFollow, sourceID, targetID, false)
}

// Block makes user sourceID block user targetID. Only the blocking user
// gets the event: a block_events body with type "block" goes to the webhooks sourceID
// is subscribed to, and a block.block envelope to the X Activity API
// subscriptions whose filter names sourceID. Errors are as for Follow.
func (s *Server) Block(ctx context.Context, sourceID, targetID string) error {
	return s.relate(ctx, relBlock, sourceID, targetID, true)
}

// Unblock ends a block, delivered as Block does with type "unblock" and the
// event type block.unblock.
func (s *Server) Unblock(ctx context.Context, sourceID, targetID string) error {
	return s.relate(ctx, relBlock, sourceID, targetID, false)
}

// Mute makes user sourceID mute user targetID, delivered as Block does in
// mute_events with type "mute" and the event type mute.mute.
func (s *Server) Mute(ctx context.Context, sourceID, targetID string) error {
	return s.relate(ctx, relMute, sourceID, targetID, true)
}

// Unmute ends a mute, delivered as Mute does with type "unmute" and the
// event type mute.unmute.
func (s *Server) Unmute(ctx context.Context, sourceID, targetID string) error {
	return s.relate(ctx, relMute, sourceID, targetID, false)
}

// relate creates (on) or ends a relationship of kind from sourceID to
// targetID and delivers its events.
func (s *Server) relate(ctx context.Context, kind relationKind, sourceID, targetID string, on bool) error {
	source, target, err := s.pair(sourceID, targetID)
	if err != nil {
		return err
	}
	actions := relationActions[kind]
	action := actions[0]
	if !on {
		action = actions[1]
	}
	if err := s.social.setRelation(kind, edge{sourceID, targetID}, on); err != nil {
		return fmt.Errorf("xtest: %s %s to %s: %w", action, sourceID, targetID, err)
	}

	event := aaaRelation{
		Type: action, CreatedTimestamp: millis(s.now()), Source: aaaUserOf(source), Target: aaaUserOf(target),
	}
	recipients := []string{sourceID}
	roles := []xaaRole{{sourceID, ""}}
	if kind == relFollow {
		recipients = []string{targetID, sourceID}
		roles = []xaaRole{{sourceID, "outbound"}, {targetID, "inbound"}}
	}

	var occ occurrence
	for _, userID := range recipients {
		body := aaaBody{ForUserID: userID}
		switch kind {
		case relFollow:
			body.Follow = []aaaRelation{event}
		case relBlock:
			body.Block = []aaaRelation{event}
		case relMute:
			body.Mute = []aaaRelation{event}
		}
		occ.aaa = append(occ.aaa, s.aaaCopyFor(userID, body))
	}
	occ.xaa = []xaaEvent{{
		eventType: actions[0] + "." + action, roles: roles,
		payload: xaaRelation{Source: wrapUser(source), Target: wrapUser(target)},
	}}
	return s.emit(ctx, occ)
}

// setRelation records (on) or removes a relationship.
func (st *socialState) setRelation(kind relationKind, e edge, on bool) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	set := st.rels[kind]
	switch {
	case on && set[e]:
		return fmt.Errorf("the relationship already exists")
	case !on && !set[e]:
		return fmt.Errorf("there is no such relationship to end")
	}
	if on {
		set[e] = true
	} else {
		delete(set, e)
	}
	return nil
}

// has reports whether the relationship of kind from e.from to e.to exists.
func (st *socialState) has(kind relationKind, e edge) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.rels[kind][e]
}

// pair returns the profiles of two different registered users.
func (s *Server) pair(aID, bID string) (profile, profile, error) {
	a, ok := s.profileOf(aID)
	if !ok {
		return profile{}, profile{}, fmt.Errorf("xtest: user %q not found", aID)
	}
	b, ok := s.profileOf(bID)
	if !ok {
		return profile{}, profile{}, fmt.Errorf("xtest: user %q not found", bID)
	}
	if aID == bID {
		return profile{}, profile{}, fmt.Errorf("xtest: user %s cannot act on themselves", aID)
	}
	return a, b, nil
}

// Typing reports that user senderID is typing a DM to user recipientID, as
// from X's own apps. Only the recipient gets the event: a
// direct_message_indicate_typing_events body goes to the webhooks
// recipientID is subscribed to, and a dm.indicate_typing envelope to the X
// Activity API subscriptions whose filter names recipientID, with direction
// inbound or none. Indicators does not list it.
//
// NOTE: X does not document whether the typing user's own webhooks get a
// copy, so the fake sends none.
//
// It returns an error when a user is not registered, when the users are the
// same, and when deliveries fail to send.
func (s *Server) Typing(ctx context.Context, senderID, recipientID string) error {
	sender, _, err := s.pair(senderID, recipientID)
	if err != nil {
		return err
	}
	ind := newIndicator(s.now(), senderID, recipientID, "")
	return s.emit(ctx, occurrence{
		aaa: []aaaCopy{s.aaaCopyFor(recipientID, aaaBody{
			ForUserID: recipientID, Typing: []aaaIndicator{ind},
			Users: map[string]aaaUser{senderID: aaaUserOf(sender)},
		})},
		xaa: []xaaEvent{{
			eventType: "dm.indicate_typing", roles: []xaaRole{{recipientID, "inbound"}},
			payload:  xaaDMPayload{Typing: []aaaIndicator{ind}, Users: xaaUsers(sender)},
			includes: emptyIncludes{},
		}},
	})
}

// MarkRead reports that user readerID has read the one-to-one conversation
// with user senderID up to the DM event lastEventID, as from X's own apps.
// Only senderID, whose DMs were read, gets the event: a
// direct_message_mark_read_events body goes to the webhooks senderID is
// subscribed to, and a dm.read envelope to the X Activity API subscriptions
// whose filter names senderID, with direction inbound or none.
//
// It returns an error when a user is not registered, when the users are the
// same, when lastEventID is not an event of their conversation that
// readerID can see, and when deliveries fail to send.
func (s *Server) MarkRead(ctx context.Context, readerID, senderID, lastEventID string) error {
	reader, _, err := s.pair(readerID, senderID)
	if err != nil {
		return err
	}
	e, ok := s.dm.event(lastEventID, readerID, s.now())
	if !ok || e.conversation != oneToOneID(readerID, senderID) {
		return fmt.Errorf("xtest: DM event %q is not in the conversation of users %s and %s",
			lastEventID, readerID, senderID)
	}
	ind := newIndicator(s.now(), readerID, senderID, lastEventID)
	return s.emit(ctx, occurrence{
		aaa: []aaaCopy{s.aaaCopyFor(senderID, aaaBody{
			ForUserID: senderID, MarkRead: []aaaIndicator{ind},
			Users: map[string]aaaUser{readerID: aaaUserOf(reader)},
		})},
		xaa: []xaaEvent{{
			eventType: "dm.read", roles: []xaaRole{{senderID, "inbound"}},
			payload:  xaaDMPayload{MarkRead: []aaaIndicator{ind}, Users: xaaUsers(reader)},
			includes: emptyIncludes{},
		}},
	})
}

// Profile fields that UpdateProfile changes. Each is the last part of an X
// Activity API event type, as in profile.update.bio.
const (
	ProfileBio            = "bio"
	ProfilePicture        = "profile_picture"
	ProfileBanner         = "banner_picture"
	ProfileScreenName     = "screenname" // the display name, User.Name
	ProfileHandle         = "handle"     // the username, User.Username
	ProfileGeo            = "geo"
	ProfileURL            = "url"
	ProfileVerifiedBadge  = "verified_badge"
	ProfileAffiliateBadge = "affiliate_badge"
)

var profileFields = []string{
	ProfileBio, ProfilePicture, ProfileBanner, ProfileScreenName, ProfileHandle,
	ProfileGeo, ProfileURL, ProfileVerifiedBadge, ProfileAffiliateBadge,
}

// UpdateProfile sets profile field field of user userID to value and
// delivers a profile.update.<field> envelope, with payload {"before",
// "after"}, to each X Activity API subscription whose filter names the
// user. The Account Activity API has no such event. ProfileScreenName
// changes the user's Name and ProfileHandle its Username, for every app;
// the other fields start empty and are kept for the next update only.
//
// It returns an error when the user is not registered, when field is not
// one of the Profile constants, when a display name or handle is empty, when
// the handle belongs to another user, and when deliveries fail to send.
func (s *Server) UpdateProfile(ctx context.Context, userID, field, value string) error {
	if !slices.Contains(profileFields, field) {
		return fmt.Errorf("xtest: %q is not a profile field; use one of %s", field, strings.Join(profileFields, ", "))
	}
	if !s.userExists(userID) {
		return fmt.Errorf("xtest: user %q not found", userID)
	}
	var before string
	switch field {
	case ProfileScreenName, ProfileHandle:
		var err error
		if before, err = s.world.rename(userID, field, value); err != nil {
			return err
		}
	default:
		before = s.social.setProfileField(userID, field, value)
	}
	return s.emit(ctx, occurrence{xaa: []xaaEvent{{
		eventType: "profile.update." + field, roles: []xaaRole{{userID, ""}},
		payload: xaaProfileUpdate{Before: before, After: value},
	}}})
}

// setProfileField stores value as field of user userID and returns the
// previous value.
func (st *socialState) setProfileField(userID, field, value string) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	fields := st.profiles[userID]
	if fields == nil {
		fields = make(map[string]string)
		st.profiles[userID] = fields
	}
	before := fields[field]
	fields[field] = value
	return before
}

// rename sets the display name (ProfileScreenName) or the username
// (ProfileHandle) of user id and returns the previous one.
func (w *world) rename(id, field, value string) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p, ok := w.users[id]
	if !ok {
		return "", fmt.Errorf("xtest: user %q not found", id)
	}
	if value == "" {
		return "", fmt.Errorf("xtest: the new %s of user %s is empty", field, id)
	}
	var before string
	if field == ProfileScreenName {
		before, p.name = p.name, value
	} else {
		key := strings.ToLower(value)
		if owner, exists := w.usersByHandle[key]; exists && owner != id {
			return "", fmt.Errorf("xtest: username %q is already registered", value)
		}
		delete(w.usersByHandle, strings.ToLower(p.username))
		w.usersByHandle[key] = id
		before, p.username = p.username, value
	}
	w.users[id] = p
	return before, nil
}

// Revoke acts as user userID revoking the access of app appID, as X's
// settings page does. The access tokens the user granted the app stop
// working, the user's subscriptions to the app's webhooks end, and so do
// the app's private X Activity API subscriptions whose filter names the
// user. Then a user_event revoke body, without for_user_id, goes to each of
// the app's webhooks the user was subscribed to. An oauth.revoke envelope
// with an empty filter goes to each webhook that one of the app's X
// Activity API subscriptions delivers to.
//
// NOTE: X delivers oauth.revoke without a subscription and does not
// document to which webhooks, so the fake picks those of the app's
// subscriptions.
//
// It returns an error when the app does not exist, when the user has not
// granted it a token, and when deliveries fail to send.
func (s *Server) Revoke(ctx context.Context, appID, userID string) error {
	if _, ok := s.App(appID); !ok {
		return fmt.Errorf("xtest: app %q not found", appID)
	}
	if !s.world.revokeGrants(appID, userID) {
		return fmt.Errorf("xtest: user %q has not granted app %s a token", userID, appID)
	}
	hooks := s.hooks.appWebhooksOf(appID, userID)
	for _, id := range hooks {
		s.hooks.unsubscribe(id, userID)
	}
	targets := s.revokeActivity(appID, userID)
	now := s.now()
	return s.emit(ctx, occurrence{
		aaa: []aaaCopy{{webhookIDs: hooks, body: aaaBody{UserEvent: renderUserEvent(appID, userID, now)}}},
		xaa: []xaaEvent{{
			eventType: "oauth.revoke", targets: targets,
			payload: xaaRevoke{DateTime: now.UTC().Format(revokeTimeFormat), UserID: userID, AppID: appID},
		}},
	})
}

// revokeGrants deletes the tokens user userID granted app appID and reports
// whether there were any.
func (w *world) revokeGrants(appID, userID string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	found := false
	for token, g := range w.grants {
		if g.appID == appID && g.userID == userID {
			delete(w.grants, token)
			found = true
		}
	}
	return found
}

// appWebhooksOf returns the ids of the webhooks of app appID that userID
// is subscribed to.
func (st *webhookState) appWebhooksOf(appID, userID string) []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var ids []string
	for _, h := range st.hooks {
		if h.AppID == appID && slices.Contains(h.Subscribers, userID) {
			ids = append(ids, h.ID)
		}
	}
	return ids
}

// revokeActivity deletes the private subscriptions of app appID whose filter names
// userID, and returns a target with an empty filter for each webhook that
// the app's subscriptions delivered to before, once each.
func (s *Server) revokeActivity(appID, userID string) []xaaTarget {
	s.pruneActivity()
	st := s.xaa
	st.mu.Lock()
	defer st.mu.Unlock()
	targets := []xaaTarget{}
	seen := make(map[string]bool)
	for _, sub := range st.subs {
		if sub.appID == appID && sub.webhookID != "" && !seen[sub.webhookID] {
			seen[sub.webhookID] = true
			targets = append(targets, xaaTarget{webhookID: sub.webhookID})
		}
	}
	st.subs = slices.DeleteFunc(st.subs, func(sub *activitySubscription) bool {
		return sub.appID == appID && sub.filter.UserID == userID && privateEventType(sub.eventType)
	})
	return targets
}
