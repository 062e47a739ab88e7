package accountactivity

import "time"

// eventSpec describes how to decode the entries of one event key.
type eventSpec struct {
	kind Kind
	// action is the Type of a follow, block or mute event whose object has
	// no type member: the key's or the XAA event type's action.
	action string
	decode func(r *reader, spec *eventSpec) Event
}

// eventKeys maps the AAA body keys that carry events to their decoders.
var eventKeys = map[string]*eventSpec{
	"tweet_create_events":                   {kind: KindTweetCreate, decode: decodeTweetCreate},
	"favorite_events":                       {kind: KindFavorite, decode: decodeFavorite},
	"follow_events":                         {kind: KindFollow, action: "follow", decode: decodeFollow},
	"unfollow_events":                       {kind: KindFollow, action: "unfollow", decode: decodeFollow},
	"block_events":                          {kind: KindBlock, action: "block", decode: decodeBlock},
	"unblock_events":                        {kind: KindBlock, action: "unblock", decode: decodeBlock},
	"mute_events":                           {kind: KindMute, action: "mute", decode: decodeMute},
	"unmute_events":                         {kind: KindMute, action: "unmute", decode: decodeMute},
	"direct_message_events":                 {kind: KindDirectMessage, decode: decodeDirectMessage},
	"direct_message_indicate_typing_events": {kind: KindTyping, decode: decodeTyping},
	"direct_message_mark_read_events":       {kind: KindMarkRead, decode: decodeMarkRead},
	"tweet_delete_events":                   {kind: KindTweetDelete, decode: decodeTweetDelete},
	"user_event":                            {kind: KindRevoke, decode: decodeUserEvent},
	"replay_job_status":                     {kind: KindReplayJobStatus, decode: decodeReplayJobStatus},
}

// decodeDirectMessage decodes a DM event. initiated_via may sit beside
// message_create or inside it, and when both are present the inner one wins.
func decodeDirectMessage(r *reader, _ *eventSpec) Event {
	dm := new(DirectMessage)
	var outerVia *InitiatedVia
	r.object(func(key []byte) {
		switch string(key) {
		case "type":
			r.token(&dm.Type)
		case "id":
			r.id(&dm.ID)
		case "created_timestamp":
			r.millis(&dm.CreatedAt)
		case "message_create":
			decodeMessageCreate(r, dm)
		case "initiated_via":
			decodeOptional(r, &outerVia, decodeInitiatedVia)
		default:
			r.skip()
		}
	})
	if dm.InitiatedVia == nil {
		dm.InitiatedVia = outerVia
	}
	return dm
}

func decodeMessageCreate(r *reader, dm *DirectMessage) {
	r.object(func(key []byte) {
		switch string(key) {
		case "target":
			r.nestedID("recipient_id", &dm.RecipientID)
		case "sender_id":
			r.id(&dm.SenderID)
		case "source_app_id":
			r.id(&dm.SourceAppID)
		case "message_data":
			decodeMessageData(r, dm)
		case "initiated_via":
			decodeOptional(r, &dm.InitiatedVia, decodeInitiatedVia)
		default:
			r.skip()
		}
	})
}

func decodeMessageData(r *reader, dm *DirectMessage) {
	r.object(func(key []byte) {
		switch string(key) {
		case "text":
			r.str(&dm.Text)
		case "entities":
			decodeEntities(r, &dm.Entities)
		case "quick_reply_response":
			decodeOptional(r, &dm.QuickReplyResponse, decodeQuickReplyResponse)
		case "attachment":
			decodeOptional(r, &dm.Attachment, decodeAttachment)
		case "ctas":
			r.raw(&dm.CTAs)
		default:
			r.skip()
		}
	})
}

func decodeQuickReplyResponse(r *reader, q *QuickReplyResponse) {
	r.object(func(key []byte) {
		switch string(key) {
		case "type":
			r.token(&q.Type)
		case "metadata":
			r.str(&q.Metadata)
		default:
			r.skip()
		}
	})
}

func decodeAttachment(r *reader, a *Attachment) {
	r.object(func(key []byte) {
		switch string(key) {
		case "type":
			r.token(&a.Type)
		case "media":
			decodeMedia(r, a)
		default:
			r.skip()
		}
	})
}

func decodeMedia(r *reader, a *Attachment) {
	var id, mediaURL string
	r.object(func(key []byte) {
		switch string(key) {
		case "id":
			r.id(&id)
		case "id_str":
			r.id(&a.MediaID)
		case "media_url_https":
			r.str(&a.MediaURL)
		case "media_url":
			r.str(&mediaURL)
		case "type":
			r.token(&a.MediaType)
		case "url":
			r.str(&a.URL)
		default:
			r.skip()
		}
	})
	a.MediaID = orElse(a.MediaID, id)
	a.MediaURL = orElse(a.MediaURL, mediaURL)
}

func decodeInitiatedVia(r *reader, v *InitiatedVia) {
	r.object(func(key []byte) {
		switch string(key) {
		case "tweet_id":
			r.id(&v.TweetID)
		case "welcome_message_id":
			r.id(&v.WelcomeMessageID)
		default:
			r.skip()
		}
	})
}

// orElse returns s, or fallback when s is empty. It picks an id_str member
// over its numeric id twin.
func orElse(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// decodeOptional decodes an object into a new *T. A null sets *dst to nil.
func decodeOptional[T any](r *reader, dst **T, decode func(*reader, *T)) {
	if r.peek() == 'n' {
		r.literal("null")
		*dst = nil
		return
	}
	v := new(T)
	decode(r, v)
	*dst = v
}

// decodeList decodes an array of objects. An empty array or a null yields
// nil.
func decodeList[T any](r *reader, decode func(*reader, *T)) []T {
	var list []T
	r.array(func(int) {
		var v T
		decode(r, &v)
		list = append(list, v)
	})
	return list
}

// nestedID decodes the member name of the object at the cursor as an id,
// as in target.recipient_id.
func (r *reader) nestedID(name string, dst *string) {
	r.object(func(key []byte) {
		if string(key) == name {
			r.id(dst)
			return
		}
		r.skip()
	})
}

func decodeEntities(r *reader, e *Entities) {
	r.object(func(key []byte) {
		switch string(key) {
		case "hashtags":
			e.Hashtags = decodeList(r, decodeTextEntity)
		case "symbols":
			e.Symbols = decodeList(r, decodeTextEntity)
		case "urls":
			e.URLs = decodeList(r, decodeURLEntity)
		case "user_mentions":
			e.UserMentions = decodeList(r, decodeMentionEntity)
		default:
			r.skip()
		}
	})
}

func decodeTextEntity(r *reader, t *TextEntity) {
	r.object(func(key []byte) {
		switch string(key) {
		case "text":
			r.str(&t.Text)
		case "indices":
			decodeIndices(r, &t.Indices)
		default:
			r.skip()
		}
	})
}

func decodeURLEntity(r *reader, u *URLEntity) {
	r.object(func(key []byte) {
		switch string(key) {
		case "url":
			r.str(&u.URL)
		case "expanded_url":
			r.str(&u.ExpandedURL)
		case "display_url":
			r.str(&u.DisplayURL)
		case "indices":
			decodeIndices(r, &u.Indices)
		default:
			r.skip()
		}
	})
}

func decodeMentionEntity(r *reader, m *MentionEntity) {
	var id string
	r.object(func(key []byte) {
		switch string(key) {
		case "id":
			r.id(&id)
		case "id_str":
			r.id(&m.ID)
		case "screen_name":
			r.str(&m.ScreenName)
		case "name":
			r.str(&m.Name)
		case "indices":
			decodeIndices(r, &m.Indices)
		default:
			r.skip()
		}
	})
	m.ID = orElse(m.ID, id)
}

// decodeIndices decodes a [start, end] pair. Elements past the second are
// ignored.
func decodeIndices(r *reader, dst *[2]int) {
	r.array(func(i int) {
		if i < len(dst) {
			r.integer(&dst[i])
			return
		}
		r.skip()
	})
}

// decodeUser decodes a v1.1 or v2 user object. A v2 user wrapped as
// {"data": {...}} decodes like the inner object.
func decodeUser(r *reader, u *User) {
	var id, imageURL string
	r.object(func(key []byte) {
		switch string(key) {
		case "data":
			decodeUser(r, u)
		case "id":
			r.id(&id)
		case "id_str":
			r.id(&u.ID)
		case "screen_name", "username":
			r.str(&u.ScreenName)
		case "name":
			r.str(&u.Name)
		case "protected":
			r.boolean(&u.Protected)
		case "verified":
			r.boolean(&u.Verified)
		case "followers_count":
			r.count(&u.FollowersCount)
		case "friends_count":
			r.count(&u.FriendsCount)
		case "statuses_count":
			r.count(&u.StatusesCount)
		case "public_metrics":
			decodePublicMetrics(r, u)
		case "profile_image_url_https":
			r.str(&u.ProfileImageURL)
		case "profile_image_url":
			r.str(&imageURL)
		case "created_timestamp":
			r.millis(&u.CreatedAt)
		case "created_at":
			r.datetime(&u.CreatedAt)
		default:
			r.skip()
		}
	})
	u.ID = orElse(u.ID, id)
	u.ProfileImageURL = orElse(u.ProfileImageURL, imageURL)
}

func decodePublicMetrics(r *reader, u *User) {
	r.object(func(key []byte) {
		switch string(key) {
		case "followers_count":
			r.count(&u.FollowersCount)
		case "following_count":
			r.count(&u.FriendsCount)
		case "tweet_count":
			r.count(&u.StatusesCount)
		default:
			r.skip()
		}
	})
}

func decodeApp(r *reader, a *App) {
	r.object(func(key []byte) {
		switch string(key) {
		case "id":
			r.id(&a.ID)
		case "name":
			r.str(&a.Name)
		case "url":
			r.str(&a.URL)
		default:
			r.skip()
		}
	})
}

func decodeTweetCreate(r *reader, _ *eventSpec) Event {
	e := new(TweetCreateEvent)
	decodeTweet(r, &e.Tweet)
	return e
}

// tweetDecoder keeps the numeric id members and the extended_tweet object
// of a post until the whole object is read.
type tweetDecoder struct {
	t                                        *Tweet
	id, replyStatusID, replyUserID, quotedID string
	extendedText                             string
	extendedEntities                         *Entities
}

func decodeTweet(r *reader, t *Tweet) {
	td := tweetDecoder{t: t}
	r.object(func(key []byte) { td.member(r, key) })
	t.ID = orElse(t.ID, td.id)
	t.InReplyToStatusID = orElse(t.InReplyToStatusID, td.replyStatusID)
	t.InReplyToUserID = orElse(t.InReplyToUserID, td.replyUserID)
	t.QuotedStatusID = orElse(t.QuotedStatusID, td.quotedID)
	if t.Truncated && td.extendedText != "" {
		t.FullText = td.extendedText
	}
	t.FullText = orElse(t.FullText, t.Text)
	if t.Truncated && td.extendedEntities != nil {
		t.Entities = *td.extendedEntities
	}
}

func (td *tweetDecoder) member(r *reader, key []byte) {
	t := td.t
	switch string(key) {
	case "id":
		r.id(&td.id)
	case "id_str":
		r.id(&t.ID)
	case "created_at":
		r.datetime(&t.CreatedAt)
	case "text":
		r.str(&t.Text)
	case "full_text":
		r.str(&t.FullText)
	case "truncated":
		r.boolean(&t.Truncated)
	case "extended_tweet":
		td.extended(r)
	case "user":
		decodeUser(r, &t.User)
	case "entities":
		decodeEntities(r, &t.Entities)
	case "timestamp_ms":
		r.millis(&t.Timestamp)
	default:
		td.reference(r, key)
	}
}

// reference decodes the members that point at other posts and users.
func (td *tweetDecoder) reference(r *reader, key []byte) {
	t := td.t
	switch string(key) {
	case "in_reply_to_status_id":
		r.id(&td.replyStatusID)
	case "in_reply_to_status_id_str":
		r.id(&t.InReplyToStatusID)
	case "in_reply_to_user_id":
		r.id(&td.replyUserID)
	case "in_reply_to_user_id_str":
		r.id(&t.InReplyToUserID)
	case "in_reply_to_screen_name":
		r.str(&t.InReplyToScreenName)
	case "quoted_status_id":
		r.id(&td.quotedID)
	case "quoted_status_id_str":
		r.id(&t.QuotedStatusID)
	case "quoted_status":
		decodeOptional(r, &t.QuotedStatus, decodeTweet)
	case "retweeted_status":
		decodeOptional(r, &t.RetweetedStatus, decodeTweet)
	default:
		r.skip()
	}
}

func (td *tweetDecoder) extended(r *reader) {
	r.object(func(key []byte) {
		switch string(key) {
		case "full_text":
			r.str(&td.extendedText)
		case "entities":
			td.extendedEntities = new(Entities)
			decodeEntities(r, td.extendedEntities)
		default:
			r.skip()
		}
	})
}

func decodeFavorite(r *reader, _ *eventSpec) Event {
	e := new(FavoriteEvent)
	r.object(func(key []byte) {
		switch string(key) {
		case "id":
			r.id(&e.ID)
		case "created_at":
			r.datetime(&e.CreatedAt)
		case "timestamp_ms":
			r.millis(&e.Timestamp)
		case "favorited_status":
			decodeTweet(r, &e.FavoritedStatus)
		case "user":
			decodeUser(r, &e.User)
		default:
			r.skip()
		}
	})
	return e
}

// relation is the shape that follow, block and mute events share.
type relation struct {
	typ            string
	createdAt      time.Time
	source, target User
}

func decodeRelation(r *reader, spec *eventSpec) relation {
	rel := relation{typ: spec.action}
	r.object(func(key []byte) {
		switch string(key) {
		case "type":
			r.token(&rel.typ)
		case "created_timestamp":
			r.millis(&rel.createdAt)
		case "source":
			decodeUser(r, &rel.source)
		case "target":
			decodeUser(r, &rel.target)
		default:
			r.skip()
		}
	})
	return rel
}

func decodeFollow(r *reader, spec *eventSpec) Event {
	rel := decodeRelation(r, spec)
	return &FollowEvent{
		Type: rel.typ, CreatedAt: rel.createdAt, Source: rel.source, Target: rel.target,
	}
}

func decodeBlock(r *reader, spec *eventSpec) Event {
	rel := decodeRelation(r, spec)
	return &BlockEvent{
		Type: rel.typ, CreatedAt: rel.createdAt, Source: rel.source, Target: rel.target,
	}
}

func decodeMute(r *reader, spec *eventSpec) Event {
	rel := decodeRelation(r, spec)
	return &MuteEvent{
		Type: rel.typ, CreatedAt: rel.createdAt, Source: rel.source, Target: rel.target,
	}
}

func decodeTyping(r *reader, _ *eventSpec) Event {
	e := new(TypingEvent)
	r.object(func(key []byte) {
		switch string(key) {
		case "created_timestamp":
			r.millis(&e.CreatedAt)
		case "sender_id":
			r.id(&e.SenderID)
		case "target":
			r.nestedID("recipient_id", &e.RecipientID)
		default:
			r.skip()
		}
	})
	return e
}

func decodeMarkRead(r *reader, _ *eventSpec) Event {
	e := new(MarkReadEvent)
	r.object(func(key []byte) {
		switch string(key) {
		case "created_timestamp":
			r.millis(&e.CreatedAt)
		case "sender_id":
			r.id(&e.SenderID)
		case "target":
			r.nestedID("recipient_id", &e.RecipientID)
		case "last_read_event_id":
			r.id(&e.LastReadEventID)
		default:
			r.skip()
		}
	})
	return e
}

func decodeTweetDelete(r *reader, _ *eventSpec) Event {
	e := new(TweetDeleteEvent)
	r.object(func(key []byte) {
		switch string(key) {
		case "status":
			decodeDeletedStatus(r, e)
		case "timestamp_ms":
			r.millis(&e.Timestamp)
		default:
			r.skip()
		}
	})
	return e
}

func decodeDeletedStatus(r *reader, e *TweetDeleteEvent) {
	var id, userID string
	r.object(func(key []byte) {
		switch string(key) {
		case "id":
			r.id(&id)
		case "id_str":
			r.id(&e.StatusID)
		case "user_id":
			r.id(&userID)
		case "user_id_str":
			r.id(&e.UserID)
		default:
			r.skip()
		}
	})
	e.StatusID = orElse(e.StatusID, id)
	e.UserID = orElse(e.UserID, userID)
}

// decodeUserEvent decodes the user_event object, whose only documented
// member is revoke. Without it the object is an UnknownEvent.
func decodeUserEvent(r *reader, spec *eventSpec) Event {
	var e Event
	r.object(func(key []byte) {
		if string(key) == "revoke" {
			e = decodeRevoke(r, spec)
			return
		}
		r.skip()
	})
	if e == nil {
		return &UnknownEvent{Key: "user_event"}
	}
	return e
}

// decodeRevoke decodes a revocation in either shape: AAA
// {date_time, target: {app_id}, source: {user_id}} or XAA
// {date_time, app_id, user_id}.
func decodeRevoke(r *reader, _ *eventSpec) Event {
	e := new(RevokeEvent)
	r.object(func(key []byte) {
		switch string(key) {
		case "date_time":
			r.datetime(&e.RevokedAt)
		case "target":
			r.nestedID("app_id", &e.AppID)
		case "app_id":
			r.id(&e.AppID)
		case "source":
			r.nestedID("user_id", &e.UserID)
		case "user_id":
			r.id(&e.UserID)
		default:
			r.skip()
		}
	})
	return e
}

func decodeReplayJobStatus(r *reader, _ *eventSpec) Event {
	e := new(ReplayJobStatus)
	r.object(func(key []byte) {
		switch string(key) {
		case "webhook_id":
			r.id(&e.WebhookID)
		case "job_id":
			r.id(&e.JobID)
		case "job_state":
			r.str(&e.JobState)
		case "job_state_description":
			r.str(&e.JobStateDescription)
		default:
			r.skip()
		}
	})
	return e
}

// decodeProfileUpdate decodes a {before, after} payload. spec.action is the
// updated field.
func decodeProfileUpdate(r *reader, spec *eventSpec) Event {
	e := &ProfileUpdateEvent{Field: spec.action}
	r.object(func(key []byte) {
		switch string(key) {
		case "before":
			e.Before, e.BeforeText = r.rawAndText()
		case "after":
			e.After, e.AfterText = r.rawAndText()
		default:
			r.skip()
		}
	})
	return e
}

// rawAndText returns a value as it appears in the input and, when it is a
// string, its decoded text.
func (r *reader) rawAndText() (raw []byte, text string) {
	raw = r.rawValue()
	if len(raw) > 0 && raw[0] == '"' {
		sub := reader{buf: raw}
		text = sub.stringValue()
	}
	return raw, text
}
