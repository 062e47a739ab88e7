package accountactivity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/internal/wire"
)

// The methods below implement the public methods on Enterprise and
// Premium. The public methods validate their input first; the route table
// is v11Routes.

// sendV11 sends op on the Client's v1.1 generation with the given ids and
// query, and adds pageNotFound as withReasonsFor does.
func (c *Client) sendV11(ctx context.Context, op, webhookID, userID string, query url.Values, pageNotFound error) (wire.Response, error) {
	route, p, err := c.v11Route(op, webhookID, userID)
	if err != nil {
		return wire.Response{}, err
	}
	return c.doFor(ctx, route.auth, op, wire.Call{Method: route.method, Path: p, Query: query}, pageNotFound)
}

// decodeV11 decodes a v1.1 response body, which has no data wrapper.
func decodeV11[T any](op string, body []byte) (T, error) {
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		return v, fmt.Errorf("accountactivity: %s: response is not the expected JSON: %w", op, err)
	}
	return v, nil
}

func (c *Client) createWebhookV11(ctx context.Context, u string) (Webhook, error) {
	resp, err := c.sendV11(ctx, opCreateWebhook, "", "", url.Values{"url": {u}}, nil)
	if err != nil {
		return Webhook{}, err
	}
	w, err := decodeV11[webhookJSON](opCreateWebhook, resp.Body)
	if err != nil {
		return Webhook{}, err
	}
	if w.ID == "" {
		return Webhook{}, errors.New("accountactivity: create webhook: response has no webhook id")
	}
	return w.webhook(), nil
}

func (c *Client) webhooksV11(ctx context.Context) ([]Webhook, error) {
	resp, err := c.sendV11(ctx, opListWebhooks, "", "", nil, nil)
	if err != nil {
		return nil, err
	}
	list, err := decodeV11Webhooks(resp.Body, c.env)
	if err != nil {
		return nil, fmt.Errorf("accountactivity: list webhooks: response is not the expected JSON: %w", err)
	}
	var out []Webhook
	for _, w := range list {
		out = append(out, w.webhook())
	}
	return out, nil
}

// validateWebhookV11 requests a CRC check. X responds 204 when the check
// passed and with an error when it failed, so any success is Valid.
func (c *Client) validateWebhookV11(ctx context.Context, id string) (Validation, error) {
	if _, err := c.sendV11(ctx, opValidateWebhook, id, "", nil, nil); err != nil {
		return Validation{}, err
	}
	return Validation{Valid: true}, nil
}

func (c *Client) deleteWebhookV11(ctx context.Context, id string) error {
	_, err := c.sendV11(ctx, opDeleteWebhook, id, "", nil, nil)
	return err
}

func (c *Client) subscribeV11(ctx context.Context, webhookID string) error {
	_, err := c.sendV11(ctx, opSubscribe, webhookID, "", nil, nil)
	return err
}

// subscribedV11 returns true for X's 204 and false for a 404 with code 34
// that names no webhook. A 404 whose code 34 names the webhook is an error
// matching ErrWebhookIDInvalid.
//
// NOTE: a user without a subscription and a path X does not serve both
// get code 34 with "Sorry, that page does not exist.", so a wrong base URL
// returns false here. Only the unknown webhook has a message of its own.
func (c *Client) subscribedV11(ctx context.Context, webhookID string) (bool, error) {
	_, err := c.sendV11(ctx, opSubscribed, webhookID, "", nil, nil)
	if err == nil {
		return true, nil
	}
	var api *xactivity.APIError
	if errors.As(err, &api) && isPageNotFound(api) {
		return false, nil
	}
	return false, err
}

func (c *Client) subscriptionsV11(ctx context.Context, webhookID string) (SubscriptionList, error) {
	resp, err := c.sendV11(ctx, opListSubscriptions, webhookID, "", nil, nil)
	if err != nil {
		return SubscriptionList{}, err
	}
	v, err := decodeV11[subscriptionListJSON](opListSubscriptions, resp.Body)
	if err != nil {
		return SubscriptionList{}, err
	}
	return v.list(), nil
}

// unsubscribeV11 removes a subscription. For a user without a
// subscription X responds 404 with code 34, which matches
// ErrSubscriptionNotFound.
func (c *Client) unsubscribeV11(ctx context.Context, webhookID, userID string) error {
	_, err := c.sendV11(ctx, opUnsubscribe, webhookID, userID, nil, ErrSubscriptionNotFound)
	return err
}

func (c *Client) subscriptionCountV11(ctx context.Context) (SubscriptionCounts, error) {
	resp, err := c.sendV11(ctx, opCountSubscriptions, "", "", nil, nil)
	if err != nil {
		return SubscriptionCounts{}, err
	}
	v, err := decodeV11[countsJSON](opCountSubscriptions, resp.Body)
	if err != nil {
		return SubscriptionCounts{}, err
	}
	return v.counts(), nil
}

// replayV11 requests a replay on Enterprise. X responds 202 with the job.
func (c *Client) replayV11(ctx context.Context, webhookID string, from, to time.Time) (ReplayJob, error) {
	route, p, err := c.v11Route(opReplay, webhookID, "")
	if err != nil {
		return ReplayJob{}, err
	}
	return c.replayCall(ctx, route.auth, opReplay, wire.Call{Method: route.method, Path: p, Query: replayQuery(from, to)})
}
