package xtest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// subscriptionTarget returns the app's webhook that a v1.1 subscription
// request addresses: the one of the Premium environment of the path or, on
// the Enterprise routes, the one named by the webhook_id path value.
// Otherwise it sends X's error and reports false.
func (s *Server) subscriptionTarget(w http.ResponseWriter, r *http.Request, app App) (Webhook, bool) {
	var h Webhook
	var ok bool
	if env := r.PathValue("env_name"); env != "" {
		h, ok = s.hooks.environmentWebhook(app.ID, env)
	} else {
		h, ok = s.hooks.webhook(app.ID, r.PathValue("webhook_id"))
	}
	if !ok {
		writeError(w, r, errUnknownWebhookV11)
	}
	return h, ok
}

// environmentWebhook returns a copy of the webhook of app appID's Premium
// environment env.
func (st *webhookState) environmentWebhook(appID, env string) (Webhook, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, h := range st.hooks {
		if h.AppID == appID && h.Environment == env {
			return cloneWebhook(h), true
		}
	}
	return Webhook{}, false
}

// serveSubscribeV11 subscribes the authenticated user to the webhook and
// responds 204.
func (s *Server) serveSubscribeV11(w http.ResponseWriter, r *http.Request, c caller) {
	h, ok := s.subscriptionTarget(w, r, c.app)
	if !ok {
		return
	}
	if e, rejected := s.hooks.subscribeV11(c.app.ID, h.ID, c.user.ID); rejected {
		writeError(w, r, e)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// subscribeV11 adds userID to the subscribers of app appID's webhook, or
// returns the error that refuses it. X documents no error for the
// subscription limit, so the fake sends errTooManyResources.
func (st *webhookState) subscribeV11(appID, webhookID, userID string) (apiError, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	h := st.find(webhookID)
	switch {
	case h == nil || h.AppID != appID:
		return errUnknownWebhookV11, true
	case slices.Contains(h.Subscribers, userID):
		return errSubscriptionExists, true
	case st.subscriptionCount(appID) >= st.subscriptionLimit:
		return errTooManyResources, true
	}
	h.Subscribers = append(h.Subscribers, userID)
	return apiError{}, false
}

// serveSubscribedV11 responds 204 when the authenticated user is subscribed
// to the webhook, and 404 with code 34 otherwise, as X does.
func (s *Server) serveSubscribedV11(w http.ResponseWriter, r *http.Request, c caller) {
	h, ok := s.subscriptionTarget(w, r, c.app)
	if !ok {
		return
	}
	if !slices.Contains(h.Subscribers, c.user.ID) {
		writeError(w, r, errPageMissing)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type v11Subscription struct {
	UserID string `json:"user_id"`
}

// serveListSubscriptionsV11 lists the users subscribed to the webhook:
// with the environment name on Premium routes, and with the webhook's id
// and URL on Enterprise routes, as X's references of each show.
func (s *Server) serveListSubscriptionsV11(w http.ResponseWriter, r *http.Request, c caller) {
	h, ok := s.subscriptionTarget(w, r, c.app)
	if !ok {
		return
	}
	subscriptions := []v11Subscription{}
	for _, id := range h.Subscribers {
		subscriptions = append(subscriptions, v11Subscription{UserID: id})
	}
	if env := r.PathValue("env_name"); env != "" {
		writeData(w, struct {
			Environment   string            `json:"environment"`
			ApplicationID string            `json:"application_id"`
			Subscriptions []v11Subscription `json:"subscriptions"`
		}{env, c.app.ID, subscriptions})
		return
	}
	writeData(w, struct {
		WebhookID     string            `json:"webhook_id"`
		WebhookURL    string            `json:"webhook_url"`
		ApplicationID string            `json:"application_id"`
		Subscriptions []v11Subscription `json:"subscriptions"`
	}{h.ID, h.URL, c.app.ID, subscriptions})
}

// serveUnsubscribeV11 removes the subscription of the user named by the
// path and responds 204. A bearer token may remove any user's subscription.
// In user context, which the fake accepts here though X documents only the
// bearer token, a user may remove only their own: another user's id gets
// code 348.
func (s *Server) serveUnsubscribeV11(w http.ResponseWriter, r *http.Request, c caller) {
	userID := r.PathValue("user_id")
	if r.PathValue("env_name") != "" {
		var ok bool
		if userID, ok = jsonPathValue(r, "user_file"); !ok {
			writeError(w, r, errNotFound)
			return
		}
	}
	if c.user.ID != "" && c.user.ID != userID {
		writeError(w, r, errOtherUsersSubscription)
		return
	}
	h, ok := s.subscriptionTarget(w, r, c.app)
	if !ok {
		return
	}
	if !s.hooks.unsubscribe(h.ID, userID) {
		writeError(w, r, errPageMissing)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// countSubscriptionsV11 returns the handler that counts the app's
// subscriptions across all its webhooks, with the counts as strings.
// Enterprise responses also carry provisioned_count, as X's Enterprise
// reference shows, and Premium ones do not. As on v2, account_name is the
// app's id and every subscription counts as a DM subscription.
func (s *Server) countSubscriptionsV11(enterprise bool) userHandler {
	type count struct {
		AccountName string `json:"account_name"`
		CountAll    string `json:"subscriptions_count_all"`
		CountDM     string `json:"subscriptions_count_direct_messages"`
		Provisioned string `json:"provisioned_count,omitempty"`
	}
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		st := s.hooks
		st.mu.Lock()
		n := strconv.Itoa(st.subscriptionCount(c.app.ID))
		provisioned := strconv.Itoa(st.subscriptionLimit)
		st.mu.Unlock()
		resp := count{AccountName: c.app.ID, CountAll: n, CountDM: n}
		if enterprise {
			resp.Provisioned = provisioned
		}
		writeData(w, resp)
	}
}

// v11ReplayWindow is how far back X's v1.1 replay reaches.
const v11ReplayWindow = 5 * 24 * time.Hour

// The errors of X's v1.1 replay endpoint, as its reference lists them.
var (
	errReplayParamMissing = apiError{status: http.StatusBadRequest, code: 357, message: "Query parameter is missing."}
	errReplayMalformed    = apiError{status: http.StatusBadRequest, code: 358,
		message: "Route or query parameter is malformed."}
	errReplayOrder  = apiError{status: http.StatusBadRequest, code: 356, message: "from_date must be before to_date."}
	errReplayTooOld = apiError{status: http.StatusBadRequest, code: 356,
		message: "from_date must be within the past 5 days."}
	errReplayInvalidWebhook = apiError{status: http.StatusBadRequest, code: 214,
		message: "Webhook has been marked as invalid."}
	errReplayRunning = apiError{status: http.StatusConflict, code: 355,
		message: "A replay job is already in progress for this webhook."}
)

// errReplayNotPast returns code 368 for a date parameter that is not in the
// past, with the message X's reference shows.
func errReplayNotPast(name, value string) apiError {
	return apiError{status: http.StatusBadRequest, code: 368, message: name + ": [" + value + "] is not in the past."}
}

// parseReplayV11 validates the query of a v1.1 replay request against the
// server's clock. from_date is inclusive and to_date exclusive, both in UTC
// minutes, yyyymmddhhmm. from_date must lie within the last 5 days and
// before to_date, and to_date must not be after now.
//
// NOTE: X's reference also requires from_date to be at least 31 minutes and
// to_date at least 10 minutes before now. The fake does not, so that tests
// can replay what they have just delivered.
func parseReplayV11(webhookID string, query url.Values, now time.Time) (replayRequest, *apiError) {
	fail := func(e apiError) (replayRequest, *apiError) { return replayRequest{}, &e }
	if !isDecimalID(webhookID) {
		return fail(errReplayMalformed)
	}
	rawFrom, rawTo := query.Get("from_date"), query.Get("to_date")
	if rawFrom == "" || rawTo == "" {
		return fail(errReplayParamMissing)
	}
	from, okFrom := parseReplayDate(rawFrom)
	to, okTo := parseReplayDate(rawTo)
	switch {
	case !okFrom || !okTo:
		return fail(errReplayMalformed)
	case from.After(now):
		return fail(errReplayNotPast("from_date", rawFrom))
	case to.After(now):
		return fail(errReplayNotPast("to_date", rawTo))
	case !from.Before(to):
		return fail(errReplayOrder)
	case from.Before(now.Add(-v11ReplayWindow).Truncate(time.Minute)):
		return fail(errReplayTooOld)
	}
	return replayRequest{webhookID: webhookID, from: from, to: to}, nil
}

// serveReplayV11 starts a replay job on the v2 machinery and responds 202
// with the job's id. The job sends the webhook's deliveries of the
// requested minutes again, signed, and then a replay_job_status delivery.
func (s *Server) serveReplayV11(w http.ResponseWriter, r *http.Request, c caller) {
	req, e := parseReplayV11(r.PathValue("webhook_id"), r.URL.Query(), s.now())
	if e != nil {
		writeError(w, r, *e)
		return
	}
	h, ok := s.hooks.webhook(c.app.ID, req.webhookID)
	switch {
	case !ok:
		writeError(w, r, errUnknownWebhookV11)
		return
	case !h.Valid:
		writeError(w, r, errReplayInvalidWebhook)
		return
	}
	jobID, started := s.hooks.startReplay(h.ID)
	if !started {
		writeError(w, r, errReplayRunning)
		return
	}
	created := s.now()
	go s.runReplay(jobID, req)
	writeJSON(w, "application/json; charset=utf-8", http.StatusAccepted, struct {
		JobID     string `json:"job_id"`
		CreatedAt string `json:"created_at"`
	}{jobID, created.UTC().Format(time.RFC3339)})
}
