package xtest

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The errors of X's v1.1 Account Activity API, with the codes, statuses and
// messages of X's v1.1 Enterprise reference and error troubleshooting guide.
var (
	errUnknownWebhookV11 = apiError{status: http.StatusNotFound, code: 34,
		message: "Webhook does not exist or is associated with a different twitter application."}
	errWebhookURLV11 = apiError{status: http.StatusForbidden, code: 214,
		message: "Webhook URL does not meet the requirements."}
	errTooManyResources = apiError{status: http.StatusForbidden, code: 214,
		message: "Too many resources already created."}
	errCRCFormat = apiError{status: http.StatusForbidden, code: 214,
		message: "Webhook URL does not meet the requirements. Invalid CRC token or json response format."}
	errCRCLatency = apiError{status: http.StatusForbidden, code: 214,
		message: "High latency on CRC GET request. Your webhook should respond in less than 3 seconds."}
	errCRCStatus = apiError{status: http.StatusForbidden, code: 214,
		message: "Non-200 response code during CRC GET request (i.e. 404, 500, etc)."}
	// errNoProductAccess is X's response to an environment name the app
	// does not have, and to an app without access to the product.
	errNoProductAccess = apiError{status: http.StatusForbidden, code: 200, message: "Forbidden."}
	// X documents code 348 without its status, so 403 is the fake's choice.
	errOtherUsersSubscription = apiError{status: http.StatusForbidden, code: 348,
		message: "Client application is not permitted to access this user's webhook subscriptions."}
	errSubscriptionExists = apiError{status: http.StatusConflict, code: 355, message: "Subscription already exists."}

	// errBearerForbidden is X's v1.1 response to an app-only bearer token on
	// an endpoint that requires user context.
	errBearerForbidden = apiError{status: http.StatusForbidden, code: 220,
		message: "Your credentials do not allow access to this resource."}
	// errCannotWrite is what X's troubleshooting guide names for registering
	// a webhook with an app-only bearer token.
	errCannotWrite = apiError{status: http.StatusForbidden, code: 261,
		message: "Application cannot perform write actions."}
	// errAppOnly is X's v1.1 response to OAuth 1.0a user context on an
	// endpoint that requires an app-only bearer token. X documents it for
	// the replay endpoint, and the fake sends it on every app-only v1.1
	// Account Activity endpoint.
	errAppOnly = apiError{status: http.StatusUnauthorized, code: 32,
		message: "Invalid authentication method. Please use application-only authentication."}
)

// v11TimestampFormat is the layout of created_timestamp in v1.1 webhooks.
const v11TimestampFormat = "2006-01-02 15:04:05 -0700"

// environmentName is the form of a Premium environment name the fake
// accepts: one path segment of ASCII letters, digits, '-' and '_'.
var environmentName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// AddEnvironment registers the v1.1 Premium environment name for app appID,
// so that the endpoints under /1.1/account_activity/all/{name}/ serve that
// app. Names are case-sensitive and consist of ASCII letters, digits, '-'
// and '_'. An environment contains at most one webhook, which does not count
// against WithWebhookLimit.
//
// It returns an error when the app does not exist, the name is invalid or
// the app already has that environment. It is safe for concurrent use.
func (s *Server) AddEnvironment(appID, name string) error {
	if _, ok := s.App(appID); !ok {
		return fmt.Errorf("xtest: app %q not found", appID)
	}
	if !environmentName.MatchString(name) {
		return fmt.Errorf("xtest: environment name %q must be letters, digits, '-' or '_'", name)
	}
	st := s.hooks
	st.mu.Lock()
	defer st.mu.Unlock()
	if slices.Contains(st.envs[appID], name) {
		return fmt.Errorf("xtest: app %s already has environment %q", appID, name)
	}
	st.envs[appID] = append(st.envs[appID], name)
	return nil
}

// hasEnvironment reports whether app appID has the Premium environment env.
func (st *webhookState) hasEnvironment(appID, env string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Contains(st.envs[appID], env)
}

// routeWebhooksV11 registers the v1.1 Enterprise and Premium endpoints that
// manage webhooks, subscriptions and replays. Handlers shared by both read
// the environment from the env_name path value, which is empty on the
// Enterprise routes.
func (s *Server) routeWebhooksV11() {
	const aa = "/1.1/account_activity/"
	const env = aa + "all/{env_name}/"
	hooks, subs := GroupWebhooksV11, GroupSubscriptionsV11
	list, count := GroupSubscriptionListV11, GroupSubscriptionCountV11
	premium := s.inEnvironment
	routes := []struct {
		pattern string
		handler http.Handler
	}{
		{"POST " + aa + "webhooks.json", s.v11User(hooks, errCannotWrite, s.serveCreateWebhookV11)},
		{"GET " + aa + "webhooks.json", s.v11App(hooks, false, s.serveListWebhooksV11)},
		{"PUT " + aa + "webhooks/{webhook_file}", s.v11User(hooks, errBearerForbidden, s.serveValidateWebhookV11)},
		{"DELETE " + aa + "webhooks/{webhook_file}", s.v11User(hooks, errBearerForbidden, s.serveDeleteWebhookV11)},
		{"POST " + aa + "webhooks/{webhook_id}/subscriptions/all.json",
			s.v11User(subs, errBearerForbidden, s.serveSubscribeV11)},
		{"GET " + aa + "webhooks/{webhook_id}/subscriptions/all.json",
			s.v11User(subs, errBearerForbidden, s.serveSubscribedV11)},
		{"GET " + aa + "webhooks/{webhook_id}/subscriptions/all/list.json",
			s.v11App(list, false, s.serveListSubscriptionsV11)},
		{"DELETE " + aa + "webhooks/{webhook_id}/subscriptions/{user_id}/all.json",
			s.v11App(subs, true, s.serveUnsubscribeV11)},
		{"GET " + aa + "subscriptions/count.json", s.v11App(count, false, s.countSubscriptionsV11(true))},
		{"POST " + aa + "replay/webhooks/{webhook_id}/subscriptions/all.json",
			s.v11App(GroupReplayV11, false, s.serveReplayV11)},

		{"GET " + aa + "all/webhooks.json", s.v11App(hooks, false, s.serveListEnvironments)},
		{"POST " + env + "webhooks.json", s.v11User(hooks, errCannotWrite, premium(s.serveCreateWebhookV11))},
		{"GET " + env + "webhooks.json", s.v11App(hooks, false, premium(s.serveListWebhooksV11))},
		{"PUT " + env + "webhooks/{webhook_file}",
			s.v11User(hooks, errBearerForbidden, premium(s.serveValidateWebhookV11))},
		{"DELETE " + env + "webhooks/{webhook_file}",
			s.v11User(hooks, errBearerForbidden, premium(s.serveDeleteWebhookV11))},
		{"POST " + env + "subscriptions.json", s.v11User(subs, errBearerForbidden, premium(s.serveSubscribeV11))},
		{"GET " + env + "subscriptions.json", s.v11User(subs, errBearerForbidden, premium(s.serveSubscribedV11))},
		{"GET " + env + "subscriptions/list.json", s.v11App(list, false, premium(s.serveListSubscriptionsV11))},
		{"DELETE " + env + "subscriptions/{user_file}", s.v11App(subs, true, premium(s.serveUnsubscribeV11))},
		{"GET " + aa + "all/subscriptions/count.json", s.v11App(count, false, s.countSubscriptionsV11(false))},
	}
	for _, rt := range routes {
		s.mux.Handle(rt.pattern, rt.handler)
	}
}

// v11User wraps h for a v1.1 endpoint that X serves in user context only.
// A request with a bearer token gets onBearer. Other requests must pass
// OAuth 1.0a authentication and then count against group g.
func (s *Server) v11User(g Group, onBearer apiError, h userHandler) http.Handler {
	user := s.userAuth(s.limited(g, h))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if scheme, _ := authScheme(r); strings.EqualFold(scheme, "Bearer") {
			s.noteAuthError(r, "app-only bearer token on a user-context endpoint")
			writeError(w, r, onBearer)
			return
		}
		user.ServeHTTP(w, r)
	})
}

// v11App wraps h for a v1.1 endpoint that X serves with an app-only bearer
// token. The request counts against group g, and h gets a caller without a
// user. When userAllowed is set, OAuth 1.0a user context is accepted too,
// and h gets the signing user. Otherwise such a request gets errAppOnly,
// whether or not its signature is valid.
func (s *Server) v11App(g Group, userAllowed bool, h userHandler) http.Handler {
	limited := s.limited(g, h)
	user := s.userAuth(limited)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token := authScheme(r)
		switch {
		case strings.EqualFold(scheme, "Bearer"):
			app, ok := s.world.appByBearer(token)
			if !ok {
				s.noteAuthError(r, "unknown bearer token")
				writeError(w, r, errUnauthorized)
				return
			}
			limited(w, r, caller{app: app})
		case strings.EqualFold(scheme, "OAuth") && userAllowed:
			user.ServeHTTP(w, r)
		case strings.EqualFold(scheme, "OAuth"):
			s.noteAuthError(r, "OAuth 1.0a user context on an app-only endpoint")
			writeError(w, r, errAppOnly)
		default:
			s.noteAuthError(r, "missing bearer token")
			writeError(w, r, errUnauthorized)
		}
	})
}

// inEnvironment wraps h so that it runs only when the caller's app has the
// Premium environment named by the env_name path value.
func (s *Server) inEnvironment(h userHandler) userHandler {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		if !s.hooks.hasEnvironment(c.app.ID, r.PathValue("env_name")) {
			writeError(w, r, errNoProductAccess)
			return
		}
		h(w, r, c)
	}
}

// jsonPathValue returns the path value name without its ".json" suffix,
// and false when the suffix is missing.
func jsonPathValue(r *http.Request, name string) (string, bool) {
	return strings.CutSuffix(r.PathValue(name), ".json")
}

// v11Webhook is a webhook in the v1.1 shape. Premium responses carry
// created_timestamp. Enterprise responses carry created_at as well, because
// X's Enterprise reference shows created_timestamp in older versions and
// created_at in newer ones.
type v11Webhook struct {
	ID               string `json:"id"`
	URL              string `json:"url"`
	Valid            bool   `json:"valid"`
	CreatedTimestamp string `json:"created_timestamp"`
	CreatedAt        string `json:"created_at,omitempty"`
}

func renderWebhookV11(h Webhook, enterprise bool) v11Webhook {
	created := h.CreatedAt.UTC()
	out := v11Webhook{ID: h.ID, URL: h.URL, Valid: h.Valid, CreatedTimestamp: created.Format(v11TimestampFormat)}
	if enterprise {
		out.CreatedAt = created.Format(time.RFC3339)
	}
	return out
}

// serveCreateWebhookV11 registers the webhook URL of the url parameter after
// a CRC check, in the Premium environment of the path or, on the Enterprise
// route, in none.
//
// NOTE: X requires the token of the app's owner here. The fake has no notion
// of an owner and accepts every user of the app.
func (s *Server) serveCreateWebhookV11(w http.ResponseWriter, r *http.Request, c caller) {
	env := r.PathValue("env_name")
	rawURL := r.FormValue("url")
	if rawURL == "" {
		writeError(w, r, errParamMissing("url"))
		return
	}
	if s.hooks.checkURL(rawURL) != nil {
		writeError(w, r, errWebhookURLV11)
		return
	}
	if e, rejected := s.hooks.checkNewWebhookV11(c.app.ID, env, rawURL); rejected {
		writeError(w, r, e)
		return
	}
	if err := s.checkCRC(r.Context(), c.app, rawURL, s.hooks.crcTimeoutV11); err != nil {
		writeError(w, r, crcErrorV11(err))
		return
	}
	h, e, rejected := s.hooks.createV11(c.app.ID, env, rawURL, s.now())
	if rejected {
		writeError(w, r, e)
		return
	}
	writeData(w, renderWebhookV11(h, env == ""))
}

// crcErrorV11 returns X's v1.1 error for a failed CRC check.
func crcErrorV11(err error) apiError {
	var f *crcFailure
	if !errors.As(err, &f) {
		return errCRCStatus
	}
	switch f.kind {
	case crcSlow:
		return errCRCLatency
	case crcBadResponse:
		return errCRCFormat
	default:
		return errCRCStatus
	}
}

// checkNewWebhookV11 returns the error for a webhook that app appID may not
// register in environment env (none when env is empty), and reports whether
// there is one.
func (st *webhookState) checkNewWebhookV11(appID, env, rawURL string) (apiError, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.conflictV11(appID, env, rawURL)
}

// conflictV11 is checkNewWebhookV11 for a caller that holds st.mu. An app
// may not register a URL twice, and X documents no error for that, so the
// fake sends errWebhookURLV11. An environment contains one webhook. Webhooks
// outside environments count against the webhook limit.
func (st *webhookState) conflictV11(appID, env, rawURL string) (apiError, bool) {
	n := 0
	for _, h := range st.hooks {
		switch {
		case h.AppID != appID:
		case h.URL == rawURL:
			return errWebhookURLV11, true
		case env != "" && h.Environment == env:
			return errTooManyResources, true
		case h.Environment == "":
			n++
		}
	}
	if env == "" && n >= st.webhookLimit {
		return errTooManyResources, true
	}
	return apiError{}, false
}

// createV11 stores a valid webhook, checking the limits again because
// another request may have registered one during the CRC check.
func (st *webhookState) createV11(appID, env, rawURL string, now time.Time) (Webhook, apiError, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if e, rejected := st.conflictV11(appID, env, rawURL); rejected {
		return Webhook{}, e, true
	}
	return cloneWebhook(st.insert(appID, env, rawURL, now)), apiError{}, false
}

// serveListWebhooksV11 lists the webhooks of the Premium environment of the
// path or, on the Enterprise route, every webhook of the app, as a JSON
// array.
func (s *Server) serveListWebhooksV11(w http.ResponseWriter, r *http.Request, c caller) {
	env := r.PathValue("env_name")
	out := []v11Webhook{}
	for _, h := range s.Webhooks(c.app.ID) {
		if env == "" || h.Environment == env {
			out = append(out, renderWebhookV11(h, env == ""))
		}
	}
	writeData(w, out)
}

// serveListEnvironments lists the app's Premium environments, in the order
// they were added, each with its webhooks.
func (s *Server) serveListEnvironments(w http.ResponseWriter, r *http.Request, c caller) {
	type environment struct {
		Name     string       `json:"environment_name"`
		Webhooks []v11Webhook `json:"webhooks"`
	}
	st := s.hooks
	st.mu.Lock()
	envs := slices.Clone(st.envs[c.app.ID])
	st.mu.Unlock()
	hooks := s.Webhooks(c.app.ID)
	resp := struct {
		Environments []environment `json:"environments"`
	}{Environments: []environment{}}
	for _, env := range envs {
		e := environment{Name: env, Webhooks: []v11Webhook{}}
		for _, h := range hooks {
			if h.Environment == env {
				e.Webhooks = append(e.Webhooks, renderWebhookV11(h, false))
			}
		}
		resp.Environments = append(resp.Environments, e)
	}
	writeData(w, resp)
}

// webhookFromPath returns the app's webhook named by the webhook_file path
// value, {id}.json, which must lie in the Premium environment of the path,
// if any. Otherwise it sends X's error and reports false.
func (s *Server) webhookFromPath(w http.ResponseWriter, r *http.Request, c caller) (Webhook, bool) {
	id, ok := jsonPathValue(r, "webhook_file")
	if !ok {
		writeError(w, r, errNotFound)
		return Webhook{}, false
	}
	h, ok := s.hooks.webhook(c.app.ID, id)
	if env := r.PathValue("env_name"); !ok || (env != "" && h.Environment != env) {
		writeError(w, r, errUnknownWebhookV11)
		return Webhook{}, false
	}
	return h, true
}

// serveValidateWebhookV11 runs a new CRC check of the webhook and stores its
// result. It responds 204 when the check passed and with X's code 214
// otherwise.
func (s *Server) serveValidateWebhookV11(w http.ResponseWriter, r *http.Request, c caller) {
	h, ok := s.webhookFromPath(w, r, c)
	if !ok {
		return
	}
	err := s.checkCRC(r.Context(), c.app, h.URL, s.hooks.crcTimeoutV11)
	s.storeCRCResult(h.ID, err == nil)
	if err != nil {
		writeError(w, r, crcErrorV11(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// serveDeleteWebhookV11 deletes the webhook and its subscriptions.
func (s *Server) serveDeleteWebhookV11(w http.ResponseWriter, r *http.Request, c caller) {
	h, ok := s.webhookFromPath(w, r, c)
	if !ok {
		return
	}
	if !s.hooks.remove(c.app.ID, h.ID) {
		writeError(w, r, errUnknownWebhookV11)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
