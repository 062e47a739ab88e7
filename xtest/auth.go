package xtest

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// caller is the app and user whose credentials signed a request.
type caller struct {
	app  App
	user User
}

// authFailure is a rejected request: the reason recorded for tests and the
// error sent to the client. The reason never contains a secret or a MAC.
type authFailure struct {
	reason string
	answer apiError
}

func (f *authFailure) Error() string { return "xtest: " + f.reason }

func reject(reason string) *authFailure {
	return &authFailure{reason: reason, answer: errUnauthorized}
}

// userHandler serves a request that authenticated in user context.
type userHandler func(w http.ResponseWriter, r *http.Request, c caller)

// userAuth wraps h so that it runs only for requests signed with OAuth 1.0a
// by a registered app and a token a user granted to it.
func (s *Server) userAuth(h userHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, failure := s.authenticate(r, true)
		if failure != nil {
			s.noteAuthError(r, failure.reason)
			writeError(w, r, failure.answer)
			return
		}
		h(w, r, c)
	})
}

// authenticate checks the OAuth 1.0a HMAC-SHA1 signature of r the way X
// does, and returns the app and user that signed it. Protocol parameters may
// come from the Authorization header, the query or a form body. The token is
// required when requireToken is set. A request that passes records its nonce,
// so the same nonce fails until its timestamp leaves the window.
func (s *Server) authenticate(r *http.Request, requireToken bool) (caller, *authFailure) {
	params, oauth, failure := collectParams(r)
	if failure != nil {
		return caller{}, failure
	}
	if failure := checkProtocol(oauth, requireToken); failure != nil {
		return caller{}, failure
	}

	app, ok := s.world.appByConsumerKey(oauth["oauth_consumer_key"])
	if !ok {
		return caller{}, reject("unknown consumer key")
	}
	var user User
	if token, ok := oauth["oauth_token"]; ok {
		if user, ok = s.world.userByToken(app.ID, token); !ok {
			return caller{}, reject("access token unknown or not granted to this app")
		}
	}
	ts, failure := s.checkTimestamp(oauth["oauth_timestamp"])
	if failure != nil {
		return caller{}, failure
	}

	base := signatureBase(r.Method, s.baseStringURI(r), params)
	want := signHMACSHA1(base, app.ConsumerSecret, user.TokenSecret)
	if !signatureMatches(oauth["oauth_signature"], want) {
		return caller{}, reject("signature mismatch")
	}

	// The nonce is used up only by a request with a valid signature, so a
	// forged request cannot block a later genuine one.
	key := nonceKey{app.ConsumerKey, user.Token, oauth["oauth_nonce"]}
	if !s.nonces.use(key, ts, s.now(), s.window) {
		return caller{}, reject("nonce already used")
	}
	return caller{app: app, user: user}, nil
}

// collectParams returns the parameters that the signature covers (query,
// form body and OAuth parameters except oauth_signature and realm) and the
// OAuth protocol parameters by name, oauth_signature included.
func collectParams(r *http.Request) ([]param, map[string]string, *authFailure) {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, nil, reject("malformed query")
	}
	params := appendValues(nil, query)
	form, err := formBody(r)
	if err != nil {
		return nil, nil, reject("malformed form body")
	}
	params = appendValues(params, form)
	if h := r.Header.Get("Authorization"); h != "" {
		header, err := parseAuthorization(h)
		if errors.Is(err, errNotOAuth) {
			return nil, nil, reject("authorization scheme is not OAuth")
		}
		if err != nil {
			return nil, nil, reject("malformed OAuth Authorization header")
		}
		for k, v := range header {
			if k != "realm" {
				params = append(params, param{k, v})
			}
		}
	}
	oauth := make(map[string]string)
	signed := params[:0]
	for _, p := range params {
		if !strings.HasPrefix(p.key, "oauth_") {
			signed = append(signed, p)
			continue
		}
		if _, dup := oauth[p.key]; dup {
			return nil, nil, reject("OAuth parameter " + p.key + " sent twice")
		}
		oauth[p.key] = p.value
		if p.key != "oauth_signature" {
			signed = append(signed, p)
		}
	}
	return signed, oauth, nil
}

// formBody returns the parameters of an application/x-www-form-urlencoded
// body, and none for other bodies. It leaves r.Body readable again.
func formBody(r *http.Request) (url.Values, error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Body == nil || mediaType != "application/x-www-form-urlencoded" {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil || len(body) > maxBodyBytes {
		return nil, errBodyUnreadable
	}
	return url.ParseQuery(string(body))
}

// checkProtocol validates the OAuth protocol parameters that need no lookup.
func checkProtocol(oauth map[string]string, requireToken bool) *authFailure {
	required := []string{"oauth_consumer_key", "oauth_signature", "oauth_signature_method",
		"oauth_timestamp", "oauth_nonce"}
	if requireToken {
		required = append(required, "oauth_token")
	}
	for _, name := range required {
		if oauth[name] == "" {
			return reject("missing " + name)
		}
	}
	if oauth["oauth_signature_method"] != "HMAC-SHA1" {
		return reject("unsupported oauth_signature_method")
	}
	if v, ok := oauth["oauth_version"]; ok && v != "1.0" {
		return reject("unsupported oauth_version")
	}
	return nil
}

// checkTimestamp parses an oauth_timestamp and rejects it when it is
// further than the window from X's clock, the server's clock plus the skew
// that SetClockSkew sets.
func (s *Server) checkTimestamp(v string) (time.Time, *authFailure) {
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, reject("malformed oauth_timestamp")
	}
	ts := time.Unix(sec, 0)
	if d := s.xNow().Sub(ts); d > s.window || d < -s.window {
		return time.Time{}, &authFailure{
			reason: "oauth_timestamp outside the allowed window",
			answer: errTimestampOutOfBounds,
		}
	}
	return ts, nil
}

// baseStringURI returns the base string URI of r as its client saw it: the
// configured base URL with the request path appended, or else "http" and the
// Host header.
func (s *Server) baseStringURI(r *http.Request) string {
	if s.baseURL == nil {
		return baseStringURI("http", r.Host, r.URL.EscapedPath())
	}
	prefix := strings.TrimSuffix(s.baseURL.EscapedPath(), "/")
	return baseStringURI(s.baseURL.Scheme, s.baseURL.Host, prefix+r.URL.EscapedPath())
}

// nonceKey identifies a nonce: X requires it unique per consumer key and
// token.
type nonceKey struct {
	consumerKey, token, nonce string
}

// nonceCache is the mutex-guarded set of nonces seen within the window,
// each with the timestamp of the request that used it.
type nonceCache struct {
	mu       sync.Mutex
	seen     map[nonceKey]time.Time
	pruneLen int // prune when len(seen) reaches this
}

// use records key and reports true, or reports false when key was used by
// a request whose timestamp is still within window of now.
func (c *nonceCache) use(key nonceKey, ts, now time.Time, window time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = make(map[nonceKey]time.Time)
	}
	if old, ok := c.seen[key]; ok && now.Sub(old) <= window {
		return false
	}
	c.seen[key] = ts
	if len(c.seen) >= c.pruneLen {
		for k, t := range c.seen {
			if now.Sub(t) > window {
				delete(c.seen, k)
			}
		}
		c.pruneLen = max(2*len(c.seen), 1024)
	}
	return true
}
