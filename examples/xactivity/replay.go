package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// replayTimeLayout is X's form of replay times: yyyymmddhhmm in UTC.
const replayTimeLayout = "200601021504"

// parseReplayTime parses a --from or --to value: UTC minutes as
// yyyymmddhhmm, or RFC 3339 with any offset. The result is in UTC.
func parseReplayTime(s string) (time.Time, error) {
	if len(s) == len(replayTimeLayout) && allDigits(s) {
		t, err := time.Parse(replayTimeLayout, s)
		if err == nil {
			return t, nil
		}
	} else if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	// The input is quoted with %q, which can spell a rune in up to six
	// bytes, so at most maxQuotedRunes of it keep the message short.
	const maxQuotedRunes = 24
	s = strings.ToValidUTF8(s, "\uFFFD")
	if runes := []rune(s); len(runes) > maxQuotedRunes {
		s = string(runes[:maxQuotedRunes]) + "..."
	}
	return time.Time{}, fmt.Errorf("invalid time %q: use UTC yyyymmddhhmm, such as 202601311530, or RFC 3339, such as 2026-01-31T15:30:00Z", s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (e env) replay(ctx context.Context, args []string) error {
	const name = "replay"
	fs, out := e.newCommand(name)
	webhookID := webhookFlag(fs)
	fromFlag := fs.String("from", "", "start `time`, inclusive: UTC yyyymmddhhmm or RFC 3339, within the last 24 hours on v2 and 5 days on 1.1-enterprise")
	toFlag := fs.String("to", "", "end `time`: UTC yyyymmddhhmm or RFC 3339, in a later minute than --from; X includes its minute on v2 and excludes it on 1.1-enterprise")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return out.fail(err)
	}
	if len(rest) != 0 {
		return out.fail(fmt.Errorf("%s: unexpected arguments %q", name, rest))
	}
	if *fromFlag == "" || *toFlag == "" {
		return out.fail(fmt.Errorf("%s: give both --from and --to", name))
	}
	from, err := parseReplayTime(*fromFlag)
	if err != nil {
		return out.fail(fmt.Errorf("%s: --from: %w", name, err))
	}
	to, err := parseReplayTime(*toFlag)
	if err != nil {
		return out.fail(fmt.Errorf("%s: --to: %w", name, err))
	}
	client, err := e.managementClient(ctx, credentials{app: true})
	if err != nil {
		return out.fail(fmt.Errorf("%s: %w", name, err))
	}
	id, err := resolveWebhook(ctx, client, *webhookID)
	if err != nil {
		return out.fail(explain(name, err))
	}
	// The client checks X's window rules before it sends the request.
	job, err := client.Replay(ctx, id, from, to)
	if err != nil {
		return out.fail(explain(name, err))
	}
	view := struct {
		JobID     string `json:"jobId"`
		CreatedAt string `json:"createdAt,omitempty"`
		WebhookID string `json:"webhookId"`
		From      string `json:"from"`
		To        string `json:"to"`
	}{
		JobID:     job.JobID,
		WebhookID: id,
		// X receives whole minutes, so the view drops any seconds.
		From: from.Truncate(time.Minute).Format(time.RFC3339),
		To:   to.Truncate(time.Minute).Format(time.RFC3339),
	}
	if !job.CreatedAt.IsZero() {
		view.CreatedAt = job.CreatedAt.UTC().Format(time.RFC3339)
	}
	return out.print(view, func(w io.Writer) {
		fmt.Fprintf(w, "Replay job %s accepted for webhook %s.\n", job.JobID, id)
		fmt.Fprintf(w, "X delivers the events from %s (%s) to %s (%s) again,\n",
			view.From, from.Format(replayTimeLayout), view.To, to.Format(replayTimeLayout))
		fmt.Fprintln(w, "then a replay_job_status event that reports Complete or Incomplete.")
	})
}
