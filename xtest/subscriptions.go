package xtest

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
)

// routeSubscriptions registers the subscription endpoints of the Account
// Activity API.
func (s *Server) routeSubscriptions() {
	const base = "/2/account_activity/webhooks/{webhook_id}/subscriptions/"
	s.mux.Handle("POST "+base+"all", s.userOnlyAuth(s.serveSubscribe))
	s.mux.Handle("GET "+base+"all", s.userOnlyAuth(s.serveSubscribed))
	s.mux.Handle("GET "+base+"all/list", s.appAuth(false, s.serveListSubscriptions))
	s.mux.Handle("DELETE "+base+"{user_id}/all", s.appAuth(false, s.serveUnsubscribe))
	s.mux.Handle("GET /2/account_activity/subscriptions/count", s.appAuth(false, s.serveCountSubscriptions))
}

// v2Subscribed is the data of the subscription endpoints that respond for
// one user.
type v2Subscribed struct {
	Data struct {
		Subscribed bool `json:"subscribed"`
	} `json:"data"`
}

func writeSubscribed(w http.ResponseWriter, subscribed bool) {
	var resp v2Subscribed
	resp.Data.Subscribed = subscribed
	writeData(w, resp)
}

// serveSubscribe subscribes the authenticated user to the webhook.
func (s *Server) serveSubscribe(w http.ResponseWriter, r *http.Request, c caller) {
	body := bytes.TrimSpace(bodyBytes(r))
	if _, ok := decodeObject(body); len(body) > 0 && !ok {
		writeProblem(w, http.StatusBadRequest, invalidRequest([]paramError{
			bodyError("$", "the body must be a JSON object or empty")}))
		return
	}
	if problem := s.hooks.subscribe(c.app.ID, r.PathValue("webhook_id"), c.user.ID); problem != nil {
		writeProblem(w, http.StatusBadRequest, *problem)
		return
	}
	writeSubscribed(w, true)
}

// subscribe adds userID to the subscribers of app appID's webhook.
func (st *webhookState) subscribe(appID, webhookID, userID string) *typedProblem {
	st.mu.Lock()
	defer st.mu.Unlock()
	h := st.find(webhookID)
	if h == nil || h.AppID != appID {
		p := webhookFailure("WebhookIdInvalid", "the app has no webhook with id %q", webhookID)
		return &p
	}
	if slices.Contains(h.Subscribers, userID) {
		p := webhookFailure("DuplicateSubscriptionFailed", "user %s is already subscribed", userID)
		return &p
	}
	if n := st.subscriptionCount(appID); n >= st.subscriptionLimit {
		p := webhookFailure("SubscriptionLimitExceeded", "the app already has %d of %d subscriptions",
			n, st.subscriptionLimit)
		return &p
	}
	h.Subscribers = append(h.Subscribers, userID)
	return nil
}

// subscriptionCount returns the number of subscriptions across the
// webhooks of app appID. The caller holds st.mu.
func (st *webhookState) subscriptionCount(appID string) int {
	n := 0
	for _, h := range st.hooks {
		if h.AppID == appID {
			n += len(h.Subscribers)
		}
	}
	return n
}

// serveSubscribed reports whether the authenticated user is subscribed to
// the webhook.
func (s *Server) serveSubscribed(w http.ResponseWriter, r *http.Request, c caller) {
	h, ok := s.hooks.webhook(c.app.ID, r.PathValue("webhook_id"))
	if !ok {
		writeWebhookIDInvalid(w, r)
		return
	}
	writeSubscribed(w, slices.Contains(h.Subscribers, c.user.ID))
}

// serveListSubscriptions lists the users subscribed to the webhook.
func (s *Server) serveListSubscriptions(w http.ResponseWriter, r *http.Request, app App) {
	h, ok := s.hooks.webhook(app.ID, r.PathValue("webhook_id"))
	if !ok {
		writeWebhookIDInvalid(w, r)
		return
	}
	type subscription struct {
		UserID string `json:"user_id"`
	}
	type list struct {
		ApplicationID string         `json:"application_id"`
		WebhookID     string         `json:"webhook_id"`
		WebhookURL    string         `json:"webhook_url"`
		Subscriptions []subscription `json:"subscriptions"`
	}
	data := list{ApplicationID: app.ID, WebhookID: h.ID, WebhookURL: h.URL, Subscriptions: []subscription{}}
	for _, id := range h.Subscribers {
		data.Subscriptions = append(data.Subscriptions, subscription{UserID: id})
	}
	writeData(w, struct {
		Data list `json:"data"`
	}{data})
}

// serveUnsubscribe removes the subscription of the user named by the path.
func (s *Server) serveUnsubscribe(w http.ResponseWriter, r *http.Request, app App) {
	webhookID, userID := r.PathValue("webhook_id"), r.PathValue("user_id")
	if _, ok := s.hooks.webhook(app.ID, webhookID); !ok {
		writeWebhookIDInvalid(w, r)
		return
	}
	if !s.hooks.unsubscribe(webhookID, userID) {
		writeProblem(w, http.StatusBadRequest, webhookFailure("SubscriptionNotFound",
			"user %q is not subscribed to webhook %s", userID, webhookID))
		return
	}
	writeSubscribed(w, false)
}

func (st *webhookState) unsubscribe(webhookID, userID string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	h := st.find(webhookID)
	if h == nil {
		return false
	}
	i := slices.Index(h.Subscribers, userID)
	if i < 0 {
		return false
	}
	h.Subscribers = slices.Delete(h.Subscribers, i, i+1)
	return true
}

// serveCountSubscriptions counts the app's subscriptions. X sends the
// counts as strings.
//
// NOTE: the fake stores no account name, so account_name is the app's id,
// and every subscription counts as a DM subscription because "all"
// subscriptions include DM events.
func (s *Server) serveCountSubscriptions(w http.ResponseWriter, r *http.Request, app App) {
	st := s.hooks
	st.mu.Lock()
	n := strconv.Itoa(st.subscriptionCount(app.ID))
	provisioned := strconv.Itoa(st.subscriptionLimit)
	st.mu.Unlock()
	type count struct {
		AccountName string `json:"account_name"`
		Provisioned string `json:"provisioned_count"`
		CountAll    string `json:"subscriptions_count_all"`
		CountDM     string `json:"subscriptions_count_direct_messages"`
	}
	writeData(w, struct {
		Data count `json:"data"`
	}{count{AccountName: app.ID, Provisioned: provisioned, CountAll: n, CountDM: n}})
}
