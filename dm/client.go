package dm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/internal/wire"
)

// DefaultBaseURL is the X API host used when WithBaseURL is not given.
const DefaultBaseURL = "https://api.x.com"

// DefaultUserAgent is the User-Agent header sent when WithUserAgent is not
// given.
const DefaultUserAgent = "goodgo-xactivity-dm"

// ErrInvalid matches every error that a Client returns for input it
// rejected before sending a request: a malformed id, a message over X's
// limits, an option out of range. Such errors also match
// xactivity.ErrPermanent, because resending the same input cannot succeed.
var ErrInvalid = errors.New("dm: invalid input")

// invalidError is the concrete type behind ErrInvalid.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return "dm: " + e.msg }

func (e *invalidError) Is(target error) bool {
	return target == ErrInvalid || target == xactivity.ErrPermanent
}

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// Client calls X's Direct Message endpoints of API v2 and v1.1. It is safe
// for concurrent use by multiple goroutines. Create one with NewClient; the
// zero value is not usable.
type Client struct {
	wire wire.Client
}

// Option configures a Client. Options are checked by NewClient, which
// returns the first error.
type Option func(*settings) error

type settings struct {
	baseURL   *url.URL
	userAgent string
	maxBody   int64
}

// WithBaseURL sets the scheme, host and optional path prefix of the API,
// such as "https://api.twitter.com" or the URL of a test server. The URL
// must be absolute http or https, without user information, query or
// fragment. The default is DefaultBaseURL.
func WithBaseURL(rawURL string) Option {
	return func(s *settings) error {
		u, err := wire.ParseBaseURL(rawURL)
		if err != nil {
			return fmt.Errorf("dm: %w", err)
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
			return fmt.Errorf("dm: %w", err)
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
			return fmt.Errorf("dm: %w", err)
		}
		s.maxBody = n
		return nil
	}
}

// NewClient returns a Client that sends its requests with httpClient.
// httpClient must add the user's credentials: an OAuth 1.0a client such as
// one from github.com/dghubble/oauth1, an OAuth 2.0 user-context client
// (v2 endpoints only), or a test client. It must not be nil, because
// http.DefaultClient cannot authenticate. To wait on X's limits, set its
// Transport to a ratelimit.Transport whose Base is the signing transport.
func NewClient(httpClient *http.Client, opts ...Option) (*Client, error) {
	if httpClient == nil {
		return nil, errors.New("dm: http client is nil; pass a client that adds credentials")
	}
	base, _ := url.Parse(DefaultBaseURL)
	s := settings{baseURL: base, userAgent: DefaultUserAgent}
	for _, opt := range opts {
		if err := opt(&s); err != nil {
			return nil, err
		}
	}
	return &Client{wire: wire.Client{
		HTTP:      httpClient,
		BaseURL:   s.baseURL,
		UserAgent: s.userAgent,
		MaxBody:   s.maxBody,
	}}, nil
}

// do sends call and wraps a failure with the operation's name.
func (c *Client) do(ctx context.Context, op string, call wire.Call) (wire.Response, error) {
	resp, err := c.wire.Do(ctx, call)
	if err != nil {
		return wire.Response{}, fmt.Errorf("dm: %s: %w", op, err)
	}
	return resp, nil
}

// checkID rejects an id that is not a positive decimal of at most 19
// digits, naming the parameter in the error.
func checkID(name, id string) error {
	if !wire.ValidID(id) {
		return invalidf("%s %q is not an X id (1 to 19 decimal digits, no leading zero)", name, id)
	}
	return nil
}

// ValidConversationID reports whether id has the form of a DM conversation
// id: a one-to-one conversation is the two participants' ids joined by a
// hyphen, such as "1234-5678"; a group conversation has a single id.
func ValidConversationID(id string) bool {
	a, b, found := strings.Cut(id, "-")
	if !found {
		return wire.ValidID(id)
	}
	return wire.ValidID(a) && wire.ValidID(b)
}

// path joins escaped path segments; callers pass only validated ids and
// constant segments, which need no escaping.
func path(segments ...string) string {
	return "/" + strings.Join(segments, "/")
}
