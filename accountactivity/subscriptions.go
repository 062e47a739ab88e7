package accountactivity

import (
	"context"
	"errors"
	"net/http"

	"github.com/goodgo/xactivity/internal/wire"
)

// Subscribe subscribes the user of Config.User to all account activity,
// delivered to the webhook webhookID, in that user's context:
// POST /2/account_activity/webhooks/:id/subscriptions/all on V2,
// POST /1.1/account_activity/webhooks/:id/subscriptions/all.json on
// Enterprise and POST /1.1/account_activity/all/:env_name/subscriptions.json
// on Premium. Subscribing an already subscribed user fails with
// ErrDuplicateSubscription when X names that reason.
//
// Premium names the webhook by Config.EnvName, so there webhookID, like
// the webhookID of Subscribed, Subscriptions and Unsubscribe, is checked
// for syntax but not sent.
//
// Errors: ErrInvalid or ErrNoUserAuth (no request sent);
// *xactivity.APIError for X's refusal, matching ErrDuplicateSubscription,
// ErrSubscriptionLimitExceeded or ErrWebhookIDInvalid when X names that
// reason, and on v1.1 ErrUserNotPermitted or ErrNoProductAccess;
// *xactivity.RequestError when no response arrived. On V2 a response
// whose subscribed member is not true is an error too.
func (c *Client) Subscribe(ctx context.Context, webhookID string) error {
	if err := checkID("webhook id", webhookID); err != nil {
		return err
	}
	if c.gen != V2 {
		return c.subscribeV11(ctx, webhookID)
	}
	v, err := call[subscribedJSON](ctx, c, userAuth, opSubscribe, wire.Call{
		Method: http.MethodPost,
		Path:   subscriptionsPath(webhookID, "all"),
		JSON:   struct{}{},
	})
	if err != nil {
		return err
	}
	if !v.Subscribed {
		return errors.New("accountactivity: subscribe: X returned subscribed false")
	}
	return nil
}

// subscribedJSON is the data of the v2 subscription calls.
type subscribedJSON struct {
	Subscribed bool `json:"subscribed"`
}

func subscriptionsPath(webhookID string, rest ...string) string {
	segments := append([]string{"2", "account_activity", "webhooks", webhookID, "subscriptions"}, rest...)
	return path(segments...)
}

// Subscribed reports whether the user of Config.User is subscribed to the
// webhook webhookID, in that user's context:
// GET /2/account_activity/webhooks/:id/subscriptions/all on V2,
// GET /1.1/account_activity/webhooks/:id/subscriptions/all.json on
// Enterprise and GET /1.1/account_activity/all/:env_name/subscriptions.json
// on Premium. The v1.1 generations respond 204 for a subscribed user and
// 404 with code 34 for one that is not, which returns false. A code 34
// that names the webhook is an error matching ErrWebhookIDInvalid. A 404
// without code 34, such as the page of a server that is not X, is an
// error. Errors are as for Subscribe.
//
// NOTE: on v1.1, the "not subscribed" response is 404 with code 34 and
// "Sorry, that page does not exist.", which is also X's response to a path
// it does not serve. No message of its own for it is known, so a base URL
// (WithBaseURL) with a wrong path prefix reads as "not subscribed" here,
// while the Client's other calls fail.
func (c *Client) Subscribed(ctx context.Context, webhookID string) (bool, error) {
	if err := checkID("webhook id", webhookID); err != nil {
		return false, err
	}
	if c.gen != V2 {
		return c.subscribedV11(ctx, webhookID)
	}
	v, err := call[subscribedJSON](ctx, c, userAuth, opSubscribed, wire.Call{
		Method: http.MethodGet,
		Path:   subscriptionsPath(webhookID, "all"),
	})
	if err != nil {
		return false, err
	}
	return v.Subscribed, nil
}

// SubscriptionList is the list of users subscribed to one webhook. Fields
// X did not send are empty: Premium sends Environment and no webhook id or
// URL.
type SubscriptionList struct {
	ApplicationID string
	WebhookID     string
	WebhookURL    string
	// Environment is the Premium environment name.
	Environment string
	UserIDs     []string
}

// Subscriptions lists the users subscribed to the webhook webhookID, with
// the app's bearer token:
// GET /2/account_activity/webhooks/:id/subscriptions/all/list on V2,
// GET /1.1/account_activity/webhooks/:id/subscriptions/all/list.json on
// Enterprise and GET /1.1/account_activity/all/:env_name/subscriptions/list.json
// on Premium. Errors are as for Subscribe, with ErrNoAppAuth instead of
// ErrNoUserAuth.
func (c *Client) Subscriptions(ctx context.Context, webhookID string) (SubscriptionList, error) {
	if err := checkID("webhook id", webhookID); err != nil {
		return SubscriptionList{}, err
	}
	if c.gen != V2 {
		return c.subscriptionsV11(ctx, webhookID)
	}
	v, err := call[subscriptionListJSON](ctx, c, appAuth, opListSubscriptions, wire.Call{
		Method: http.MethodGet,
		Path:   subscriptionsPath(webhookID, "all", "list"),
	})
	if err != nil {
		return SubscriptionList{}, err
	}
	return v.list(), nil
}

type subscriptionListJSON struct {
	ApplicationID wire.FlexString `json:"application_id"`
	WebhookID     wire.FlexString `json:"webhook_id"`
	WebhookURL    string          `json:"webhook_url"`
	Environment   string          `json:"environment"`
	Subscriptions []struct {
		UserID wire.FlexString `json:"user_id"`
	} `json:"subscriptions"`
}

func (v subscriptionListJSON) list() SubscriptionList {
	l := SubscriptionList{
		ApplicationID: string(v.ApplicationID),
		WebhookID:     string(v.WebhookID),
		WebhookURL:    v.WebhookURL,
		Environment:   v.Environment,
	}
	for _, s := range v.Subscriptions {
		l.UserIDs = append(l.UserIDs, string(s.UserID))
	}
	return l
}

// Unsubscribe removes the subscription of the user userID from the webhook
// webhookID, with the app's bearer token:
// DELETE /2/account_activity/webhooks/:id/subscriptions/:user_id/all on
// V2, where a response whose subscribed member is true is an error too;
// DELETE /1.1/account_activity/webhooks/:id/subscriptions/:user_id/all.json
// on Enterprise and
// DELETE /1.1/account_activity/all/:env_name/subscriptions/:user_id.json on
// Premium, where X responds 204. Errors are as for Subscriptions, with
// ErrSubscriptionNotFound when X names that reason or, on v1.1, answers
// 404 with code 34.
func (c *Client) Unsubscribe(ctx context.Context, webhookID, userID string) error {
	if err := checkID("webhook id", webhookID); err != nil {
		return err
	}
	if err := checkID("user id", userID); err != nil {
		return err
	}
	if c.gen != V2 {
		return c.unsubscribeV11(ctx, webhookID, userID)
	}
	v, err := call[subscribedJSON](ctx, c, appAuth, opUnsubscribe, wire.Call{
		Method: http.MethodDelete,
		Path:   subscriptionsPath(webhookID, userID, "all"),
	})
	if err != nil {
		return err
	}
	if v.Subscribed {
		return errors.New("accountactivity: unsubscribe: X returned subscribed true")
	}
	return nil
}

// SubscriptionCounts are the app's subscription counts.
type SubscriptionCounts struct {
	AccountName string
	// Provisioned is the number of subscriptions the app may have.
	Provisioned int64
	// All counts the active subscriptions to all activity.
	All int64
	// DirectMessages counts the active subscriptions to Direct Messages.
	DirectMessages int64
}

// SubscriptionCount returns the app's subscription counts, with the app's
// bearer token: GET /2/account_activity/subscriptions/count on V2,
// GET /1.1/account_activity/subscriptions/count.json on Enterprise and
// GET /1.1/account_activity/all/subscriptions/count.json on Premium. X
// sends the counts as strings; numbers are accepted too. Errors are as for
// Subscriptions.
func (c *Client) SubscriptionCount(ctx context.Context) (SubscriptionCounts, error) {
	if c.gen != V2 {
		return c.subscriptionCountV11(ctx)
	}
	v, err := call[countsJSON](ctx, c, appAuth, opCountSubscriptions, wire.Call{
		Method: http.MethodGet,
		Path:   path("2", "account_activity", "subscriptions", "count"),
	})
	if err != nil {
		return SubscriptionCounts{}, err
	}
	return v.counts(), nil
}

type countsJSON struct {
	AccountName    string       `json:"account_name"`
	Provisioned    wire.FlexInt `json:"provisioned_count"`
	All            wire.FlexInt `json:"subscriptions_count_all"`
	DirectMessages wire.FlexInt `json:"subscriptions_count_direct_messages"`
}

func (v countsJSON) counts() SubscriptionCounts {
	return SubscriptionCounts{
		AccountName:    v.AccountName,
		Provisioned:    int64(v.Provisioned),
		All:            int64(v.All),
		DirectMessages: int64(v.DirectMessages),
	}
}
