package xtest

import (
	"encoding/base32"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults and bounds of the X Activity API subscription endpoints.
const (
	// defaultActivityLimit is X's subscription limit of the Basic tier, the
	// smallest tier that has the X Activity API.
	defaultActivityLimit = 50
	// defaultActivityPageSize is the page size of GET
	// /2/activity/subscriptions without max_results, and maxActivityPageSize
	// the largest max_results, both as X documents them.
	defaultActivityPageSize = 1000
	maxActivityPageSize     = 1000
	// maxActivityDeleteIDs is the most ids one DELETE
	// /2/activity/subscriptions accepts.
	maxActivityDeleteIDs = 100
	// firstActivityID is the first subscription id the fake gives out, and
	// firstEventUUID the first event_uuid of its deliveries.
	firstActivityID = 2100000000000000000
	firstEventUUID  = 2200000000000000000
)

// activitySubscription is an X Activity API subscription as the server
// stores it.
type activitySubscription struct {
	id        string
	appID     string
	eventType string
	filter    activityFilter
	tag       string
	webhookID string // empty for a subscription read from the stream only
	created   time.Time
	updated   time.Time
}

// activityState is the mutex-guarded set of X Activity API subscriptions of
// a Server.
type activityState struct {
	mu       sync.Mutex
	subs     []*activitySubscription // in creation order, so in id order
	nextID   uint64
	nextUUID uint64
	limit    int // per app
	pageSize int
}

func newActivityState() *activityState {
	return &activityState{limit: defaultActivityLimit, pageSize: defaultActivityPageSize}
}

// WithActivitySubscriptionLimit sets how many X Activity API subscriptions
// one app may have. The default is 50, X's limit for the Basic tier. New
// panics when n is not positive.
func WithActivitySubscriptionLimit(n int) Option {
	if n <= 0 {
		panic("xtest: activity subscription limit must be positive")
	}
	return func(s *Server) { s.xaa.limit = n }
}

// WithActivityPageSize sets how many subscriptions a page of GET
// /2/activity/subscriptions holds when the request has no max_results. The
// default is 1000, as on X. A small size lets a test page through a few
// subscriptions. New panics when n is not between 1 and 1000.
func WithActivityPageSize(n int) Option {
	if n < 1 || n > maxActivityPageSize {
		panic("xtest: activity page size must be between 1 and 1000")
	}
	return func(s *Server) { s.xaa.pageSize = n }
}

// routeActivity registers the X Activity API subscription endpoints.
func (s *Server) routeActivity() {
	const base = "/2/activity/subscriptions"
	s.mux.Handle("POST "+base, s.activityCreateAuth())
	s.mux.Handle("GET "+base, s.appAuth(true, s.serveListActivity))
	s.mux.Handle("DELETE "+base, s.appAuth(false, s.serveDeleteActivityByIDs))
	s.mux.Handle("PUT "+base+"/{subscription_id}", s.appAuth(false, s.serveUpdateActivity))
	s.mux.Handle("DELETE "+base+"/{subscription_id}", s.appAuth(false, s.serveDeleteActivity))
}

// activityJSON is a subscription in the shape of X's responses.
type activityJSON struct {
	ID        string         `json:"subscription_id"`
	EventType string         `json:"event_type"`
	Filter    activityFilter `json:"filter"`
	Tag       string         `json:"tag,omitempty"`
	WebhookID string         `json:"webhook_id,omitempty"`
	CreatedAt string         `json:"created_at"`
	UpdatedAt string         `json:"updated_at"`
}

func renderActivity(sub *activitySubscription) activityJSON {
	return activityJSON{
		ID: sub.id, EventType: sub.eventType, Filter: sub.filter, Tag: sub.tag, WebhookID: sub.webhookID,
		CreatedAt: sub.created.UTC().Format(v2TimeFormat), UpdatedAt: sub.updated.UTC().Format(v2TimeFormat),
	}
}

// activityWritten is the data of the create and update responses.
type activityWritten struct {
	Subscription activityJSON `json:"subscription"`
}

// activityCreateAuth authenticates POST /2/activity/subscriptions, which
// takes the app's bearer token or a user's context. A bearer token may
// subscribe only to public event types: for a private one it gets X's 403
// unsupported-authentication problem.
func (s *Server) activityCreateAuth() http.Handler {
	bearer := s.appAuth(false, func(w http.ResponseWriter, r *http.Request, app App) {
		s.serveCreateActivity(w, r, caller{app: app})
	})
	user := s.userAuth(s.serveCreateActivity)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if scheme, _ := authScheme(r); strings.EqualFold(scheme, "OAuth") {
			user.ServeHTTP(w, r)
			return
		}
		bearer.ServeHTTP(w, r)
	})
}

// serveCreateActivity creates a subscription for the app of c. c.user is
// set when the request was made in a user's context.
func (s *Server) serveCreateActivity(w http.ResponseWriter, r *http.Request, c caller) {
	req, errs := parseActivityRequest(bodyBytes(r))
	if len(errs) > 0 {
		writeProblem(w, http.StatusBadRequest, invalidRequest(errs))
		return
	}
	if privateEventType(req.EventType) {
		if c.user.ID == "" {
			s.noteAuthError(r, "app-only bearer token for a private event type")
			writeProblem(w, http.StatusForbidden, unsupportedAuth("Authenticating with OAuth 2.0 "+
				"Application-Only is forbidden for the private event type "+req.EventType+".  "+
				"Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context]."))
			return
		}
		if req.Filter.UserID != c.user.ID {
			writeProblem(w, http.StatusForbidden, notAuthorizedForUser(req.Filter.UserID))
			return
		}
	}
	if req.WebhookID != "" {
		if _, ok := s.hooks.webhook(c.app.ID, req.WebhookID); !ok {
			writeProblem(w, http.StatusBadRequest, webhookFailure("WebhookIdInvalid",
				"the app has no webhook with id %q", req.WebhookID))
			return
		}
	}
	s.pruneActivity()
	sub, problem := s.xaa.create(c.app.ID, req, s.now())
	if problem != nil {
		writeProblem(w, http.StatusBadRequest, *problem)
		return
	}
	writeData(w, struct {
		Data activityWritten `json:"data"`
	}{activityWritten{renderActivity(&sub)}})
}

// notAuthorizedForUser returns the 403 problem for a private subscription
// whose filter names another user than the one whose context made the
// request.
//
// NOTE: X documents that such a subscription is refused but not its
// response, so the problem type and texts are the fake's choice.
func notAuthorizedForUser(userID string) typedProblem {
	return typedProblem{
		Title: "Authorization Error",
		Detail: fmt.Sprintf("Sorry, you are not authorized to subscribe to the private events of user %s: "+
			"only that user's own context may.", userID),
		Type:         problemTypeBase + "not-authorized-for-resource",
		Status:       http.StatusForbidden,
		ResourceType: "user",
		ResourceID:   userID,
		Parameter:    "filter.user_id",
		Value:        userID,
	}
}

// create stores a new subscription of app appID, unless it duplicates one
// or the app has reached its limit.
func (st *activityState) create(appID string, req activityRequest, now time.Time) (activitySubscription, *typedProblem) {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := 0
	for _, sub := range st.subs {
		if sub.appID != appID {
			continue
		}
		n++
		if sub.eventType == req.EventType && sub.filter == req.Filter && sub.webhookID == req.WebhookID {
			p := webhookFailure("DuplicateSubscriptionFailed",
				"subscription %s already delivers %s events for this filter", sub.id, sub.eventType)
			return activitySubscription{}, &p
		}
	}
	if n >= st.limit {
		p := webhookFailure("SubscriptionLimitExceeded", "the app already has %d of %d activity subscriptions",
			n, st.limit)
		return activitySubscription{}, &p
	}
	sub := &activitySubscription{
		id:    strconv.FormatUint(firstActivityID+st.nextID, 10),
		appID: appID, eventType: req.EventType, filter: req.Filter,
		tag: req.Tag, webhookID: req.WebhookID, created: now, updated: now,
	}
	st.nextID++
	st.subs = append(st.subs, sub)
	return *sub, nil
}

// pruneActivity deletes the subscriptions whose webhook no longer exists,
// because deleting a webhook deletes the subscriptions that deliver to it.
func (s *Server) pruneActivity() {
	s.hooks.mu.Lock()
	live := make(map[string]bool, len(s.hooks.hooks))
	for _, h := range s.hooks.hooks {
		live[h.ID] = true
	}
	s.hooks.mu.Unlock()

	st := s.xaa
	st.mu.Lock()
	defer st.mu.Unlock()
	st.subs = slices.DeleteFunc(st.subs, func(sub *activitySubscription) bool {
		return sub.webhookID != "" && !live[sub.webhookID]
	})
}

// activityPageToken is the encoding of pagination tokens: base32hex, as X
// describes them, of the last subscription id of the previous page.
var activityPageToken = base32.HexEncoding.WithPadding(base32.NoPadding)

// serveListActivity lists the app's subscriptions in id order, one page of
// max_results at a time. meta.next_token is present while more remain, and
// meta.total_subscriptions counts all of them.
func (s *Server) serveListActivity(w http.ResponseWriter, r *http.Request, app App) {
	size, after, errs := s.activityPageParams(r)
	if len(errs) > 0 {
		writeProblem(w, http.StatusBadRequest, invalidRequest(errs))
		return
	}
	s.pruneActivity()
	subs := s.xaa.list(app.ID)
	type meta struct {
		Total     int    `json:"total_subscriptions"`
		NextToken string `json:"next_token,omitempty"`
	}
	resp := struct {
		Data []activityJSON `json:"data,omitempty"`
		Meta meta           `json:"meta"`
	}{Meta: meta{Total: len(subs)}}
	start := 0
	if after != "" {
		// The page starts after the token's subscription, even when that
		// one has been deleted since.
		start = len(subs)
		if i := slices.IndexFunc(subs, func(sub activitySubscription) bool { return lessID(after, sub.id) }); i >= 0 {
			start = i
		}
	}
	for i := start; i < len(subs) && len(resp.Data) < size; i++ {
		resp.Data = append(resp.Data, renderActivity(&subs[i]))
	}
	if end := start + len(resp.Data); end < len(subs) {
		resp.Meta.NextToken = activityPageToken.EncodeToString([]byte(subs[end-1].id))
	}
	writeData(w, resp)
}

// activityPageParams reads max_results and pagination_token. after is the
// last subscription id of the previous page, or empty on the first page.
func (s *Server) activityPageParams(r *http.Request) (size int, after string, errs []paramError) {
	q := r.URL.Query()
	s.xaa.mu.Lock()
	size = s.xaa.pageSize
	s.xaa.mu.Unlock()
	if v := q.Get("max_results"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxActivityPageSize {
			errs = append(errs, paramErr("max_results", v,
				"The `max_results` query parameter value [%s] is not between 1 and %d", v, maxActivityPageSize))
		}
		size = n
	}
	if v := q.Get("pagination_token"); v != "" {
		id, err := activityPageToken.DecodeString(v)
		if err != nil || len(v) < 16 || !isDecimalID(string(id)) {
			errs = append(errs, paramErr("pagination_token", v,
				"The `pagination_token` query parameter value [%s] is not a valid token", v))
		}
		after = string(id)
	}
	return size, after, errs
}

// list returns copies of the subscriptions of app appID in id order.
func (st *activityState) list(appID string) []activitySubscription {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []activitySubscription
	for _, sub := range st.subs {
		if sub.appID == appID {
			out = append(out, *sub)
		}
	}
	return out
}

// serveUpdateActivity changes the tag or webhook of one of the app's
// subscriptions.
func (s *Server) serveUpdateActivity(w http.ResponseWriter, r *http.Request, app App) {
	id := r.PathValue("subscription_id")
	if !numericID.MatchString(id) {
		writeProblem(w, http.StatusBadRequest, invalidRequest([]paramError{
			paramErr("subscription_id", id, "The `subscription_id` path parameter must match %s", numericID)}))
		return
	}
	u, errs := parseActivityUpdate(bodyBytes(r))
	if len(errs) > 0 {
		writeProblem(w, http.StatusBadRequest, invalidRequest(errs))
		return
	}
	if u.WebhookID != "" {
		if _, ok := s.hooks.webhook(app.ID, u.WebhookID); !ok {
			writeProblem(w, http.StatusBadRequest, webhookFailure("WebhookIdInvalid",
				"the app has no webhook with id %q", u.WebhookID))
			return
		}
	}
	s.pruneActivity()
	sub, total, ok := s.xaa.update(app.ID, id, u, s.now())
	if !ok {
		writeSubscriptionNotFound(w, id)
		return
	}
	type data struct {
		Subscription activityJSON `json:"subscription"`
		Total        int          `json:"total_subscriptions"`
	}
	writeData(w, struct {
		Data data `json:"data"`
	}{data{renderActivity(&sub), total}})
}

// update applies u to subscription id of app appID. It returns the changed
// subscription and the app's number of subscriptions.
func (st *activityState) update(appID, id string, u activityUpdate, now time.Time) (activitySubscription, int, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sub := st.find(appID, id)
	if sub == nil {
		return activitySubscription{}, 0, false
	}
	if u.Tag != "" {
		sub.tag = u.Tag
	}
	if u.WebhookID != "" {
		sub.webhookID = u.WebhookID
	}
	sub.updated = now
	return *sub, st.count(appID), true
}

// find returns subscription id of app appID, or nil. The caller holds
// st.mu.
func (st *activityState) find(appID, id string) *activitySubscription {
	for _, sub := range st.subs {
		if sub.id == id && sub.appID == appID {
			return sub
		}
	}
	return nil
}

// count returns the number of subscriptions of app appID. The caller holds
// st.mu.
func (st *activityState) count(appID string) int {
	n := 0
	for _, sub := range st.subs {
		if sub.appID == appID {
			n++
		}
	}
	return n
}

// remove deletes subscription id of app appID and reports whether it
// existed. The caller holds st.mu.
func (st *activityState) remove(appID, id string) bool {
	n := len(st.subs)
	st.subs = slices.DeleteFunc(st.subs, func(sub *activitySubscription) bool {
		return sub.id == id && sub.appID == appID
	})
	return len(st.subs) < n
}

func writeSubscriptionNotFound(w http.ResponseWriter, id string) {
	writeProblem(w, http.StatusBadRequest, webhookFailure("SubscriptionNotFound",
		"the app has no activity subscription with id %q", id))
}

// serveDeleteActivity deletes one of the app's subscriptions.
func (s *Server) serveDeleteActivity(w http.ResponseWriter, r *http.Request, app App) {
	id := r.PathValue("subscription_id")
	if !numericID.MatchString(id) {
		writeProblem(w, http.StatusBadRequest, invalidRequest([]paramError{
			paramErr("subscription_id", id, "The `subscription_id` path parameter must match %s", numericID)}))
		return
	}
	s.pruneActivity()
	s.xaa.mu.Lock()
	deleted := s.xaa.remove(app.ID, id)
	s.xaa.mu.Unlock()
	if !deleted {
		writeSubscriptionNotFound(w, id)
		return
	}
	writeData(w, v2DeleteResponse{Data: v2Deleted{Deleted: true}})
}

// activityDeleteResult is the response of DELETE
// /2/activity/subscriptions?ids=: the ids deleted, a failure for each id
// that was not, and the number of subscriptions left.
type activityDeleteResult struct {
	Data   []activityDeleted `json:"data,omitempty"`
	Errors []activityFailed  `json:"errors,omitempty"`
	Meta   struct {
		Total int `json:"total_subscriptions"`
	} `json:"meta"`
}

type activityDeleted struct {
	Deleted bool   `json:"deleted"`
	ID      string `json:"subscription_id"`
}

type activityFailed struct {
	Message string `json:"message"`
	Reason  string `json:"reason"`
	ID      string `json:"subscription_id"`
}

// serveDeleteActivityByIDs deletes the app's subscriptions named by the
// comma-separated ids parameter. An id that is not one of the app's
// subscriptions, or that the list repeats, is reported in errors with the
// reason SubscriptionNotFound, and the others are still deleted.
func (s *Server) serveDeleteActivityByIDs(w http.ResponseWriter, r *http.Request, app App) {
	raw := r.URL.Query().Get("ids")
	ids := strings.Split(raw, ",")
	if raw == "" || len(ids) > maxActivityDeleteIDs || slices.ContainsFunc(ids, func(id string) bool {
		return !numericID.MatchString(id)
	}) {
		writeProblem(w, http.StatusBadRequest, invalidRequest([]paramError{paramErr("ids", raw,
			"The `ids` query parameter must list 1 to %d ids separated by commas, each matching %s",
			maxActivityDeleteIDs, numericID)}))
		return
	}
	s.pruneActivity()
	var result activityDeleteResult
	st := s.xaa
	st.mu.Lock()
	for _, id := range ids {
		if st.remove(app.ID, id) {
			result.Data = append(result.Data, activityDeleted{Deleted: true, ID: id})
			continue
		}
		result.Errors = append(result.Errors, activityFailed{
			Message: fmt.Sprintf("the app has no activity subscription with id %s", id),
			Reason:  "SubscriptionNotFound", ID: id,
		})
	}
	result.Meta.Total = st.count(app.ID)
	st.mu.Unlock()
	writeData(w, result)
}
