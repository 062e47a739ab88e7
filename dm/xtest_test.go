package dm_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/dm"
	"github.com/goodgo/xactivity/ratelimit"
	"github.com/goodgo/xactivity/xtest"
)

// world is a fake X with one app, the demo sender and two more users.
type world struct {
	srv    *xtest.Server
	client *dm.Client
	sender xtest.User
	alice  xtest.User
	bob    xtest.User
}

func newWorld(t *testing.T, opts ...xtest.Option) world {
	t.Helper()
	srv := xtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	app, sender, err := srv.AddDemo()
	if err != nil {
		t.Fatal(err)
	}
	alice, err := srv.AddUser(app.ID, xtest.User{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := srv.AddUser(app.ID, xtest.User{Username: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	client, err := dm.NewClient(srv.Client(app, sender), dm.WithBaseURL(srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return world{srv: srv, client: client, sender: sender, alice: alice, bob: bob}
}

func TestFakeSendListDelete(t *testing.T) {
	w := newWorld(t, xtest.WithEmptyPages(true))
	ctx := context.Background()
	var sent []string
	for _, text := range []string{"one", "two", "three"} {
		res, err := w.client.SendToParticipant(ctx, w.alice.ID, dm.Message{Text: text})
		if err != nil {
			t.Fatalf("SendToParticipant(%q): %v", text, err)
		}
		sent = append(sent, res.EventID)
	}
	if got := w.srv.SentDMs(); len(got) != 3 || got[0].Text != "one" || got[0].RecipientID != w.alice.ID {
		t.Fatalf("SentDMs = %+v, want three DMs to alice starting with \"one\"", got)
	}

	// Pages of one event each, with an empty page before each of them.
	pager := w.client.ParticipantEventPages(w.alice.ID, dm.ListOptions{MaxResults: 1})
	var pages, empty int
	var listed []string
	for pager.More() {
		page, err := pager.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		pages++
		if len(page.Events) == 0 {
			empty++
		}
		for _, e := range page.Events {
			listed = append(listed, e.ID)
		}
	}
	if empty == 0 {
		t.Errorf("read %d pages and none was empty; the fake should have sent empty pages", pages)
	}
	slices.Reverse(listed) // newest first on the wire
	if diff := cmp.Diff(sent, listed); diff != "" {
		t.Errorf("listed events mismatch (-sent +listed):\n%s", diff)
	}

	if err := w.client.DeleteEvent(ctx, sent[1]); err != nil {
		t.Fatalf("DeleteEvent: %v", err)
	}
	var texts []string
	for e, err := range w.client.Events(ctx, dm.ListOptions{MaxResults: 2}) {
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		texts = append(texts, e.Text)
	}
	if want := []string{"three", "one"}; !slices.Equal(texts, want) {
		t.Errorf("texts after delete = %q, want %q", texts, want)
	}
	_, err := w.client.Event(ctx, sent[1], dm.Fields{})
	if !xactivity.IsPermanent(err) {
		t.Errorf("Event(deleted) error = %v, want a permanent error", err)
	}
}

func TestFakeGroupAndConversation(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	res, err := w.client.CreateGroupConversation(ctx, []string{w.alice.ID, w.bob.ID}, dm.Message{Text: "hello group"})
	if err != nil {
		t.Fatalf("CreateGroupConversation: %v", err)
	}
	if _, err := w.client.SendToConversation(ctx, res.ConversationID, dm.Message{Text: "second"}); err != nil {
		t.Fatalf("SendToConversation: %v", err)
	}
	var texts []string
	opts := dm.ListOptions{EventTypes: []dm.EventType{dm.MessageCreate}}
	for e, err := range w.client.ConversationEvents(ctx, res.ConversationID, opts) {
		if err != nil {
			t.Fatalf("ConversationEvents: %v", err)
		}
		texts = append(texts, e.Text)
	}
	if want := []string{"second", "hello group"}; !slices.Equal(texts, want) {
		t.Errorf("group texts = %q, want %q", texts, want)
	}
}

func TestFakeRateLimit(t *testing.T) {
	for _, mode := range []struct {
		name      string
		reset     xtest.ResetMode
		wantReset bool
	}{
		{"with reset headers", xtest.ResetAccurate, true},
		{"without reset headers", xtest.ResetOmitted, false},
	} {
		t.Run(mode.name, func(t *testing.T) {
			w := newWorld(t, xtest.WithLimits(xtest.GroupDMSend, xtest.Limits{PerUser15m: 1}), xtest.With429Reset(mode.reset))
			ctx := context.Background()
			if _, err := w.client.SendToParticipant(ctx, w.alice.ID, dm.Message{Text: "first"}); err != nil {
				t.Fatalf("first send: %v", err)
			}
			_, err := w.client.SendToParticipant(ctx, w.alice.ID, dm.Message{Text: "second"})
			var rl *ratelimit.Error
			if !errors.As(err, &rl) {
				t.Fatalf("second send error = %v, want a *ratelimit.Error", err)
			}
			if rl.StatusCode != http.StatusTooManyRequests || rl.Local {
				t.Errorf("ratelimit.Error = %+v, want a 429 from X", rl)
			}
			if got := !rl.Reset.IsZero(); got != mode.wantReset {
				t.Errorf("Reset = %v; want known %v", rl.Reset, mode.wantReset)
			}
			if !xactivity.IsRetryable(err) || xactivity.IsPermanent(err) {
				t.Errorf("a 429 must be retryable and not permanent: %v", err)
			}
			if n := len(w.srv.SentDMs()); n != 1 {
				t.Errorf("SentDMs has %d DMs, want 1", n)
			}
		})
	}
}

func TestFakePermanentErrors(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(w world) error
		send     func(ctx context.Context, w world) error
		wantCode int // v1.1 code, 0 for a v2 send
	}{
		{
			name:  "v1.1 recipient not following",
			setup: func(w world) error { return w.srv.SetDMRefusal(w.alice.ID, xtest.DMRefusedNotFollowing) },
			send: func(ctx context.Context, w world) error {
				_, err := w.client.SendV11(ctx, w.alice.ID, dm.V11Message{Text: "hi"})
				return err
			},
			wantCode: 150,
		},
		{
			name:  "v1.1 recipient refuses",
			setup: func(w world) error { return w.srv.SetDMRefusal(w.alice.ID, xtest.DMRefused) },
			send: func(ctx context.Context, w world) error {
				_, err := w.client.SendV11(ctx, w.alice.ID, dm.V11Message{Text: "hi"})
				return err
			},
			wantCode: 349,
		},
		{
			name:  "v1.1 message requests blocked",
			setup: func(w world) error { return w.srv.SetMessageRequestsBlocked(w.sender.ID, true) },
			send: func(ctx context.Context, w world) error {
				_, err := w.client.SendV11(ctx, w.alice.ID, dm.V11Message{Text: "hi"})
				return err
			},
			wantCode: 476,
		},
		{
			name:  "v2 recipient refuses",
			setup: func(w world) error { return w.srv.SetDMRefusal(w.alice.ID, xtest.DMRefused) },
			send: func(ctx context.Context, w world) error {
				_, err := w.client.SendToParticipant(ctx, w.alice.ID, dm.Message{Text: "hi"})
				return err
			},
		},
		{
			name: "v2 client forbidden",
			setup: func(w world) error {
				w.srv.FailNextDM(http.StatusForbidden, `{"title":"Client Forbidden","detail":"Attach your app to a project.",
					"type":"https://api.x.com/2/problems/client-forbidden","reason":"client-not-enrolled"}`)
				return nil
			},
			send: func(ctx context.Context, w world) error {
				_, err := w.client.SendToParticipant(ctx, w.alice.ID, dm.Message{Text: "hi"})
				return err
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if err := tc.setup(w); err != nil {
				t.Fatal(err)
			}
			err := tc.send(context.Background(), w)
			if !xactivity.IsPermanent(err) || xactivity.IsRetryable(err) {
				t.Fatalf("error = %v, want permanent and not retryable", err)
			}
			var apiErr *xactivity.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusForbidden {
				t.Fatalf("error = %v, want an *xactivity.APIError with status 403", err)
			}
			if tc.wantCode != 0 && !apiErr.HasCode(tc.wantCode) {
				t.Errorf("codes = %v, want %d", apiErr.Codes, tc.wantCode)
			}
			if n := len(w.srv.SentDMs()); n != 0 {
				t.Errorf("SentDMs has %d DMs, want none", n)
			}
		})
	}
}

func TestFakeServerFailureIsRetryable(t *testing.T) {
	w := newWorld(t)
	w.srv.FailNextDM(http.StatusServiceUnavailable, "<html><body>Over capacity</body></html>")
	_, err := w.client.SendToParticipant(context.Background(), w.alice.ID, dm.Message{Text: "hi"})
	if !xactivity.IsRetryable(err) {
		t.Errorf("error = %v, want retryable", err)
	}
}

// TestFakeDroppedResponse checks that a send whose response never arrived
// is not reported as retryable: X may have accepted it.
func TestFakeDroppedResponse(t *testing.T) {
	w := newWorld(t)
	w.srv.DropResponseAfterSend()
	_, err := w.client.SendToParticipant(context.Background(), w.alice.ID, dm.Message{Text: "maybe"})
	var reqErr *xactivity.RequestError
	if !errors.As(err, &reqErr) {
		t.Fatalf("error = %v, want an *xactivity.RequestError", err)
	}
	if xactivity.IsRetryable(err) || xactivity.IsPermanent(err) {
		t.Errorf("error = %v classified as retryable or permanent, want neither", err)
	}
	if sent := w.srv.SentDMs(); len(sent) != 1 || !sent[0].ResponseDropped {
		t.Errorf("SentDMs = %+v, want one DM with ResponseDropped", sent)
	}
}

func TestFakeV11(t *testing.T) {
	w := newWorld(t, xtest.WithEmptyPages(true))
	ctx := context.Background()
	m := dm.V11Message{
		Text:         "Pick one",
		QuickReplies: []dm.QuickReplyOption{{Label: "Red", Metadata: "red"}, {Label: "Blue", Metadata: "blue"}},
		Buttons:      []dm.Button{{Label: "Shop", URL: "https://example.com/shop"}},
	}
	event, err := w.client.SendV11(ctx, w.alice.ID, m)
	if err != nil {
		t.Fatalf("SendV11: %v", err)
	}
	if event.RecipientID != w.alice.ID || event.SenderID != w.sender.ID || event.Message.Text != m.Text {
		t.Errorf("event = %+v, want the message from the sender to alice", event)
	}
	sent := w.srv.SentDMs()
	if len(sent) != 1 || len(sent[0].QuickReplies) != 2 || len(sent[0].CTAs) != 1 || sent[0].CTAs[0].Type != "web_url" {
		t.Errorf("SentDMs = %+v, want one DM with 2 quick replies and a web_url button", sent)
	}

	shown, err := w.client.ShowV11(ctx, event.ID)
	if err != nil || shown.ID != event.ID {
		t.Errorf("ShowV11 = %+v, %v; want event %s", shown, err, event.ID)
	}
	var ids []string
	for e, err := range w.client.V11Events(ctx, 1) {
		if err != nil {
			t.Fatalf("V11Events: %v", err)
		}
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, []string{event.ID}) {
		t.Errorf("V11Events ids = %v, want [%s]", ids, event.ID)
	}

	// The fake verifies OAuth 1.0a signatures, including the form
	// parameters, so success shows the form body was signed.
	if err := w.client.IndicateTyping(ctx, w.alice.ID); err != nil {
		t.Fatalf("IndicateTyping: %v", err)
	}
	if err := w.client.MarkRead(ctx, w.alice.ID, event.ID); err != nil {
		t.Fatalf("MarkRead: %v", err)
	}
	indicators := w.srv.Indicators()
	if len(indicators) != 2 || indicators[0].Kind != xtest.IndicatorTyping ||
		indicators[1].Kind != xtest.IndicatorRead || indicators[1].LastReadEventID != event.ID {
		t.Errorf("Indicators = %+v, want a typing indicator then a read receipt for %s", indicators, event.ID)
	}
	if err := w.client.DestroyV11(ctx, event.ID); err != nil {
		t.Fatalf("DestroyV11: %v", err)
	}
	if _, err := w.client.ShowV11(ctx, event.ID); !xactivity.IsPermanent(err) {
		t.Errorf("ShowV11 after destroy error = %v, want permanent", err)
	}
}

// TestFakeWithRateLimitTransport checks the documented stack: a
// ratelimit.Transport around the signing transport. A final 429, which the
// transport turns into an error, is still found with errors.As and is
// retryable.
func TestFakeWithRateLimitTransport(t *testing.T) {
	srv := xtest.NewServer(xtest.WithLimits(xtest.GroupDMSend, xtest.Limits{PerUser15m: 1}))
	t.Cleanup(srv.Close)
	app, sender, err := srv.AddDemo()
	if err != nil {
		t.Fatal(err)
	}
	alice, err := srv.AddUser(app.ID, xtest.User{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}

	httpClient := srv.Client(app, sender)
	httpClient.Transport = &ratelimit.Transport{Base: httpClient.Transport, FailFast: true}
	client, err := dm.NewClient(httpClient, dm.WithBaseURL(srv.URL()))
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	if _, err := client.SendToParticipant(ctx, alice.ID, dm.Message{Text: "first"}); err != nil {
		t.Fatalf("first send: %v", err)
	}
	for i := range 2 { // a 429 from X, then a local rejection
		_, err = client.SendToParticipant(ctx, alice.ID, dm.Message{Text: "again"})
		var rl *ratelimit.Error
		if !errors.As(err, &rl) {
			t.Fatalf("send %d error = %v, want a *ratelimit.Error", i+2, err)
		}
		if !xactivity.IsRetryable(err) || xactivity.IsPermanent(err) {
			t.Errorf("send %d error = %v, want retryable", i+2, err)
		}
		var reqErr *xactivity.RequestError
		if errors.As(err, &reqErr) && !reqErr.NotSent {
			t.Errorf("send %d: NotSent = false for a rate-limit error", i+2)
		}
	}
	if n := len(srv.SentDMs()); n != 1 {
		t.Errorf("SentDMs has %d DMs, want 1", n)
	}
}
