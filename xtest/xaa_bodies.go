package xtest

import (
	"strconv"
	"time"
)

// xaaBody is an X Activity API delivery: the envelope under data.
type xaaBody struct {
	Data xaaEnvelope `json:"data"`
}

// xaaEnvelope carries one event for one subscription: the subscription's
// filter and tag, the event type and its payload.
type xaaEnvelope struct {
	EventUUID string         `json:"event_uuid"`
	Filter    activityFilter `json:"filter"`
	EventType string         `json:"event_type"`
	Tag       string         `json:"tag,omitempty"`
	Payload   any            `json:"payload"`
	Includes  any            `json:"includes,omitempty"`
}

// xaaUser is the part of a v2 User object the fake can fill.
type xaaUser struct {
	ID        string `json:"id"`
	Username  string `json:"username"`
	Name      string `json:"name"`
	Protected bool   `json:"protected"`
	Verified  bool   `json:"verified"`
}

// xaaUserData is a v2 User wrapped as {"data": {...}}, the form of the users
// in follow, block and mute payloads and in the users map of DM payloads.
type xaaUserData struct {
	Data xaaUser `json:"data"`
}

func xaaUserOf(p profile) xaaUser {
	return xaaUser{ID: p.id, Username: p.username, Name: p.name}
}

func wrapUser(p profile) xaaUserData { return xaaUserData{xaaUserOf(p)} }

// xaaRelation is the payload of follow.*, block.* and mute.* events.
type xaaRelation struct {
	Source xaaUserData `json:"source"`
	Target xaaUserData `json:"target"`
}

// xaaDMPayload is the payload of dm.* events: the Account Activity event
// arrays with a users map of wrapped v2 users.
type xaaDMPayload struct {
	Messages []aaaDMEvent           `json:"direct_message_events,omitempty"`
	Typing   []aaaIndicator         `json:"direct_message_indicate_typing_events,omitempty"`
	MarkRead []aaaIndicator         `json:"direct_message_mark_read_events,omitempty"`
	Users    map[string]xaaUserData `json:"users"`
}

// xaaUsers returns the users map of a DM payload.
func xaaUsers(profiles ...profile) map[string]xaaUserData {
	users := make(map[string]xaaUserData, len(profiles))
	for _, p := range profiles {
		users[p.id] = wrapUser(p)
	}
	return users
}

// emptyIncludes is the includes object of DM events, which X sends empty.
type emptyIncludes struct{}

// v2Post is a post in the v2 shape, the payload of post.create and
// post.mention.create.
type v2Post struct {
	ID                  string          `json:"id"`
	Text                string          `json:"text"`
	AuthorID            string          `json:"author_id"`
	CreatedAt           string          `json:"created_at"`
	ConversationID      string          `json:"conversation_id"`
	EditHistoryTweetIDs []string        `json:"edit_history_tweet_ids"`
	DisplayTextRange    [2]int          `json:"display_text_range"`
	Entities            *v2PostEntities `json:"entities,omitempty"`
}

type v2PostEntities struct {
	Mentions []v2Mention `json:"mentions"`
}

// v2Mention is a mention in a v2 post; start and end count characters.
type v2Mention struct {
	Start    int    `json:"start"`
	End      int    `json:"end"`
	Username string `json:"username"`
	ID       string `json:"id"`
}

// xaaPostIncludes are the includes of post and like events: the users
// involved and the post.
type xaaPostIncludes struct {
	Users  []xaaUser `json:"users,omitempty"`
	Tweets []v2Post  `json:"tweets,omitempty"`
}

func renderV2Post(p *post) v2Post {
	out := v2Post{
		ID: p.id, Text: p.text, AuthorID: p.authorID,
		CreatedAt: p.created.UTC().Format(v2TimeFormat), ConversationID: p.id,
		EditHistoryTweetIDs: []string{p.id}, DisplayTextRange: [2]int{0, p.length()},
	}
	if len(p.mentions) > 0 {
		out.Entities = &v2PostEntities{}
		for _, m := range p.mentions {
			out.Entities.Mentions = append(out.Entities.Mentions,
				v2Mention{Start: m.start, End: m.end, Username: m.username, ID: m.userID})
		}
	}
	return out
}

// xaaPostDelete is the payload of post.delete: the deleted post's id and
// author. Its includes wrap the users as {"data": {...}}.
type xaaPostDelete struct {
	ID       string `json:"id"`
	AuthorID string `json:"author_id"`
}

type xaaWrappedIncludes struct {
	Users []xaaUserData `json:"users"`
}

// xaaLike is the payload of like.create. created_at is the liked post's
// creation time, and timestamp_ms, a string here, the time of the like.
type xaaLike struct {
	ID                 string `json:"id"`
	CreatedAt          string `json:"created_at"`
	TimestampMS        string `json:"timestamp_ms"`
	LikedTweetAuthorID string `json:"liked_tweet_author_id"`
	LikedTweetID       string `json:"liked_tweet_id"`
}

func renderXAALike(id string, now time.Time, p *post) xaaLike {
	return xaaLike{
		ID: id, CreatedAt: p.created.UTC().Format(v2TimeFormat),
		TimestampMS:        strconv.FormatInt(now.UnixMilli(), 10),
		LikedTweetAuthorID: p.authorID, LikedTweetID: p.id,
	}
}

// xaaProfileUpdate is the payload of profile.update.* events.
type xaaProfileUpdate struct {
	Before string `json:"before"`
	After  string `json:"after"`
}

// xaaRevoke is the payload of oauth.revoke.
type xaaRevoke struct {
	DateTime string `json:"date_time"`
	UserID   string `json:"user_id"`
	AppID    string `json:"app_id"`
}
