package accountactivity

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/goodgo/xactivity/internal/wire"
)

// MaxReplayAge is how far back X replays events for Replay on V2
// (POST /2/webhooks/replay).
const MaxReplayAge = 24 * time.Hour

// replayLayout is X's yyyymmddhhmm form of replay times, in UTC.
const replayLayout = "200601021504"

// MaxEnterpriseReplayAge is how far back X replays events for the
// subscription replays: Replay on Enterprise and ReplaySubscriptions.
const MaxEnterpriseReplayAge = 5 * 24 * time.Hour

// ReplayJob is a replay that X accepted. X delivers the replayed events to
// the webhook, then a replay job status event.
type ReplayJob struct {
	JobID string
	// CreatedAt is the job's creation time in UTC, or the zero Time when X
	// sent none or a form this package does not know.
	CreatedAt time.Time
	// Event is set when X responded to ReplaySubscriptions with
	// {"for_user_id", "replay_event": {...}} instead of a job: it is the
	// raw replay_event object, and ForUserID the user the response names.
	// JobID and CreatedAt are then taken from the event when it has
	// job_id (or id) and created_at members. Event is nil, and ForUserID
	// empty, for a job response.
	Event     json.RawMessage
	ForUserID string
}

// Replay requests that X deliver again the events from from to to, counted in
// whole minutes, to the webhook webhookID. from must come before to, in
// an earlier minute, and neither may lie in the future by the client's
// clock (see WithClock).
//
// On V2 it calls POST /2/webhooks/replay (app-only), which replays the
// last MaxReplayAge and includes the minute of to. On Enterprise it calls
// POST /1.1/account_activity/replay/webhooks/:id/subscriptions/all.json
// (app-only), which replays the last MaxEnterpriseReplayAge and excludes
// the minute of to. Premium has no replay and returns an error matching
// ErrUnsupported.
//
// Errors: ErrUnsupported, ErrInvalid or ErrNoAppAuth (no request sent);
// *xactivity.APIError for X's refusal, matching ErrReplayConflict when a
// replay is already running, ErrWebhookIDInvalid for an unknown webhook
// and ErrQueryParamInvalid for a window X rejects;
// *xactivity.RequestError when no response arrived.
func (c *Client) Replay(ctx context.Context, webhookID string, from, to time.Time) (ReplayJob, error) {
	if err := c.only(opReplay, V2, Enterprise); err != nil {
		return ReplayJob{}, err
	}
	if err := checkID("webhook id", webhookID); err != nil {
		return ReplayJob{}, err
	}
	maxAge := MaxReplayAge
	if c.gen == Enterprise {
		maxAge = MaxEnterpriseReplayAge
	}
	if err := checkReplayWindow(from, to, c.now(), maxAge); err != nil {
		return ReplayJob{}, err
	}
	if c.gen == Enterprise {
		return c.replayV11(ctx, webhookID, from, to)
	}
	return c.replayCall(ctx, appAuth, opReplay, wire.Call{
		Method: http.MethodPost,
		Path:   path("2", "webhooks", "replay"),
		JSON: map[string]string{
			"webhook_id": webhookID,
			"from_date":  from.UTC().Format(replayLayout),
			"to_date":    to.UTC().Format(replayLayout),
		},
	})
}

// ReplaySubscriptions requests that X deliver again the events of all
// subscriptions of the webhook webhookID from from to to
// (POST /2/account_activity/replay/webhooks/:id/subscriptions/all,
// app-only, with from_date and to_date in the query). X deprecated this
// path in favour of POST /2/webhooks/replay, which Replay calls. X
// documents a window of up to MaxEnterpriseReplayAge that excludes the
// minute of to; the window is checked as for Replay with that age. It is
// a V2 call; other generations return an error matching ErrUnsupported.
//
// X responds with a job, at the top level or under "data", or with
// {"for_user_id", "replay_event"}. ReplayJob.Event is non-nil only for the
// latter.
// Errors are as for Replay.
func (c *Client) ReplaySubscriptions(ctx context.Context, webhookID string, from, to time.Time) (ReplayJob, error) {
	const op = "replay subscriptions"
	if err := c.only(op, V2); err != nil {
		return ReplayJob{}, err
	}
	if err := checkID("webhook id", webhookID); err != nil {
		return ReplayJob{}, err
	}
	if err := checkReplayWindow(from, to, c.now(), MaxEnterpriseReplayAge); err != nil {
		return ReplayJob{}, err
	}
	return c.replayCall(ctx, appAuth, op, wire.Call{
		Method: http.MethodPost,
		Path:   path("2", "account_activity", "replay", "webhooks", webhookID, "subscriptions", "all"),
		Query:  replayQuery(from, to),
	})
}

// replayQuery returns the from_date and to_date query of a replay.
func replayQuery(from, to time.Time) url.Values {
	return url.Values{
		"from_date": {from.UTC().Format(replayLayout)},
		"to_date":   {to.UTC().Format(replayLayout)},
	}
}

// replayCall sends a replay request and decodes the job X returns.
func (c *Client) replayCall(ctx context.Context, a auth, op string, wc wire.Call) (ReplayJob, error) {
	resp, err := c.do(ctx, a, op, wc)
	if err != nil {
		return ReplayJob{}, err
	}
	job, problems, err := decodeReplayJob(resp.Body)
	if err != nil {
		return ReplayJob{}, fmt.Errorf("accountactivity: %s: response is not the expected JSON: %w", op, err)
	}
	if len(problems) > 0 {
		return ReplayJob{}, partial(op, wc, resp, problems)
	}
	return job, nil
}

// checkReplayWindow checks from and to against X's replay limits at now:
// from in an earlier minute than to, from at most maxAge ago, to not in
// the future.
//
// NOTE: X also documents that an Enterprise replay window must end at
// least 10 minutes before now; that limit is left to X to enforce.
func checkReplayWindow(from, to, now time.Time, maxAge time.Duration) error {
	if !from.Truncate(time.Minute).Before(to.Truncate(time.Minute)) {
		return invalidf("replay window from %s to %s does not end in a later minute than it starts",
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	if oldest := now.Add(-maxAge); from.Before(oldest) {
		return invalidf("replay start %s is more than %s before now (%s)",
			from.UTC().Format(time.RFC3339), maxAge, now.UTC().Format(time.RFC3339))
	}
	if to.After(now) {
		return invalidf("replay end %s is in the future (now %s)",
			to.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}
