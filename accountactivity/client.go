package accountactivity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/internal/wire"
)

// DefaultBaseURL is the X API host used when WithBaseURL is not given.
const DefaultBaseURL = "https://api.x.com"

// DefaultUserAgent is the User-Agent header sent when WithUserAgent is not
// given.
const DefaultUserAgent = "goodgo-xactivity-accountactivity"

// Errors a Client returns before sending a request.
var (
	// ErrNoAppAuth is returned, wrapped, by a call that X accepts only with
	// the app's bearer token when the Client has no Config.App client.
	ErrNoAppAuth = errors.New("accountactivity: call needs app-only authentication; set Config.App")
	// ErrNoUserAuth is returned, wrapped, by a call that X accepts only in
	// a user's context when the Client has no Config.User client.
	ErrNoUserAuth = errors.New("accountactivity: call needs user authentication; set Config.User")
	// ErrInvalid matches every error for input the Client rejected before
	// sending a request: a malformed id or URL, a replay window outside
	// X's limits. Such errors also match xactivity.ErrPermanent.
	ErrInvalid = errors.New("accountactivity: invalid input")
)

// invalidError is the concrete type behind ErrInvalid.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return "accountactivity: " + e.msg }

func (e *invalidError) Is(target error) bool {
	return target == ErrInvalid || target == xactivity.ErrPermanent
}

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// auth is the kind of credentials a call needs.
type auth int

const (
	appAuth  auth = iota // the app's bearer token
	userAuth             // a user context: OAuth 1.0a or an OAuth 2.0 user token
)

// Config holds the HTTP clients of a Client and the API generation it
// speaks. X fixes the kind of credentials each call needs, and the kind
// differs between generations, so each method documents which client it
// uses. Either client may be nil, but not both; a method whose client is
// nil returns ErrNoAppAuth or ErrNoUserAuth without sending anything.
type Config struct {
	// App sends the calls that need the app's bearer token, such as
	// Webhooks. It must add an "Authorization: Bearer" header; see
	// NewBearerClient.
	App *http.Client
	// User sends the calls made in a user's context, such as Subscribe:
	// an OAuth 1.0a client from github.com/dghubble/oauth1, or an OAuth 2.0
	// user-context client. The subscription belongs to that user. On
	// Enterprise and Premium, CreateWebhook, ValidateWebhook and
	// DeleteWebhook need the user context of the app's owner too.
	User *http.Client
	// Generation selects the API generation. The zero value is V2.
	Generation Generation
	// EnvName is the name of the dev environment on Premium, which needs
	// it; other generations reject it. It is case-sensitive and may
	// contain only ASCII letters, digits, '_' and '-', at most
	// MaxEnvNameLength bytes.
	EnvName string
}

// Client manages X's webhooks and the subscriptions that send account
// activity to them. On V2 it speaks the v2 Account Activity API and the X
// Activity API (XAA). On Enterprise and Premium it speaks the v1.1 Account
// Activity API of those tiers. The methods are the same on every
// generation, so switching generation is a matter of Config. A call that the generation
// has no endpoint for returns an error matching ErrUnsupported without
// sending anything. It is safe for concurrent use by multiple goroutines.
// Create one with NewClient; the zero value is not usable.
type Client struct {
	app, user   *wire.Client
	gen         Generation
	env         string // the Premium environment name
	now         func() time.Time
	insecureURL bool // webhook URLs may use http and a port
}

// Generation returns the API generation the Client speaks.
func (c *Client) Generation() Generation { return c.gen }

// Option configures a Client. NewClient checks the options and returns
// the first error.
type Option func(*settings) error

type settings struct {
	baseURL     *url.URL
	userAgent   string
	maxBody     int64
	now         func() time.Time
	insecureURL bool
}

// WithInsecureWebhookURLs lets CreateWebhook and EnsureWebhook register
// http URLs and URLs with a port, which X rejects. It exists for tests
// against a fake X server such as xtest; never use it against X.
func WithInsecureWebhookURLs() Option {
	return func(s *settings) error {
		s.insecureURL = true
		return nil
	}
}

// WithBaseURL sets the scheme, host and optional path prefix of the API,
// such as "https://api.twitter.com" or the URL of a test server. The URL
// must be absolute http or https, without user information, query or
// fragment. The default is DefaultBaseURL.
func WithBaseURL(rawURL string) Option {
	return func(s *settings) error {
		u, err := wire.ParseBaseURL(rawURL)
		if err != nil {
			return fmt.Errorf("accountactivity: %w", err)
		}
		s.baseURL = u
		return nil
	}
}

// WithUserAgent sets the User-Agent header of every request. It must be
// non-empty printable ASCII. The default is DefaultUserAgent.
func WithUserAgent(userAgent string) Option {
	return func(s *settings) error {
		if err := wire.CheckUserAgent(userAgent); err != nil {
			return fmt.Errorf("accountactivity: %w", err)
		}
		s.userAgent = userAgent
		return nil
	}
}

// WithMaxResponseBytes limits the size of a response body the client
// reads. A successful response above the limit is an error. The default is
// 4 MiB.
func WithMaxResponseBytes(n int64) Option {
	return func(s *settings) error {
		if err := wire.CheckMaxBody(n); err != nil {
			return fmt.Errorf("accountactivity: %w", err)
		}
		s.maxBody = n
		return nil
	}
}

// WithClock sets the function that returns the current time, which Replay
// and ReplaySubscriptions use to check that their windows lie within X's
// limits. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *settings) error {
		if now == nil {
			return errors.New("accountactivity: clock is nil")
		}
		s.now = now
		return nil
	}
}

// NewClient returns a Client for cfg.Generation that sends app-only calls
// with cfg.App and user-context calls with cfg.User. At least one of them
// must be set. It rejects an unknown generation, a Premium config without
// EnvName, an EnvName on another generation and an invalid EnvName. To
// wait on X's limits, set a client's Transport to a ratelimit.Transport
// whose Base adds the credentials.
func NewClient(cfg Config, opts ...Option) (*Client, error) {
	if cfg.App == nil && cfg.User == nil {
		return nil, errors.New("accountactivity: config has neither an app nor a user http client")
	}
	if err := checkGeneration(cfg); err != nil {
		return nil, err
	}
	base, _ := url.Parse(DefaultBaseURL)
	s := settings{baseURL: base, userAgent: DefaultUserAgent, now: time.Now}
	for _, opt := range opts {
		if err := opt(&s); err != nil {
			return nil, err
		}
	}
	c := &Client{gen: cfg.Generation, env: cfg.EnvName, now: s.now, insecureURL: s.insecureURL}
	c.app = s.wire(cfg.App)
	c.user = s.wire(cfg.User)
	return c, nil
}

func (s *settings) wire(h *http.Client) *wire.Client {
	if h == nil {
		return nil
	}
	return &wire.Client{HTTP: h, BaseURL: s.baseURL, UserAgent: s.userAgent, MaxBody: s.maxBody}
}

// do sends call with the credentials a and wraps a failure with the
// operation's name. X's failure reasons in the error body add the
// matching sentinel errors, such as ErrDuplicateURL.
func (c *Client) do(ctx context.Context, a auth, op string, call wire.Call) (wire.Response, error) {
	return c.doFor(ctx, a, op, call, nil)
}

// doFor is do that adds pageNotFound as withReasonsFor does.
func (c *Client) doFor(ctx context.Context, a auth, op string, call wire.Call, pageNotFound error) (wire.Response, error) {
	w, missing := c.app, ErrNoAppAuth
	if a == userAuth {
		w, missing = c.user, ErrNoUserAuth
	}
	if w == nil {
		return wire.Response{}, fmt.Errorf("accountactivity: %s: %w", op, missing)
	}
	resp, err := w.Do(ctx, call)
	if err != nil {
		return wire.Response{}, fmt.Errorf("accountactivity: %s: %w", op, withReasonsFor(err, op, pageNotFound))
	}
	return resp, nil
}

// partial returns the error for a 2xx response that has problems and no
// data.
func partial(op string, call wire.Call, resp wire.Response, problems []xactivity.Problem) error {
	err := withReasons(wire.NewPartialError(call.Endpoint(), resp, problems), op)
	return fmt.Errorf("accountactivity: %s: %w", op, err)
}

// checkID rejects an id that is not a positive decimal of at most 19
// digits, naming the parameter in the error.
func checkID(name, id string) error {
	if !wire.ValidID(id) {
		return invalidf("%s %q is not an X id (1 to 19 decimal digits, no leading zero)", name, id)
	}
	return nil
}

// path joins path segments; callers pass only validated ids and constant
// segments, which need no escaping.
func path(segments ...string) string {
	return "/" + strings.Join(segments, "/")
}
