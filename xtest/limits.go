package xtest

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Group names a set of endpoints that share rate limits. Each group counts
// its own requests.
type Group string

// The rate-limit groups of the DM endpoints.
const (
	// GroupDMSend is the v2 sends: POST /2/dm_conversations/with/{participant_id}/messages,
	// POST /2/dm_conversations/{dm_conversation_id}/messages and POST /2/dm_conversations.
	GroupDMSend Group = "dm-send"
	// GroupDMRead is the v2 lookups: GET /2/dm_events, GET /2/dm_events/{event_id} and
	// the two GET .../dm_events listings of a conversation.
	GroupDMRead Group = "dm-read"
	// GroupDMDelete is DELETE /2/dm_events/{event_id}.
	GroupDMDelete Group = "dm-delete"
	// GroupDMSendV11 is POST /1.1/direct_messages/events/new.json.
	GroupDMSendV11 Group = "dm-send-v1.1"
	// GroupDMReadV11 is GET /1.1/direct_messages/events/list.json and show.json.
	GroupDMReadV11 Group = "dm-read-v1.1"
	// GroupDMDeleteV11 is DELETE /1.1/direct_messages/events/destroy.json.
	GroupDMDeleteV11 Group = "dm-delete-v1.1"
	// GroupIndicatorsV11 is POST /1.1/direct_messages/indicate_typing.json and
	// mark_read.json.
	GroupIndicatorsV11 Group = "indicators-v1.1"
	// GroupWelcomeV11 is every endpoint under /1.1/direct_messages/welcome_messages/.
	GroupWelcomeV11 Group = "welcome-v1.1"
)

// The rate-limit groups of the v1.1 Account Activity endpoints, Enterprise
// and Premium alike. Their defaults are the 15-minute limits that X's v1.1
// Enterprise reference states.
const (
	// GroupWebhooksV11 is registering, listing, validating and deleting
	// webhooks: 15 requests per 15 minutes.
	GroupWebhooksV11 Group = "webhooks-v1.1"
	// GroupSubscriptionsV11 is subscribing a user, checking a subscription
	// and deleting one: 500 requests per 15 minutes.
	GroupSubscriptionsV11 Group = "subscriptions-v1.1"
	// GroupSubscriptionListV11 is listing a webhook's subscriptions: 50
	// requests per 15 minutes.
	GroupSubscriptionListV11 Group = "subscription-list-v1.1"
	// GroupSubscriptionCountV11 is counting an app's subscriptions: 15
	// requests per 15 minutes.
	GroupSubscriptionCountV11 Group = "subscription-count-v1.1"
	// GroupReplayV11 is POST /1.1/account_activity/replay/webhooks/{webhook_id}/subscriptions/all.json:
	// 5 requests per 15 minutes.
	GroupReplayV11 Group = "replay-v1.1"
)

// groups lists every Group, in the order of the constants.
var groups = []Group{
	GroupDMSend, GroupDMRead, GroupDMDelete,
	GroupDMSendV11, GroupDMReadV11, GroupDMDeleteV11, GroupIndicatorsV11, GroupWelcomeV11,
	GroupWebhooksV11, GroupSubscriptionsV11, GroupSubscriptionListV11, GroupSubscriptionCountV11, GroupReplayV11,
}

// Limits is the number of requests a group allows in each fixed window. A
// zero field leaves that window unlimited and its headers unsent.
//
// A window starts with the first request counted in it and resets at a whole
// second of the server's clock: 15 minutes or 24 hours later, rounded up.
// Per-user windows count the requests of one access token, that is of one
// user through one app, and the requests an app makes with its bearer token
// share one per-user window of their own. Per-app windows count the requests
// of all users of one app.
type Limits struct {
	PerUser15m int // requests per user in 15 minutes, sent as x-rate-limit-*
	PerUser24h int // requests per user in 24 hours, sent as x-user-limit-24hour-*
	PerApp24h  int // requests per app in 24 hours, sent as x-app-limit-24hour-*
}

// defaultLimits returns the limits a group has unless an option or SetLimits
// changes them. The limits of the DM groups are the fake's own choice: high
// enough that tests which do not test rate limits never reach them. The v1.1
// Account Activity groups have X's documented limits.
func defaultLimits(g Group) Limits {
	switch g {
	case GroupDMSend, GroupDMSendV11:
		return Limits{PerUser15m: 1000, PerUser24h: 10000, PerApp24h: 100000}
	case GroupWebhooksV11, GroupSubscriptionCountV11:
		return Limits{PerUser15m: 15}
	case GroupSubscriptionsV11:
		return Limits{PerUser15m: 500}
	case GroupSubscriptionListV11:
		return Limits{PerUser15m: 50}
	case GroupReplayV11:
		return Limits{PerUser15m: 5}
	default:
		return Limits{PerUser15m: 1000}
	}
}

// ResetMode selects the reset headers of a 429 response.
type ResetMode int

const (
	// ResetAccurate sends the reset time of every exhausted window, as X does.
	// It is the default.
	ResetAccurate ResetMode = iota
	// ResetOmitted sends 429 responses without x-rate-limit-reset and the
	// 24-hour reset headers, so a client must fall back to its own backoff.
	ResetOmitted
	// ResetInPast sends reset headers one minute before the server's clock
	// while the window stays exhausted until its real reset, so a client that
	// trusts the header must still bound its retries.
	ResetInPast
)

// WithLimits sets the limits of group g. New panics when g is not one of the
// Group constants or a field of l is negative.
func WithLimits(g Group, l Limits) Option {
	checkLimits(g, l)
	return func(s *Server) { s.limits.set(g, l) }
}

// WithDMLimits sets the limits of both send groups, GroupDMSend and
// GroupDMSendV11, to l. Each group still counts its own requests. New panics
// when a field of l is negative.
func WithDMLimits(l Limits) Option {
	checkLimits(GroupDMSend, l)
	return func(s *Server) {
		s.limits.set(GroupDMSend, l)
		s.limits.set(GroupDMSendV11, l)
	}
}

// With429Reset selects the reset headers of 429 responses. The default is
// ResetAccurate.
func With429Reset(mode ResetMode) Option {
	return func(s *Server) {
		s.limits.mu.Lock()
		defer s.limits.mu.Unlock()
		s.limits.resetMode = mode
	}
}

// SetLimits replaces the limits of group g and starts all of its windows
// afresh. It panics when g is not one of the Group constants or a field of l
// is negative. It is safe for concurrent use.
func (s *Server) SetLimits(g Group, l Limits) {
	checkLimits(g, l)
	s.limits.set(g, l)
}

func checkLimits(g Group, l Limits) {
	if !knownGroup(g) {
		panic(fmt.Sprintf("xtest: unknown rate-limit group %q", g))
	}
	if l.PerUser15m < 0 || l.PerUser24h < 0 || l.PerApp24h < 0 {
		panic(fmt.Sprintf("xtest: negative rate limit for group %q", g))
	}
}

func knownGroup(g Group) bool {
	for _, known := range groups {
		if g == known {
			return true
		}
	}
	return false
}

// windowKey identifies one counter: a group, a window kind and the app and
// user it counts (userID is empty for a per-app window).
type windowKey struct {
	group         Group
	kind          windowKind
	appID, userID string
}

type windowKind int

const (
	user15m windowKind = iota
	user24h
	app24h
)

// window is one fixed window: the requests counted so far and when the
// count returns to zero.
type window struct {
	count int
	reset time.Time
}

// limiter is the mutex-guarded set of rate-limit counters of a Server.
type limiter struct {
	mu        sync.Mutex
	limits    map[Group]Limits
	windows   map[windowKey]*window
	resetMode ResetMode
}

func newLimiter() *limiter {
	l := &limiter{limits: make(map[Group]Limits), windows: make(map[windowKey]*window)}
	for _, g := range groups {
		l.limits[g] = defaultLimits(g)
	}
	return l
}

func (l *limiter) set(g Group, limits Limits) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.limits[g] = limits
	for key := range l.windows {
		if key.group == g {
			delete(l.windows, key)
		}
	}
}

// slot is one window that applies to a request, with its limit and the
// names of the headers that report it.
type slot struct {
	limit  int
	w      *window
	prefix string // header name prefix, such as "x-rate-limit"
}

// admit counts a request of caller c to group g at time now, unless a window
// is exhausted, and reports whether the request may proceed. Either way it
// sets the rate-limit headers of every configured window on h.
func (l *limiter) admit(h http.Header, g Group, c caller, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	slots := l.slots(g, c, now)
	allowed := true
	for _, s := range slots {
		if s.w.count >= s.limit {
			allowed = false
		}
	}
	for _, s := range slots {
		if allowed {
			s.w.count++
		}
		reset := s.w.reset
		switch {
		case allowed || l.resetMode == ResetAccurate:
		case l.resetMode == ResetInPast:
			reset = now.Add(-time.Minute)
		case l.resetMode == ResetOmitted:
			reset = time.Time{}
		}
		setLimitHeaders(h, s.prefix, s.limit, s.limit-s.w.count, reset)
	}
	return allowed
}

// slots returns the configured windows of g for caller c, starting new ones
// where none is open at now.
func (l *limiter) slots(g Group, c caller, now time.Time) []slot {
	limits := l.limits[g]
	var slots []slot
	add := func(kind windowKind, limit int, userID string, d time.Duration, prefix string) {
		if limit == 0 {
			return
		}
		key := windowKey{group: g, kind: kind, appID: c.app.ID, userID: userID}
		w := l.windows[key]
		if w == nil || !now.Before(w.reset) {
			w = &window{reset: ceilSecond(now.Add(d))}
			l.windows[key] = w
		}
		slots = append(slots, slot{limit: limit, w: w, prefix: prefix})
	}
	add(user15m, limits.PerUser15m, c.user.ID, 15*time.Minute, "x-rate-limit")
	add(user24h, limits.PerUser24h, c.user.ID, 24*time.Hour, "x-user-limit-24hour")
	add(app24h, limits.PerApp24h, "", 24*time.Hour, "x-app-limit-24hour")
	return slots
}

// setLimitHeaders sets prefix-limit, prefix-remaining and, unless reset is
// zero, prefix-reset in seconds since the Unix epoch.
func setLimitHeaders(h http.Header, prefix string, limit, remaining int, reset time.Time) {
	h.Set(prefix+"-limit", strconv.Itoa(limit))
	h.Set(prefix+"-remaining", strconv.Itoa(remaining))
	if !reset.IsZero() {
		h.Set(prefix+"-reset", strconv.FormatInt(reset.Unix(), 10))
	}
}

// ceilSecond rounds t up to a whole second, so that the reset time a header
// states in seconds is exactly when the window resets.
func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

var errTooManyRequests = apiError{
	status: http.StatusTooManyRequests, code: 88, message: "Rate limit exceeded",
	title: "Too Many Requests", detail: "Too Many Requests",
}

// limited wraps h so that each request is counted against group g and
// rejected with status 429 when one of g's windows is exhausted.
func (s *Server) limited(g Group, h userHandler) userHandler {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		if s.failGroup(w, r, g) {
			return
		}
		if !s.limits.admit(w.Header(), g, c, s.now()) {
			writeError(w, r, errTooManyRequests)
			return
		}
		h(w, r, c)
	}
}
