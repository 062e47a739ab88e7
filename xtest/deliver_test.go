package xtest

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDeliver(t *testing.T) {
	f := newHookFixture(t)
	receiver, rec := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhook(receiver.URL)
	body := []byte(`{"for_user_id":"1","direct_message_events":[]}`)

	status, err := f.srv.Deliver(context.Background(), id, body)
	if err != nil || status != 200 {
		t.Fatalf("Deliver = %d, %v, want 200, nil", status, err)
	}
	if diff := cmp.Diff([]string{string(body)}, rec.received()); diff != "" {
		t.Errorf("received bodies mismatch (-want +got):\n%s", diff)
	}
	want := []Delivery{{WebhookID: id, Body: body, Time: f.clock.Now(), Status: 200, Attempt: 1}}
	if diff := cmp.Diff(want, f.srv.Deliveries(id)); diff != "" {
		t.Errorf("Deliveries mismatch (-want +got):\n%s", diff)
	}
}

func TestDeliverInvalidWebhook(t *testing.T) {
	f := newHookFixture(t)
	receiver, rec := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhook(receiver.URL)
	if err := f.srv.InvalidateWebhook(id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Deliver(context.Background(), id, []byte(`{}`)); err == nil {
		t.Error("Deliver to an invalid webhook succeeded")
	}
	if got := rec.received(); len(got) != 0 {
		t.Errorf("receiver got %q, want nothing", got)
	}
	if got := f.srv.Deliveries(id); len(got) != 1 || got[0].Status != 0 {
		t.Errorf("Deliveries = %+v, want one unsent delivery", got)
	}
	if _, err := f.srv.Deliver(context.Background(), "1", []byte(`{}`)); err == nil {
		t.Error("Deliver to an unknown webhook succeeded")
	}
}

func TestDeliverDM(t *testing.T) {
	f := newHookFixture(t)
	receiver, rec := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhook(receiver.URL)
	f.subscribe(f.alice, id)

	eventID, err := f.srv.DeliverDM(context.Background(), f.bob.ID, f.alice.ID, "hello")
	if err != nil {
		t.Fatalf("DeliverDM: %v", err)
	}
	got := rec.received()
	if len(got) != 1 {
		t.Fatalf("receiver got %d deliveries, want 1 for the one subscribed user", len(got))
	}
	body := decodeJSON(t, got[0])
	if body["for_user_id"] != f.alice.ID {
		t.Errorf("for_user_id = %v, want %s", body["for_user_id"], f.alice.ID)
	}
	events, _ := body["direct_message_events"].([]any)
	if len(events) != 1 {
		t.Fatalf("direct_message_events = %v, want one event", body["direct_message_events"])
	}
	event := events[0].(map[string]any)
	mc := event["message_create"].(map[string]any)
	if event["id"] != eventID || mc["sender_id"] != f.bob.ID ||
		mc["target"].(map[string]any)["recipient_id"] != f.alice.ID ||
		mc["message_data"].(map[string]any)["text"] != "hello" {
		t.Errorf("event = %v, want %s from %s to %s with text hello", event, eventID, f.bob.ID, f.alice.ID)
	}
	users := body["users"].(map[string]any)
	for _, u := range []User{f.alice, f.bob} {
		if entry, ok := users[u.ID].(map[string]any); !ok || entry["screen_name"] != u.Username {
			t.Errorf("users[%s] = %v, want screen_name %s", u.ID, users[u.ID], u.Username)
		}
	}

	f.subscribe(f.bob, id)
	if _, err := f.srv.DeliverDM(context.Background(), f.bob.ID, f.alice.ID, "again"); err != nil {
		t.Fatalf("DeliverDM: %v", err)
	}
	got = rec.received()[1:]
	var forUsers []string
	for _, b := range got {
		forUsers = append(forUsers, decodeJSON(t, b)["for_user_id"].(string))
	}
	if diff := cmp.Diff([]string{f.alice.ID, f.bob.ID}, forUsers); diff != "" {
		t.Errorf("for_user_id of the copies mismatch (-want +got):\n%s", diff)
	}
}

func TestDeliverDMUnknownUser(t *testing.T) {
	f := newHookFixture(t)
	if _, err := f.srv.DeliverDM(context.Background(), "1", f.alice.ID, "x"); err == nil {
		t.Error("DeliverDM from an unknown user succeeded")
	}
	if _, err := f.srv.DeliverDM(context.Background(), f.alice.ID, "1", "x"); err == nil {
		t.Error("DeliverDM to an unknown user succeeded")
	}
}

func TestDMEndpointsDeliver(t *testing.T) {
	f := newHookFixture(t)
	receiver, rec := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhook(receiver.URL)
	f.subscribe(f.alice, id)

	resp := f.call(f.user(f.bob), "POST", "/2/dm_conversations/with/"+f.alice.ID+"/messages", `{"text":"to alice"}`)
	if resp.status != http.StatusCreated {
		t.Fatalf("v2 send = %d %s, want 201", resp.status, resp.body)
	}
	v11 := `{"event":{"type":"message_create","message_create":{"target":{"recipient_id":"` + f.bob.ID +
		`"},"message_data":{"text":"to bob"}}}}`
	resp = f.call(f.user(f.alice), "POST", "/1.1/direct_messages/events/new.json", v11)
	if resp.status != http.StatusOK {
		t.Fatalf("v1.1 send = %d %s, want 200", resp.status, resp.body)
	}

	got := rec.received()
	if len(got) != 2 {
		t.Fatalf("receiver got %d deliveries, want 2: %q", len(got), got)
	}
	for i, want := range []struct{ sender, text string }{{f.bob.ID, "to alice"}, {f.alice.ID, "to bob"}} {
		body := decodeJSON(t, got[i])
		if body["for_user_id"] != f.alice.ID {
			t.Errorf("delivery %d: for_user_id = %v, want %s", i, body["for_user_id"], f.alice.ID)
		}
		mc := body["direct_message_events"].([]any)[0].(map[string]any)["message_create"].(map[string]any)
		if mc["sender_id"] != want.sender || mc["message_data"].(map[string]any)["text"] != want.text {
			t.Errorf("delivery %d: message_create = %v, want sender %s and text %q", i, mc, want.sender, want.text)
		}
	}
}
