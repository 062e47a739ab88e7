package accountactivity

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goodgo/xactivity/internal/wire"
)

// X Activity API event types, for ActivitySubscription.EventType and for
// comparison with Envelope.EventType.
const (
	EventPostCreate                  = "post.create"
	EventPostDelete                  = "post.delete"
	EventPostMentionCreate           = "post.mention.create"
	EventPostReplyCreate             = "post.reply.create"
	EventPostQuoteCreate             = "post.quote.create"
	EventPostRepostCreate            = "post.repost.create"
	EventLikeCreate                  = "like.create"
	EventFollowFollow                = "follow.follow"
	EventFollowUnfollow              = "follow.unfollow"
	EventProfileUpdateBio            = "profile.update.bio"
	EventProfileUpdateProfilePicture = "profile.update.profile_picture"
	EventProfileUpdateBannerPicture  = "profile.update.banner_picture"
	EventProfileUpdateScreenName     = "profile.update.screenname"
	EventProfileUpdateHandle         = "profile.update.handle"
	EventProfileUpdateGeo            = "profile.update.geo"
	EventProfileUpdateURL            = "profile.update.url"
	EventProfileUpdateVerifiedBadge  = "profile.update.verified_badge"
	EventProfileUpdateAffiliateBadge = "profile.update.affiliate_badge"
	EventDMReceived                  = "dm.received"
	EventDMSent                      = "dm.sent"
	EventDMRead                      = "dm.read"
	EventDMIndicateTyping            = "dm.indicate_typing"
	EventChatReceived                = "chat.received"
	EventChatSent                    = "chat.sent"
	EventChatConversationJoin        = "chat.conversation_join"
	EventNewsNew                     = "news.new"
	EventSpacesStart                 = "spaces.start"
	EventSpacesEnd                   = "spaces.end"
	EventMuteMute                    = "mute.mute"
	EventMuteUnmute                  = "mute.unmute"
	EventBlockBlock                  = "block.block"
	EventBlockUnblock                = "block.unblock"
	EventBroadcastStart              = "broadcast.start"
	EventBroadcastEnd                = "broadcast.end"
	EventBroadcastChat               = "broadcast.chat"
	// EventOAuthRevoke is delivered without a subscription when a user
	// revokes the app's access.
	EventOAuthRevoke = "oauth.revoke"
)

// Filter directions of directional event types such as dm.received.
const (
	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"
)

// MaxTagLength is the longest subscription tag X accepts, in characters.
const MaxTagLength = 200

// MaxDeleteIDs is the most subscription ids one DeleteActivitySubscriptions
// call accepts.
const MaxDeleteIDs = 100

// PrivateEventType reports whether X delivers eventType only to an app
// that a user authorized, so that subscribing to it needs the user's
// context: Direct Message, chat, like, mention, mute and block events.
// Subscriptions to the other event types are made with the app's bearer
// token.
func PrivateEventType(eventType string) bool {
	for _, prefix := range []string{"dm.", "chat.", "like.", "mute.", "block."} {
		if strings.HasPrefix(eventType, prefix) {
			return true
		}
	}
	return eventType == EventPostMentionCreate
}

// ActivitySubscription is an X Activity API subscription: the events of
// one type that match Filter, delivered to a webhook.
type ActivitySubscription struct {
	// ID is X's id of the subscription; CreateActivitySubscription ignores
	// it.
	ID string
	// EventType is one of the Event constants, or another type X supports.
	EventType string
	// Filter selects the events: exactly one of UserID and Keyword, and
	// for directional event types an optional Direction.
	Filter Filter
	// Tag is an optional label of at most MaxTagLength characters that X
	// copies into each delivery.
	Tag string
	// WebhookID is the webhook X delivers to; it is optional when the app
	// reads events from the activity stream.
	WebhookID string
	// CreatedAt and UpdatedAt are X's times in UTC, or the zero Time when
	// absent or in a form this package does not know.
	CreatedAt, UpdatedAt time.Time
}

// validate checks s before it is created.
func (s ActivitySubscription) validate() error {
	if s.EventType == "" {
		return invalidf("activity subscription has no event type")
	}
	f := s.Filter
	if (f.UserID == "") == (f.Keyword == "") {
		return invalidf("activity subscription filter needs exactly one of user id and keyword")
	}
	if f.UserID != "" {
		if err := checkID("filter user id", f.UserID); err != nil {
			return err
		}
	}
	if f.Direction != "" && f.Direction != DirectionInbound && f.Direction != DirectionOutbound {
		return invalidf("filter direction %q is neither %q nor %q", f.Direction, DirectionInbound, DirectionOutbound)
	}
	return checkTarget(s.Tag, s.WebhookID)
}

// checkTarget checks the optional tag and webhook id of a subscription.
func checkTarget(tag, webhookID string) error {
	if n := utf8.RuneCountInString(tag); n > MaxTagLength || !utf8.ValidString(tag) {
		return invalidf("tag must be valid UTF-8 of at most %d characters", MaxTagLength)
	}
	if webhookID != "" {
		return checkID("webhook id", webhookID)
	}
	return nil
}

// activityJSON is an XAA subscription as the API writes and reads it.
type activityJSON struct {
	ID        wire.FlexString `json:"subscription_id,omitempty"`
	EventType string          `json:"event_type"`
	Filter    filterJSON      `json:"filter"`
	Tag       string          `json:"tag,omitempty"`
	WebhookID wire.FlexString `json:"webhook_id,omitempty"`
	CreatedAt string          `json:"created_at,omitempty"`
	UpdatedAt string          `json:"updated_at,omitempty"`
}

type filterJSON struct {
	UserID    wire.FlexString `json:"user_id,omitempty"`
	Keyword   string          `json:"keyword,omitempty"`
	Direction string          `json:"direction,omitempty"`
}

func (s ActivitySubscription) request() activityJSON {
	return activityJSON{
		EventType: s.EventType,
		Filter: filterJSON{
			UserID:    wire.FlexString(s.Filter.UserID),
			Keyword:   s.Filter.Keyword,
			Direction: s.Filter.Direction,
		},
		Tag:       s.Tag,
		WebhookID: wire.FlexString(s.WebhookID),
	}
}

func (a activityJSON) subscription() ActivitySubscription {
	return ActivitySubscription{
		ID:        string(a.ID),
		EventType: a.EventType,
		Filter: Filter{
			UserID:    string(a.Filter.UserID),
			Keyword:   a.Filter.Keyword,
			Direction: a.Filter.Direction,
		},
		Tag:       a.Tag,
		WebhookID: string(a.WebhookID),
		CreatedAt: parseTime(a.CreatedAt),
		UpdatedAt: parseTime(a.UpdatedAt),
	}
}

// subscriptionDataJSON is the data of the create and update calls.
type subscriptionDataJSON struct {
	Subscription *activityJSON `json:"subscription"`
}

// CreateActivitySubscription creates s (POST /2/activity/subscriptions).
// A private event type (see PrivateEventType) is subscribed in the context
// of Config.User, whose account the filter's user id must name; any other
// type with the app's bearer token. It returns the subscription as X
// stored it, with its ID.
//
// The X Activity API is a V2 call: on other generations this method and
// the other activity subscription methods return an error matching
// ErrUnsupported.
//
// Errors: ErrUnsupported, ErrInvalid, ErrNoUserAuth or ErrNoAppAuth (no
// request sent); *xactivity.APIError for X's refusal, matching
// ErrDuplicateSubscription, ErrSubscriptionLimitExceeded or
// ErrWebhookIDInvalid when X names that reason; *xactivity.RequestError
// when no response arrived.
func (c *Client) CreateActivitySubscription(ctx context.Context, s ActivitySubscription) (ActivitySubscription, error) {
	if err := c.only("create activity subscription", V2); err != nil {
		return ActivitySubscription{}, err
	}
	if err := s.validate(); err != nil {
		return ActivitySubscription{}, err
	}
	a := appAuth
	if PrivateEventType(s.EventType) {
		a = userAuth
	}
	return c.writeActivity(ctx, a, "create activity subscription", wire.Call{
		Method: http.MethodPost,
		Path:   path("2", "activity", "subscriptions"),
		JSON:   s.request(),
	})
}

func (c *Client) writeActivity(ctx context.Context, a auth, op string, wc wire.Call) (ActivitySubscription, error) {
	v, err := call[subscriptionDataJSON](ctx, c, a, op, wc)
	if err != nil {
		return ActivitySubscription{}, err
	}
	if v.Subscription == nil {
		return ActivitySubscription{}, errors.New("accountactivity: " + op + ": response has no subscription")
	}
	return v.Subscription.subscription(), nil
}

// ActivitySubscriptionUpdate is the change UpdateActivitySubscription
// makes. Empty fields are left as they are; at least one must be set.
type ActivitySubscriptionUpdate struct {
	Tag       string `json:"tag,omitempty"`
	WebhookID string `json:"webhook_id,omitempty"`
}

// UpdateActivitySubscription changes the tag or webhook of the
// subscription id (PUT /2/activity/subscriptions/:id, app-only) and
// returns it as X stored it. Errors are as for CreateActivitySubscription,
// with ErrSubscriptionNotFound for an unknown id.
func (c *Client) UpdateActivitySubscription(ctx context.Context, id string, u ActivitySubscriptionUpdate) (ActivitySubscription, error) {
	if err := c.only("update activity subscription", V2); err != nil {
		return ActivitySubscription{}, err
	}
	if err := checkID("subscription id", id); err != nil {
		return ActivitySubscription{}, err
	}
	if u == (ActivitySubscriptionUpdate{}) {
		return ActivitySubscription{}, invalidf("activity subscription update changes nothing")
	}
	if err := checkTarget(u.Tag, u.WebhookID); err != nil {
		return ActivitySubscription{}, err
	}
	return c.writeActivity(ctx, appAuth, "update activity subscription", wire.Call{
		Method: http.MethodPut,
		Path:   path("2", "activity", "subscriptions", id),
		JSON:   u,
	})
}

// maxActivityPages bounds the pages ActivitySubscriptions reads, so a
// server that always returns a next token cannot keep it looping.
const maxActivityPages = 100

// ActivitySubscriptions lists the app's X Activity API subscriptions
// (GET /2/activity/subscriptions, app-only), following next tokens.
// Errors are as for CreateActivitySubscription.
func (c *Client) ActivitySubscriptions(ctx context.Context) ([]ActivitySubscription, error) {
	if err := c.only("list activity subscriptions", V2); err != nil {
		return nil, err
	}
	var out []ActivitySubscription
	token := ""
	for range maxActivityPages {
		page, next, err := c.activityPage(ctx, token)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		token = next
	}
	return nil, errors.New("accountactivity: list activity subscriptions: more than 100 pages")
}

func (c *Client) activityPage(ctx context.Context, token string) ([]ActivitySubscription, string, error) {
	const op = "list activity subscriptions"
	wc := wire.Call{Method: http.MethodGet, Path: path("2", "activity", "subscriptions")}
	if token != "" {
		wc.Query = url.Values{"pagination_token": {token}}
	}
	resp, err := c.do(ctx, appAuth, op, wc)
	if err != nil {
		return nil, "", err
	}
	page, err := decodeActivityPage(resp.Body)
	if err != nil {
		return nil, "", errors.New("accountactivity: " + op + ": response is not the expected JSON")
	}
	if page.Data == nil && len(page.problems) > 0 {
		return nil, "", partial(op, wc, resp, page.problems)
	}
	var subs []ActivitySubscription
	for _, a := range page.Data {
		subs = append(subs, a.subscription())
	}
	return subs, string(page.Meta.NextToken), nil
}
