package accountactivity

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Key returns the deduplication key of event e of delivery d: the same for
// every delivery of the same event to the same subscribed user, including
// redeliveries whose bytes differ, and different for different events.
//
// A key starts with d.ForUserID and the event's kind, because X delivers an
// event that involves two subscribed users once for each of them and each
// copy belongs to a different account. The rest is:
//
//   - the DM id, post id, like id, deleted post id, or replay job id and
//     state, for the kinds that have one. A DM has the same key whether it
//     came in an AAA body or an XAA envelope for the same user;
//   - the event_uuid for follow, block, mute, profile update and other
//     events that are the payload of an XAA envelope;
//   - the type, the two user ids and the time in epoch milliseconds for
//     follow, block and mute events of AAA bodies, and likewise for typing
//     indicators, read receipts (plus last_read_event_id) and revocations;
//   - for an UnknownEvent, or an event that lacks the members above, a
//     SHA-256 hash of its kind, its top-level key and its compacted raw JSON.
//     Such a key survives changes of white space only: a redelivery that
//     reorders members or escapes strings differently gets another key.
//
// The key is opaque text; store it as it is. d must be the delivery that e
// belongs to.
func Key(d *Delivery, e Event) string {
	k := keyBuilder{forUserID: d.ForUserID, event: e}
	switch e := e.(type) {
	case *DirectMessage:
		return k.build(e.ID)
	case *TweetCreateEvent:
		return k.build(e.ID)
	case *FavoriteEvent:
		return k.build(e.ID)
	case *TweetDeleteEvent:
		return k.build(e.StatusID)
	case *ReplayJobStatus:
		if e.JobState == "" {
			return k.build(e.JobID)
		}
		return k.build(e.JobID, e.JobState)
	case *TypingEvent:
		return k.build(e.SenderID, e.RecipientID, millis(e.CreatedAt))
	case *MarkReadEvent:
		return k.build(e.SenderID, e.RecipientID, millis(e.CreatedAt), e.LastReadEventID)
	case *RevokeEvent:
		return k.build(e.UserID, e.AppID, millis(e.RevokedAt))
	case *FollowEvent:
		return k.relation(d, e.Type, e.Source.ID, e.Target.ID, e.CreatedAt)
	case *BlockEvent:
		return k.relation(d, e.Type, e.Source.ID, e.Target.ID, e.CreatedAt)
	case *MuteEvent:
		return k.relation(d, e.Type, e.Source.ID, e.Target.ID, e.CreatedAt)
	case *ProfileUpdateEvent, *ActivityEvent:
		return k.envelope(d)
	}
	return k.hash()
}

type keyBuilder struct {
	forUserID string
	event     Event
}

// build joins the key's parts. Any empty part means the event lacks a
// member that identifies it, so the key falls back to a hash.
func (k keyBuilder) build(parts ...string) string {
	var b strings.Builder
	b.WriteString(k.forUserID)
	b.WriteByte('/')
	b.WriteString(string(k.event.Kind()))
	for _, p := range parts {
		if p == "" {
			return k.hash()
		}
		b.WriteByte('/')
		b.WriteString(p)
	}
	return b.String()
}

func (k keyBuilder) relation(d *Delivery, typ, source, target string, at time.Time) string {
	if k.event.common().payload && d.Envelope != nil {
		return k.envelope(d)
	}
	return k.build(typ, source, target, millis(at))
}

func (k keyBuilder) envelope(d *Delivery) string {
	if d.Envelope == nil {
		return k.hash()
	}
	return k.build("event_uuid", d.Envelope.EventUUID)
}

// hash returns a key made of a SHA-256 hash of the event's kind, its
// top-level key (for an UnknownEvent) and its compacted raw JSON.
func (k keyBuilder) hash() string {
	h := sha256.New()
	h.Write([]byte(k.event.Kind()))
	h.Write([]byte{0})
	if u, ok := k.event.(*UnknownEvent); ok {
		h.Write([]byte(u.Key))
	}
	h.Write([]byte{0})
	var compact bytes.Buffer
	if err := json.Compact(&compact, k.event.Raw()); err != nil {
		h.Write(k.event.Raw()) // not JSON: only for events built by hand
	} else {
		h.Write(compact.Bytes())
	}
	sum := h.Sum(nil)
	return k.forUserID + "/" + string(k.event.Kind()) + "/sha256:" + hex.EncodeToString(sum[:16])
}

// millis formats t as epoch milliseconds, or "" for the zero time.
func millis(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}
