package xtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// replayWindow is how far back X replays deliveries.
const replayWindow = 24 * time.Hour

// firstReplayJobID is the first replay job id the fake gives out.
const firstReplayJobID = 1800000000000000000

// replayDateFormat is the layout of from_date and to_date: UTC minutes.
const replayDateFormat = "200601021504"

var replayDate = regexp.MustCompile(`^[0-9]{12}$`)

// replayRequest is a validated replay request. to is exclusive: the end of
// the minute that to_date names.
type replayRequest struct {
	webhookID string
	from, to  time.Time
}

// serveReplay starts a replay job that sends the webhook's deliveries
// within the requested minutes again. The response comes first, then the
// job runs in its own goroutine, as X's job does. WaitReplays waits for it.
func (s *Server) serveReplay(w http.ResponseWriter, r *http.Request, app App) {
	req, problem := parseReplay(bodyBytes(r), s.now())
	if problem != nil {
		writeProblem(w, http.StatusBadRequest, *problem)
		return
	}
	h, ok := s.hooks.webhook(app.ID, req.webhookID)
	if !ok {
		writeProblem(w, http.StatusBadRequest, webhookFailure("WebhookIdInvalid",
			"the app has no webhook with id %q", req.webhookID))
		return
	}
	jobID, started := s.hooks.startReplay(h.ID)
	if !started {
		writeProblem(w, http.StatusConflict, webhookFailure("ReplayConflictError",
			"a replay job for webhook %s is already running", h.ID))
		return
	}
	created := s.now()
	go s.runReplay(jobID, req)
	type job struct {
		JobID     string `json:"job_id"`
		CreatedAt string `json:"created_at"`
	}
	writeData(w, struct {
		Data job `json:"data"`
	}{job{JobID: jobID, CreatedAt: created.UTC().Format(v2TimeFormat)}})
}

// parseReplay validates a replay request body against the server's clock.
// Both dates must lie within the last 24 hours, and from_date must come
// before to_date.
func parseReplay(body []byte, now time.Time) (replayRequest, *typedProblem) {
	fail := func(format string, args ...any) (replayRequest, *typedProblem) {
		p := webhookFailure("QueryParamInvalid", format, args...)
		return replayRequest{}, &p
	}
	var raw struct {
		WebhookID string `json:"webhook_id"`
		FromDate  string `json:"from_date"`
		ToDate    string `json:"to_date"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return fail("the body must be a JSON object with webhook_id, from_date and to_date")
	}
	if !numericID.MatchString(raw.WebhookID) {
		return fail("webhook_id %q is not a decimal id", raw.WebhookID)
	}
	from, ok := parseReplayDate(raw.FromDate)
	if !ok {
		return fail("from_date %q is not a UTC time in the form yyyymmddhhmm", raw.FromDate)
	}
	to, ok := parseReplayDate(raw.ToDate)
	if !ok {
		return fail("to_date %q is not a UTC time in the form yyyymmddhhmm", raw.ToDate)
	}
	switch {
	case !from.Before(to):
		return fail("from_date %s must be before to_date %s", raw.FromDate, raw.ToDate)
	case from.Before(now.Add(-replayWindow).Truncate(time.Minute)):
		return fail("from_date %s is more than 24 hours ago", raw.FromDate)
	case to.After(now):
		return fail("to_date %s is in the future", raw.ToDate)
	}
	return replayRequest{webhookID: raw.WebhookID, from: from, to: to.Add(time.Minute)}, nil
}

func parseReplayDate(v string) (time.Time, bool) {
	if !replayDate.MatchString(v) {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(replayDateFormat, v, time.UTC)
	return t, err == nil
}

// startReplay marks a replay of webhookID as running and returns its job
// id, or reports false when one is already running.
func (st *webhookState) startReplay(webhookID string) (string, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.replaying[webhookID] {
		return "", false
	}
	st.replaying[webhookID] = true
	st.nextJob++
	st.replays.Add(1)
	return strconv.FormatUint(firstReplayJobID+st.nextJob, 10), true
}

// runReplay sends the recorded deliveries of the request's window again,
// oldest first, and then the job's status. The job is Incomplete when a
// delivery got no 200 response. Close cancels a running job.
func (s *Server) runReplay(jobID string, req replayRequest) {
	st := s.hooks
	defer st.replays.Done()
	defer func() {
		st.mu.Lock()
		delete(st.replaying, req.webhookID)
		st.mu.Unlock()
	}()

	failed := 0
	bodies := st.replayable(req)
	for _, body := range bodies {
		if status, err := s.resend(st.stop, req.webhookID, body); err != nil || status != http.StatusOK {
			failed++
		}
	}
	state, description := "Complete", "Job completed successfully"
	if failed > 0 {
		state = "Incomplete"
		description = fmt.Sprintf("%d of %d deliveries were not acknowledged", failed, len(bodies))
	}
	status, err := json.Marshal(map[string]map[string]string{"replay_job_status": {
		"webhook_id": req.webhookID, "job_state": state,
		"job_state_description": description, "job_id": jobID,
	}})
	if err != nil {
		panic("xtest: encode replay job status: " + err.Error())
	}
	s.resend(st.stop, req.webhookID, status)
}

// replayable returns the bodies of the deliveries to the request's webhook
// within its window, once each: first attempts, sent or not, that are
// neither replays nor duplicate copies.
func (st *webhookState) replayable(req replayRequest) [][]byte {
	st.mu.Lock()
	defer st.mu.Unlock()
	var bodies [][]byte
	for _, d := range st.deliveries {
		first := !d.Replay && !d.Duplicate && d.Attempt <= 1
		if d.WebhookID == req.webhookID && first && !d.Time.Before(req.from) && d.Time.Before(req.to) {
			bodies = append(bodies, d.Body)
		}
	}
	return bodies
}

// resend sends body to the webhook as part of a replay, whether or not the
// webhook is valid, and records it as a replay delivery.
func (s *Server) resend(ctx context.Context, webhookID string, body []byte) (int, error) {
	h, secret, err := s.target(webhookID)
	if err != nil {
		return 0, err
	}
	d := Delivery{WebhookID: webhookID, Body: body, Time: s.now(), Replay: true}
	d.Status, err = s.post(ctx, h.URL, secret, body)
	if err != nil {
		d.Failure = err.Error()
	}
	s.recordDelivery(d)
	return d.Status, err
}

// WaitReplays blocks until every replay job started before the call has
// sent its deliveries and its status. A test calls it after its replay
// request got its response. It is safe for concurrent use.
func (s *Server) WaitReplays() {
	s.hooks.replays.Wait()
}
