package xtest

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/goodgo/xactivity/accountactivity"
)

func TestWorldRejectsInvalidActions(t *testing.T) {
	f := newActivityFixture(t)
	f.subscribe(f.alice, f.webhookID)
	f.subscribe(f.bob, f.webhookID)
	ctx := context.Background()
	alice, bob := f.alice.ID, f.bob.ID
	const unknown = "1600000000000009999"
	if err := f.srv.Follow(ctx, alice, bob); err != nil {
		t.Fatal(err)
	}
	postID, err := f.srv.Post(ctx, alice, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Like(ctx, bob, postID); err != nil {
		t.Fatal(err)
	}
	other, err := f.srv.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		act  func() error
	}{
		{"follow unknown user", func() error { return f.srv.Follow(ctx, alice, unknown) }},
		{"follow oneself", func() error { return f.srv.Follow(ctx, alice, alice) }},
		{"follow twice", func() error { return f.srv.Follow(ctx, alice, bob) }},
		{"unfollow without follow", func() error { return f.srv.Unfollow(ctx, bob, alice) }},
		{"unblock without block", func() error { return f.srv.Unblock(ctx, alice, bob) }},
		{"unmute without mute", func() error { return f.srv.Unmute(ctx, alice, bob) }},
		{"typing to unknown user", func() error { return f.srv.Typing(ctx, alice, unknown) }},
		{"read receipt for unknown event", func() error { return f.srv.MarkRead(ctx, bob, alice, "1900000000000009999") }},
		{"empty post", func() (err error) { _, err = f.srv.Post(ctx, alice, ""); return err }},
		{"post too long", func() (err error) { _, err = f.srv.Post(ctx, alice, strings.Repeat("a", maxPostRunes+1)); return err }},
		{"post by unknown user", func() (err error) { _, err = f.srv.Post(ctx, unknown, "hi"); return err }},
		{"like twice", func() error { return f.srv.Like(ctx, bob, postID) }},
		{"like unknown post", func() error { return f.srv.Like(ctx, bob, "2000000000000009999") }},
		{"delete unknown post", func() error { return f.srv.DeletePost(ctx, "2000000000000009999") }},
		{"unknown profile field", func() error { return f.srv.UpdateProfile(ctx, alice, "avatar", "x") }},
		{"empty display name", func() error { return f.srv.UpdateProfile(ctx, alice, ProfileScreenName, "") }},
		{"taken handle", func() error { return f.srv.UpdateProfile(ctx, alice, ProfileHandle, strings.ToUpper(f.bob.Username)) }},
		{"profile of unknown user", func() error { return f.srv.UpdateProfile(ctx, unknown, ProfileBio, "x") }},
		{"revoke without grant", func() error { return f.srv.Revoke(ctx, other.ID, alice) }},
		{"revoke for unknown app", func() error { return f.srv.Revoke(ctx, "999", alice) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.received.count()
			err := tt.act()
			if err == nil || !strings.HasPrefix(err.Error(), "xtest: ") {
				t.Errorf("error = %v, want an xtest error", err)
			}
			if n := f.received.count() - before; n != 0 {
				t.Errorf("a rejected action delivered %d bodies", n)
			}
		})
	}

	// A like of a deleted post fails, because the like went with the post.
	if err := f.srv.DeletePost(ctx, postID); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Like(ctx, bob, postID); err == nil {
		t.Error("like of a deleted post succeeded")
	}
	if err := f.srv.DeletePost(ctx, postID); err == nil {
		t.Error("second deletion of a post succeeded")
	}
}

func TestFindMentions(t *testing.T) {
	s := New()
	app, err := s.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []User{{ID: "11", Username: "Shop_Demo", Name: "Shop"}, {ID: "22", Username: "ana", Name: "Ana"}} {
		if _, err := s.AddUser(app.ID, u); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		text string
		want []mention
	}{
		{"@shop_demo hi", []mention{{userID: "11", username: "Shop_Demo", name: "Shop", start: 0, end: 10}}},
		{"é @ANA, @ana!", []mention{
			{userID: "22", username: "ana", name: "Ana", start: 2, end: 6},
			{userID: "22", username: "ana", name: "Ana", start: 8, end: 12},
		}},
		{"mail me at x@ana or @@ana", nil},
		{"@anabel and @nobody and @", nil},
	}
	for _, tt := range tests {
		got := s.findMentions(tt.text)
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(mention{})); diff != "" {
			t.Errorf("findMentions(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}

func TestWorldKeywordAndHandleChanges(t *testing.T) {
	f := newActivityFixture(t)
	ctx := context.Background()
	f.subscribeActivity(f.bearer, accountactivity.ActivitySubscription{
		EventType: accountactivity.EventPostCreate, Filter: accountactivity.Filter{Keyword: "JACKET"},
		Tag: "jackets", WebhookID: f.webhookID,
	})
	f.subscribeActivity(f.bearer, accountactivity.ActivitySubscription{
		EventType: accountactivity.EventProfileUpdateHandle, Filter: accountactivity.Filter{UserID: f.alice.ID},
		WebhookID: f.webhookID,
	})
	f.subscribeActivity(f.aliceX, accountactivity.ActivitySubscription{
		EventType: accountactivity.EventPostMentionCreate, Filter: accountactivity.Filter{UserID: f.alice.ID},
		WebhookID: f.webhookID,
	})

	if _, err := f.srv.Post(ctx, f.bob.ID, "no match here"); err != nil {
		t.Fatal(err)
	}
	if n := f.received.count(); n != 0 {
		t.Fatalf("a post without the keyword produced %d deliveries", n)
	}
	if _, err := f.srv.Post(ctx, f.bob.ID, "New jackets are in"); err != nil {
		t.Fatal(err)
	}
	got := f.received.since(0)
	if len(got) != 1 || !strings.Contains(string(got[0].body), `"tag":"jackets"`) {
		t.Fatalf("deliveries %q, want one post.create tagged jackets", got)
	}

	if err := f.srv.UpdateProfile(ctx, f.alice.ID, ProfileHandle, "alice_shop"); err != nil {
		t.Fatal(err)
	}
	d, err := accountactivity.Decode(f.received.since(1)[0].body)
	if err != nil {
		t.Fatal(err)
	}
	e := only[*accountactivity.ProfileUpdateEvent](t, d)
	if e.Field != "handle" || e.BeforeText != f.alice.Username || e.AfterText != "alice_shop" {
		t.Errorf("handle change %+v, want from %s to alice_shop", e, f.alice.Username)
	}
	if u, _ := f.srv.User(f.app.ID, f.alice.ID); u.Username != "alice_shop" {
		t.Errorf("username after the change = %q, want alice_shop", u.Username)
	}
	if _, err := f.srv.Post(ctx, f.bob.ID, "thanks @Alice_Shop"); err != nil {
		t.Fatal(err)
	}
	if got := f.received.since(2); len(got) != 1 || !strings.Contains(string(got[0].body), `"post.mention.create"`) {
		t.Errorf("a mention of the new handle delivered %q, want one post.mention.create", got)
	}
}

func TestDMEndpointsFeedActivitySubscriptions(t *testing.T) {
	f := newActivityFixture(t)
	f.subscribeActivity(f.aliceX, accountactivity.ActivitySubscription{
		EventType: accountactivity.EventDMSent, Filter: accountactivity.Filter{UserID: f.alice.ID},
		Tag: "outbox", WebhookID: f.webhookID,
	})
	resp := f.call(f.user(f.alice), "POST", "/2/dm_conversations/with/"+f.bob.ID+"/messages", `{"text":"order shipped"}`)
	if resp.status != http.StatusCreated {
		t.Fatalf("send = %d %s", resp.status, resp.body)
	}
	got := f.received.since(0)
	if len(got) != 1 {
		t.Fatalf("got %d deliveries, want the dm.sent envelope", len(got))
	}
	d, err := accountactivity.Decode(got[0].body)
	if err != nil {
		t.Fatal(err)
	}
	m := only[*accountactivity.DirectMessage](t, d)
	if d.Envelope == nil || d.Envelope.EventType != "dm.sent" || d.Envelope.Tag != "outbox" ||
		m.Text != "order shipped" || !m.Outgoing(f.alice.ID) {
		t.Errorf("delivery %s, want alice's outgoing DM in a dm.sent envelope tagged outbox", got[0].body)
	}
}

func TestRevokeEndsAccess(t *testing.T) {
	f := newActivityFixture(t)
	ctx := context.Background()
	f.subscribe(f.alice, f.webhookID)
	f.subscribeActivity(f.aliceX, accountactivity.ActivitySubscription{
		EventType: accountactivity.EventDMReceived, Filter: accountactivity.Filter{UserID: f.alice.ID},
		WebhookID: f.webhookID,
	})
	public := f.subscribeActivity(f.bearer, accountactivity.ActivitySubscription{
		EventType: accountactivity.EventFollowFollow, Filter: accountactivity.Filter{UserID: f.alice.ID},
		WebhookID: f.webhookID,
	})
	if err := f.srv.Revoke(ctx, f.app.ID, f.alice.ID); err != nil {
		t.Fatal(err)
	}

	if status, body := get(t, f.srv.Client(f.app, f.alice), f.srv.URL()+"/2/users/me"); status != http.StatusUnauthorized {
		t.Errorf("revoked token: GET /2/users/me = %d %s, want 401", status, body)
	}
	if hooks := f.srv.Webhooks(f.app.ID); len(hooks[0].Subscribers) != 0 {
		t.Errorf("subscribers after revoke = %v, want none", hooks[0].Subscribers)
	}
	list, err := f.bearer.ActivitySubscriptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != public.ID {
		t.Errorf("activity subscriptions after revoke = %+v, want only the public %s", list, public.ID)
	}

	var revoke struct {
		Data struct {
			Filter    json.RawMessage `json:"filter"`
			EventType string          `json:"event_type"`
		} `json:"data"`
	}
	got := f.received.since(0)
	if len(got) != 2 {
		t.Fatalf("got %d deliveries, want user_event and oauth.revoke", len(got))
	}
	if err := json.Unmarshal(got[1].body, &revoke); err != nil {
		t.Fatal(err)
	}
	if revoke.Data.EventType != "oauth.revoke" || string(revoke.Data.Filter) != "{}" {
		t.Errorf("second delivery %s, want oauth.revoke with an empty filter", got[1].body)
	}
}

func TestWorldConcurrentActions(t *testing.T) {
	f := newActivityFixture(t)
	f.subscribe(f.alice, f.webhookID)
	ctx := context.Background()

	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			id, err := f.srv.Post(ctx, f.alice.ID, "post "+strconv.Itoa(i))
			if err == nil {
				err = f.srv.Like(ctx, f.bob.ID, id)
			}
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := f.bearer.CreateActivitySubscription(ctx, accountactivity.ActivitySubscription{
				EventType: accountactivity.EventNewsNew, Filter: accountactivity.Filter{Keyword: "k" + strconv.Itoa(i)},
				WebhookID: f.webhookID,
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)

	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	// Each post and each like reaches alice once.
	if got := f.received.count(); got != 2*n {
		t.Errorf("alice's webhook got %d deliveries, want %d", got, 2*n)
	}
	list, err := f.bearer.ActivitySubscriptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		t.Errorf("listed %d subscriptions, want %d", len(list), n)
	}
}
