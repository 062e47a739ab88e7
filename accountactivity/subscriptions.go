package accountactivity

import (
	"context"
	"errors"
	"net/http"

	"github.com/goodgo/xactivity/internal/wire"
)

// Subscribe subscribes the user of Config.User to all account activity,
// delivered to the webhook webhookID
// (POST /2/account_activity/webhooks/:id/subscriptions/all, user context).
// Subscribing an already subscribed user fails with
// ErrDuplicateSubscription when X names that reason.
//
// Errors: ErrInvalid or ErrNoUserAuth (no request sent);
// *xactivity.APIError for X's refusal, matching ErrDuplicateSubscription,
// ErrSubscriptionLimitExceeded or ErrWebhookIDInvalid when X names that
// reason; *xactivity.RequestError when no response arrived. A response
// whose subscribed member is not true is an error too.
func (c *Client) Subscribe(ctx context.Context, webhookID string) error {
	if err := checkID("webhook id", webhookID); err != nil {
		return err
	}
	v, err := call[subscribedJSON](ctx, c, userAuth, "subscribe", wire.Call{
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
// webhook webhookID
// (GET /2/account_activity/webhooks/:id/subscriptions/all, user context).
// Errors are as for Subscribe.
func (c *Client) Subscribed(ctx context.Context, webhookID string) (bool, error) {
	if err := checkID("webhook id", webhookID); err != nil {
		return false, err
	}
	v, err := call[subscribedJSON](ctx, c, userAuth, "check subscription", wire.Call{
		Method: http.MethodGet,
		Path:   subscriptionsPath(webhookID, "all"),
	})
	if err != nil {
		return false, err
	}
	return v.Subscribed, nil
}

// SubscriptionList is the list of users subscribed to one webhook.
type SubscriptionList struct {
	ApplicationID string
	WebhookID     string
	WebhookURL    string
	UserIDs       []string
}

// Subscriptions lists the users subscribed to the webhook webhookID
// (GET /2/account_activity/webhooks/:id/subscriptions/all/list, app-only).
// Errors are as for Subscribe, with ErrNoAppAuth instead of ErrNoUserAuth.
func (c *Client) Subscriptions(ctx context.Context, webhookID string) (SubscriptionList, error) {
	if err := checkID("webhook id", webhookID); err != nil {
		return SubscriptionList{}, err
	}
	v, err := call[subscriptionListJSON](ctx, c, appAuth, "list subscriptions", wire.Call{
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
	Subscriptions []struct {
		UserID wire.FlexString `json:"user_id"`
	} `json:"subscriptions"`
}

func (v subscriptionListJSON) list() SubscriptionList {
	l := SubscriptionList{
		ApplicationID: string(v.ApplicationID),
		WebhookID:     string(v.WebhookID),
		WebhookURL:    v.WebhookURL,
	}
	for _, s := range v.Subscriptions {
		l.UserIDs = append(l.UserIDs, string(s.UserID))
	}
	return l
}

// Unsubscribe removes the subscription of the user userID from the webhook
// webhookID
// (DELETE /2/account_activity/webhooks/:id/subscriptions/:user_id/all,
// app-only). Errors are as for Subscriptions, with ErrSubscriptionNotFound
// when X names that reason. A response whose subscribed member is true is
// an error too.
func (c *Client) Unsubscribe(ctx context.Context, webhookID, userID string) error {
	if err := checkID("webhook id", webhookID); err != nil {
		return err
	}
	if err := checkID("user id", userID); err != nil {
		return err
	}
	v, err := call[subscribedJSON](ctx, c, appAuth, "unsubscribe", wire.Call{
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

// SubscriptionCount returns the app's subscription counts
// (GET /2/account_activity/subscriptions/count, app-only). X sends the
// counts as strings; numbers are accepted too. Errors are as for
// Subscriptions.
func (c *Client) SubscriptionCount(ctx context.Context) (SubscriptionCounts, error) {
	v, err := call[countsJSON](ctx, c, appAuth, "count subscriptions", wire.Call{
		Method: http.MethodGet,
		Path:   path("2", "account_activity", "subscriptions", "count"),
	})
	if err != nil {
		return SubscriptionCounts{}, err
	}
	return SubscriptionCounts{
		AccountName:    v.AccountName,
		Provisioned:    int64(v.Provisioned),
		All:            int64(v.All),
		DirectMessages: int64(v.DirectMessages),
	}, nil
}

type countsJSON struct {
	AccountName    string       `json:"account_name"`
	Provisioned    wire.FlexInt `json:"provisioned_count"`
	All            wire.FlexInt `json:"subscriptions_count_all"`
	DirectMessages wire.FlexInt `json:"subscriptions_count_direct_messages"`
}
