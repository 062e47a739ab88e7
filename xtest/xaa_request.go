package xtest

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// maxActivityTagRunes is the longest tag of an X Activity API subscription,
// in characters.
const maxActivityTagRunes = 200

// activityEventTypes are the event types that POST /2/activity/subscriptions
// accepts: the enum of CreateActivitySubscriptionRequest in X's OpenAPI
// description, version 2.167.
var activityEventTypes = map[string]bool{
	"profile.update.bio": true, "profile.update.profile_picture": true,
	"profile.update.banner_picture": true, "profile.update.screenname": true,
	"profile.update.geo": true, "profile.update.url": true,
	"profile.update.verified_badge": true, "profile.update.affiliate_badge": true,
	"profile.update.handle": true,
	"news.new":              true,
	"follow.follow":         true, "follow.unfollow": true,
	"spaces.start": true, "spaces.end": true,
	"broadcast.start": true, "broadcast.end": true, "broadcast.chat": true,
	"chat.received": true, "chat.sent": true,
	"chat.conversation.join": true, "chat.conversation_join": true,
	"chat.conversation.member_added": true, "chat.conversation.member_removed": true,
	"chat.conversation.admin_added": true, "chat.conversation.admin_removed": true,
	"chat.update.group_name": true, "chat.update.restrictions": true,
	"dm.sent": true, "dm.received": true, "dm.indicate_typing": true, "dm.read": true,
	"post.create": true, "post.delete": true, "post.mention.create": true,
	"post.reply.create": true, "post.quote.create": true, "post.repost.create": true,
	"like.create": true,
	"mute.mute":   true, "mute.unmute": true,
	"block.block": true, "block.unblock": true,
}

// canonicalEventType returns the name X stores for an accepted event type.
// X's description calls chat.conversation_join a deprecated alias of
// chat.conversation.join, which responses always carry.
func canonicalEventType(t string) string {
	if t == "chat.conversation_join" {
		return "chat.conversation.join"
	}
	return t
}

// privateEventType reports whether only a user's own context may subscribe
// to eventType: Direct Message, chat, like, mention, mute and block events.
// X's description requires OAuth 2.0 tokens with the scopes dm.read,
// like.read, mute.read and block.read for these.
func privateEventType(eventType string) bool {
	for _, prefix := range []string{"dm.", "chat.", "like.", "mute.", "block."} {
		if strings.HasPrefix(eventType, prefix) {
			return true
		}
	}
	return eventType == "post.mention.create"
}

// actorOnlyEventType reports whether eventType is a mute or block event,
// whose filter must name the acting user and takes no direction.
func actorOnlyEventType(eventType string) bool {
	return strings.HasPrefix(eventType, "mute.") || strings.HasPrefix(eventType, "block.")
}

// activityFilter is the filter of an X Activity API subscription. Exactly
// one of UserID and Keyword is set.
type activityFilter struct {
	UserID    string `json:"user_id,omitempty"`
	Keyword   string `json:"keyword,omitempty"`
	Direction string `json:"direction,omitempty"` // "inbound", "outbound" or empty
}

// activityRequest is a parsed body of POST /2/activity/subscriptions.
// EventType is in canonical form.
type activityRequest struct {
	EventType string
	Filter    activityFilter
	Tag       string
	WebhookID string
}

// parseActivityRequest parses the body of POST /2/activity/subscriptions:
// a JSON object with event_type, filter and optionally tag and webhook_id,
// and no other member, as CreateActivitySubscriptionRequest describes it.
// It also requires exactly one of filter.user_id and filter.keyword, and no
// direction for mute and block events. It returns the request, or the
// errors to send in a 400 problem.
func parseActivityRequest(body []byte) (activityRequest, []paramError) {
	obj, ok := decodeObject(body)
	if !ok {
		return activityRequest{}, []paramError{bodyError("$", "the request body must be a JSON object")}
	}
	errs := unknownMembers(obj, "$", "event_type", "filter", "tag", "webhook_id")
	var req activityRequest
	eventType, ok := stringMember(obj, "event_type")
	switch {
	case !ok:
		errs = append(errs, bodyError("$.event_type", "is required and must be a string"))
	case !activityEventTypes[eventType]:
		errs = append(errs, bodyError("$.event_type", "%q is not a supported event type", eventType))
	default:
		req.EventType = canonicalEventType(eventType)
	}
	var filterErrs []paramError
	req.Filter, filterErrs = parseActivityFilter(obj["filter"], req.EventType)
	errs = append(errs, filterErrs...)

	var targetErrs []paramError
	req.Tag, req.WebhookID, targetErrs = parseActivityTarget(obj)
	errs = append(errs, targetErrs...)
	return req, errs
}

// parseActivityFilter parses the filter member for event type eventType,
// which is empty when the event type was invalid.
func parseActivityFilter(raw json.RawMessage, eventType string) (activityFilter, []paramError) {
	const path = "$.filter"
	obj, ok := decodeObject(raw)
	if !ok {
		return activityFilter{}, []paramError{bodyError(path, "is required and must be an object")}
	}
	errs := unknownMembers(obj, path, "user_id", "keyword", "direction")

	var f activityFilter
	for _, m := range []struct {
		name string
		dst  *string
	}{{"user_id", &f.UserID}, {"keyword", &f.Keyword}, {"direction", &f.Direction}} {
		if _, present := obj[m.name]; !present {
			continue
		}
		v, ok := stringMember(obj, m.name)
		if !ok || v == "" {
			errs = append(errs, bodyError(path+"."+m.name, "must be a non-empty string"))
			continue
		}
		*m.dst = v
	}

	if (f.UserID == "") == (f.Keyword == "") {
		errs = append(errs, bodyError(path, "must have exactly one of user_id and keyword"))
	}
	if f.UserID != "" && !isDecimalID(f.UserID) {
		errs = append(errs, bodyError(path+".user_id", "must be a user id, a decimal number"))
	}
	if f.Direction != "" && f.Direction != "inbound" && f.Direction != "outbound" {
		errs = append(errs, bodyError(path+".direction", "must be one of [inbound, outbound]"))
	}
	if f.Direction != "" && actorOnlyEventType(eventType) {
		errs = append(errs, bodyError(path+".direction", "is not supported for %s events", eventType))
	}
	if f.Keyword != "" && privateEventType(eventType) {
		errs = append(errs, bodyError(path+".keyword", "is not supported for the private event type %s; use user_id", eventType))
	}
	return f, errs
}

// parseActivityTarget parses the optional tag and webhook_id members that
// the create and update bodies share.
func parseActivityTarget(obj map[string]json.RawMessage) (tag, webhookID string, errs []paramError) {
	if _, present := obj["tag"]; present {
		var ok bool
		tag, ok = stringMember(obj, "tag")
		if n := utf8.RuneCountInString(tag); !ok || n < 1 || n > maxActivityTagRunes {
			errs = append(errs, bodyError("$.tag", "must be a string of 1 to %d characters", maxActivityTagRunes))
			tag = ""
		}
	}
	if _, present := obj["webhook_id"]; present {
		var ok bool
		webhookID, ok = stringMember(obj, "webhook_id")
		if !ok || !numericID.MatchString(webhookID) {
			errs = append(errs, bodyError("$.webhook_id", "must be a string that matches %s", numericID))
			webhookID = ""
		}
	}
	return tag, webhookID, errs
}

// activityUpdate is a parsed body of PUT /2/activity/subscriptions/{id}.
// Empty fields are left unchanged.
type activityUpdate struct {
	Tag       string
	WebhookID string
}

// parseActivityUpdate parses the body of PUT /2/activity/subscriptions/{id}:
// a JSON object with tag, webhook_id or both, and no other member.
func parseActivityUpdate(body []byte) (activityUpdate, []paramError) {
	obj, ok := decodeObject(body)
	if !ok {
		return activityUpdate{}, []paramError{bodyError("$", "the request body must be a JSON object")}
	}
	errs := unknownMembers(obj, "$", "tag", "webhook_id")
	var u activityUpdate
	var targetErrs []paramError
	u.Tag, u.WebhookID, targetErrs = parseActivityTarget(obj)
	errs = append(errs, targetErrs...)
	if len(errs) == 0 && u == (activityUpdate{}) {
		errs = append(errs, bodyError("$", "must have at least one of tag and webhook_id"))
	}
	return u, errs
}

// stringMember returns the member name of obj when it is a JSON string.
func stringMember(obj map[string]json.RawMessage, name string) (string, bool) {
	raw, ok := obj[name]
	if !ok || len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}
