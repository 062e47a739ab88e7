package accountactivity

import (
	"context"
	"net/http"
	"time"

	"github.com/goodgo/xactivity/internal/wire"
)

// MaxReplayAge is how far back X replays events.
const MaxReplayAge = 24 * time.Hour

// replayLayout is X's yyyymmddhhmm form of replay times, in UTC.
const replayLayout = "200601021504"

// ReplayJob is a replay that X accepted. X delivers the replayed events to
// the webhook, then a replay job status event.
type ReplayJob struct {
	JobID string
	// CreatedAt is the job's creation time in UTC, or the zero Time when X
	// sent none or a form this package does not know.
	CreatedAt time.Time
}

// Replay asks X to deliver again the events from from to to, both
// inclusive and counted in whole minutes, to the webhook webhookID
// (POST /2/webhooks/replay, app-only). from must come before to, in an
// earlier minute, and both must lie within the last MaxReplayAge by the
// client's clock (see WithClock).
//
// Errors: ErrInvalid or ErrNoAppAuth (no request sent);
// *xactivity.APIError for X's refusal, matching ErrReplayConflict when a
// replay is already running and ErrWebhookIDInvalid for an unknown
// webhook; *xactivity.RequestError when no response arrived.
func (c *Client) Replay(ctx context.Context, webhookID string, from, to time.Time) (ReplayJob, error) {
	if err := checkID("webhook id", webhookID); err != nil {
		return ReplayJob{}, err
	}
	if err := checkReplayWindow(from, to, c.now()); err != nil {
		return ReplayJob{}, err
	}
	job, err := call[struct {
		JobID     wire.FlexString `json:"job_id"`
		CreatedAt string          `json:"created_at"`
	}](ctx, c, appAuth, "replay", wire.Call{
		Method: http.MethodPost,
		Path:   path("2", "webhooks", "replay"),
		JSON: map[string]string{
			"webhook_id": webhookID,
			"from_date":  from.UTC().Format(replayLayout),
			"to_date":    to.UTC().Format(replayLayout),
		},
	})
	if err != nil {
		return ReplayJob{}, err
	}
	return ReplayJob{JobID: string(job.JobID), CreatedAt: parseTime(job.CreatedAt)}, nil
}

// checkReplayWindow checks from and to against X's replay limits at now.
func checkReplayWindow(from, to, now time.Time) error {
	if !from.Truncate(time.Minute).Before(to.Truncate(time.Minute)) {
		return invalidf("replay window from %s to %s does not end in a later minute than it starts",
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	if oldest := now.Add(-MaxReplayAge); from.Before(oldest) {
		return invalidf("replay start %s is more than %s before now (%s)",
			from.UTC().Format(time.RFC3339), MaxReplayAge, now.UTC().Format(time.RFC3339))
	}
	if to.After(now) {
		return invalidf("replay end %s is in the future (now %s)",
			to.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}
