package xtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// Time formats of Account Activity bodies.
const (
	// twitterTimeFormat is the created_at format of v1.1 objects.
	twitterTimeFormat = "Mon Jan 02 15:04:05 -0700 2006"
	// revokeTimeFormat is the date_time format of revocations, RFC 3339
	// with a numeric zone even in UTC.
	revokeTimeFormat = "2006-01-02T15:04:05-07:00"
)

// maxClassicTextRunes is the length beyond which a post in
// tweet_create_events is truncated, with its full text in extended_tweet.
const maxClassicTextRunes = 140

// aaaBody is an Account Activity body other than a DM delivery: for_user_id
// and one event array, or the user_event of a revocation. Empty members are
// left out.
type aaaBody struct {
	ForUserID string `json:"for_user_id,omitempty"`
	// UserHasBlocked is set on the copy of a mention that goes to the
	// mentioned user: whether that user blocks the author.
	UserHasBlocked *bool              `json:"user_has_blocked,omitempty"`
	TweetCreate    []aaaTweet         `json:"tweet_create_events,omitempty"`
	Favorite       []aaaFavorite      `json:"favorite_events,omitempty"`
	Follow         []aaaRelation      `json:"follow_events,omitempty"`
	Block          []aaaRelation      `json:"block_events,omitempty"`
	Mute           []aaaRelation      `json:"mute_events,omitempty"`
	Typing         []aaaIndicator     `json:"direct_message_indicate_typing_events,omitempty"`
	MarkRead       []aaaIndicator     `json:"direct_message_mark_read_events,omitempty"`
	TweetDelete    []aaaTweetDelete   `json:"tweet_delete_events,omitempty"`
	UserEvent      *aaaUserEvent      `json:"user_event,omitempty"`
	Users          map[string]aaaUser `json:"users,omitempty"`
}

// aaaRelation is an element of follow_events, block_events or
// mute_events. X puts follows and unfollows in follow_events, and so on,
// with the action in type.
type aaaRelation struct {
	Type             string  `json:"type"`
	CreatedTimestamp string  `json:"created_timestamp"`
	Source           aaaUser `json:"source"`
	Target           aaaUser `json:"target"`
}

// aaaIndicator is a typing indicator or, with LastReadEventID, a read
// receipt: SenderID is typing to, or has read the DMs of, the recipient.
type aaaIndicator struct {
	CreatedTimestamp string `json:"created_timestamp"`
	SenderID         string `json:"sender_id"`
	Target           struct {
		RecipientID string `json:"recipient_id"`
	} `json:"target"`
	LastReadEventID string `json:"last_read_event_id,omitempty"`
}

func newIndicator(now time.Time, senderID, recipientID, lastReadEventID string) aaaIndicator {
	ind := aaaIndicator{CreatedTimestamp: millis(now), SenderID: senderID, LastReadEventID: lastReadEventID}
	ind.Target.RecipientID = recipientID
	return ind
}

// aaaTweet is a post as a v1.1 Tweet object. Its numeric ids are written
// with all their digits beside the _str twins, so they exceed 2^53 as X's
// do.
type aaaTweet struct {
	CreatedAt     string            `json:"created_at"`
	ID            json.Number       `json:"id"`
	IDStr         string            `json:"id_str"`
	Text          string            `json:"text"`
	Truncated     bool              `json:"truncated"`
	ExtendedTweet *aaaExtendedTweet `json:"extended_tweet,omitempty"`
	TimestampMS   string            `json:"timestamp_ms,omitempty"`
	User          aaaTweetUser      `json:"user"`
	Entities      aaaTweetEntities  `json:"entities"`
}

// aaaExtendedTweet carries the full text of a truncated post.
type aaaExtendedTweet struct {
	FullText         string           `json:"full_text"`
	DisplayTextRange [2]int           `json:"display_text_range"`
	Entities         aaaTweetEntities `json:"entities"`
}

// aaaTweetUser is the author of a v1.1 Tweet or the user of a like.
type aaaTweetUser struct {
	ID         json.Number `json:"id"`
	IDStr      string      `json:"id_str"`
	Name       string      `json:"name"`
	ScreenName string      `json:"screen_name"`
	Protected  bool        `json:"protected"`
	Verified   bool        `json:"verified"`
}

// aaaTweetEntities are the entities of a v1.1 Tweet. The fake finds
// mentions of registered users and no other entities.
type aaaTweetEntities struct {
	Hashtags     []struct{}   `json:"hashtags"`
	URLs         []struct{}   `json:"urls"`
	UserMentions []aaaMention `json:"user_mentions"`
	Symbols      []struct{}   `json:"symbols"`
}

type aaaMention struct {
	ID         json.Number `json:"id"`
	IDStr      string      `json:"id_str"`
	ScreenName string      `json:"screen_name"`
	Name       string      `json:"name"`
	Indices    [2]int      `json:"indices"`
}

// aaaFavorite is an element of favorite_events. Its timestamp_ms is a
// number, unlike that of a Tweet.
type aaaFavorite struct {
	ID              string       `json:"id"`
	CreatedAt       string       `json:"created_at"`
	TimestampMS     int64        `json:"timestamp_ms"`
	FavoritedStatus aaaTweet     `json:"favorited_status"`
	User            aaaTweetUser `json:"user"`
}

// aaaTweetDelete is an element of tweet_delete_events. Its timestamp_ms is
// a string.
type aaaTweetDelete struct {
	Status struct {
		ID     string `json:"id"`
		UserID string `json:"user_id"`
	} `json:"status"`
	TimestampMS string `json:"timestamp_ms"`
}

// aaaUserEvent is the user_event of a revocation.
type aaaUserEvent struct {
	Revoke struct {
		DateTime string `json:"date_time"`
		Target   struct {
			AppID string `json:"app_id"`
		} `json:"target"`
		Source struct {
			UserID string `json:"user_id"`
		} `json:"source"`
	} `json:"revoke"`
}

func aaaUserOf(p profile) aaaUser {
	return aaaUser{ID: p.id, Name: p.name, ScreenName: p.username}
}

func aaaTweetUserOf(p profile) aaaTweetUser {
	return aaaTweetUser{ID: json.Number(p.id), IDStr: p.id, Name: p.name, ScreenName: p.username}
}

// renderTweet returns post p by author as a v1.1 Tweet. A text longer than
// 140 characters is cut there with an ellipsis, truncated is set and
// extended_tweet carries the full text, as X does for long posts.
func renderTweet(p *post, author profile) aaaTweet {
	entities := aaaTweetEntities{Hashtags: []struct{}{}, URLs: []struct{}{}, UserMentions: []aaaMention{}, Symbols: []struct{}{}}
	for _, m := range p.mentions {
		entities.UserMentions = append(entities.UserMentions, aaaMention{
			ID: json.Number(m.userID), IDStr: m.userID, ScreenName: m.username, Name: m.name,
			Indices: [2]int{m.start, m.end},
		})
	}
	t := aaaTweet{
		CreatedAt: p.created.UTC().Format(twitterTimeFormat),
		ID:        json.Number(p.id), IDStr: p.id,
		Text: p.text, TimestampMS: millis(p.created),
		User: aaaTweetUserOf(author), Entities: entities,
	}
	if n := utf8.RuneCountInString(p.text); n > maxClassicTextRunes {
		t.Truncated = true
		t.Text = string([]rune(p.text)[:maxClassicTextRunes-1]) + "…"
		t.ExtendedTweet = &aaaExtendedTweet{FullText: p.text, DisplayTextRange: [2]int{0, n}, Entities: entities}
		t.Entities.UserMentions = visibleMentions(entities.UserMentions, maxClassicTextRunes-1)
	}
	return t
}

// visibleMentions returns the mentions that end within the first n
// characters, those still in a truncated text.
func visibleMentions(all []aaaMention, n int) []aaaMention {
	out := []aaaMention{}
	for _, m := range all {
		if m.Indices[1] <= n {
			out = append(out, m)
		}
	}
	return out
}

// likeID returns the id of the nth like: 32 hexadecimal digits, the form
// of X's favorite event ids.
func likeID(n uint64) string {
	return fmt.Sprintf("%032x", 0x5a11_0000_0000_0000+n)
}

// renderFavorite returns the favorite event of a like of p by liker.
func renderFavorite(id string, now time.Time, p *post, author, liker profile) aaaFavorite {
	return aaaFavorite{
		ID: id, CreatedAt: now.UTC().Format(twitterTimeFormat), TimestampMS: now.UnixMilli(),
		FavoritedStatus: renderTweet(p, author), User: aaaTweetUserOf(liker),
	}
}

func renderTweetDelete(p *post, now time.Time) aaaTweetDelete {
	var d aaaTweetDelete
	d.Status.ID, d.Status.UserID = p.id, p.authorID
	d.TimestampMS = strconv.FormatInt(now.UnixMilli(), 10)
	return d
}

func renderUserEvent(appID, userID string, now time.Time) *aaaUserEvent {
	e := new(aaaUserEvent)
	e.Revoke.DateTime = now.UTC().Format(revokeTimeFormat)
	e.Revoke.Target.AppID = appID
	e.Revoke.Source.UserID = userID
	return e
}
