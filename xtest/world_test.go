package xtest

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/webhook"
)

// signedRecorder keeps every delivery that a webhook.Handler accepted,
// with its signature header, in arrival order.
type signedRecorder struct {
	url string
	mu  sync.Mutex
	got []signedDelivery
}

type signedDelivery struct {
	body      []byte
	signature string
}

// newSignedReceiver starts a webhook.Handler for consumer secret secret and
// returns its webhook URL and the recorder of what it accepts.
func newSignedReceiver(t *testing.T, secret string) (string, *signedRecorder) {
	t.Helper()
	rec := &signedRecorder{}
	ts := httptest.NewServer(&webhook.Handler{
		ConsumerSecrets: []string{secret},
		Receiver: webhook.ReceiverFunc(func(_ context.Context, d *webhook.Delivery) error {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.got = append(rec.got, signedDelivery{d.Body, d.Header.Get(webhook.SignatureHeader)})
			return nil
		}),
	})
	t.Cleanup(ts.Close)
	rec.url = ts.URL + "/webhook"
	return rec.url, rec
}

func (r *signedRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// since returns the deliveries after the first n.
func (r *signedRecorder) since(n int) []signedDelivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]signedDelivery(nil), r.got[n:]...)
}

// wantBody is one delivery that a world event must produce, in order:
// an Account Activity body when eventType is empty, else an X Activity API
// envelope of that type.
type wantBody struct {
	forUser   string
	kind      accountactivity.Kind
	eventType string
	tag       string
	check     func(t *testing.T, d *accountactivity.Delivery)
}

func aaa(forUser string, kind accountactivity.Kind, check func(*testing.T, *accountactivity.Delivery)) wantBody {
	return wantBody{forUser: forUser, kind: kind, check: check}
}

// xaa returns the envelope of eventType for the subscription tagged with
// the event type, which the world test creates for alice.
func xaa(forUser string, kind accountactivity.Kind, eventType string, check func(*testing.T, *accountactivity.Delivery)) wantBody {
	return wantBody{forUser: forUser, kind: kind, eventType: eventType, tag: eventType, check: check}
}

// worldFixture is an activityFixture where alice and bob are subscribed
// to the webhook for all account activity, and alice, through the X
// Activity API, to every event type the world produces, each subscription
// tagged with its event type. bob has one X Activity API subscription, to
// follow.follow with direction inbound, tagged "bob-followers".
type worldFixture struct {
	*activityFixture
}

func newWorldFixture(t *testing.T) *worldFixture {
	t.Helper()
	f := &worldFixture{newActivityFixture(t)}
	f.subscribe(f.alice, f.webhookID)
	f.subscribe(f.bob, f.webhookID)
	for _, eventType := range []string{
		"follow.follow", "follow.unfollow", "block.block", "block.unblock", "mute.mute", "mute.unmute",
		"dm.received", "dm.sent", "dm.indicate_typing", "dm.read",
		"post.create", "post.mention.create", "post.delete", "like.create", "profile.update.bio",
	} {
		f.subscribeActivity(f.aliceX, accountactivity.ActivitySubscription{
			EventType: eventType, Filter: accountactivity.Filter{UserID: f.alice.ID},
			Tag: eventType, WebhookID: f.webhookID,
		})
		if eventType == "follow.follow" {
			f.subscribeActivity(f.bearer, accountactivity.ActivitySubscription{
				EventType: eventType, Tag: "bob-followers", WebhookID: f.webhookID,
				Filter: accountactivity.Filter{UserID: f.bob.ID, Direction: accountactivity.DirectionInbound},
			})
		}
	}
	return f
}

// only returns the single event of d as a T, failing the test otherwise.
func only[T accountactivity.Event](t *testing.T, d *accountactivity.Delivery) T {
	t.Helper()
	var zero T
	if len(d.Events) != 1 {
		t.Fatalf("delivery has %d events, want 1", len(d.Events))
	}
	e, ok := d.Events[0].(T)
	if !ok {
		t.Fatalf("event is %T, want %T", d.Events[0], zero)
	}
	return e
}

// payloadID returns the id member of an X Activity API payload.
func payloadID(t *testing.T, d *accountactivity.Delivery) string {
	t.Helper()
	var p struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(d.Envelope.Payload, &p); err != nil {
		t.Fatalf("payload %s: %v", d.Envelope.Payload, err)
	}
	return p.ID
}

func TestWorldEventsInBothFamilies(t *testing.T) {
	f := newWorldFixture(t)
	alice, bob := f.alice.ID, f.bob.ID
	ctx := context.Background()
	var (
		dmToBob, mentionID, longID string
		longText                   = "Our winter sale starts now, with " + strings.Repeat("more words and ", 10) + "the end."
	)

	relation := func(typ, source, target string) func(*testing.T, *accountactivity.Delivery) {
		return func(t *testing.T, d *accountactivity.Delivery) {
			var got [3]string
			switch e := d.Events[0].(type) {
			case *accountactivity.FollowEvent:
				got = [3]string{e.Type, e.Source.ID, e.Target.ID}
			case *accountactivity.BlockEvent:
				got = [3]string{e.Type, e.Source.ID, e.Target.ID}
			case *accountactivity.MuteEvent:
				got = [3]string{e.Type, e.Source.ID, e.Target.ID}
			}
			if want := [3]string{typ, source, target}; got != want {
				t.Errorf("type, source, target = %v, want %v", got, want)
			}
		}
	}
	dm := func(sender, text string) func(*testing.T, *accountactivity.Delivery) {
		return func(t *testing.T, d *accountactivity.Delivery) {
			m := only[*accountactivity.DirectMessage](t, d)
			if m.SenderID != sender || m.Text != text {
				t.Errorf("DM from %s %q, want from %s %q", m.SenderID, m.Text, sender, text)
			}
		}
	}
	mention := func(blocked bool) func(*testing.T, *accountactivity.Delivery) {
		return func(t *testing.T, d *accountactivity.Delivery) {
			tw := only[*accountactivity.TweetCreateEvent](t, d)
			if tw.ID != mentionID || tw.User.ID != bob || len(tw.Entities.UserMentions) != 1 ||
				tw.Entities.UserMentions[0].ID != alice {
				t.Errorf("post %+v, want %s by %s mentioning %s", tw.Tweet, mentionID, bob, alice)
			}
			if d.ForUserID == alice && d.UserHasBlocked != blocked {
				t.Errorf("user_has_blocked = %v, want %v", d.UserHasBlocked, blocked)
			}
		}
	}
	postID := func(id *string) func(*testing.T, *accountactivity.Delivery) {
		return func(t *testing.T, d *accountactivity.Delivery) {
			if got := payloadID(t, d); got != *id {
				t.Errorf("payload id = %s, want %s", got, *id)
			}
		}
	}

	tests := []struct {
		name string
		act  func() error
		want []wantBody
	}{
		{"follow", func() error { return f.srv.Follow(ctx, alice, bob) }, []wantBody{
			aaa(bob, accountactivity.KindFollow, relation("follow", alice, bob)),
			aaa(alice, accountactivity.KindFollow, relation("follow", alice, bob)),
			xaa(alice, accountactivity.KindFollow, "follow.follow", relation("follow", alice, bob)),
			{forUser: bob, kind: accountactivity.KindFollow, eventType: "follow.follow", tag: "bob-followers"},
		}},
		{"follow back misses outbound filter", func() error { return f.srv.Follow(ctx, bob, alice) }, []wantBody{
			aaa(alice, accountactivity.KindFollow, relation("follow", bob, alice)),
			aaa(bob, accountactivity.KindFollow, nil),
			xaa(alice, accountactivity.KindFollow, "follow.follow", relation("follow", bob, alice)),
		}},
		{"unfollow", func() error { return f.srv.Unfollow(ctx, alice, bob) }, []wantBody{
			aaa(bob, accountactivity.KindFollow, relation("unfollow", alice, bob)),
			aaa(alice, accountactivity.KindFollow, nil),
			xaa(alice, accountactivity.KindFollow, "follow.unfollow", relation("unfollow", alice, bob)),
		}},
		{"block", func() error { return f.srv.Block(ctx, alice, bob) }, []wantBody{
			aaa(alice, accountactivity.KindBlock, relation("block", alice, bob)),
			xaa(alice, accountactivity.KindBlock, "block.block", relation("block", alice, bob)),
		}},
		{"mention by blocked user", func() (err error) {
			mentionID, err = f.srv.Post(ctx, bob, "hi @"+strings.ToUpper(f.alice.Username)+", still open?")
			return err
		}, []wantBody{
			aaa(bob, accountactivity.KindTweetCreate, mention(false)),
			aaa(alice, accountactivity.KindTweetCreate, mention(true)),
			xaa(alice, accountactivity.KindActivity, "post.mention.create", postID(&mentionID)),
		}},
		{"unblock", func() error { return f.srv.Unblock(ctx, alice, bob) }, []wantBody{
			aaa(alice, accountactivity.KindBlock, relation("unblock", alice, bob)),
			xaa(alice, accountactivity.KindBlock, "block.unblock", relation("unblock", alice, bob)),
		}},
		{"mute", func() error { return f.srv.Mute(ctx, alice, bob) }, []wantBody{
			aaa(alice, accountactivity.KindMute, relation("mute", alice, bob)),
			xaa(alice, accountactivity.KindMute, "mute.mute", relation("mute", alice, bob)),
		}},
		{"unmute", func() error { return f.srv.Unmute(ctx, alice, bob) }, []wantBody{
			aaa(alice, accountactivity.KindMute, relation("unmute", alice, bob)),
			xaa(alice, accountactivity.KindMute, "mute.unmute", relation("unmute", alice, bob)),
		}},
		{"DM received", func() error {
			_, err := f.srv.DeliverDM(ctx, bob, alice, "is it in stock?")
			return err
		}, []wantBody{
			aaa(alice, accountactivity.KindDirectMessage, dm(bob, "is it in stock?")),
			aaa(bob, accountactivity.KindDirectMessage, dm(bob, "is it in stock?")),
			xaa(alice, accountactivity.KindDirectMessage, "dm.received", dm(bob, "is it in stock?")),
		}},
		{"DM sent", func() (err error) {
			dmToBob, err = f.srv.DeliverDM(ctx, alice, bob, "yes, sizes M and L")
			return err
		}, []wantBody{
			aaa(bob, accountactivity.KindDirectMessage, dm(alice, "yes, sizes M and L")),
			aaa(alice, accountactivity.KindDirectMessage, func(t *testing.T, d *accountactivity.Delivery) {
				if m := only[*accountactivity.DirectMessage](t, d); !m.Outgoing(alice) {
					t.Errorf("alice's copy of her own DM is not outgoing: %+v", m)
				}
			}),
			xaa(alice, accountactivity.KindDirectMessage, "dm.sent", dm(alice, "yes, sizes M and L")),
		}},
		{"typing", func() error { return f.srv.Typing(ctx, bob, alice) }, []wantBody{
			aaa(alice, accountactivity.KindTyping, nil),
			xaa(alice, accountactivity.KindTyping, "dm.indicate_typing", func(t *testing.T, d *accountactivity.Delivery) {
				if e := only[*accountactivity.TypingEvent](t, d); e.SenderID != bob || e.RecipientID != alice {
					t.Errorf("typing %+v, want %s typing to %s", e, bob, alice)
				}
			}),
		}},
		{"read receipt", func() error { return f.srv.MarkRead(ctx, bob, alice, dmToBob) }, []wantBody{
			aaa(alice, accountactivity.KindMarkRead, nil),
			xaa(alice, accountactivity.KindMarkRead, "dm.read", func(t *testing.T, d *accountactivity.Delivery) {
				e := only[*accountactivity.MarkReadEvent](t, d)
				if e.SenderID != bob || e.RecipientID != alice || e.LastReadEventID != dmToBob {
					t.Errorf("read receipt %+v, want %s read %s of %s", e, bob, dmToBob, alice)
				}
			}),
		}},
		{"long post", func() (err error) {
			longID, err = f.srv.Post(ctx, alice, longText)
			return err
		}, []wantBody{
			aaa(alice, accountactivity.KindTweetCreate, func(t *testing.T, d *accountactivity.Delivery) {
				tw := only[*accountactivity.TweetCreateEvent](t, d)
				if !tw.Truncated || tw.FullText != longText || len([]rune(tw.Text)) != 140 {
					t.Errorf("long post: truncated %v, text %q, full text %q", tw.Truncated, tw.Text, tw.FullText)
				}
			}),
			xaa(alice, accountactivity.KindActivity, "post.create", postID(&longID)),
		}},
		{"like", func() error { return f.srv.Like(ctx, bob, longID) }, []wantBody{
			aaa(alice, accountactivity.KindFavorite, func(t *testing.T, d *accountactivity.Delivery) {
				e := only[*accountactivity.FavoriteEvent](t, d)
				if e.FavoritedStatus.ID != longID || e.User.ID != bob || len(e.ID) != 32 {
					t.Errorf("favorite %+v, want %s liking %s", e, bob, longID)
				}
			}),
			aaa(bob, accountactivity.KindFavorite, nil),
			xaa(alice, accountactivity.KindActivity, "like.create", nil),
		}},
		{"delete post", func() error { return f.srv.DeletePost(ctx, longID) }, []wantBody{
			aaa(alice, accountactivity.KindTweetDelete, func(t *testing.T, d *accountactivity.Delivery) {
				if e := only[*accountactivity.TweetDeleteEvent](t, d); e.StatusID != longID || e.UserID != alice {
					t.Errorf("deleted %+v, want post %s of %s", e, longID, alice)
				}
			}),
			xaa(alice, accountactivity.KindActivity, "post.delete", postID(&longID)),
		}},
		{"delete mention", func() error { return f.srv.DeletePost(ctx, mentionID) }, []wantBody{
			aaa(bob, accountactivity.KindTweetDelete, nil),
			aaa(alice, accountactivity.KindTweetDelete, nil),
		}},
		{"profile update", func() error { return f.srv.UpdateProfile(ctx, alice, ProfileBio, "Coffee. Porto.") }, []wantBody{
			xaa(alice, accountactivity.KindProfileUpdate, "profile.update.bio", func(t *testing.T, d *accountactivity.Delivery) {
				e := only[*accountactivity.ProfileUpdateEvent](t, d)
				if e.Field != "bio" || e.BeforeText != "" || e.AfterText != "Coffee. Porto." {
					t.Errorf("profile update %+v, want bio from empty to the new text", e)
				}
			}),
		}},
		{"revoke", func() error { return f.srv.Revoke(ctx, f.app.ID, alice) }, []wantBody{
			{kind: accountactivity.KindRevoke},
			{kind: accountactivity.KindRevoke, eventType: "oauth.revoke", check: func(t *testing.T, d *accountactivity.Delivery) {
				if e := only[*accountactivity.RevokeEvent](t, d); e.UserID != alice || e.AppID != f.app.ID {
					t.Errorf("revoke %+v, want %s revoking app %s", e, alice, f.app.ID)
				}
			}},
		}},
		{"unfollow after revoke", func() error { return f.srv.Unfollow(ctx, bob, alice) }, []wantBody{
			aaa(bob, accountactivity.KindFollow, relation("unfollow", bob, alice)),
			xaa(alice, accountactivity.KindFollow, "follow.unfollow", nil),
		}},
		{"typing after revoke", func() error { return f.srv.Typing(ctx, bob, alice) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := f.received.count()
			if err := tt.act(); err != nil {
				t.Fatalf("act: %v", err)
			}
			checkWorldDeliveries(t, f.received.since(n), tt.want, f.app.ConsumerSecret)
		})
	}
	if got, want := len(f.srv.Deliveries(f.webhookID)), f.received.count(); got != want {
		t.Errorf("server recorded %d deliveries, the webhook accepted %d", got, want)
	}
}

// checkWorldDeliveries checks that got are the deliveries want describes,
// in order, each signed with secret and decoding with no errors.
func checkWorldDeliveries(t *testing.T, got []signedDelivery, want []wantBody, secret string) {
	t.Helper()
	if len(got) != len(want) {
		var bodies []string
		for _, g := range got {
			bodies = append(bodies, string(g.body))
		}
		t.Fatalf("got %d deliveries, want %d:\n%s", len(got), len(want), strings.Join(bodies, "\n"))
	}
	for i, g := range got {
		w := want[i]
		if err := webhook.Verify(g.body, g.signature, secret); err != nil {
			t.Errorf("delivery %d: signature: %v", i, err)
		}
		d, err := accountactivity.Decode(g.body)
		if err != nil {
			t.Fatalf("delivery %d: Decode(%s): %v", i, g.body, err)
		}
		if len(d.Errors) > 0 {
			t.Errorf("delivery %d: decoding errors %v in %s", i, d.Errors[0].Err, g.body)
		}
		if kinds := d.Kinds(); len(kinds) != 1 || kinds[0] != w.kind {
			t.Errorf("delivery %d: kinds %v, want [%s] in %s", i, kinds, w.kind, g.body)
			continue
		}
		if d.ForUserID != w.forUser {
			t.Errorf("delivery %d: for user %q, want %q", i, d.ForUserID, w.forUser)
		}
		switch {
		case w.eventType == "" && d.Envelope != nil:
			t.Errorf("delivery %d: an X Activity API envelope, want an Account Activity body: %s", i, g.body)
		case w.eventType != "" && d.Envelope == nil:
			t.Errorf("delivery %d: an Account Activity body, want a %s envelope: %s", i, w.eventType, g.body)
		case w.eventType != "" && (d.Envelope.EventType != w.eventType || d.Envelope.Tag != w.tag):
			t.Errorf("delivery %d: event type %q tag %q, want %q tag %q",
				i, d.Envelope.EventType, d.Envelope.Tag, w.eventType, w.tag)
		}
		if w.check != nil {
			w.check(t, d)
		}
	}
}
