package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/crc"
	"github.com/goodgo/xactivity/webhook"
	"github.com/goodgo/xactivity/xtest"
)

// fakeXSetup is a running fake X with the demo app and user, and the
// environment that points the CLI at it.
type fakeXSetup struct {
	fake *xtest.Server
	app  xtest.App
	user xtest.User
	env  map[string]string
}

func startFakeX(t *testing.T, opts ...xtest.Option) fakeXSetup {
	t.Helper()
	fake := xtest.NewServer(append([]xtest.Option{xtest.WithInsecureWebhooks()}, opts...)...)
	t.Cleanup(fake.Close)
	app, user, err := fake.AddDemo()
	if err != nil {
		t.Fatal(err)
	}
	return fakeXSetup{fake: fake, app: app, user: user, env: map[string]string{
		"TWITTER__API_BASE_URL":        fake.URL(),
		"TWITTER__BEARER_TOKEN":        app.BearerToken,
		"TWITTER__API_KEY":             app.ConsumerKey,
		"TWITTER__API_KEY_SECRET":      app.ConsumerSecret,
		"TWITTER__ACCESS_TOKEN":        user.Token,
		"TWITTER__ACCESS_TOKEN_SECRET": user.TokenSecret,
	}}
}

// secrets returns the credentials that no output may contain.
func (s fakeXSetup) secrets() []string {
	return []string{s.app.BearerToken, s.app.ConsumerSecret, s.user.Token, s.user.TokenSecret}
}

// webhookEndpoint is a webhook URL served by crc.Handler for the CRC and
// webhook.Handler for deliveries. While healthy is false, the CRC fails
// with 503.
type webhookEndpoint struct {
	srv     *httptest.Server
	healthy atomic.Bool
	mu      sync.Mutex
	bodies  [][]byte
}

func startWebhook(t *testing.T, secret string) *webhookEndpoint {
	t.Helper()
	ep := &webhookEndpoint{}
	ep.healthy.Store(true)
	crcHandler := &crc.Handler{ConsumerSecret: secret}
	deliveries := &webhook.Handler{
		ConsumerSecrets: []string{secret},
		Receiver: webhook.ReceiverFunc(func(_ context.Context, d *webhook.Delivery) error {
			ep.mu.Lock()
			defer ep.mu.Unlock()
			ep.bodies = append(ep.bodies, d.Body)
			return nil
		}),
	}
	ep.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && !ep.healthy.Load():
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		case r.Method == http.MethodGet:
			crcHandler.ServeHTTP(w, r)
		default:
			deliveries.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(ep.srv.Close)
	return ep
}

func (ep *webhookEndpoint) url(path string) string { return ep.srv.URL + path }

// cliResult is the output of one run of the CLI.
type cliResult struct {
	stdout, stderr string
	err            error
}

func runEnv(t *testing.T, e env, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e.stdin, e.stdout, e.stderr = strings.NewReader(""), &stdout, &stderr
	if e.getenv == nil {
		e.getenv = func(string) string { return "" }
	}
	err := e.run(context.Background(), args)
	return cliResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

func runVars(t *testing.T, vars map[string]string, args ...string) cliResult {
	t.Helper()
	return runEnv(t, env{getenv: func(k string) string { return vars[k] }}, args...)
}

// mustRun runs the CLI and fails the test when the command fails.
func mustRun(t *testing.T, vars map[string]string, args ...string) string {
	t.Helper()
	r := runVars(t, vars, args...)
	if r.err != nil {
		t.Fatalf("%v: %v\nstdout:\n%s\nstderr:\n%s", args, r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

// decodeJSON parses the one JSON document of a --json output into v.
func decodeJSON(t *testing.T, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("output is not the expected JSON: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("output has more than one JSON document:\n%s", out)
	}
}

// assertNoSecrets fails when any output of r contains one of secrets.
func assertNoSecrets(t *testing.T, r cliResult, secrets ...string) {
	t.Helper()
	all := r.stdout + r.stderr
	if r.err != nil {
		all += r.err.Error()
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(all, s) {
			t.Errorf("output contains a secret of %d bytes", len(s))
		}
	}
}

// sentRequests counts the requests the fake received for method and path
// prefix.
func sentRequests(fake *xtest.Server, method, pathPrefix string) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, pathPrefix) {
			n++
		}
	}
	return n
}

type webhookList struct {
	Webhooks []webhookView `json:"webhooks"`
}

func TestWebhooksCommandsLifecycle(t *testing.T) {
	x := startFakeX(t)
	ep := startWebhook(t, x.app.ConsumerSecret)
	hookURL := ep.url("/webhooks/twitter")

	created := runVars(t, x.env, "webhooks", "create", "--insecure-url", hookURL)
	if created.err != nil {
		t.Fatalf("create: %v\n%s", created.err, created.stderr)
	}
	assertNoSecrets(t, created, x.secrets()...)
	hooks := x.fake.Webhooks(x.app.ID)
	if len(hooks) != 1 {
		t.Fatalf("fake has %d webhooks after create, want 1", len(hooks))
	}
	id := hooks[0].ID
	if !strings.Contains(created.stdout, "Created webhook "+id) {
		t.Errorf("create output lacks the id %s:\n%s", id, created.stdout)
	}

	text := mustRun(t, x.env, "webhooks", "list")
	if !strings.Contains(text, id) || !strings.Contains(text, hookURL) {
		t.Errorf("list output lacks the webhook:\n%s", text)
	}
	var list webhookList
	decodeJSON(t, mustRun(t, x.env, "webhooks", "list", "--json"), &list)
	if len(list.Webhooks) != 1 {
		t.Fatalf("list --json has %d webhooks, want 1", len(list.Webhooks))
	}
	got := list.Webhooks[0]
	if got.ID != id || got.URL != hookURL || !got.Valid {
		t.Errorf("list --json = %+v, want id %s, url %s, valid", got, id, hookURL)
	}
	if _, err := time.Parse(time.RFC3339, got.CreatedAt); err != nil {
		t.Errorf("createdAt %q is not RFC 3339: %v", got.CreatedAt, err)
	}

	if err := x.fake.InvalidateWebhook(id); err != nil {
		t.Fatal(err)
	}
	var validation struct {
		ID        string `json:"id"`
		Valid     bool   `json:"valid"`
		Attempted bool   `json:"attempted"`
	}
	decodeJSON(t, mustRun(t, x.env, "webhooks", "validate", id, "--json"), &validation)
	if validation.ID != id || !validation.Valid {
		t.Errorf("validate --json = %+v, want id %s valid", validation, id)
	}
	if !x.fake.Webhooks(x.app.ID)[0].Valid {
		t.Error("the fake still marks the webhook invalid after validate")
	}

	deleted := mustRun(t, x.env, "webhooks", "delete", id)
	if !strings.Contains(deleted, "Deleted webhook "+id) {
		t.Errorf("delete output = %q", deleted)
	}
	if n := len(x.fake.Webhooks(x.app.ID)); n != 0 {
		t.Errorf("fake has %d webhooks after delete, want 0", n)
	}
	decodeJSON(t, mustRun(t, x.env, "webhooks", "list", "--json"), &list)
	if list.Webhooks == nil || len(list.Webhooks) != 0 {
		t.Errorf("list --json after delete = %+v, want an empty array", list.Webhooks)
	}
}

func TestWebhooksValidateReportsFailedCRC(t *testing.T) {
	x := startFakeX(t)
	ep := startWebhook(t, x.app.ConsumerSecret)
	mustRun(t, x.env, "webhooks", "create", "--insecure-url", ep.url("/hook"))
	id := x.fake.Webhooks(x.app.ID)[0].ID
	ep.healthy.Store(false)

	r := runVars(t, x.env, "webhooks", "validate", id)
	if r.err == nil {
		t.Fatal("validate of a webhook whose CRC fails succeeded")
	}
	if !strings.Contains(r.stdout, "failed X's CRC check") {
		t.Errorf("output does not report the failed check:\n%s", r.stdout)
	}
	if !strings.Contains(r.err.Error(), "check-url") {
		t.Errorf("error %q does not point to check-url", r.err)
	}
}

func TestWebhooksCreateFailedCRC(t *testing.T) {
	x := startFakeX(t)
	ep := startWebhook(t, "not the consumer secret")

	r := runVars(t, x.env, "webhooks", "create", "--insecure-url", "--json", ep.url("/hook"))
	if !errors.Is(r.err, accountactivity.ErrCRCValidationFailed) {
		t.Fatalf("create error = %v, want ErrCRCValidationFailed", r.err)
	}
	if !strings.Contains(r.err.Error(), "xactivity check-url") {
		t.Errorf("error %q does not point to check-url", r.err)
	}
	var doc jsonError
	decodeJSON(t, r.stdout, &doc)
	if doc.Error.StatusCode != http.StatusBadRequest {
		t.Errorf("statusCode = %d, want 400", doc.Error.StatusCode)
	}
	if len(doc.Error.Reasons) != 1 || doc.Error.Reasons[0] != "CrcValidationFailed" {
		t.Errorf("reasons = %q, want [CrcValidationFailed]", doc.Error.Reasons)
	}
	if !strings.Contains(doc.Error.Hint, "check-url") {
		t.Errorf("hint = %q, want a pointer to check-url", doc.Error.Hint)
	}
	assertNoSecrets(t, r, x.secrets()...)
}

func TestWebhooksCreateHTTPNeedsInsecureFlag(t *testing.T) {
	x := startFakeX(t)
	ep := startWebhook(t, x.app.ConsumerSecret)

	r := runVars(t, x.env, "webhooks", "create", ep.url("/hook"))
	if !errors.Is(r.err, accountactivity.ErrInvalid) {
		t.Fatalf("create of an http URL: error = %v, want ErrInvalid", r.err)
	}
	if n := sentRequests(x.fake, http.MethodPost, "/2/webhooks"); n != 0 {
		t.Errorf("the fake received %d create requests, want 0", n)
	}
}

func TestWebhooksDuplicateURLHint(t *testing.T) {
	x := startFakeX(t, xtest.WithWebhookLimit(2))
	ep := startWebhook(t, x.app.ConsumerSecret)
	mustRun(t, x.env, "webhooks", "create", "--insecure-url", ep.url("/hook"))

	r := runVars(t, x.env, "webhooks", "create", "--insecure-url", ep.url("/hook"))
	if !errors.Is(r.err, accountactivity.ErrDuplicateURL) {
		t.Fatalf("second create error = %v, want ErrDuplicateURL", r.err)
	}
	if !strings.Contains(r.err.Error(), "webhooks list") {
		t.Errorf("error %q does not point to webhooks list", r.err)
	}
}

func TestWebhooksCommandsBadIDs(t *testing.T) {
	x := startFakeX(t)
	tests := []struct {
		name string
		args []string
		want error
		sent bool // whether the request reaches X
	}{
		{"validate malformed", []string{"webhooks", "validate", "abc"}, accountactivity.ErrInvalid, false},
		{"delete malformed", []string{"webhooks", "delete", "12/34"}, accountactivity.ErrInvalid, false},
		{"delete unknown", []string{"webhooks", "delete", "999"}, accountactivity.ErrWebhookIDInvalid, true},
		{"validate unknown", []string{"webhooks", "validate", "999"}, accountactivity.ErrWebhookIDInvalid, true},
		{"remove malformed user", []string{"subscriptions", "remove", "--webhook", "999", "bob"}, accountactivity.ErrInvalid, false},
		{"list unknown webhook", []string{"subscriptions", "list", "--webhook", "999"}, accountactivity.ErrWebhookIDInvalid, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(x.fake.Requests())
			r := runVars(t, x.env, append(tt.args, "--json")...)
			if !errors.Is(r.err, tt.want) {
				t.Fatalf("error = %v, want %v", r.err, tt.want)
			}
			var doc jsonError
			decodeJSON(t, r.stdout, &doc)
			if doc.Error.Message != r.err.Error() {
				t.Errorf("JSON message = %q, want %q", doc.Error.Message, r.err.Error())
			}
			if sent := len(x.fake.Requests()) > before; sent != tt.sent {
				t.Errorf("request sent = %t, want %t", sent, tt.sent)
			}
		})
	}
}

func TestManagementCommandsMissingVariables(t *testing.T) {
	x := startFakeX(t)
	only := func(names ...string) map[string]string {
		vars := map[string]string{}
		for _, n := range names {
			vars[n] = x.env[n]
		}
		return vars
	}
	userVars := []string{"TWITTER__API_KEY", "TWITTER__API_KEY_SECRET", "TWITTER__ACCESS_TOKEN", "TWITTER__ACCESS_TOKEN_SECRET"}
	tests := []struct {
		name    string
		vars    map[string]string
		args    []string
		missing []string // exactly the variables the error must name
	}{
		{"list without bearer", only("TWITTER__API_BASE_URL"),
			[]string{"webhooks", "list"}, []string{"TWITTER__BEARER_TOKEN"}},
		{"replay without bearer", only("TWITTER__API_BASE_URL"),
			[]string{"replay", "--webhook", "1", "--from", "202601010000", "--to", "202601010100"}, []string{"TWITTER__BEARER_TOKEN"}},
		{"add without user credentials", only("TWITTER__API_BASE_URL", "TWITTER__BEARER_TOKEN"),
			[]string{"subscriptions", "add", "--webhook", "1"}, userVars},
		{"add without webhook needs bearer", only(append(userVars, "TWITTER__API_BASE_URL")...),
			[]string{"subscriptions", "add"}, []string{"TWITTER__BEARER_TOKEN"}},
		{"add with token flags", only("TWITTER__API_BASE_URL", "TWITTER__API_KEY"),
			[]string{"subscriptions", "add", "--webhook", "1", "--token", "t", "--token-secret", "s"}, []string{"TWITTER__API_KEY_SECRET"}},
		{"nothing set", nil,
			[]string{"subscriptions", "add"}, append([]string{"TWITTER__BEARER_TOKEN"}, userVars...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(x.fake.Requests())
			r := runVars(t, tt.vars, tt.args...)
			if r.err == nil {
				t.Fatal("command succeeded without its credentials")
			}
			_, list, found := strings.Cut(r.err.Error(), "missing environment variables: ")
			list, _, _ = strings.Cut(list, " (")
			if !found || list != strings.Join(tt.missing, ", ") {
				t.Errorf("error %q, want one naming exactly %s", r.err, strings.Join(tt.missing, ", "))
			}
			if len(x.fake.Requests()) != before {
				t.Error("a request was sent without the credentials")
			}
			assertNoSecrets(t, r, x.secrets()...)
		})
	}
}

type subscriptionList struct {
	ApplicationID string   `json:"applicationId"`
	WebhookID     string   `json:"webhookId"`
	WebhookURL    string   `json:"webhookUrl"`
	UserIDs       []string `json:"userIds"`
}

type subscriptionResult struct {
	WebhookID         string `json:"webhookId"`
	Subscribed        bool   `json:"subscribed"`
	AlreadySubscribed bool   `json:"alreadySubscribed"`
}

func TestSubscriptionsCommands(t *testing.T) {
	x := startFakeX(t)
	ep := startWebhook(t, x.app.ConsumerSecret)
	mustRun(t, x.env, "webhooks", "create", "--insecure-url", ep.url("/hook"))
	hookID := x.fake.Webhooks(x.app.ID)[0].ID

	var added subscriptionResult
	decodeJSON(t, mustRun(t, x.env, "subscriptions", "add", "--json"), &added)
	if added != (subscriptionResult{WebhookID: hookID, Subscribed: true}) {
		t.Errorf("add --json = %+v", added)
	}
	again := mustRun(t, x.env, "subscriptions", "add", "--webhook", hookID)
	if !strings.Contains(again, "already subscribed") {
		t.Errorf("second add output = %q, want already subscribed", again)
	}

	other, err := x.fake.AddUser(x.app.ID, xtest.User{})
	if err != nil {
		t.Fatal(err)
	}
	r := runVars(t, x.env, "subscriptions", "add", "--token", other.Token, "--token-secret", other.TokenSecret)
	if r.err != nil {
		t.Fatalf("add with --token: %v", r.err)
	}
	assertNoSecrets(t, r, append(x.secrets(), other.Token, other.TokenSecret)...)
	if subs := x.fake.Webhooks(x.app.ID)[0].Subscribers; len(subs) != 2 || subs[0] != x.user.ID || subs[1] != other.ID {
		t.Fatalf("fake subscribers = %q, want [%s %s]", subs, x.user.ID, other.ID)
	}

	var list subscriptionList
	decodeJSON(t, mustRun(t, x.env, "subscriptions", "list", "--json"), &list)
	if list.WebhookID != hookID || strings.Join(list.UserIDs, ",") != x.user.ID+","+other.ID {
		t.Errorf("list --json = %+v, want webhook %s with users %s and %s", list, hookID, x.user.ID, other.ID)
	}
	text := mustRun(t, x.env, "subscriptions", "list")
	if !strings.Contains(text, x.user.ID) || !strings.Contains(text, "2 subscribed users") {
		t.Errorf("list output:\n%s", text)
	}

	var count struct {
		AccountName    string `json:"accountName"`
		Provisioned    int64  `json:"provisioned"`
		All            int64  `json:"all"`
		DirectMessages int64  `json:"directMessages"`
	}
	decodeJSON(t, mustRun(t, x.env, "subscriptions", "count", "--json"), &count)
	if count.All != 2 {
		t.Errorf("count --json all = %d, want 2", count.All)
	}
	if text := mustRun(t, x.env, "subscriptions", "count"); !strings.Contains(text, "All activity:") {
		t.Errorf("count output:\n%s", text)
	}

	removed := mustRun(t, x.env, "subscriptions", "remove", other.ID)
	if !strings.Contains(removed, other.ID) {
		t.Errorf("remove output = %q", removed)
	}
	decodeJSON(t, mustRun(t, x.env, "subscriptions", "list", "--json"), &list)
	if strings.Join(list.UserIDs, ",") != x.user.ID {
		t.Errorf("users after remove = %q, want [%s]", list.UserIDs, x.user.ID)
	}
	if text := mustRun(t, x.env, "subscriptions", "list"); !strings.Contains(text, ": 1 subscribed user\n") {
		t.Errorf("list output with one user does not say \"1 subscribed user\":\n%s", text)
	}

	r = runVars(t, x.env, "subscriptions", "remove", other.ID)
	if !errors.Is(r.err, accountactivity.ErrSubscriptionNotFound) {
		t.Errorf("second remove error = %v, want ErrSubscriptionNotFound", r.err)
	}
}

func TestSubscriptionsWebhookSelection(t *testing.T) {
	x := startFakeX(t, xtest.WithWebhookLimit(2))

	r := runVars(t, x.env, "subscriptions", "list")
	if r.err == nil || !strings.Contains(r.err.Error(), "no webhook") {
		t.Fatalf("list without webhooks: error = %v, want one about no webhook", r.err)
	}

	ep := startWebhook(t, x.app.ConsumerSecret)
	mustRun(t, x.env, "webhooks", "create", "--insecure-url", ep.url("/a"))
	mustRun(t, x.env, "webhooks", "create", "--insecure-url", ep.url("/b"))
	hooks := x.fake.Webhooks(x.app.ID)

	for _, args := range [][]string{
		{"subscriptions", "add"},
		{"subscriptions", "list"},
		{"subscriptions", "remove", x.user.ID},
		{"replay", "--from", "202601010000", "--to", "202601010100"},
	} {
		r := runVars(t, x.env, args...)
		if r.err == nil {
			t.Fatalf("%v with two webhooks succeeded", args)
		}
		msg := r.err.Error()
		if !strings.Contains(msg, "2 webhooks") || !strings.Contains(msg, hooks[0].ID) || !strings.Contains(msg, hooks[1].ID) || !strings.Contains(msg, "--webhook") {
			t.Errorf("%v: error %q does not list both ids and --webhook", args, msg)
		}
	}
	if n := sentRequests(x.fake, http.MethodPost, "/2/account_activity/"); n != 0 {
		t.Errorf("the fake received %d subscribe requests, want 0", n)
	}

	var added subscriptionResult
	decodeJSON(t, mustRun(t, x.env, "subscriptions", "add", "--webhook", hooks[1].ID, "--json"), &added)
	if added.WebhookID != hooks[1].ID {
		t.Errorf("add --webhook subscribed to %s, want %s", added.WebhookID, hooks[1].ID)
	}
	if subs := x.fake.Webhooks(x.app.ID)[1].Subscribers; len(subs) != 1 || subs[0] != x.user.ID {
		t.Errorf("subscribers of the second webhook = %q", subs)
	}
}

func TestReplayCommand(t *testing.T) {
	x := startFakeX(t)
	ep := startWebhook(t, x.app.ConsumerSecret)
	mustRun(t, x.env, "webhooks", "create", "--insecure-url", ep.url("/hook"))
	mustRun(t, x.env, "subscriptions", "add")
	hookID := x.fake.Webhooks(x.app.ID)[0].ID
	from := time.Now().UTC().Add(-10 * time.Minute)
	if _, err := x.fake.DeliverDM(context.Background(), "1470000000000000777", x.user.ID, "hello"); err != nil {
		t.Fatal(err)
	}
	// The end is the current minute, so the DM delivered above lies in
	// the window.
	to := time.Now().UTC()

	var job struct {
		JobID     string `json:"jobId"`
		CreatedAt string `json:"createdAt"`
		WebhookID string `json:"webhookId"`
		From      string `json:"from"`
		To        string `json:"to"`
	}
	decodeJSON(t, mustRun(t, x.env, "replay", "--json", "--from", from.Format(replayTimeLayout), "--to", to.Format(time.RFC3339)), &job)
	if job.JobID == "" || job.WebhookID != hookID {
		t.Fatalf("replay --json = %+v, want a job id for webhook %s", job, hookID)
	}
	if want := from.Truncate(time.Minute).Format(time.RFC3339); job.From != want {
		t.Errorf("from = %s, want %s", job.From, want)
	}
	x.fake.WaitReplays()

	var replayed, status int
	for _, d := range x.fake.Deliveries(hookID) {
		if !d.Replay {
			continue
		}
		if bytes.Contains(d.Body, []byte(job.JobID)) {
			status++
		} else {
			replayed++
		}
	}
	if replayed != 1 || status != 1 {
		t.Errorf("replay sent %d events and %d status notices, want 1 and 1", replayed, status)
	}

	text := mustRun(t, x.env, "replay", "--webhook", hookID, "--from", from.Format(time.RFC3339), "--to", to.Format(replayTimeLayout))
	if !strings.Contains(text, "Replay job ") || !strings.Contains(text, " accepted") {
		t.Errorf("replay output = %q", text)
	}
	fromMinute, toMinute := from.Truncate(time.Minute), to.Truncate(time.Minute)
	window := fmt.Sprintf("from %s (%s) to %s (%s)", fromMinute.Format(time.RFC3339), fromMinute.Format(replayTimeLayout),
		toMinute.Format(time.RFC3339), toMinute.Format(replayTimeLayout))
	if !strings.Contains(text, window) {
		t.Errorf("replay output lacks %q:\n%s", window, text)
	}
	x.fake.WaitReplays()
}

func TestReplayCommandRejects(t *testing.T) {
	x := startFakeX(t)
	now := time.Now().UTC()
	tests := []struct {
		name     string
		from, to string
		want     error // nil: any error
	}{
		{"older than 24 hours", now.Add(-25 * time.Hour).Format(replayTimeLayout), now.Format(replayTimeLayout), accountactivity.ErrInvalid},
		{"end before start", now.Add(-time.Hour).Format(replayTimeLayout), now.Add(-2 * time.Hour).Format(replayTimeLayout), accountactivity.ErrInvalid},
		{"end in the future", now.Add(-time.Hour).Format(replayTimeLayout), now.Add(time.Hour).Format(replayTimeLayout), accountactivity.ErrInvalid},
		{"malformed start", "yesterday", now.Format(replayTimeLayout), nil},
		{"month 13", "202613010000", now.Format(replayTimeLayout), nil},
		{"missing end", now.Format(replayTimeLayout), "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(x.fake.Requests())
			r := runVars(t, x.env, "replay", "--webhook", "1700000000000000000", "--from", tt.from, "--to", tt.to, "--json")
			if r.err == nil {
				t.Fatal("replay succeeded")
			}
			if tt.want != nil && !errors.Is(r.err, tt.want) {
				t.Errorf("error = %v, want %v", r.err, tt.want)
			}
			var doc jsonError
			decodeJSON(t, r.stdout, &doc)
			if doc.Error.Message == "" {
				t.Error("JSON error has no message")
			}
			if len(x.fake.Requests()) != before {
				t.Error("a request was sent for a window the client must reject")
			}
		})
	}
}

func TestParseReplayTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"202601311530", time.Date(2026, 1, 31, 15, 30, 0, 0, time.UTC)},
		{"2026-01-31T15:30:00Z", time.Date(2026, 1, 31, 15, 30, 0, 0, time.UTC)},
		{"2026-01-31T17:30:45+02:00", time.Date(2026, 1, 31, 15, 30, 45, 0, time.UTC)},
		{"2026-01-31T15:30:00.5Z", time.Date(2026, 1, 31, 15, 30, 0, 5e8, time.UTC)},
	}
	for _, tt := range tests {
		got, err := parseReplayTime(tt.in)
		if err != nil {
			t.Errorf("parseReplayTime(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("parseReplayTime(%q) = %v, want %v in UTC", tt.in, got, tt.want)
		}
	}
	for _, in := range []string{"", "20260131153", "2026013115300", "202602301530", "2026-01-31 15:30", "2026-01-31", "１２３４５６７８９０１２", "-20260131530"} {
		if got, err := parseReplayTime(in); err == nil {
			t.Errorf("parseReplayTime(%q) = %v, want an error", in, got)
		}
	}
}

func FuzzParseReplayTime(f *testing.F) {
	for _, s := range []string{"202601311530", "2026-01-31T15:30:00Z", "2026-01-31T17:30:45.123+02:00", "999999999999", "", "yesterday"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseReplayTime(s)
		if err != nil {
			if !got.IsZero() {
				t.Errorf("parseReplayTime(%q) returned %v with error %v", s, got, err)
			}
			if len(err.Error()) > 300 {
				t.Errorf("error for a %d-byte input is %d bytes long", len(s), len(err.Error()))
			}
			return
		}
		if got.Location() != time.UTC {
			t.Errorf("parseReplayTime(%q) = %v, not in UTC", s, got)
		}
		if len(s) == len(replayTimeLayout) && allDigits(s) {
			if back := got.Format(replayTimeLayout); back != s {
				t.Errorf("parseReplayTime(%q) formats back as %q", s, back)
			}
			return
		}
		want, err := time.Parse(time.RFC3339, s)
		if err != nil || !want.Equal(got) {
			t.Errorf("parseReplayTime(%q) = %v, but time.Parse gives %v, %v", s, got, want, err)
		}
	})
}

func TestWebhooksCommandsLegacyGenerations(t *testing.T) {
	for _, version := range []string{"1.1-enterprise", "1.1-premium"} {
		t.Run(version, func(t *testing.T) {
			x := startFakeX(t)
			x.env["TWITTER__API_VERSION"] = version
			prefix := "/1.1/account_activity/webhooks"
			if version == "1.1-premium" {
				prefix = "/1.1/account_activity/all/prod/webhooks"
				if r := runVars(t, x.env, "webhooks", "list"); r.err == nil || !strings.Contains(r.err.Error(), "TWITTER__ENV_NAME") {
					t.Errorf("premium without TWITTER__ENV_NAME: err = %v, want one naming it", r.err)
				}
				x.env["TWITTER__ENV_NAME"] = "prod"
				if err := x.fake.AddEnvironment(x.app.ID, "prod"); err != nil {
					t.Fatal(err)
				}
			}
			ep := startWebhook(t, x.app.ConsumerSecret)
			hookURL := ep.url("/webhooks/twitter")

			mustRun(t, x.env, "webhooks", "create", "--insecure-url", hookURL)
			if n := sentRequests(x.fake, http.MethodPost, prefix); n != 1 {
				t.Errorf("%d POST requests under %s, want the create call there", n, prefix)
			}
			var list webhookList
			decodeJSON(t, mustRun(t, x.env, "webhooks", "list", "--json"), &list)
			if len(list.Webhooks) != 1 || list.Webhooks[0].URL != hookURL || !list.Webhooks[0].Valid {
				t.Fatalf("listed webhooks = %+v, want the one for %s, valid", list.Webhooks, hookURL)
			}
			mustRun(t, x.env, "subscriptions", "add")
			if hooks := x.fake.Webhooks(x.app.ID); len(hooks) != 1 || len(hooks[0].Subscribers) != 1 {
				t.Errorf("fake webhooks = %+v, want one with one subscriber", hooks)
			}

			// Without the owner's token, v1.1 cannot change webhooks, and
			// the CLI says which variables to set.
			noOwner := map[string]string{}
			for k, v := range x.env {
				noOwner[k] = v
			}
			delete(noOwner, "TWITTER__ACCESS_TOKEN")
			r := runVars(t, noOwner, "webhooks", "delete", list.Webhooks[0].ID)
			if r.err == nil || !strings.Contains(r.err.Error(), "TWITTER__ACCESS_TOKEN") {
				t.Errorf("delete without the owner's token: err = %v, want one naming TWITTER__ACCESS_TOKEN", r.err)
			}
			mustRun(t, x.env, "webhooks", "delete", list.Webhooks[0].ID)
			if hooks := x.fake.Webhooks(x.app.ID); len(hooks) != 0 {
				t.Errorf("fake webhooks after delete = %+v, want none", hooks)
			}
		})
	}
}

// TestWebhookChangesLegacyNeedNoBearer checks that on v1.1 the commands
// that create, validate and delete a webhook run with the app owner's
// access token alone, and that without it they name the owner's variables
// before sending anything.
func TestWebhookChangesLegacyNeedNoBearer(t *testing.T) {
	for _, version := range []string{"1.1-enterprise", "1.1-premium"} {
		t.Run(version, func(t *testing.T) {
			x := startFakeX(t)
			x.env["TWITTER__API_VERSION"] = version
			if version == "1.1-premium" {
				x.env["TWITTER__ENV_NAME"] = "prod"
				if err := x.fake.AddEnvironment(x.app.ID, "prod"); err != nil {
					t.Fatal(err)
				}
			}
			ownerOnly := map[string]string{}
			for k, v := range x.env {
				ownerOnly[k] = v
			}
			delete(ownerOnly, "TWITTER__BEARER_TOKEN")
			ep := startWebhook(t, x.app.ConsumerSecret)

			var hook webhookView
			decodeJSON(t, mustRun(t, ownerOnly, "webhooks", "create", "--insecure-url", "--json", ep.url("/hook")), &hook)
			if hook.ID == "" || !hook.Valid {
				t.Fatalf("created webhook = %+v, want a valid one", hook)
			}
			mustRun(t, ownerOnly, "webhooks", "validate", hook.ID)

			r := runVars(t, ownerOnly, "webhooks", "list")
			if r.err == nil || !strings.Contains(r.err.Error(), "missing environment variables: TWITTER__BEARER_TOKEN") {
				t.Errorf("list without the bearer token: err = %v, want one naming TWITTER__BEARER_TOKEN", r.err)
			}

			noOwner := map[string]string{}
			for k, v := range ownerOnly {
				noOwner[k] = v
			}
			delete(noOwner, "TWITTER__ACCESS_TOKEN_SECRET")
			before := len(x.fake.Requests())
			r = runVars(t, noOwner, "webhooks", "delete", hook.ID)
			if r.err == nil {
				t.Fatal("delete succeeded without the owner's token secret")
			}
			for _, want := range []string{"missing environment variables: TWITTER__ACCESS_TOKEN_SECRET (", "app owner's"} {
				if !strings.Contains(r.err.Error(), want) {
					t.Errorf("delete without the owner's token secret: err = %v, want one containing %q", r.err, want)
				}
			}
			if len(x.fake.Requests()) != before {
				t.Error("a request was sent without the owner's token secret")
			}
			assertNoSecrets(t, r, x.secrets()...)

			mustRun(t, ownerOnly, "webhooks", "delete", hook.ID)
			if hooks := x.fake.Webhooks(x.app.ID); len(hooks) != 0 {
				t.Errorf("fake webhooks after delete = %+v, want none", hooks)
			}
			for _, req := range x.fake.Requests() {
				if strings.HasPrefix(req.Header.Get("Authorization"), "Bearer ") {
					t.Errorf("%s %s sent a bearer token", req.Method, req.Path)
				}
			}
		})
	}
}

// TestReplayCommandEnterpriseWindow checks that on 1.1-enterprise replay
// accepts a window older than v2's 24 hours and within 5 days.
func TestReplayCommandEnterpriseWindow(t *testing.T) {
	x := startFakeX(t)
	x.env["TWITTER__API_VERSION"] = "1.1-enterprise"
	ep := startWebhook(t, x.app.ConsumerSecret)
	mustRun(t, x.env, "webhooks", "create", "--insecure-url", ep.url("/hook"))
	hookID := x.fake.Webhooks(x.app.ID)[0].ID
	now := time.Now().UTC()

	from, to := now.Add(-72*time.Hour).Format(replayTimeLayout), now.Add(-48*time.Hour).Format(replayTimeLayout)
	text := mustRun(t, x.env, "replay", "--webhook", hookID, "--from", from, "--to", to)
	if !strings.Contains(text, "Replay job ") {
		t.Errorf("replay output = %q, want an accepted job", text)
	}
	x.fake.WaitReplays()

	before := len(x.fake.Requests())
	r := runVars(t, x.env, "replay", "--webhook", hookID, "--from", now.Add(-6*24*time.Hour).Format(replayTimeLayout), "--to", to)
	if !errors.Is(r.err, accountactivity.ErrInvalid) {
		t.Errorf("replay older than 5 days: err = %v, want ErrInvalid", r.err)
	}
	if len(x.fake.Requests()) != before {
		t.Error("a request was sent for a window older than 5 days")
	}
}

// TestUsageStatesGenerationRules checks that the usage text states the
// rules that differ between the API generations.
func TestUsageStatesGenerationRules(t *testing.T) {
	r := runVars(t, nil, "help")
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, want := range []string{
		"the last 24 hours and includes\nthe minute of --to",
		"the last 5 days, excluding the minute of --to",
		"1.1-premium has no replay",
		"webhooks create, validate and delete\nrun in the app owner's user context",
		"and no bearer token",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("usage lacks %q", want)
		}
	}
}
