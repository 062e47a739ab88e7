package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/goodgo/xactivity/internal/wire"
)

// xTimeout bounds one call to the X API.
const xTimeout = 10 * time.Second

// xUser is the user an OAuth token belongs to.
type xUser struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
}

// Errors of X API calls, mapped to the service's responses.
var (
	errXRejected = errors.New("X rejected the OAuth token")
	errXFailed   = errors.New("X API call failed")
)

// xRateLimited reports a 429 from X, with the time its limit resets.
type xRateLimited struct {
	Reset time.Time
}

func (e *xRateLimited) Error() string { return "X rate limit reached" }

// xClient calls the X API for the service with OAuth 1.0a user context.
type xClient struct {
	baseURL string
	config  *oauth1.Config
	http    *http.Client // unsigned base client
	timeout time.Duration
	now     func() time.Time
}

func newXClient(baseURL, consumerKey, consumerSecret string) *xClient {
	return &xClient{
		baseURL: baseURL,
		config:  oauth1.NewConfig(consumerKey, consumerSecret),
		http:    &http.Client{},
		timeout: xTimeout,
		now:     time.Now,
	}
}

// me returns the user that the token and secret belong to, from
// GET /2/users/me.
func (c *xClient) me(ctx context.Context, token, secret string) (xUser, error) {
	// The signed client that oauth1 builds keeps the base client's transport
	// but not its Timeout, so the time limit is set on the context.
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth1.HTTPClient, c.http)
	client := c.config.Client(ctx, oauth1.NewToken(token, secret))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+"/2/users/me", nil)
	if err != nil {
		return xUser{}, fmt.Errorf("%w: %v", errXFailed, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return xUser{}, fmt.Errorf("%w: %v", errXFailed, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return xUser{}, fmt.Errorf("%w: reading the response: %v", errXFailed, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return xUser{}, fmt.Errorf("%w (status %d)", errXRejected, resp.StatusCode)
	case resp.StatusCode == http.StatusTooManyRequests:
		return xUser{}, &xRateLimited{Reset: c.rateLimitReset(resp.Header)}
	case resp.StatusCode != http.StatusOK:
		return xUser{}, fmt.Errorf("%w: status %d", errXFailed, resp.StatusCode)
	}
	var answer struct {
		Data xUser `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || !wire.ValidID(answer.Data.ID) {
		return xUser{}, fmt.Errorf("%w: unexpected /2/users/me response", errXFailed)
	}
	return answer.Data, nil
}

// rateLimitReset reads x-rate-limit-reset (epoch seconds), or assumes 15
// minutes, X's usual window, when the header is absent.
func (c *xClient) rateLimitReset(h http.Header) time.Time {
	if secs, err := strconv.ParseInt(h.Get("x-rate-limit-reset"), 10, 64); err == nil && secs > 0 {
		return time.Unix(secs, 0)
	}
	return c.now().Add(15 * time.Minute)
}
