package accountactivity

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/internal/wire"
)

// The v1.1 generations respond without the v2 data wrapper: a webhook, a
// list or counts are the whole body, and many calls respond 204 with no
// body at all.

// errNoWebhooks is returned by decodeV11Webhooks for a JSON object without
// an environments member.
var errNoWebhooks = errors.New("response is neither a webhook array nor an environments object")

// decodeV11Webhooks decodes the webhook list of GET webhooks.json: a JSON
// array of webhooks. The environments object that Premium's
// GET all/webhooks.json returns, {"environments": [{"environment_name",
// "webhooks": [...]}]}, is accepted too; only the webhooks of the
// environment env are kept, or of every environment when env is empty.
func decodeV11Webhooks(body []byte, env string) ([]webhookJSON, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		var list []webhookJSON
		err := json.Unmarshal(body, &list)
		return list, err
	}
	var v struct {
		Environments *[]struct {
			Name     string        `json:"environment_name"`
			Webhooks []webhookJSON `json:"webhooks"`
		} `json:"environments"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, err
	}
	if v.Environments == nil {
		return nil, errNoWebhooks
	}
	var list []webhookJSON
	for _, e := range *v.Environments {
		if env == "" || e.Name == env {
			list = append(list, e.Webhooks...)
		}
	}
	return list, nil
}

// replayJobJSON is a replay job as X writes it: v1.1 and the /2 replay
// calls name the id job_id; id is accepted too.
type replayJobJSON struct {
	JobID     wire.FlexString `json:"job_id"`
	ID        wire.FlexString `json:"id"`
	CreatedAt string          `json:"created_at"`
}

func (j replayJobJSON) job() ReplayJob {
	id := j.JobID
	if id == "" {
		id = j.ID
	}
	return ReplayJob{JobID: string(id), CreatedAt: parseTime(j.CreatedAt)}
}

// errNoJob is returned by decodeReplayJob for a body without a job id,
// replay event or problems.
var errNoJob = errors.New("response has no replay job id")

// decodeReplayJob decodes the response to a replay request in each known
// shape: {"job_id", "created_at"} at the top level (v1.1 and the deprecated
// /2 path) or under "data" (/2/webhooks/replay), and {"for_user_id",
// "replay_event": {...}}. It returns the problems of an errors array when
// the body has neither a job nor an event.
func decodeReplayJob(body []byte) (ReplayJob, []xactivity.Problem, error) {
	var v struct {
		replayJobJSON
		Data        *replayJobJSON  `json:"data"`
		ForUserID   wire.FlexString `json:"for_user_id"`
		ReplayEvent json.RawMessage `json:"replay_event"`
		Errors      json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return ReplayJob{}, nil, err
	}
	if len(v.ReplayEvent) > 0 && !bytes.Equal(v.ReplayEvent, []byte("null")) {
		// The event's members are not documented: take a job id and time
		// from it when it has them, and keep it whole.
		var inner replayJobJSON
		_ = json.Unmarshal(v.ReplayEvent, &inner)
		job := inner.job()
		job.ForUserID = string(v.ForUserID)
		job.Event = append(json.RawMessage(nil), v.ReplayEvent...)
		return job, nil, nil
	}
	job := v.replayJobJSON.job()
	if v.Data != nil {
		job = v.Data.job()
	}
	if job.JobID != "" {
		return job, nil, nil
	}
	if problems := wire.Problems(v.Errors); len(problems) > 0 {
		return ReplayJob{}, problems, nil
	}
	return ReplayJob{}, nil, errNoJob
}
