package xtest

import (
	"net/http"
	"strings"
)

// appHandler serves a request authenticated for an app, with an app-only
// bearer token or, where the endpoint allows it, in user context.
type appHandler func(w http.ResponseWriter, r *http.Request, app App)

// The detail texts of X's unsupported-authentication problem.
const (
	onlyAppDetail = "Authenticating with OAuth 1.0a User Context is forbidden for this endpoint.  " +
		"Supported authentication types are [OAuth 2.0 Application-Only]."
	onlyUserDetail = "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  " +
		"Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context]."
)

// unsupportedAuth returns the 403 problem X sends for a request whose kind of
// authentication the endpoint does not accept.
func unsupportedAuth(detail string) typedProblem {
	return typedProblem{
		Title:  "Unsupported Authentication",
		Detail: detail,
		Type:   problemTypeBase + "unsupported-authentication",
		Status: http.StatusForbidden,
	}
}

// authScheme returns the scheme of r's Authorization header, such as
// "Bearer" or "OAuth", and the credentials after it.
func authScheme(r *http.Request) (scheme, credentials string) {
	scheme, credentials, _ = strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	return scheme, strings.TrimSpace(credentials)
}

// appAuth wraps h so that it runs only for requests that carry a registered
// app's bearer token, or, when userAllowed is set, an OAuth 1.0a signature
// in user context. A missing or unknown bearer token gets the 401 problem.
// An OAuth 1.0a request to an endpoint that does not allow it gets X's 403
// unsupported-authentication problem, whether or not its signature is valid.
func (s *Server) appAuth(userAllowed bool, h appHandler) http.Handler {
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
			h(w, r, app)
		case strings.EqualFold(scheme, "OAuth") && !userAllowed:
			s.noteAuthError(r, "OAuth 1.0a user context on an app-only endpoint")
			writeProblem(w, http.StatusForbidden, unsupportedAuth(onlyAppDetail))
		case strings.EqualFold(scheme, "OAuth"):
			s.userAuth(func(w http.ResponseWriter, r *http.Request, c caller) {
				h(w, r, c.app)
			}).ServeHTTP(w, r)
		default:
			s.noteAuthError(r, "missing bearer token")
			writeError(w, r, errUnauthorized)
		}
	})
}

// userOnlyAuth is userAuth for an endpoint that X serves only in user
// context: a request with a bearer token gets X's 403
// unsupported-authentication problem instead of the 401 problem.
func (s *Server) userOnlyAuth(h userHandler) http.Handler {
	user := s.userAuth(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if scheme, _ := authScheme(r); strings.EqualFold(scheme, "Bearer") {
			s.noteAuthError(r, "app-only bearer token on a user-context endpoint")
			writeProblem(w, http.StatusForbidden, unsupportedAuth(onlyUserDetail))
			return
		}
		user.ServeHTTP(w, r)
	})
}

// appByBearer returns the app that owns a bearer token.
func (w *world) appByBearer(token string) (App, bool) {
	if token == "" {
		return App{}, false
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	a, ok := w.apps[w.appsByBearer[token]]
	return a, ok
}
