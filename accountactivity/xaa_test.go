package accountactivity

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEventTypeNames(t *testing.T) {
	tests := []struct{ in, want string }{
		{"follow.follow", "follow.follow"},
		{"FollowFollow", "follow.follow"},
		{"FollowUnfollow", "follow.unfollow"},
		{"ProfileBioUpdate", "profile.update.bio"},
		{"ProfileUpdateBio", "profile.update.bio"},
		{"ProfilePictureUpdate", "profile.update.profile_picture"},
		{"ProfileBannerPictureUpdate", "profile.update.banner_picture"},
		{"DmReceived", "dm.received"},
		{"DMReceived", "dm.received"},
		{"PostMentionCreate", "post.mention.create"},
		{"ChatConversationJoin", "chat.conversation_join"},
		{"SomethingNew", "SomethingNew"},
		{"something.new", "something.new"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := normalizeEventType(tt.in); got != tt.want {
				t.Errorf("normalizeEventType(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestXAAPascalCaseKinds(t *testing.T) {
	tests := []struct {
		eventType string
		payload   string
		want      Event
	}{
		{"FollowFollow", `{"source":{"data":{"id":"7"}},"target":{"data":{"id":"1"}}}`,
			&FollowEvent{Type: "follow", Source: User{ID: "7"}, Target: User{ID: "1"}}},
		{"FollowUnfollow", `{"source":{"id":"7"},"target":{"id":"1"}}`,
			&FollowEvent{Type: "unfollow", Source: User{ID: "7"}, Target: User{ID: "1"}}},
		{"ProfileBioUpdate", `{"before":"a","after":"b"}`,
			&ProfileUpdateEvent{Field: "bio", Before: json.RawMessage(`"a"`), After: json.RawMessage(`"b"`), BeforeText: "a", AfterText: "b"}},
		{"block.unblock", `{"source":{"data":{"id":"1"}},"target":{"data":{"id":"9"}}}`,
			&BlockEvent{Type: "unblock", Source: User{ID: "1"}, Target: User{ID: "9"}}},
		{"mute.mute", `{"source":{"data":{"id":"1"}},"target":{"data":{"id":"9"}}}`,
			&MuteEvent{Type: "mute", Source: User{ID: "1"}, Target: User{ID: "9"}}},
		{"profile.update.geo", `{"before":null,"after":{"place":"Porto"}}`,
			&ProfileUpdateEvent{Field: "geo", Before: json.RawMessage(`null`), After: json.RawMessage(`{"place":"Porto"}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.eventType, func(t *testing.T) {
			body := `{"data":{"event_uuid":"5","filter":{"user_id":"1"},"event_type":"` + tt.eventType + `","payload":` + tt.payload + `}}`
			_, e := decodeOne(t, body)
			if diff := cmp.Diff(tt.want, e, ignoreRaw); diff != "" {
				t.Errorf("event mismatch (-want +got):\n%s", diff)
			}
			if string(e.Raw()) != body[len(`{"data":`):len(body)-1] {
				t.Errorf("Raw = %s, want the data object", e.Raw())
			}
		})
	}
}

func TestXAAActivity(t *testing.T) {
	body := `{"data":{"event_uuid":-12,"filter":{"keyword":"sale","direction":"inbound"},"event_type":"post.create",` +
		`"tag":"t","payload":{"id":"1800000000000000401","text":"hello"},"includes":{"users":[]}}}`
	d, e := decodeOne(t, body)
	got, ok := e.(*ActivityEvent)
	if !ok {
		t.Fatalf("event %T, want *ActivityEvent", e)
	}
	want := Envelope{
		EventUUID: "-12", EventType: "post.create", Tag: "t",
		Filter:   Filter{Keyword: "sale", Direction: "inbound"},
		Payload:  json.RawMessage(`{"id":"1800000000000000401","text":"hello"}`),
		Includes: json.RawMessage(`{"users":[]}`),
	}
	if diff := cmp.Diff(want, got.Envelope); diff != "" {
		t.Errorf("Envelope mismatch (-want +got):\n%s", diff)
	}
	if d.ForUserID != "" {
		t.Errorf("ForUserID = %q, want empty for a keyword filter", d.ForUserID)
	}
}

func TestXAADMPayloadShapes(t *testing.T) {
	dm := `{"type":"message_create","id":"77","created_timestamp":"5","message_create":` +
		`{"target":{"recipient_id":"1"},"sender_id":"2","message_data":{"text":"hi"}}}`
	want := &DirectMessage{ID: "77", Type: "message_create", CreatedAt: ms(5), SenderID: "2", RecipientID: "1", Text: "hi"}
	tests := []struct {
		name, eventType, payload, wantRaw string
		want                              Event
	}{
		{"legacy array", "dm.sent", `{"direct_message_events":[` + dm + `]}`, dm, want},
		{"single object", "dm.received", dm, "", want},
		{"read receipt legacy", "dm.read",
			`{"direct_message_mark_read_events":[{"created_timestamp":"5","sender_id":"2","target":{"recipient_id":"1"},"last_read_event_id":"77"}]}`,
			`{"created_timestamp":"5","sender_id":"2","target":{"recipient_id":"1"},"last_read_event_id":"77"}`,
			&MarkReadEvent{CreatedAt: ms(5), SenderID: "2", RecipientID: "1", LastReadEventID: "77"}},
		{"typing single", "dm.indicate_typing", `{"created_timestamp":"5","sender_id":"2","target":{"recipient_id":"1"}}`, "",
			&TypingEvent{CreatedAt: ms(5), SenderID: "2", RecipientID: "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := `{"event_uuid":"9","filter":{"user_id":"1"},"event_type":"` + tt.eventType + `","payload":` + tt.payload + `}`
			d, e := decodeOne(t, `{"data":`+data+`}`)
			if diff := cmp.Diff(tt.want, e, ignoreRaw); diff != "" {
				t.Errorf("event mismatch (-want +got):\n%s", diff)
			}
			wantRaw := tt.wantRaw
			if wantRaw == "" {
				wantRaw = data
			}
			if string(e.Raw()) != wantRaw {
				t.Errorf("Raw = %s, want %s", e.Raw(), wantRaw)
			}
			if d.ForUserID != "1" {
				t.Errorf("ForUserID = %q, want 1", d.ForUserID)
			}
		})
	}
}

func TestXAAPayloadForUserIDFallback(t *testing.T) {
	body := `{"data":{"event_type":"dm.received","filter":{},"payload":{"for_user_id":"42","direct_message_events":[{"id":"1"}]}}}`
	d, _ := decodeOne(t, body)
	if d.ForUserID != "42" {
		t.Errorf("ForUserID = %q, want the payload's for_user_id 42", d.ForUserID)
	}
}

func TestXAAIgnoresOtherTopLevelMembers(t *testing.T) {
	body := `{"for_user_id":"9","follow_events":[{"type":"follow"}],"data":{"event_type":"oauth.revoke",` +
		`"payload":{"user_id":"3","app_id":"4","date_time":"2025-12-04T12:20:00Z"}},"unknown_key":[1]}`
	d, e := decodeOne(t, body)
	if _, ok := e.(*RevokeEvent); !ok {
		t.Errorf("event %T, want *RevokeEvent", e)
	}
	if d.ForUserID != "" {
		t.Errorf("ForUserID = %q, want empty", d.ForUserID)
	}
}

func TestXAAPayloadErrors(t *testing.T) {
	tests := []struct {
		name, data, wantErr string
	}{
		{"missing payload", `{"event_type":"follow.follow"}`,
			"accountactivity: decode follow event 0: data.payload is missing"},
		{"wrong payload type", `{"event_type":"oauth.revoke","payload":[1]}`,
			"accountactivity: decode revoke event 0: payload: expected an object, got array"},
		{"bad field", `{"event_type":"follow.follow","payload":{"source":{"data":{"protected":1}}}}`,
			"accountactivity: decode follow event 0: payload.source.data.protected: expected a boolean, got number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decode([]byte(`{"data":` + tt.data + `}`))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(d.Events) != 0 || len(d.Errors) != 1 {
				t.Fatalf("got %d events and %d errors, want 0 and 1", len(d.Events), len(d.Errors))
			}
			if got := d.Errors[0].Error(); got != tt.wantErr {
				t.Errorf("error = %q, want %q", got, tt.wantErr)
			}
			if string(d.Errors[0].Raw) != tt.data {
				t.Errorf("Raw = %s, want the data object", d.Errors[0].Raw)
			}
		})
	}
}
