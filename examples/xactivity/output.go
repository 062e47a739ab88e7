package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/accountactivity"
)

// output writes the result of one command: readable text by default, or
// with --json one JSON document with camelCase field names.
type output struct {
	w    io.Writer
	json *bool
}

// newCommand returns the flag set of a command, with the --json flag, and
// the output that the flag selects.
func (e env) newCommand(name string) (*flag.FlagSet, output) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	asJSON := fs.Bool("json", false, "print one JSON document instead of text")
	return fs, output{w: e.stdout, json: asJSON}
}

// print writes v as JSON, or calls text to write the readable form.
func (o output) print(v any, text func(w io.Writer)) error {
	if *o.json {
		return writeJSON(o.w, v)
	}
	text(o.w)
	return nil
}

// jsonError is the document printed with --json when a command fails
// without a result.
type jsonError struct {
	Error errorView `json:"error"`
}

type errorView struct {
	Message string `json:"message"`
	// Hint is the next step to take, when the failure has a known fix.
	Hint string `json:"hint,omitempty"`
	// StatusCode is the HTTP status of X's response, when X responded.
	StatusCode int `json:"statusCode,omitempty"`
	// Reasons are the failure reasons X named, such as "DuplicateUrlFailed".
	Reasons []string `json:"reasons,omitempty"`
}

// fail returns err and, with --json, first prints it as a jsonError and
// marks it as printed. An error that is already marked stays as it is. The
// message of err never contains a secret: the management client and the
// credential checks of this command never put one in an error.
func (o output) fail(err error) error {
	var reported *reportedError
	if err == nil || !*o.json || errors.Is(err, flag.ErrHelp) || errors.As(err, &reported) {
		return err
	}
	view := errorView{Message: err.Error()}
	var h *hintError
	if errors.As(err, &h) {
		view.Hint = h.hint
	}
	var api *xactivity.APIError
	if errors.As(err, &api) {
		view.StatusCode = api.StatusCode
	}
	for _, r := range reasonNames {
		if errors.Is(err, r.err) {
			view.Reasons = append(view.Reasons, r.name)
		}
	}
	writeJSON(o.w, jsonError{Error: view})
	return &reportedError{err: err}
}

// resultError returns err, the failure of a command that printed its
// result. With --json it marks err as printed, because the JSON document
// states the result and stdout carries only that one document.
func (o output) resultError(err error) error {
	if err == nil || !*o.json {
		return err
	}
	return &reportedError{err: err}
}

// writeJSON writes v as indented JSON, with < > & unescaped because the
// output is read by programs and people, never embedded in HTML.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// reasonNames are X's names of the failure reasons the management client
// matches.
var reasonNames = []struct {
	name string
	err  error
}{
	{"CrcValidationFailed", accountactivity.ErrCRCValidationFailed},
	{"UrlValidationFailed", accountactivity.ErrURLValidationFailed},
	{"DuplicateUrlFailed", accountactivity.ErrDuplicateURL},
	{"WebhookLimitExceeded", accountactivity.ErrWebhookLimitExceeded},
	{"WebhookIdInvalid", accountactivity.ErrWebhookIDInvalid},
	{"DuplicateSubscriptionFailed", accountactivity.ErrDuplicateSubscription},
	{"SubscriptionLimitExceeded", accountactivity.ErrSubscriptionLimitExceeded},
	{"SubscriptionNotFound", accountactivity.ErrSubscriptionNotFound},
	{"QueryParamInvalid", accountactivity.ErrQueryParamInvalid},
	{"ReplayConflictError", accountactivity.ErrReplayConflict},
}

// hintError is a failed command's error with the next step to take.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() + "; " + e.hint }

func (e *hintError) Unwrap() error { return e.err }

// explain prefixes err with the command's name and adds the fix for the
// failure reasons that have a known one.
func explain(command string, err error) error {
	err = fmt.Errorf("%s: %w", command, err)
	hint := hintFor(err)
	if hint == "" {
		return err
	}
	return &hintError{err: err, hint: hint}
}

func hintFor(err error) string {
	switch {
	case errors.Is(err, accountactivity.ErrCRCValidationFailed):
		return "X's CRC check of the URL failed: run `xactivity check-url URL` to see why"
	case errors.Is(err, accountactivity.ErrDuplicateURL):
		return "the URL is already registered: `xactivity webhooks list` shows its id"
	case errors.Is(err, accountactivity.ErrWebhookLimitExceeded):
		return "the app has as many webhooks as its tier allows: delete one with `xactivity webhooks delete ID` first"
	case errors.Is(err, accountactivity.ErrWebhookIDInvalid):
		return "no webhook of this app has that id: `xactivity webhooks list` shows the ids"
	case errors.Is(err, accountactivity.ErrSubscriptionLimitExceeded):
		return "the app has as many subscriptions as its tier allows: remove one with `xactivity subscriptions remove USER_ID` first"
	case errors.Is(err, accountactivity.ErrSubscriptionNotFound):
		return "that user is not subscribed to the webhook: `xactivity subscriptions list` shows who is"
	case errors.Is(err, accountactivity.ErrReplayConflict):
		return "a replay of this webhook is still running: wait for its replay_job_status delivery, then retry"
	case errors.Is(err, xactivity.ErrUnauthorized):
		return "X did not accept the credentials: check TWITTER__BEARER_TOKEN, TWITTER__API_KEY, TWITTER__API_KEY_SECRET and the access token, and that the clock is correct"
	case errors.Is(err, accountactivity.ErrNoUserAuth):
		return "this call runs in a user's context: set TWITTER__ACCESS_TOKEN and TWITTER__ACCESS_TOKEN_SECRET (on v1.1, the app owner's token registers and changes webhooks)"
	case errors.Is(err, accountactivity.ErrUnsupported):
		return "the generation in TWITTER__API_VERSION has no such call"
	case errors.Is(err, accountactivity.ErrInvalid):
		return "nothing was sent to X"
	}
	return ""
}

// countNoun returns n followed by noun, with an "s" added unless n is 1.
func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
