package accountactivity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/goodgo/xactivity/internal/fixtures"
)

// recorder registers a handler for every kind and records the calls.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (rec *recorder) note(s string) error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.calls = append(rec.calls, s)
	return nil
}

func handle[E Event](rec *recorder, name string) Handler[E] {
	return func(_ context.Context, _ *Delivery, e E) error { return rec.note(name) }
}

func (rec *recorder) register(x *Dispatcher) {
	x.OnTweetCreate(handle[*TweetCreateEvent](rec, "tweet_create"))
	x.OnFavorite(handle[*FavoriteEvent](rec, "favorite"))
	x.OnFollow(handle[*FollowEvent](rec, "follow"))
	x.OnBlock(handle[*BlockEvent](rec, "block"))
	x.OnMute(handle[*MuteEvent](rec, "mute"))
	x.OnDirectMessage(handle[*DirectMessage](rec, "direct_message"))
	x.OnTyping(handle[*TypingEvent](rec, "typing"))
	x.OnMarkRead(handle[*MarkReadEvent](rec, "mark_read"))
	x.OnTweetDelete(handle[*TweetDeleteEvent](rec, "tweet_delete"))
	x.OnRevoke(handle[*RevokeEvent](rec, "revoke"))
	x.OnReplayJobStatus(handle[*ReplayJobStatus](rec, "replay_job_status"))
	x.OnProfileUpdate(handle[*ProfileUpdateEvent](rec, "profile_update"))
	x.OnActivity(handle[*ActivityEvent](rec, "activity"))
	x.OnUnknown(handle[*UnknownEvent](rec, "unknown"))
}

func TestDispatchReachesKindHandler(t *testing.T) {
	want := map[string][]string{
		"block.json":                   {"block"},
		"dm_batch.json":                {"direct_message", "direct_message"},
		"dm_media_attachment.json":     {"direct_message"},
		"dm_quick_reply_response.json": {"direct_message"},
		"dm_received.json":             {"direct_message"},
		"dm_sent_echo.json":            {"direct_message"},
		"dm_unicode_raw.json":          {"direct_message"},
		"favorite.json":                {"favorite"},
		"follow.json":                  {"follow"},
		"mark_read.json":               {"mark_read"},
		"mute.json":                    {"mute"},
		"replay_job_status.json":       {"replay_job_status"},
		"tweet_create_longform.json":   {"tweet_create"},
		"tweet_create_mention.json":    {"tweet_create"},
		"tweet_delete.json":            {"tweet_delete"},
		"typing.json":                  {"typing"},
		"unblock.json":                 {"block"},
		"unfollow.json":                {"follow"},
		"unknown_event_key.json":       {"unknown"},
		"unmute.json":                  {"mute"},
		"user_event_revoke.json":       {"revoke"},
		"xaa_dm_received.json":         {"direct_message"},
		"xaa_follow.json":              {"follow"},
		"xaa_oauth_revoke.json":        {"revoke"},
		"xaa_profile_update_bio.json":  {"profile_update"},
	}
	for _, f := range fixtures.LoadDeliveries(t) {
		t.Run(f.Name, func(t *testing.T) {
			d, err := Decode(f.Body)
			if err != nil {
				t.Fatal(err)
			}
			var rec recorder
			var x Dispatcher
			rec.register(&x)
			if err := x.Dispatch(context.Background(), d); err != nil {
				t.Fatalf("Dispatch: %v", err)
			}
			if diff := cmp.Diff(want[f.Name], rec.calls); diff != "" {
				t.Errorf("handler calls mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDispatchActivity(t *testing.T) {
	d, _ := decodeOne(t, `{"data":{"event_type":"like.create","payload":{"id":"1"}}}`)
	var rec recorder
	var x Dispatcher
	rec.register(&x)
	if err := x.Dispatch(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"activity"}, rec.calls); diff != "" {
		t.Errorf("handler calls mismatch (-want +got):\n%s", diff)
	}
}

func TestDispatchOrder(t *testing.T) {
	d, err := Decode(fixtures.LoadDelivery(t, "dm_batch.json").Body)
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	var x Dispatcher
	x.OnDirectMessage(func(_ context.Context, _ *Delivery, e *DirectMessage) error {
		calls = append(calls, "dm1 "+e.Text)
		return nil
	})
	x.OnEvent(func(_ context.Context, _ *Delivery, e Event) error {
		calls = append(calls, "event1 "+string(e.Kind()))
		return nil
	})
	x.OnDirectMessage(func(_ context.Context, _ *Delivery, e *DirectMessage) error {
		calls = append(calls, "dm2 "+e.Text)
		return nil
	})
	x.OnEvent(func(_ context.Context, _ *Delivery, e Event) error {
		calls = append(calls, "event2 "+string(e.Kind()))
		return nil
	})
	if err := x.Dispatch(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"event1 direct_message", "event2 direct_message", "dm1 first", "dm2 first",
		"event1 direct_message", "event2 direct_message", "dm1 second", "dm2 second",
	}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("call order mismatch (-want +got):\n%s", diff)
	}
}

func TestDispatchJoinsErrors(t *testing.T) {
	d, err := Decode(fixtures.LoadDelivery(t, "dm_batch.json").Body)
	if err != nil {
		t.Fatal(err)
	}
	errFirst := errors.New("store unavailable")
	errHook := errors.New("hook failed")
	var texts []string
	var x Dispatcher
	x.OnEvent(func(context.Context, *Delivery, Event) error { return errHook })
	x.OnDirectMessage(func(_ context.Context, _ *Delivery, e *DirectMessage) error {
		texts = append(texts, e.Text)
		if e.Text == "first" {
			return errFirst
		}
		return nil
	})
	err = x.Dispatch(context.Background(), d)
	if !errors.Is(err, errFirst) || !errors.Is(err, errHook) {
		t.Errorf("Dispatch error %v does not wrap both handler errors", err)
	}
	if diff := cmp.Diff([]string{"first", "second"}, texts); diff != "" {
		t.Errorf("handled DMs mismatch (-want +got):\n%s", diff)
	}
	const wantMsg = "accountactivity: direct_message handler: store unavailable"
	if lines := strings.Split(err.Error(), "\n"); !slices.Contains(lines, wantMsg) {
		t.Errorf("error text %q lacks the line %q", err, wantMsg)
	}
}

func TestDispatchStopsWhenContextDone(t *testing.T) {
	d, err := Decode(fixtures.LoadDelivery(t, "dm_batch.json").Body)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	handled := 0
	var x Dispatcher
	x.OnDirectMessage(func(context.Context, *Delivery, *DirectMessage) error {
		handled++
		cancel()
		return nil
	})
	err = x.Dispatch(ctx, d)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Dispatch error = %v, want context.Canceled", err)
	}
	if handled != 1 {
		t.Errorf("handled %d DMs, want 1", handled)
	}
}

func TestDispatchEventContextDone(t *testing.T) {
	d, err := Decode(fixtures.LoadDelivery(t, "dm_received.json").Body)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	var x Dispatcher
	x.OnEvent(func(context.Context, *Delivery, Event) error {
		called = true
		return nil
	})
	if err := x.DispatchEvent(ctx, d, d.Events[0]); !errors.Is(err, context.Canceled) {
		t.Errorf("DispatchEvent error = %v, want context.Canceled", err)
	}
	if called {
		t.Errorf("a handler ran after the context was canceled")
	}
}

func TestDispatchUnknownRaw(t *testing.T) {
	f := fixtures.LoadDelivery(t, "unknown_event_key.json")
	d, err := Decode(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var x Dispatcher
	x.OnUnknown(func(_ context.Context, _ *Delivery, e *UnknownEvent) error {
		got = append(got, e.Key+" "+string(e.Raw()))
		return nil
	})
	if err := x.Dispatch(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	want := []string{`bookmark_events {"type":"bookmark","created_timestamp":"1764851300040","source":{"id":"1470000000000000777"}}`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OnUnknown calls mismatch (-want +got):\n%s", diff)
	}
}

func TestDispatchEventSingle(t *testing.T) {
	d, err := Decode(fixtures.LoadDelivery(t, "dm_batch.json").Body)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	var x Dispatcher
	x.OnDirectMessage(func(_ context.Context, _ *Delivery, e *DirectMessage) error {
		texts = append(texts, e.Text)
		return nil
	})
	if err := x.DispatchEvent(context.Background(), d, d.Events[1]); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"second"}, texts); diff != "" {
		t.Errorf("handled DMs mismatch (-want +got):\n%s", diff)
	}
}

func TestDispatchZeroValue(t *testing.T) {
	d, err := Decode(fixtures.LoadDelivery(t, "dm_received.json").Body)
	if err != nil {
		t.Fatal(err)
	}
	var x Dispatcher
	if err := x.Dispatch(context.Background(), d); err != nil {
		t.Errorf("Dispatch without handlers = %v, want nil", err)
	}
}

func TestDispatchConcurrent(t *testing.T) {
	d, err := Decode(fixtures.LoadDelivery(t, "dm_batch.json").Body)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	names := map[string]int{}
	var x Dispatcher
	x.OnDirectMessage(func(_ context.Context, d *Delivery, e *DirectMessage) error {
		u, ok := d.User(e.SenderID)
		if !ok {
			return fmt.Errorf("sender %s not found", e.SenderID)
		}
		mu.Lock()
		names[u.ScreenName]++
		mu.Unlock()
		return nil
	})

	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() { errs <- x.Dispatch(context.Background(), d) })
	}
	wg.Wait()
	close(errs)

	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	want := map[string]int{"ana_cliente": workers, "bao_tran": workers}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("senders mismatch (-want +got):\n%s", diff)
	}
}
