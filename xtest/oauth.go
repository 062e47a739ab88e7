package xtest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// requestTokenLifetime is how long a request token can be authorized and
// exchanged, by the server's clock.
const requestTokenLifetime = 15 * time.Minute

// errRequestTokenInvalid reports a request token that Approve, Deny or the
// authorization page cannot act on.
var errRequestTokenInvalid = errors.New("xtest: request token unknown, expired, used, or already authorized or denied")

// The errors of the 3-legged flow that are not authentication failures.
var (
	// errCallbackNotApproved is the error X returns for an oauth_callback
	// that is not among the app's callback URLs.
	errCallbackNotApproved = apiError{
		status: http.StatusForbidden, code: 415,
		message: "Callback URL not approved for this client application. " +
			"Approved callback URLs can be adjusted in your application settings",
	}
)

// pendingAuth is a request token that has not been exchanged yet.
type pendingAuth struct {
	token, secret string
	appID         string
	callback      string // oauth_callback as sent: an absolute URL or "oob"
	expires       time.Time
	userID        string // the approving user; set with verifier
	verifier      string // empty until the token is approved
}

// oauthState is the mutex-guarded state of the 3-legged flow: the pending
// request tokens and the callback URLs apps approved. The zero value is
// ready to use.
type oauthState struct {
	mu        sync.Mutex
	pending   map[string]*pendingAuth // by request token
	callbacks map[string][]string     // approved callback URLs by app ID
	pruneLen  int                     // prune expired tokens when len(pending) reaches this
}

// routeOAuth registers the endpoints of the 3-legged OAuth 1.0a flow.
func (s *Server) routeOAuth() {
	s.mux.HandleFunc("POST /oauth/request_token", s.serveRequestToken)
	s.mux.HandleFunc("GET /oauth/authorize", s.serveAuthorize)
	s.mux.HandleFunc("GET /oauth/authenticate", s.serveAuthorize)
	s.mux.HandleFunc("POST /oauth/access_token", s.serveAccessToken)
}

// SetCallbackURLs sets the callback URLs of app appID, the list that X's
// app settings hold. While an app has such a list, POST
// /oauth/request_token accepts only an oauth_callback that equals one of
// them or "oob", and rejects any other with X's 403 error code 415. An app
// without a list, which is the default, accepts every absolute URL. Calling
// it with no URLs removes the list. It returns an error when the app does
// not exist, and is safe for concurrent use.
func (s *Server) SetCallbackURLs(appID string, urls ...string) error {
	if _, ok := s.App(appID); !ok {
		return fmt.Errorf("xtest: app %q not found", appID)
	}
	o := &s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.callbacks == nil {
		o.callbacks = make(map[string][]string)
	}
	if len(urls) == 0 {
		delete(o.callbacks, appID)
		return nil
	}
	o.callbacks[appID] = slices.Clone(urls)
	return nil
}

// Approve authorizes requestToken as user userID would on X's authorization
// page, and returns the callback URL that X redirects the browser to: the
// oauth_callback of the request token with oauth_token and oauth_verifier
// added to its query. For the out-of-band callback "oob", where X shows the
// verifier as a PIN instead of redirecting, the URL is "oob" with the same
// query.
//
// The user must have granted the request token's app an access token, which
// POST /oauth/access_token then returns. Approve returns an error when the
// request token is unknown, expired (15 minutes after POST
// /oauth/request_token issued it, by the server's clock), already exchanged,
// approved or denied, or when the user has no token for the app. It is safe
// for concurrent use.
func (s *Server) Approve(requestToken, userID string) (callback *url.URL, err error) {
	o := &s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	p, err := o.undecided(requestToken, s.now())
	if err != nil {
		return nil, err
	}
	if _, ok := s.User(p.appID, userID); !ok {
		return nil, fmt.Errorf("xtest: user %q has no access token for app %s", userID, p.appID)
	}
	p.userID = userID
	p.verifier = rand.Text()
	return withQuery(p.callback, url.Values{"oauth_token": {p.token}, "oauth_verifier": {p.verifier}}), nil
}

// Deny refuses requestToken as a user who cancels on X's authorization page
// would, and returns the callback URL with denied set to the request token,
// as X redirects it. The request token can then no longer be exchanged.
// Deny returns an error in the cases Approve does, except for the user. It
// is safe for concurrent use.
func (s *Server) Deny(requestToken string) (callback *url.URL, err error) {
	o := &s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	p, err := o.undecided(requestToken, s.now())
	if err != nil {
		return nil, err
	}
	delete(o.pending, requestToken)
	return withQuery(p.callback, url.Values{"denied": {p.token}}), nil
}

// undecided returns the pending request token that is neither expired nor
// approved. An expired token is removed. o.mu must be held.
func (o *oauthState) undecided(token string, now time.Time) (*pendingAuth, error) {
	p := o.pending[token]
	switch {
	case p == nil:
		return nil, errRequestTokenInvalid
	case !now.Before(p.expires):
		delete(o.pending, token)
		return nil, errRequestTokenInvalid
	case p.verifier != "":
		return nil, errRequestTokenInvalid
	}
	return p, nil
}

// withQuery returns callback with params added to its query. The callback
// was checked when the request token was issued, so it parses.
func withQuery(callback string, params url.Values) *url.URL {
	u, err := url.Parse(callback)
	if err != nil {
		panic("xtest: stored callback does not parse: " + err.Error())
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u
}

// serveRequestToken issues a request token for a request signed with a
// consumer key and no token, as POST /oauth/request_token does.
func (s *Server) serveRequestToken(w http.ResponseWriter, r *http.Request) {
	f, failure := s.authenticateFlow(r, false)
	if failure != nil {
		s.rejectFlow(w, r, failure)
		return
	}
	callback := f.oauth["oauth_callback"]
	if reason := s.oauth.checkCallback(f.app.ID, callback); reason != "" {
		// NOTE: X does not document its response to a missing or malformed
		// oauth_callback, so the fake sends the one for an unapproved URL.
		s.rejectFlow(w, r, &authFailure{reason: reason, answer: errCallbackNotApproved})
		return
	}
	p := s.oauth.issue(f.app.ID, callback, s.now())
	writeForm(w, url.Values{
		"oauth_token":              {p.token},
		"oauth_token_secret":       {p.secret},
		"oauth_callback_confirmed": {"true"},
	})
}

// checkCallback returns why the app may not use callback, or "" when it
// may. Apart from "oob", only http and https URLs with a host are
// accepted, because the authorization page redirects the browser there.
func (o *oauthState) checkCallback(appID, callback string) string {
	if callback == "" {
		return "missing oauth_callback"
	}
	if callback == "oob" {
		return ""
	}
	u, err := url.Parse(callback)
	switch {
	case err != nil || !u.IsAbs():
		return "oauth_callback is neither an absolute URL nor oob"
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "oauth_callback is not an http or https URL with a host"
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if approved, ok := o.callbacks[appID]; ok && !slices.Contains(approved, callback) {
		return "oauth_callback not among the app's callback URLs"
	}
	return ""
}

// issue stores and returns a new request token of the app that expires
// requestTokenLifetime after now. It removes expired tokens from time to
// time, so a long-running fake does not grow without bound.
func (o *oauthState) issue(appID, callback string, now time.Time) *pendingAuth {
	p := &pendingAuth{
		token:    rand.Text(),
		secret:   rand.Text(),
		appID:    appID,
		callback: callback,
		expires:  now.Add(requestTokenLifetime),
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pending == nil {
		o.pending = make(map[string]*pendingAuth)
	}
	o.pending[p.token] = p
	if len(o.pending) >= o.pruneLen {
		for token, old := range o.pending {
			if !now.Before(old.expires) {
				delete(o.pending, token)
			}
		}
		o.pruneLen = max(2*len(o.pending), 1024)
	}
	return p
}

// serveAccessToken exchanges an approved request token for the approving
// user's access token, as POST /oauth/access_token does. The request is
// signed with the request token and its secret, and carries oauth_verifier
// among its OAuth parameters or in its form body.
func (s *Server) serveAccessToken(w http.ResponseWriter, r *http.Request) {
	f, failure := s.authenticateFlow(r, true)
	if failure != nil {
		s.rejectFlow(w, r, failure)
		return
	}
	userID, reason := s.oauth.exchange(f.token, f.oauth["oauth_verifier"], s.now())
	if reason != "" {
		s.rejectFlow(w, r, reject(reason))
		return
	}
	user, ok := s.User(f.app.ID, userID)
	if !ok {
		s.rejectFlow(w, r, reject("approving user has no access token for this app"))
		return
	}
	writeForm(w, url.Values{
		"oauth_token":        {user.Token},
		"oauth_token_secret": {user.TokenSecret},
		"user_id":            {user.ID},
		"screen_name":        {user.Username},
	})
}

// exchange uses up an approved request token whose verifier matches and
// returns the approving user's id, or the reason it cannot. A wrong or
// missing verifier leaves the token usable, so the client can still finish
// with the right one. Of concurrent exchanges of one token, one succeeds.
func (o *oauthState) exchange(token, verifier string, now time.Time) (userID, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	p := o.pending[token]
	switch {
	case p == nil:
		return "", "request token unknown or already used"
	case !now.Before(p.expires):
		delete(o.pending, token)
		return "", "request token expired"
	case p.verifier == "":
		return "", "request token not authorized by a user"
	case verifier == "":
		return "", "missing oauth_verifier"
	case subtle.ConstantTimeCompare([]byte(verifier), []byte(p.verifier)) != 1:
		return "", "oauth_verifier mismatch"
	}
	delete(o.pending, token)
	return p.userID, ""
}

// flowRequest is an authenticated request of the 3-legged flow.
type flowRequest struct {
	app   App
	oauth map[string]string // the OAuth protocol parameters
	token string            // the request token, empty for request_token
}

// authenticateFlow checks the OAuth 1.0a signature of a request_token
// (withToken false) or access_token (withToken true) request the way
// authenticate checks other requests. The difference is the token: a
// request_token request must carry none or an empty one, and an
// access_token request must carry a live request token of the same app,
// whose secret keys the signature.
func (s *Server) authenticateFlow(r *http.Request, withToken bool) (flowRequest, *authFailure) {
	params, oauth, failure := collectParams(r)
	if failure != nil {
		return flowRequest{}, failure
	}
	if failure := checkProtocol(oauth, withToken); failure != nil {
		return flowRequest{}, failure
	}
	app, ok := s.world.appByConsumerKey(oauth["oauth_consumer_key"])
	if !ok {
		return flowRequest{}, reject("unknown consumer key")
	}
	token := oauth["oauth_token"]
	var secret string
	switch {
	case withToken:
		if secret, failure = s.oauth.secret(app.ID, token, s.now()); failure != nil {
			return flowRequest{}, failure
		}
	case token != "":
		// Signing transports send an empty oauth_token when they have no
		// token, so only a non-empty one is an error.
		return flowRequest{}, reject("oauth_token sent to request_token")
	}

	ts, failure := s.checkTimestamp(oauth["oauth_timestamp"])
	if failure != nil {
		return flowRequest{}, failure
	}
	base := signatureBase(r.Method, s.baseStringURI(r), params)
	if !signatureMatches(oauth["oauth_signature"], signHMACSHA1(base, app.ConsumerSecret, secret)) {
		return flowRequest{}, reject("signature mismatch")
	}
	if !s.nonces.use(nonceKey{app.ConsumerKey, token, oauth["oauth_nonce"]}, ts, s.now(), s.window) {
		return flowRequest{}, reject("nonce already used")
	}
	return flowRequest{app: app, oauth: oauth, token: token}, nil
}

// secret returns the secret of a live request token that app appID was
// issued.
func (o *oauthState) secret(appID, token string, now time.Time) (string, *authFailure) {
	o.mu.Lock()
	defer o.mu.Unlock()
	p := o.pending[token]
	switch {
	case p == nil || p.appID != appID:
		return "", reject("request token unknown, already used or not issued to this app")
	case !now.Before(p.expires):
		delete(o.pending, token)
		return "", reject("request token expired")
	}
	return p.secret, nil
}

// rejectFlow records why a request of the flow failed and sends the error
// in the v1.1 shape, which X uses for its /oauth/ endpoints.
func (s *Server) rejectFlow(w http.ResponseWriter, r *http.Request, f *authFailure) {
	s.noteAuthError(r, f.reason)
	writeJSON(w, "application/json; charset=utf-8", f.answer.status,
		v1Errors{Errors: []v1Error{{Code: f.answer.code, Message: f.answer.message}}})
}

// writeForm sends v as an application/x-www-form-urlencoded body.
func writeForm(w http.ResponseWriter, v url.Values) {
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(v.Encode()))
}

// serveAuthorize serves X's authorization page, GET /oauth/authorize or
// /oauth/authenticate with oauth_token. The fake-only parameter user_id
// approves the token as that user and deny cancels it. Both respond with a
// 302 to the callback, or with a page that shows the PIN for "oob". Without
// either, the page lists the app's users as approve links.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token := q.Get("oauth_token")
	if token == "" {
		writePage(w, http.StatusBadRequest, pageData{Title: "Missing oauth_token",
			Message: "This authorization link has no oauth_token parameter."})
		return
	}
	var callback *url.URL
	var err error
	switch {
	case q.Has("deny"):
		callback, err = s.Deny(token)
	case q.Get("user_id") != "":
		callback, err = s.Approve(token, q.Get("user_id"))
	default:
		s.serveApprovalPage(w, token)
		return
	}
	switch {
	case errors.Is(err, errRequestTokenInvalid):
		writePage(w, http.StatusNotFound, expiredPage)
	case err != nil:
		writePage(w, http.StatusBadRequest, pageData{Title: "User cannot authorize this app",
			Message: "The user_id parameter names no user with an access token for this app."})
	case callback.Scheme == "" && callback.Path == "oob":
		writePage(w, http.StatusOK, pinPage(callback.Query()))
	default:
		http.Redirect(w, r, callback.String(), http.StatusFound)
	}
}

// serveApprovalPage lists the users of the request token's app as links
// that approve the token.
func (s *Server) serveApprovalPage(w http.ResponseWriter, token string) {
	s.oauth.mu.Lock()
	p, err := s.oauth.undecided(token, s.now())
	var appID string
	if err == nil {
		appID = p.appID
	}
	s.oauth.mu.Unlock()
	if err != nil {
		writePage(w, http.StatusNotFound, expiredPage)
		return
	}
	data := pageData{
		Title:   "Authorize app " + appID + " to access your account?",
		Message: "This is the xtest fake of X. Choose the user who approves the request.",
		Cancel:  "?" + url.Values{"oauth_token": {token}, "deny": {"true"}}.Encode(),
	}
	for _, u := range s.world.appUsers(appID) {
		data.Links = append(data.Links, pageLink{
			Text: "@" + u.username + " (" + u.id + ")",
			Href: "?" + url.Values{"oauth_token": {token}, "user_id": {u.id}}.Encode(),
		})
	}
	writePage(w, http.StatusOK, data)
}

// appUsers returns the users who granted app appID an access token, by
// ascending id.
func (w *world) appUsers(appID string) []profile {
	w.mu.RLock()
	defer w.mu.RUnlock()
	seen := make(map[string]bool)
	var list []profile
	for _, g := range w.grants {
		if g.appID == appID && !seen[g.userID] {
			seen[g.userID] = true
			list = append(list, w.users[g.userID])
		}
	}
	slices.SortFunc(list, func(a, b profile) int {
		if len(a.id) != len(b.id) {
			return len(a.id) - len(b.id)
		}
		return strings.Compare(a.id, b.id)
	})
	return list
}

// pageData fills authorizationPage.
type pageData struct {
	Title   string
	Message string
	PIN     string
	Links   []pageLink
	Cancel  string // the href of the cancel link, if any
}

type pageLink struct {
	Text, Href string
}

var expiredPage = pageData{Title: "This page is no longer valid",
	Message: "The request token is unknown, expired, or already used, authorized or denied."}

// pinPage shows the verifier of an out-of-band approval, or the denial.
func pinPage(q url.Values) pageData {
	if q.Has("denied") {
		return pageData{Title: "Authorization denied", Message: "You did not authorize the app."}
	}
	return pageData{Title: "Authorization complete",
		Message: "Enter this PIN in the app to complete the authorization.", PIN: q.Get("oauth_verifier")}
}

var authorizationPage = template.Must(template.New("authorize").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{- if .PIN}}
<p><code id="pin">{{.PIN}}</code></p>
{{- end}}
{{- if .Links}}
<ul>
{{- range .Links}}
<li><a href="{{.Href}}">{{.Text}}</a></li>
{{- end}}
</ul>
{{- end}}
{{- if .Cancel}}
<p><a href="{{.Cancel}}">Cancel</a></p>
{{- end}}
</body>
</html>
`))

func writePage(w http.ResponseWriter, status int, data pageData) {
	var b bytes.Buffer
	if err := authorizationPage.Execute(&b, data); err != nil {
		// Only the fake's own page data reaches here, so this is a bug.
		panic("xtest: render authorization page: " + err.Error())
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
