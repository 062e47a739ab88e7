package accountactivity

import (
	"encoding/json"
	"time"
)

// Kind names a kind of event. Each kind has one Go type and one Dispatcher
// registration method. Kind values are part of event keys, so changing one
// would change the keys of stored events.
type Kind string

// Event kinds. AAA deliveries and XAA envelopes that carry the same event
// decode to the same kind.
const (
	KindTweetCreate     Kind = "tweet_create"                   // *TweetCreateEvent
	KindFavorite        Kind = "favorite"                       // *FavoriteEvent
	KindFollow          Kind = "follow"                         // *FollowEvent: follow or unfollow
	KindBlock           Kind = "block"                          // *BlockEvent: block or unblock
	KindMute            Kind = "mute"                           // *MuteEvent: mute or unmute
	KindDirectMessage   Kind = "direct_message"                 // *DirectMessage
	KindTyping          Kind = "direct_message_indicate_typing" // *TypingEvent
	KindMarkRead        Kind = "direct_message_mark_read"       // *MarkReadEvent
	KindTweetDelete     Kind = "tweet_delete"                   // *TweetDeleteEvent
	KindRevoke          Kind = "revoke"                         // *RevokeEvent
	KindReplayJobStatus Kind = "replay_job_status"              // *ReplayJobStatus
	KindProfileUpdate   Kind = "profile_update"                 // *ProfileUpdateEvent
	KindActivity        Kind = "activity"                       // *ActivityEvent
	KindUnknown         Kind = "unknown"                        // *UnknownEvent
)

// Event is one decoded event of a delivery. Its dynamic type is one of the
// pointer types named beside the Kind constants, and no other type
// implements Event.
type Event interface {
	// Kind returns the event's kind.
	Kind() Kind
	// Raw returns the JSON that the event was decoded from. It is a
	// subslice of the delivery body and must not be modified.
	Raw() []byte

	common() *event
}

// event holds what every event type shares.
type event struct {
	raw []byte
	// payload is set when the event is the payload of an XAA envelope
	// rather than an element of an AAA-shaped event array.
	payload bool
}

// Raw returns the JSON that the event was decoded from: an element of an
// event array, or the envelope's data object for an XAA event that is the
// whole payload. It is a subslice of the delivery body, so do not modify it.
func (e *event) Raw() []byte { return e.raw }

func (e *event) common() *event { return e }

// User is an X account as it appears in events and in a delivery's users
// map. v1.1 and v2 spellings of the same field decode to one field.
type User struct {
	ID              string    // id_str, else id (string or integer)
	ScreenName      string    // screen_name (v1.1) or username (v2)
	Name            string    // display name
	Protected       bool      // protected
	Verified        bool      // verified
	FollowersCount  int64     // followers_count
	FriendsCount    int64     // friends_count (v1.1) or following_count (v2)
	StatusesCount   int64     // statuses_count (v1.1) or tweet_count (v2)
	ProfileImageURL string    // profile_image_url_https, else profile_image_url
	CreatedAt       time.Time // created_timestamp (epoch ms) or created_at, in UTC
}

// App is an entry of a delivery's apps map: the app that sent a DM.
type App struct {
	ID   string
	Name string
	URL  string
}

// Entities are the hashtags, cashtags, links and mentions found in a text.
// Empty lists decode as nil.
type Entities struct {
	Hashtags     []TextEntity
	Symbols      []TextEntity // cashtags such as $XYZ
	URLs         []URLEntity
	UserMentions []MentionEntity
}

// TextEntity is a hashtag or cashtag: its text without the leading sign and
// its [start, end) position in the text, in characters.
type TextEntity struct {
	Text    string
	Indices [2]int
}

// URLEntity is a link in a text.
type URLEntity struct {
	URL         string // the t.co link as it appears in the text
	ExpandedURL string
	DisplayURL  string
	Indices     [2]int
}

// MentionEntity is an @mention in a text.
type MentionEntity struct {
	ID         string
	ScreenName string
	Name       string
	Indices    [2]int
}

// Tweet is a v1.1 Tweet object (a post).
type Tweet struct {
	ID        string
	CreatedAt time.Time // created_at, in UTC
	Text      string
	// FullText is the complete text: extended_tweet.full_text when the
	// post is truncated, else full_text, else Text.
	FullText            string
	Truncated           bool
	User                User
	InReplyToStatusID   string
	InReplyToUserID     string
	InReplyToScreenName string
	QuotedStatusID      string
	QuotedStatus        *Tweet // the quoted post, when included
	RetweetedStatus     *Tweet // the reposted post, for a repost
	// Entities are extended_tweet.entities for a truncated post that has
	// them, else the top-level entities.
	Entities  Entities
	Timestamp time.Time // timestamp_ms, when present, in UTC
}

// TweetCreateEvent is an element of tweet_create_events: a post, reply,
// repost, quote or mention that involves the subscribed user.
type TweetCreateEvent struct {
	Tweet
	event
}

// Kind returns KindTweetCreate.
func (*TweetCreateEvent) Kind() Kind { return KindTweetCreate }

// FavoriteEvent is an element of favorite_events: a like.
type FavoriteEvent struct {
	ID              string // a 32-digit hexadecimal string
	CreatedAt       time.Time
	Timestamp       time.Time // timestamp_ms
	FavoritedStatus Tweet
	User            User // the user who liked the post
	event
}

// Kind returns KindFavorite.
func (*FavoriteEvent) Kind() Kind { return KindFavorite }

// FollowEvent is a follow or an unfollow, from follow_events,
// unfollow_events or an XAA follow.follow or follow.unfollow envelope.
type FollowEvent struct {
	Type      string    // "follow" or "unfollow"
	CreatedAt time.Time // created_timestamp, zero for XAA events
	Source    User      // the user who follows
	Target    User      // the user who is followed
	event
}

// Kind returns KindFollow.
func (*FollowEvent) Kind() Kind { return KindFollow }

// BlockEvent is a block or an unblock, from block_events, unblock_events or
// an XAA block.block or block.unblock envelope.
type BlockEvent struct {
	Type      string    // "block" or "unblock"
	CreatedAt time.Time // created_timestamp, zero for XAA events
	Source    User      // the user who blocks
	Target    User      // the user who is blocked
	event
}

// Kind returns KindBlock.
func (*BlockEvent) Kind() Kind { return KindBlock }

// MuteEvent is a mute or an unmute, from mute_events, unmute_events or an
// XAA mute.mute or mute.unmute envelope.
type MuteEvent struct {
	Type      string    // "mute" or "unmute"
	CreatedAt time.Time // created_timestamp, zero for XAA events
	Source    User      // the user who mutes
	Target    User      // the user who is muted
	event
}

// Kind returns KindMute.
func (*MuteEvent) Kind() Kind { return KindMute }

// DirectMessage is a DM sent or received by the subscribed user, from
// direct_message_events or an XAA dm.received or dm.sent envelope. X echoes
// the DMs that the subscribed user sends, so use Outgoing to tell them
// apart.
type DirectMessage struct {
	ID                 string
	Type               string    // "message_create"
	CreatedAt          time.Time // created_timestamp, in UTC
	SenderID           string
	RecipientID        string
	SourceAppID        string // the app that sent it, a key of the apps map
	Text               string
	Entities           Entities
	QuickReplyResponse *QuickReplyResponse // the option the sender tapped
	Attachment         *Attachment
	CTAs               json.RawMessage // call-to-action buttons, undecoded
	InitiatedVia       *InitiatedVia
	event
}

// Kind returns KindDirectMessage.
func (*DirectMessage) Kind() Kind { return KindDirectMessage }

// QuickReplyResponse is the quick-reply option that the sender selected.
type QuickReplyResponse struct {
	Type     string // "options"
	Metadata string // the metadata of the option that was tapped
}

// Attachment is the media attached to a DM.
type Attachment struct {
	Type      string // "media"
	MediaID   string // media.id_str
	MediaURL  string // media.media_url_https, else media.media_url
	MediaType string // media.type: "photo", "video" or "animated_gif"
	URL       string // the t.co link to the media that the text ends with
}

// InitiatedVia identifies what started a DM conversation: a post or a
// welcome message.
type InitiatedVia struct {
	TweetID          string
	WelcomeMessageID string
}

// TypingEvent is a typing indicator: SenderID is typing a DM to
// RecipientID.
type TypingEvent struct {
	CreatedAt   time.Time
	SenderID    string
	RecipientID string
	event
}

// Kind returns KindTyping.
func (*TypingEvent) Kind() Kind { return KindTyping }

// MarkReadEvent is a read receipt: SenderID has read the conversation with
// RecipientID up to LastReadEventID.
type MarkReadEvent struct {
	CreatedAt       time.Time
	SenderID        string
	RecipientID     string
	LastReadEventID string
	event
}

// Kind returns KindMarkRead.
func (*MarkReadEvent) Kind() Kind { return KindMarkRead }

// TweetDeleteEvent is an element of tweet_delete_events: a deleted post
// whose stored copies should be deleted too.
type TweetDeleteEvent struct {
	StatusID  string // status.id
	UserID    string // status.user_id, the author
	Timestamp time.Time
	event
}

// Kind returns KindTweetDelete.
func (*TweetDeleteEvent) Kind() Kind { return KindTweetDelete }

// RevokeEvent reports that a user revoked the app's access: the
// subscription is gone and stored tokens should be dropped. It comes from
// user_event.revoke or an XAA oauth.revoke envelope. Neither names a
// subscribed user, so the delivery's ForUserID is empty.
type RevokeEvent struct {
	RevokedAt time.Time // date_time, in UTC
	AppID     string
	UserID    string // the user who revoked
	event
}

// Kind returns KindRevoke.
func (*RevokeEvent) Kind() Kind { return KindRevoke }

// ReplayJobStatus is the notice that ends a replay job.
type ReplayJobStatus struct {
	WebhookID           string
	JobID               string
	JobState            string // "Complete" or "Incomplete"
	JobStateDescription string
	event
}

// Kind returns KindReplayJobStatus.
func (*ReplayJobStatus) Kind() Kind { return KindReplayJobStatus }

// Completed reports whether the job state is "Complete".
func (e *ReplayJobStatus) Completed() bool { return e.JobState == "Complete" }

// ProfileUpdateEvent is an XAA profile.update.* event.
type ProfileUpdateEvent struct {
	Field      string          // the event type's last part, such as "bio"
	Before     json.RawMessage // the value before the change, undecoded
	After      json.RawMessage // the value after the change, undecoded
	BeforeText string          // Before decoded, when it is a JSON string
	AfterText  string          // After decoded, when it is a JSON string
	event
}

// Kind returns KindProfileUpdate.
func (*ProfileUpdateEvent) Kind() Kind { return KindProfileUpdate }

// ActivityEvent is an XAA event that this package does not decode further,
// such as post.create or like.create: the envelope with its raw payload.
type ActivityEvent struct {
	Envelope
	event
}

// Kind returns KindActivity.
func (*ActivityEvent) Kind() Kind { return KindActivity }

// UnknownEvent is an entry under a top-level key that this package does not
// know. An array yields one UnknownEvent per element, and any other value
// yields one UnknownEvent. Raw returns the element or value.
type UnknownEvent struct {
	Key string // the top-level key, such as "bookmark_events"
	event
}

// Kind returns KindUnknown.
func (*UnknownEvent) Kind() Kind { return KindUnknown }
