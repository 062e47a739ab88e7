package accountactivity

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Envelope is the data object of an X Activity API (XAA) delivery.
type Envelope struct {
	// EventUUID identifies the event. X documents it as an opaque string.
	// Sample values are integers, some negative, and an integer is kept as
	// its digits.
	EventUUID string
	// EventType is the event type in dot form, such as "dm.received".
	// Older PascalCase names such as "FollowFollow" are converted to the
	// dot form when they match a known type; others are kept as sent.
	EventType string
	// Tag is the tag of the subscription that matched.
	Tag string
	// Filter is the filter of the subscription that matched.
	Filter Filter
	// Payload is the event's payload, undecoded, or nil when absent.
	Payload json.RawMessage
	// Includes are the expanded objects sent beside the payload, undecoded,
	// or nil when absent.
	Includes json.RawMessage
}

// Filter is the filter of an XAA subscription. Only the members that the
// subscription set are non-empty, and a revocation's filter is empty.
type Filter struct {
	UserID    string
	Keyword   string
	Direction string // "inbound" or "outbound"
}

// xaaEvents maps the XAA event types whose payload is one event to their
// decoders. Types that start with "dm." may instead carry an AAA-shaped
// payload, which payload handles first. The "profile.update." types are
// handled apart.
var xaaEvents = map[string]*eventSpec{
	"follow.follow":      {kind: KindFollow, action: "follow", decode: decodeFollow},
	"follow.unfollow":    {kind: KindFollow, action: "unfollow", decode: decodeFollow},
	"block.block":        {kind: KindBlock, action: "block", decode: decodeBlock},
	"block.unblock":      {kind: KindBlock, action: "unblock", decode: decodeBlock},
	"mute.mute":          {kind: KindMute, action: "mute", decode: decodeMute},
	"mute.unmute":        {kind: KindMute, action: "unmute", decode: decodeMute},
	"oauth.revoke":       {kind: KindRevoke, decode: decodeRevoke},
	"dm.received":        {kind: KindDirectMessage, decode: decodeDirectMessage},
	"dm.sent":            {kind: KindDirectMessage, decode: decodeDirectMessage},
	"dm.read":            {kind: KindMarkRead, decode: decodeMarkRead},
	"dm.indicate_typing": {kind: KindTyping, decode: decodeTyping},
}

// envelope decodes the XAA envelope in p.data and its payload. It discards
// whatever the other top-level members of the body produced.
func (p *bodyDecoder) envelope() error {
	r := reader{buf: p.data}
	env := new(Envelope)
	r.object(func(key []byte) { decodeEnvelopeMember(&r, env, key) })
	if r.typeErr != nil {
		r.typeErr.prepend("data")
		return fmt.Errorf("accountactivity: invalid XAA envelope: %w", r.typeErr)
	}
	if env.EventType == "" {
		return errors.New("accountactivity: invalid XAA envelope: data.event_type is missing or empty")
	}
	env.EventType = normalizeEventType(env.EventType)

	*p.d = Delivery{Envelope: env}
	p.d.Events = p.d.inline[:0]
	p.next = 0
	p.payload()
	if env.Filter.UserID != "" {
		p.d.ForUserID = env.Filter.UserID
	}
	return nil
}

func decodeEnvelopeMember(r *reader, env *Envelope, key []byte) {
	switch string(key) {
	case "event_uuid":
		r.id(&env.EventUUID)
	case "event_type":
		r.str(&env.EventType)
	case "tag":
		r.str(&env.Tag)
	case "filter":
		r.object(func(key []byte) {
			switch string(key) {
			case "user_id":
				r.id(&env.Filter.UserID)
			case "keyword":
				r.str(&env.Filter.Keyword)
			case "direction":
				r.str(&env.Filter.Direction)
			default:
				r.skip()
			}
		})
	case "payload":
		r.raw(&env.Payload)
	case "includes":
		r.raw(&env.Includes)
	default:
		r.skip()
	}
}

// payload decodes the envelope's payload into events according to its
// event type.
func (p *bodyDecoder) payload() {
	env := p.d.Envelope
	t := env.EventType
	if strings.HasPrefix(t, "dm.") && hasEventKey(env.Payload) {
		p.r = reader{buf: env.Payload}
		p.r.object(func(key []byte) { p.member(key, false) })
		return
	}
	if spec := xaaEvents[t]; spec != nil {
		p.single(spec)
		return
	}
	if field, ok := strings.CutPrefix(t, "profile.update."); ok {
		p.single(&eventSpec{kind: KindProfileUpdate, action: field, decode: decodeProfileUpdate})
		return
	}
	p.add(&ActivityEvent{Envelope: *env}, KindActivity, p.data, true)
}

// single decodes a payload that is one event. The event's Raw is the whole
// data object, so that it keeps the envelope's event_uuid.
func (p *bodyDecoder) single(spec *eventSpec) {
	env := p.d.Envelope
	if env.Payload == nil {
		p.r.typeError("data.payload is missing")
		p.add(nil, spec.kind, p.data, true)
		return
	}
	p.r = reader{buf: env.Payload}
	e := spec.decode(&p.r, spec)
	if p.r.typeErr != nil {
		p.r.typeErr.prepend("payload")
	}
	p.add(e, spec.kind, p.data, true)
}

// hasEventKey reports whether payload is an object with a member that is an
// AAA event key, such as direct_message_events.
func hasEventKey(payload []byte) bool {
	found := false
	r := reader{buf: payload}
	r.object(func(key []byte) {
		found = found || eventKeys[string(key)] != nil
		r.skip()
	})
	return found
}

// xaaEventTypes lists the documented XAA event types in dot form.
var xaaEventTypes = []string{
	"post.create", "post.delete", "post.mention.create", "post.reply.create",
	"post.quote.create", "post.repost.create", "like.create",
	"follow.follow", "follow.unfollow",
	"profile.update.bio", "profile.update.profile_picture",
	"profile.update.banner_picture", "profile.update.screenname",
	"profile.update.handle", "profile.update.geo", "profile.update.url",
	"profile.update.verified_badge", "profile.update.affiliate_badge",
	"dm.received", "dm.sent", "dm.read", "dm.indicate_typing",
	"chat.received", "chat.sent", "chat.conversation_join",
	"news.new", "spaces.start", "spaces.end",
	"mute.mute", "mute.unmute", "block.block", "block.unblock",
	"broadcast.start", "broadcast.end", "broadcast.chat", "oauth.revoke",
}

// pascalEventTypes maps lower-cased PascalCase event type names to the dot
// form. Each dot type is reachable by its parts run together, as in
// "FollowFollow" and "ProfileUpdateBio". A profile update is also reachable
// as Profile<Field>Update, as in "ProfileBioUpdate", and without a repeated
// "Profile", as in "ProfilePictureUpdate".
//
// NOTE: X documents only FollowFollow and ProfileBioUpdate. The other
// PascalCase names are assumed to follow the same patterns.
var pascalEventTypes = func() map[string]string {
	squash := strings.NewReplacer(".", "", "_", "")
	m := make(map[string]string)
	for _, t := range xaaEventTypes {
		m[squash.Replace(t)] = t
		if field, ok := strings.CutPrefix(t, "profile.update."); ok {
			f := squash.Replace(field)
			m["profile"+f+"update"] = t
			if rest, ok := strings.CutPrefix(f, "profile"); ok {
				m["profile"+rest+"update"] = t
			}
		}
	}
	return m
}()

// normalizeEventType returns the dot form of an event type name.
func normalizeEventType(t string) string {
	if strings.Contains(t, ".") {
		return t
	}
	if dot, ok := pascalEventTypes[strings.ToLower(t)]; ok {
		return dot
	}
	return t
}
