package accountactivity

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/internal/wire"
)

// activityPageJSON is one page of GET /2/activity/subscriptions.
type activityPageJSON struct {
	Data   []activityJSON  `json:"data"`
	Errors json.RawMessage `json:"errors"`
	Meta   struct {
		NextToken wire.FlexString `json:"next_token"`
	} `json:"meta"`
	problems []xactivity.Problem
}

func decodeActivityPage(body []byte) (activityPageJSON, error) {
	var page activityPageJSON
	if err := json.Unmarshal(body, &page); err != nil {
		return activityPageJSON{}, err
	}
	page.problems = wire.Problems(page.Errors)
	return page, nil
}

// DeleteActivitySubscription deletes the subscription id
// (DELETE /2/activity/subscriptions/:id, app-only). Errors are as for
// UpdateActivitySubscription; a response whose deleted member is not true
// is an error too.
func (c *Client) DeleteActivitySubscription(ctx context.Context, id string) error {
	if err := c.only("delete activity subscription", V2); err != nil {
		return err
	}
	if err := checkID("subscription id", id); err != nil {
		return err
	}
	v, err := call[struct {
		Deleted bool `json:"deleted"`
	}](ctx, c, appAuth, "delete activity subscription", wire.Call{
		Method: http.MethodDelete,
		Path:   path("2", "activity", "subscriptions", id),
	})
	if err != nil {
		return err
	}
	if !v.Deleted {
		return errors.New("accountactivity: delete activity subscription: X returned deleted false")
	}
	return nil
}

// DeleteResult is the response to DeleteActivitySubscriptions.
type DeleteResult struct {
	// Deleted lists the ids X deleted.
	Deleted []string
	// Failed lists the ids X did not delete, with its reasons.
	Failed []DeleteFailure
	// Remaining is the number of subscriptions left, when X reports it.
	Remaining int
}

// DeleteFailure is one id that DeleteActivitySubscriptions did not delete.
type DeleteFailure struct {
	SubscriptionID string
	// Reason is X's reason name, such as "SubscriptionNotFound"; Message
	// describes it.
	Reason  string
	Message string
}

// DeleteActivitySubscriptions deletes the subscriptions ids, 1 to
// MaxDeleteIDs of them (DELETE /2/activity/subscriptions?ids=, app-only).
// X deletes what it can and reports the rest in DeleteResult.Failed, which
// is not an error. Errors are as for DeleteActivitySubscription.
func (c *Client) DeleteActivitySubscriptions(ctx context.Context, ids []string) (DeleteResult, error) {
	if err := c.only("delete activity subscriptions", V2); err != nil {
		return DeleteResult{}, err
	}
	if len(ids) == 0 || len(ids) > MaxDeleteIDs {
		return DeleteResult{}, invalidf("delete needs 1 to %d subscription ids, got %d", MaxDeleteIDs, len(ids))
	}
	for _, id := range ids {
		if err := checkID("subscription id", id); err != nil {
			return DeleteResult{}, err
		}
	}
	resp, err := c.do(ctx, appAuth, "delete activity subscriptions", wire.Call{
		Method: http.MethodDelete,
		Path:   path("2", "activity", "subscriptions"),
		Query:  url.Values{"ids": {strings.Join(ids, ",")}},
	})
	if err != nil {
		return DeleteResult{}, err
	}
	r, err := decodeDeleteResult(resp.Body)
	if err != nil {
		return DeleteResult{}, errors.New("accountactivity: delete activity subscriptions: response is not the expected JSON")
	}
	return r, nil
}

// decodeDeleteResult decodes the body of DELETE /2/activity/subscriptions.
func decodeDeleteResult(body []byte) (DeleteResult, error) {
	var v struct {
		Data []struct {
			Deleted bool            `json:"deleted"`
			ID      wire.FlexString `json:"subscription_id"`
		} `json:"data"`
		Errors []struct {
			Message string          `json:"message"`
			Reason  string          `json:"reason"`
			ID      wire.FlexString `json:"subscription_id"`
		} `json:"errors"`
		Meta struct {
			Total wire.FlexInt `json:"total_subscriptions"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return DeleteResult{}, err
	}
	r := DeleteResult{Remaining: int(v.Meta.Total)}
	for _, d := range v.Data {
		if d.Deleted {
			r.Deleted = append(r.Deleted, string(d.ID))
		} else {
			r.Failed = append(r.Failed, DeleteFailure{SubscriptionID: string(d.ID)})
		}
	}
	for _, e := range v.Errors {
		r.Failed = append(r.Failed, DeleteFailure{SubscriptionID: string(e.ID), Reason: e.Reason, Message: e.Message})
	}
	return r, nil
}
