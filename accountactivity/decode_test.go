package accountactivity

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/goodgo/xactivity/internal/fixtures"
)

// ignoreRaw compares events by their decoded fields only; tests check Raw
// on their own.
var ignoreRaw = cmpopts.IgnoreUnexported(
	TweetCreateEvent{}, FavoriteEvent{}, FollowEvent{}, BlockEvent{}, MuteEvent{},
	DirectMessage{}, TypingEvent{}, MarkReadEvent{}, TweetDeleteEvent{}, RevokeEvent{},
	ReplayJobStatus{}, ProfileUpdateEvent{}, ActivityEvent{}, UnknownEvent{},
)

func ms(n int64) time.Time { return time.UnixMilli(n).UTC() }

func utc(year int, month time.Month, day, hour, minute, sec int) time.Time {
	return time.Date(year, month, day, hour, minute, sec, 0, time.UTC)
}

// Users as the sample deliveries' users maps carry them.
var (
	mapAna = User{
		ID: "1470000000000000777", ScreenName: "ana_cliente", Name: "Ana Cliente",
		FollowersCount: 22, FriendsCount: 45, StatusesCount: 494,
		ProfileImageURL: "https://pbs.example/profile_images/1470000000000000777_normal.jpg",
		CreatedAt:       ms(1422556069340),
	}
	mapBao = User{
		ID: "1470000000000000888", ScreenName: "bao_tran", Name: "Bao Tran",
		FollowersCount: 22, FriendsCount: 45, StatusesCount: 494,
		ProfileImageURL: "https://pbs.example/profile_images/1470000000000000888_normal.jpg",
		CreatedAt:       ms(1422556069340),
	}
	mapShop = User{
		ID: "1470000000000000001", ScreenName: "shop_demo", Name: "Shop Demo",
		FollowersCount: 22, FriendsCount: 45, StatusesCount: 494,
		ProfileImageURL: "https://pbs.example/profile_images/1470000000000000001_normal.jpg",
		CreatedAt:       ms(1422556069340),
	}
)

// Users as the follow, block and mute samples embed them.
var (
	relAna  = User{ID: "1470000000000000777", ScreenName: "ana_cliente", Name: "ana_cliente", FollowersCount: 3, FriendsCount: 9}
	relBao  = User{ID: "1470000000000000888", ScreenName: "bao_tran", Name: "bao_tran", FollowersCount: 3, FriendsCount: 9}
	relShop = User{ID: "1470000000000000001", ScreenName: "shop_demo", Name: "shop_demo", FollowersCount: 3, FriendsCount: 9}
)

// Users as the v1.1 Tweet samples embed them.
var (
	tweetAna  = User{ID: "1470000000000000777", ScreenName: "ana_cliente", Name: "ana_cliente", FollowersCount: 5}
	tweetShop = User{ID: "1470000000000000001", ScreenName: "shop_demo", Name: "shop_demo", FollowersCount: 5}
)

const (
	shopID = "1470000000000000001"
	anaID  = "1470000000000000777"
	baoID  = "1470000000000000888"
)

// golden is what one sample delivery must decode to.
type golden struct {
	forUserID      string
	userHasBlocked bool
	envelope       *Envelope // Payload and Includes are checked apart
	events         []Event
	users          map[string]User // entries User must return
	apps           map[string]App  // entries App must return
}

func receivedDM(id string, created int64, sender, text string) *DirectMessage {
	return &DirectMessage{
		ID: id, Type: "message_create", CreatedAt: ms(created),
		SenderID: sender, RecipientID: shopID, Text: text,
	}
}

var goldens = map[string]golden{
	"dm_received.json": {
		forUserID: shopID,
		events:    []Event{receivedDM("1800000000000000101", 1764851234567, anaID, "Hi! Is the blue jacket still in stock?")},
		users:     map[string]User{anaID: mapAna, shopID: mapShop},
	},
	"dm_sent_echo.json": {
		forUserID: shopID,
		events: []Event{&DirectMessage{
			ID: "1800000000000000102", Type: "message_create", CreatedAt: ms(1764851299999),
			SenderID: shopID, RecipientID: anaID, SourceAppID: "27000001", Text: "Yes, sizes M and L.",
		}},
		users: map[string]User{anaID: mapAna, shopID: mapShop},
		apps:  map[string]App{"27000001": {ID: "27000001", Name: "shop-demo-app", URL: "https://shop.example"}},
	},
	"dm_quick_reply_response.json": {
		forUserID: shopID,
		events: []Event{&DirectMessage{
			ID: "1800000000000000103", Type: "message_create", CreatedAt: ms(1764851300001),
			SenderID: anaID, RecipientID: shopID, Text: "Size M",
			QuickReplyResponse: &QuickReplyResponse{Type: "options", Metadata: "size_m"},
		}},
		users: map[string]User{anaID: mapAna},
	},
	"dm_media_attachment.json": {
		forUserID: shopID,
		events: []Event{&DirectMessage{
			ID: "1800000000000000104", Type: "message_create", CreatedAt: ms(1764851300002),
			SenderID: anaID, RecipientID: shopID, Text: "this one https://t.co/abc123",
			Attachment: &Attachment{
				Type:      "media",
				MediaID:   "1800000000000000555",
				MediaURL:  "https://ton.example/1.1/ton/data/dm/1800000000000000104/1800000000000000555/abc.jpg",
				MediaType: "photo",
				URL:       "https://t.co/abc123",
			},
		}},
		users: map[string]User{anaID: mapAna},
	},
	"dm_batch.json": {
		forUserID: shopID,
		events: []Event{
			receivedDM("1800000000000000105", 1764851300003, anaID, "first"),
			receivedDM("1800000000000000106", 1764851300004, baoID, "second"),
		},
		users: map[string]User{anaID: mapAna, baoID: mapBao, shopID: mapShop},
	},
	"dm_unicode_raw.json": {
		forUserID: shopID,
		events: []Event{receivedDM("1800000000000000107", 1764851300005, anaID,
			"Caf\u00e9 \U0001F600 \U0001F469\u200d\U0001F469\u200d\U0001F467 see https://shop.example/p/1 \x1b")},
	},
	"typing.json": {
		forUserID: shopID,
		events:    []Event{&TypingEvent{CreatedAt: ms(1764851300010), SenderID: anaID, RecipientID: shopID}},
		users:     map[string]User{anaID: mapAna},
	},
	"mark_read.json": {
		forUserID: shopID,
		events: []Event{&MarkReadEvent{
			CreatedAt: ms(1764851300011), SenderID: anaID, RecipientID: shopID,
			LastReadEventID: "1800000000000000102",
		}},
		users: map[string]User{anaID: mapAna},
	},
	"follow.json": {
		forUserID: shopID,
		events:    []Event{&FollowEvent{Type: "follow", CreatedAt: ms(1764851300020), Source: relAna, Target: relShop}},
	},
	"unfollow.json": {
		forUserID: shopID,
		events:    []Event{&FollowEvent{Type: "unfollow", CreatedAt: ms(1764851300021), Source: relAna, Target: relShop}},
	},
	"block.json": {
		forUserID: shopID,
		events:    []Event{&BlockEvent{Type: "block", CreatedAt: ms(1764851300022), Source: relShop, Target: relBao}},
	},
	"unblock.json": {
		forUserID: shopID,
		events:    []Event{&BlockEvent{Type: "unblock", CreatedAt: ms(1764851300023), Source: relShop, Target: relBao}},
	},
	"mute.json": {
		forUserID: shopID,
		events:    []Event{&MuteEvent{Type: "mute", CreatedAt: ms(1764851300024), Source: relShop, Target: relBao}},
	},
	"unmute.json": {
		forUserID: shopID,
		events:    []Event{&MuteEvent{Type: "unmute", CreatedAt: ms(1764851300025), Source: relShop, Target: relBao}},
	},
	"favorite.json": {
		forUserID: shopID,
		events: []Event{&FavoriteEvent{
			ID:        "0f3c2b1a9e8d7c6b5a4f3e2d1c0b9a88",
			CreatedAt: utc(2025, 12, 4, 12, 0, 0),
			Timestamp: ms(1764849600000),
			FavoritedStatus: Tweet{
				ID:        "1800000000000000301",
				CreatedAt: utc(2025, 12, 3, 9, 0, 0),
				Text:      "Winter sale starts now",
				FullText:  "Winter sale starts now",
				User:      tweetShop,
			},
			User: tweetAna,
		}},
	},
	"tweet_create_mention.json": {
		forUserID: shopID,
		events: []Event{&TweetCreateEvent{Tweet: Tweet{
			ID:              "1800000000000000401",
			CreatedAt:       utc(2025, 12, 4, 12, 1, 46),
			Text:            "@shop_demo do you ship to Porto?",
			FullText:        "@shop_demo do you ship to Porto?",
			User:            tweetAna,
			InReplyToUserID: shopID,
			Entities: Entities{UserMentions: []MentionEntity{
				{ID: shopID, ScreenName: "shop_demo", Name: "Shop Demo", Indices: [2]int{0, 10}},
			}},
			Timestamp: ms(1764849706000),
		}}},
	},
	"tweet_create_longform.json": {
		forUserID: shopID,
		events: []Event{&TweetCreateEvent{Tweet: Tweet{
			ID:        "1924465506158878979",
			CreatedAt: utc(2025, 12, 4, 12, 5, 0),
			Text:      "A long announcement that goes past the classic limit and is cut here\u2026 https://t.co/xyz",
			FullText: "A long announcement that goes past the classic limit and is cut here, " +
				"followed by the rest of the text that only the extended object carries.",
			Truncated: true,
			User:      tweetShop,
			Timestamp: ms(1764849900000),
		}}},
	},
	"tweet_delete.json": {
		forUserID: shopID,
		events: []Event{&TweetDeleteEvent{
			StatusID: "1800000000000000401", UserID: anaID, Timestamp: ms(1764850000000),
		}},
	},
	"user_event_revoke.json": {
		events: []Event{&RevokeEvent{RevokedAt: utc(2025, 12, 4, 12, 10, 0), AppID: "27000001", UserID: baoID}},
	},
	"replay_job_status.json": {
		events: []Event{&ReplayJobStatus{
			WebhookID: "1900000000000000001", JobID: "1900000000000000099",
			JobState: "Complete", JobStateDescription: "Job completed successfully",
		}},
	},
	"unknown_event_key.json": {
		forUserID: shopID,
		events:    []Event{&UnknownEvent{Key: "bookmark_events"}},
	},
	"xaa_dm_received.json": {
		forUserID: shopID,
		envelope: &Envelope{
			EventUUID: "2080761390344937796", EventType: "dm.received", Tag: "dm-inbound",
			Filter: Filter{UserID: shopID},
		},
		events: []Event{receivedDM("1800000000000000108", 1764851300030, anaID, "hello via XAA")},
		users:  map[string]User{anaID: {ID: anaID, ScreenName: "ana_cliente", Name: "Ana Cliente"}},
	},
	"xaa_follow.json": {
		forUserID: shopID,
		envelope: &Envelope{
			EventUUID: "-7900000000000000316", EventType: "follow.follow", Tag: "follows",
			Filter: Filter{UserID: shopID},
		},
		events: []Event{&FollowEvent{
			Type: "follow",
			Source: User{
				ID: anaID, ScreenName: "ana_cliente", Name: "Ana Cliente",
				FollowersCount: 97, FriendsCount: 12, CreatedAt: utc(2023, 10, 23, 13, 44, 53),
			},
			Target: User{ID: shopID, ScreenName: "shop_demo", Name: "Shop Demo", Verified: true},
		}},
	},
	"xaa_oauth_revoke.json": {
		envelope: &Envelope{EventUUID: "2080761390344937802", EventType: "oauth.revoke"},
		events:   []Event{&RevokeEvent{RevokedAt: utc(2025, 12, 4, 12, 20, 0), AppID: "27000001", UserID: baoID}},
	},
	"xaa_profile_update_bio.json": {
		forUserID: anaID,
		envelope: &Envelope{
			EventUUID: "-8900000000000000786", EventType: "profile.update.bio", Tag: "vip-watch",
			Filter: Filter{UserID: anaID},
		},
		events: []Event{&ProfileUpdateEvent{
			Field:  "bio",
			Before: json.RawMessage(`"Coffee lover"`), After: json.RawMessage(`"Coffee lover. Porto."`),
			BeforeText: "Coffee lover", AfterText: "Coffee lover. Porto.",
		}},
	},
}

func TestDecodeGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range fixtures.LoadDeliveries(t) {
		seen[f.Name] = true
		t.Run(f.Name, func(t *testing.T) {
			want, ok := goldens[f.Name]
			if !ok {
				t.Fatalf("no expected events for %s: add it to goldens", f.Name)
			}
			d, err := Decode(f.Body)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			checkGolden(t, f.Body, d, want)
		})
	}
	for name := range goldens {
		if !seen[name] {
			t.Errorf("goldens has %s, but testdata/deliveries has no such file", name)
		}
	}
}

func checkGolden(t *testing.T, body []byte, d *Delivery, want golden) {
	t.Helper()
	if len(d.Errors) > 0 {
		t.Errorf("Errors = %v, want none", d.Errors)
	}
	if d.ForUserID != want.forUserID {
		t.Errorf("ForUserID = %q, want %q", d.ForUserID, want.forUserID)
	}
	if d.UserHasBlocked != want.userHasBlocked {
		t.Errorf("UserHasBlocked = %v, want %v", d.UserHasBlocked, want.userHasBlocked)
	}
	ignorePayload := cmpopts.IgnoreFields(Envelope{}, "Payload", "Includes")
	if diff := cmp.Diff(want.envelope, d.Envelope, ignorePayload); diff != "" {
		t.Errorf("Envelope mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.events, d.Events, ignoreRaw); diff != "" {
		t.Errorf("Events mismatch (-want +got):\n%s", diff)
	}
	for id, wantUser := range want.users {
		got, ok := d.User(id)
		if !ok {
			t.Errorf("User(%s) not found", id)
		}
		if diff := cmp.Diff(wantUser, got); diff != "" {
			t.Errorf("User(%s) mismatch (-want +got):\n%s", id, diff)
		}
	}
	for id, wantApp := range want.apps {
		got, ok := d.App(id)
		if !ok || got != wantApp {
			t.Errorf("App(%s) = %+v, %v; want %+v, true", id, got, ok, wantApp)
		}
	}
	for _, e := range d.Events {
		if raw := e.Raw(); !json.Valid(raw) || !bytes.Contains(body, raw) {
			t.Errorf("%s event: Raw %q is not valid JSON taken from the body", e.Kind(), raw)
		}
	}
}

// TestDecodeRawIsElement checks Raw against the JSON that encoding/json
// finds at the same place: each element of an AAA event array, and the
// data object of an XAA envelope.
func TestDecodeRawIsElement(t *testing.T) {
	for _, f := range fixtures.LoadDeliveries(t) {
		t.Run(f.Name, func(t *testing.T) {
			d, err := Decode(f.Body)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := stdlibEventRaws(t, f.Body)
			var got []string
			for _, e := range d.Events {
				got = append(got, string(e.Raw()))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Raw mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// stdlibEventRaws returns the raw JSON of each event of a sample body, as
// encoding/json splits it, in body order.
func stdlibEventRaws(t *testing.T, body []byte) []string {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatal(err)
	}
	if data, ok := top["data"]; ok {
		var env struct {
			EventType string                     `json:"event_type"`
			Payload   map[string]json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(data, &env); err != nil {
			t.Fatal(err)
		}
		if list, ok := env.Payload["direct_message_events"]; ok {
			return splitArray(t, list)
		}
		return []string{string(data)}
	}
	var raws []string
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.Token() // the opening brace
	for dec.More() {
		key, _ := dec.Token()
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			t.Fatal(err)
		}
		switch key {
		case "for_user_id", "users", "apps", "user_has_blocked":
		case "user_event", "replay_job_status":
			raws = append(raws, string(value))
		default:
			raws = append(raws, splitArray(t, value)...)
		}
	}
	return raws
}

func splitArray(t *testing.T, list json.RawMessage) []string {
	t.Helper()
	var elems []json.RawMessage
	if err := json.Unmarshal(list, &elems); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range elems {
		out = append(out, string(e))
	}
	return out
}

func TestDecodeXAAPayload(t *testing.T) {
	f := fixtures.LoadDelivery(t, "xaa_dm_received.json")
	d, err := Decode(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	var top struct {
		Data struct {
			Payload  json.RawMessage `json:"payload"`
			Includes json.RawMessage `json:"includes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(f.Body, &top); err != nil {
		t.Fatal(err)
	}
	if got, want := string(d.Envelope.Payload), string(top.Data.Payload); got != want {
		t.Errorf("Payload = %s, want %s", got, want)
	}
	if got, want := string(d.Envelope.Includes), string(top.Data.Includes); got != want {
		t.Errorf("Includes = %s, want %s", got, want)
	}
}

func TestUserLookupMissing(t *testing.T) {
	for _, name := range []string{"dm_received.json", "dm_unicode_raw.json", "follow.json", "xaa_dm_received.json"} {
		t.Run(name, func(t *testing.T) {
			d, err := Decode(fixtures.LoadDelivery(t, name).Body)
			if err != nil {
				t.Fatal(err)
			}
			if u, ok := d.User("42"); ok {
				t.Errorf("User(42) = %+v, true; want not found", u)
			}
			if a, ok := d.App("42"); ok {
				t.Errorf("App(42) = %+v, true; want not found", a)
			}
		})
	}
}

func TestKinds(t *testing.T) {
	d, err := Decode(fixtures.LoadDelivery(t, "dm_batch.json").Body)
	if err != nil {
		t.Fatal(err)
	}
	want := []Kind{KindDirectMessage, KindDirectMessage}
	if diff := cmp.Diff(want, d.Kinds()); diff != "" {
		t.Errorf("Kinds mismatch (-want +got):\n%s", diff)
	}
}
