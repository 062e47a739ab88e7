package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/ratelimit"
)

// MaxBody is the default limit on the size of a response body: 4 MiB,
// far above X's largest documented page (100 DM events with expansions).
const MaxBody = 4 << 20

// formContentType is the exact value that OAuth 1.0a signers, such as
// github.com/dghubble/oauth1, look for before they sign a body's
// parameters, so it carries no charset.
const formContentType = "application/x-www-form-urlencoded"

// Client sends calls to one X API host. Its fields must not change after
// the first call; it is then safe for concurrent use.
type Client struct {
	// HTTP sends the requests and adds credentials, usually in its
	// Transport. It must not be nil.
	HTTP *http.Client
	// BaseURL is the scheme and host, and an optional path prefix, that
	// call paths are appended to.
	BaseURL *url.URL
	// UserAgent is sent as the User-Agent header when not empty.
	UserAgent string
	// MaxBody limits the size of response bodies; 0 means MaxBody.
	MaxBody int64
}

// Call is one request to X.
type Call struct {
	Method string
	// Path is the escaped URL path after the base URL, starting with "/",
	// such as "/2/dm_events/123".
	Path string
	// Query is encoded as the query string when not empty.
	Query url.Values
	// JSON, when not nil, is encoded as a JSON body.
	JSON any
	// Form, when not nil, is encoded as a form body. JSON and Form must not
	// both be set.
	Form url.Values
}

// Endpoint returns the method and path, as used in errors and rate-limit
// keys: "GET /2/dm_events".
func (c Call) Endpoint() string { return c.Method + " " + c.Path }

// Response is a successful response: its status is 2xx and Body holds the
// whole body.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// NewRequest builds the HTTP request for call with ctx, including its
// body and headers but not its credentials.
func (c *Client) NewRequest(ctx context.Context, call Call) (*http.Request, error) {
	body, contentType, err := encodeBody(call)
	if err != nil {
		return nil, err
	}
	u := *c.BaseURL
	u.Path = strings.TrimSuffix(u.Path, "/") + call.Path
	u.RawPath = ""
	u.RawQuery = ""
	if len(call.Query) > 0 {
		u.RawQuery = call.Query.Encode()
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, call.Method, u.String(), r)
	if err != nil {
		return nil, fmt.Errorf("wire: build request %s: %w", call.Endpoint(), err)
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	return req, nil
}

func encodeBody(call Call) ([]byte, string, error) {
	switch {
	case call.JSON != nil && call.Form != nil:
		return nil, "", fmt.Errorf("wire: %s has both a JSON and a form body", call.Endpoint())
	case call.JSON != nil:
		b, err := json.Marshal(call.JSON)
		if err != nil {
			return nil, "", fmt.Errorf("wire: encode body of %s: %w", call.Endpoint(), err)
		}
		return b, "application/json", nil
	case call.Form != nil:
		return []byte(call.Form.Encode()), formContentType, nil
	}
	return nil, "", nil
}

// Do sends call and reads the response. A 2xx status returns the whole
// body. Any other status returns a *xactivity.APIError decoded from the
// response. A call that got no response returns a *xactivity.RequestError.
// A 2xx body larger than the limit is an error, because a truncated success
// cannot be decoded.
func (c *Client) Do(ctx context.Context, call Call) (Response, error) {
	req, err := c.NewRequest(ctx, call)
	if err != nil {
		return Response{}, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Response{}, requestError(ctx, call, err)
	}
	defer resp.Body.Close()
	limit := c.MaxBody
	if limit <= 0 {
		limit = MaxBody
	}
	body, tooLarge, err := readLimited(resp.Body, limit)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// A failed or truncated read still leaves the status and headers,
		// which are what the caller needs most.
		return Response{}, NewAPIError(call.Endpoint(), resp.StatusCode, resp.Header, body)
	}
	if err != nil {
		return Response{}, requestError(ctx, call, err)
	}
	if tooLarge {
		return Response{}, fmt.Errorf("wire: %s: response body exceeds %d bytes", call.Endpoint(), limit)
	}
	return Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// readLimited reads at most limit bytes of r and reports whether more
// followed.
func readLimited(r io.Reader, limit int64) ([]byte, bool, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(body)) > limit {
		return body[:limit], true, err
	}
	return body, false, err
}

func requestError(ctx context.Context, call Call, err error) error {
	e := &xactivity.RequestError{
		Endpoint:   call.Endpoint(),
		Idempotent: idempotent(call.Method),
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		e.Canceled, e.Err = true, ctxErr
		return e
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the url.Error message repeats the full URL
	}
	e.Err, e.NotSent = err, notSent(err)
	return e
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// notSent reports whether err shows that X did not act on the request: a
// failed name lookup or connection attempt, or a *ratelimit.Error. The
// ratelimit.Transport returns that error for a call it rejected before
// sending and for a final 429, which X did not process.
func notSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var rl *ratelimit.Error
	return errors.As(err, &rl)
}
