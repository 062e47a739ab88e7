package accountactivity

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// decodeOne decodes body, which must hold exactly one event and no errors.
func decodeOne(t *testing.T, body string) (*Delivery, Event) {
	t.Helper()
	d, err := Decode([]byte(body))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(d.Errors) > 0 {
		t.Fatalf("Errors = %v, want none", d.Errors)
	}
	if len(d.Events) != 1 {
		t.Fatalf("got %d events, want 1", len(d.Events))
	}
	return d, d.Events[0]
}

func TestTimestampNumberOrString(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"favorite number", `{"favorite_events":[{"id":"f1","timestamp_ms":1764849600000}]}`},
		{"favorite string", `{"favorite_events":[{"id":"f1","timestamp_ms":"1764849600000"}]}`},
		{"delete number", `{"tweet_delete_events":[{"status":{"id":"1"},"timestamp_ms":1764849600000}]}`},
		{"delete string", `{"tweet_delete_events":[{"status":{"id":"1"},"timestamp_ms":"1764849600000"}]}`},
		{"tweet number", `{"tweet_create_events":[{"id_str":"1","timestamp_ms":1764849600000}]}`},
		{"tweet string", `{"tweet_create_events":[{"id_str":"1","timestamp_ms":"1764849600000"}]}`},
	}
	want := ms(1764849600000)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := decodeOne(t, tt.body)
			switch e := e.(type) {
			case *FavoriteEvent:
				checkTime(t, e.Timestamp, want)
			case *TweetDeleteEvent:
				checkTime(t, e.Timestamp, want)
			case *TweetCreateEvent:
				checkTime(t, e.Timestamp, want)
			default:
				t.Fatalf("unexpected event %T", e)
			}
		})
	}
}

func checkTime(t *testing.T, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("time = %v, want %v", got, want)
	}
}

func TestCreatedTimestampNumberOrString(t *testing.T) {
	for _, ts := range []string{`"1764851300010"`, `1764851300010`} {
		t.Run(ts, func(t *testing.T) {
			_, e := decodeOne(t, `{"direct_message_indicate_typing_events":[{"created_timestamp":`+ts+`,"sender_id":"1"}]}`)
			if got := e.(*TypingEvent).CreatedAt; !got.Equal(ms(1764851300010)) {
				t.Errorf("CreatedAt = %v, want %v", got, ms(1764851300010))
			}
		})
	}
}

func TestUserHasBlockedStringOrBool(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{`"false"`, false},
		{`false`, false},
		{`"true"`, true},
		{`true`, true},
		{`null`, false},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			d, _ := decodeOne(t, `{"for_user_id":"1","user_has_blocked":`+tt.value+`,"tweet_create_events":[{"id_str":"5"}]}`)
			if d.UserHasBlocked != tt.want {
				t.Errorf("UserHasBlocked = %v, want %v", d.UserHasBlocked, tt.want)
			}
		})
	}
}

func TestUserFieldsStringOrNumber(t *testing.T) {
	body := `{"follow_events":[{"type":"follow","source":{"id":"7","followers_count":"22",` +
		`"friends_count":45,"statuses_count":"494","protected":"true","verified":"false"},"target":{"id":8}}]}`
	_, e := decodeOne(t, body)
	got := e.(*FollowEvent)
	wantSource := User{ID: "7", FollowersCount: 22, FriendsCount: 45, StatusesCount: 494, Protected: true}
	if diff := cmp.Diff(wantSource, got.Source); diff != "" {
		t.Errorf("Source mismatch (-want +got):\n%s", diff)
	}
	if got.Target.ID != "8" {
		t.Errorf("Target.ID = %q, want %q", got.Target.ID, "8")
	}
}

// TestIDsBeyondFloatPrecision pins that ids are never read through float64:
// 1924465506158878979 becomes 1924465506158878976 as a float64.
func TestIDsBeyondFloatPrecision(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"numeric id only", `{"tweet_create_events":[{"id":1924465506158878979}]}`},
		{"id_str wins", `{"tweet_create_events":[{"id":1924465506158878976,"id_str":"1924465506158878979"}]}`},
		{"id_str first", `{"tweet_create_events":[{"id_str":"1924465506158878979","id":1924465506158878976}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := decodeOne(t, tt.body)
			if got := e.(*TweetCreateEvent).ID; got != "1924465506158878979" {
				t.Errorf("ID = %s, want 1924465506158878979", got)
			}
		})
	}
}

func TestNestedNumericIDs(t *testing.T) {
	body := `{"tweet_create_events":[{"id":1,"in_reply_to_status_id":1924465506158878979,` +
		`"in_reply_to_user_id":1470000000000000777,"quoted_status_id":1924465506158878999,` +
		`"user":{"id":1470000000000000777},"entities":{"user_mentions":[{"id":1470000000000000001}]}}]}`
	_, e := decodeOne(t, body)
	got := e.(*TweetCreateEvent)
	checks := []struct{ name, got, want string }{
		{"InReplyToStatusID", got.InReplyToStatusID, "1924465506158878979"},
		{"InReplyToUserID", got.InReplyToUserID, anaID},
		{"QuotedStatusID", got.QuotedStatusID, "1924465506158878999"},
		{"User.ID", got.User.ID, anaID},
		{"mention ID", got.Entities.UserMentions[0].ID, shopID},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
}

func TestForUserIDNumber(t *testing.T) {
	d, _ := decodeOne(t, `{"for_user_id":1470000000000000001,"follow_events":[{"type":"follow"}]}`)
	if d.ForUserID != shopID {
		t.Errorf("ForUserID = %s, want %s", d.ForUserID, shopID)
	}
}

func TestTweetRetweetAndQuote(t *testing.T) {
	body := `{"tweet_create_events":[{"id_str":"3","text":"RT @a: hi","retweeted_status":{"id_str":"2","text":"hi",` +
		`"quoted_status":{"id_str":"1","text":"first"}},"quoted_status":null}]}`
	_, e := decodeOne(t, body)
	got := e.(*TweetCreateEvent)
	want := Tweet{
		ID: "3", Text: "RT @a: hi", FullText: "RT @a: hi",
		RetweetedStatus: &Tweet{
			ID: "2", Text: "hi", FullText: "hi",
			QuotedStatus: &Tweet{ID: "1", Text: "first", FullText: "first"},
		},
	}
	if diff := cmp.Diff(want, got.Tweet); diff != "" {
		t.Errorf("Tweet mismatch (-want +got):\n%s", diff)
	}
}

func TestTweetExtendedEntities(t *testing.T) {
	body := `{"tweet_create_events":[{"id_str":"1","text":"short…","truncated":"true",` +
		`"entities":{"hashtags":[]},"extended_tweet":{"full_text":"short and long #sale",` +
		`"entities":{"hashtags":[{"text":"sale","indices":[15,20]}]}}}]}`
	_, e := decodeOne(t, body)
	got := e.(*TweetCreateEvent)
	if got.FullText != "short and long #sale" {
		t.Errorf("FullText = %q, want the extended text", got.FullText)
	}
	want := []TextEntity{{Text: "sale", Indices: [2]int{15, 20}}}
	if diff := cmp.Diff(want, got.Entities.Hashtags); diff != "" {
		t.Errorf("Hashtags mismatch (-want +got):\n%s", diff)
	}
}

func TestDMOptionalParts(t *testing.T) {
	body := `{"direct_message_events":[{"type":"message_create","id":"9","created_timestamp":"1",` +
		`"initiated_via":{"tweet_id":"11","welcome_message_id":"12"},"message_create":{"target":{"recipient_id":"2"},` +
		`"sender_id":"3","message_data":{"text":"see https://t.co/x #a $B @c","ctas":[{"type":"web_url","label":"Go"}],` +
		`"entities":{"hashtags":[{"text":"a","indices":[20,22]}],"symbols":[{"text":"B","indices":[23,25]}],` +
		`"urls":[{"url":"https://t.co/x","expanded_url":"https://x.example","display_url":"x.example","indices":[4,17]}],` +
		`"user_mentions":[{"id_str":"4","screen_name":"c","name":"C","indices":[26,28]}]}}}}]}`
	_, e := decodeOne(t, body)
	want := &DirectMessage{
		ID: "9", Type: "message_create", CreatedAt: ms(1), SenderID: "3", RecipientID: "2",
		Text: "see https://t.co/x #a $B @c",
		Entities: Entities{
			Hashtags:     []TextEntity{{Text: "a", Indices: [2]int{20, 22}}},
			Symbols:      []TextEntity{{Text: "B", Indices: [2]int{23, 25}}},
			URLs:         []URLEntity{{URL: "https://t.co/x", ExpandedURL: "https://x.example", DisplayURL: "x.example", Indices: [2]int{4, 17}}},
			UserMentions: []MentionEntity{{ID: "4", ScreenName: "c", Name: "C", Indices: [2]int{26, 28}}},
		},
		CTAs:         json.RawMessage(`[{"type":"web_url","label":"Go"}]`),
		InitiatedVia: &InitiatedVia{TweetID: "11", WelcomeMessageID: "12"},
	}
	if diff := cmp.Diff(want, e, ignoreRaw); diff != "" {
		t.Errorf("DirectMessage mismatch (-want +got):\n%s", diff)
	}
}

// TestBadEventKeepsOthers checks that one event with a value of the wrong
// type becomes an EventError while the events around it decode.
func TestBadEventKeepsOthers(t *testing.T) {
	bad := `{"type":"message_create","id":"2","message_create":{"sender_id":"7","message_data":{"text":5}}}`
	body := `{"for_user_id":"1","direct_message_events":[` +
		`{"type":"message_create","id":"1","message_create":{"sender_id":"7","message_data":{"text":"a"}}},` +
		bad + `,` +
		`{"type":"message_create","id":"3","message_create":{"sender_id":"7","message_data":{"text":"c"}}}],` +
		`"follow_events":[{"type":"follow","created_timestamp":"x1"}]}`
	d, err := Decode([]byte(body))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}

	var ids []string
	for _, e := range d.Events {
		ids = append(ids, e.(*DirectMessage).ID)
	}
	if diff := cmp.Diff([]string{"1", "3"}, ids); diff != "" {
		t.Errorf("decoded DM ids mismatch (-want +got):\n%s", diff)
	}
	if len(d.Errors) != 2 {
		t.Fatalf("got %d errors, want 2: %v", len(d.Errors), d.Errors)
	}

	first := d.Errors[0]
	if first.Kind != KindDirectMessage {
		t.Errorf("Errors[0].Kind = %s, want direct_message", first.Kind)
	}
	if first.Index != 1 {
		t.Errorf("Errors[0].Index = %d, want 1", first.Index)
	}
	if string(first.Raw) != bad {
		t.Errorf("Errors[0].Raw = %s, want %s", first.Raw, bad)
	}
	const wantMsg = "accountactivity: decode direct_message event 1: message_create.message_data.text: expected a string, got number"
	if first.Error() != wantMsg {
		t.Errorf("Errors[0].Error() = %q, want %q", first.Error(), wantMsg)
	}

	second := d.Errors[1]
	if second.Kind != KindFollow {
		t.Errorf("Errors[1].Kind = %s, want follow", second.Kind)
	}
	if second.Index != 3 {
		t.Errorf("Errors[1].Index = %d, want 3", second.Index)
	}
	if want := `created_timestamp: invalid integer "x1"`; !strings.Contains(second.Error(), want) {
		t.Errorf("Errors[1] = %q, want it to contain %q", second, want)
	}
}

func TestEventErrorUnwrap(t *testing.T) {
	d, err := Decode([]byte(`{"favorite_events":[{"user":{"protected":"maybe"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Errors) != 1 {
		t.Fatalf("got %d errors, want 1", len(d.Errors))
	}
	var ee *EventError
	if !errors.As(error(d.Errors[0]), &ee) || ee.Unwrap() == nil {
		t.Fatalf("EventError does not unwrap to its cause")
	}
	if got := ee.Unwrap().Error(); got != `user.protected: invalid boolean "maybe"` {
		t.Errorf("cause = %q", got)
	}
}

func TestMetadataErrorKeepsEvents(t *testing.T) {
	body := `{"for_user_id":{"id":"1"},"users":[1],"user_has_blocked":"no","follow_events":[{"type":"follow"}]}`
	d, err := Decode([]byte(body))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(d.Events) != 1 || d.Events[0].Kind() != KindFollow {
		t.Errorf("Events = %v, want one follow event", d.Kinds())
	}
	var msgs []string
	for _, e := range d.Errors {
		if e.Index != -1 || e.Kind != "" {
			t.Errorf("metadata error %v has Index %d and Kind %q, want -1 and empty", e, e.Index, e.Kind)
		}
		msgs = append(msgs, e.Error())
	}
	want := []string{
		"accountactivity: for_user_id: expected a string, got object",
		"accountactivity: users: expected an object, got array",
		`accountactivity: user_has_blocked: invalid boolean "no"`,
	}
	if diff := cmp.Diff(want, msgs); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
}

func TestEventListShapes(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantEvents int
		wantErrors int
	}{
		{"single object instead of array", `{"follow_events":{"type":"follow"}}`, 1, 0},
		{"null list", `{"follow_events":null}`, 0, 0},
		{"null element skipped", `{"follow_events":[null,{"type":"follow"}]}`, 1, 0},
		{"number instead of list", `{"follow_events":5}`, 0, 1},
		{"string element", `{"follow_events":["follow"]}`, 0, 1},
		{"user_event without revoke", `{"user_event":{"other":{}}}`, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decode([]byte(tt.body))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(d.Events) != tt.wantEvents || len(d.Errors) != tt.wantErrors {
				t.Errorf("got %d events and %d errors (%v), want %d and %d",
					len(d.Events), len(d.Errors), d.Errors, tt.wantEvents, tt.wantErrors)
			}
		})
	}
}

func TestUnknownKeys(t *testing.T) {
	body := `{"for_user_id":"1","bookmark_events":[{"a":1}, {"b":2}],"new_flag":true,"data_events":{"x":[1]}}`
	d, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ Key, Raw string }
	var got []entry
	for _, e := range d.Events {
		u, ok := e.(*UnknownEvent)
		if !ok {
			t.Fatalf("event %T, want *UnknownEvent", e)
		}
		got = append(got, entry{u.Key, string(u.Raw())})
	}
	want := []entry{
		{"bookmark_events", `{"a":1}`},
		{"bookmark_events", `{"b":2}`},
		{"new_flag", `true`},
		{"data_events", `{"x":[1]}`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unknown events mismatch (-want +got):\n%s", diff)
	}
}

// TestDecodeBadEnvelopeKeepsBody checks that a data member that is not a
// usable XAA envelope is reported in Errors, with the body's other members
// still decoded, instead of failing the whole delivery.
func TestDecodeBadEnvelopeKeepsBody(t *testing.T) {
	dm := `"for_user_id":"1","direct_message_events":[{"type":"message_create","id":"9","created_timestamp":"1",` +
		`"message_create":{"target":{"recipient_id":"1"},"sender_id":"2","message_data":{"text":"hi"}}}]`
	tests := []struct {
		name, data string
	}{
		{"not object", `5`},
		{"null", `null`},
		{"string", `"x"`},
		{"without event_type", `{"payload":{}}`},
		{"event_type number", `{"event_type":5}`},
		{"filter user_id object", `{"event_type":"dm.sent","filter":{"user_id":{}}}`},
		{"tag number", `{"event_type":"dm.sent","tag":7}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decode([]byte(`{` + dm + `,"data":` + tt.data + `}`))
			if err != nil {
				t.Fatalf("Decode failed the whole body: %v", err)
			}
			if len(d.Errors) != 1 || d.Errors[0].Index != -1 || string(d.Errors[0].Raw) != tt.data {
				t.Fatalf("Errors = %v, want one entry for the data member %s", d.Errors, tt.data)
			}
			if d.Envelope != nil {
				t.Errorf("Envelope = %+v, want nil", d.Envelope)
			}
			if len(d.Events) != 1 || d.Events[0].Kind() != KindDirectMessage || d.ForUserID != "1" {
				t.Errorf("events = %v for user %q, want the DM for user 1", d.Events, d.ForUserID)
			}
		})
	}
}

func TestDecodeRejectsBody(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"empty", ``},
		{"array", `[]`},
		{"null", `null`},
		{"string", `"x"`},
		{"truncated", `{"for_user_id":"1","follow_events":[{"type":"follow"}`},
		{"trailing data", `{} {}`},
		{"trailing NUL", "{}\x00"},
		{"missing value", `{"a":}`},
		{"bad literal", `{"a":nul}`},
		{"bad number", `{"a":01}`},
		{"bad escape", `{"a":"\x"}`},
		{"control character", "{\"a\":\"\x01\"}"},
		{"trailing comma", `{"a":1,}`},
		{"byte order mark", "\xef\xbb\xbf{}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decode([]byte(tt.body))
			if err == nil {
				t.Fatalf("Decode returned %d events and no error", len(d.Events))
			}
			if !strings.HasPrefix(err.Error(), "accountactivity: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestNestingLimit(t *testing.T) {
	nest := func(depth int) []byte {
		// The top-level object is one level; the array brackets make the rest.
		return []byte(`{"x":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`)
	}
	if _, err := Decode(nest(maxDepth)); err != nil {
		t.Errorf("depth %d: %v, want no error", maxDepth, err)
	}
	if !json.Valid(nest(maxDepth)) {
		t.Errorf("encoding/json rejects depth %d; the limits differ", maxDepth)
	}
	if _, err := Decode(nest(maxDepth + 1)); err == nil {
		t.Errorf("depth %d: no error, want one", maxDepth+1)
	}
}

// TestStringEscapes compares decoded texts with what encoding/json makes of
// the same JSON strings.
func TestStringEscapes(t *testing.T) {
	tests := []struct {
		name, literal string
	}{
		{"plain", `"hello"`},
		{"escaped slash", `"https:\/\/shop.example\/p\/1"`},
		{"latin", `"Caf\u00e9"`},
		{"surrogate pair", `"\ud83d\ude00"`},
		{"lone high surrogate", `"a\ud83d b"`},
		{"lone low surrogate", `"a\ude00"`},
		{"high then non-surrogate escape", `"\ud83d\u0041"`},
		{"two high surrogates", `"\ud83d\ud83d\ude00"`},
		{"short escapes", `"\"\\\/\b\f\n\r\t"`},
		{"raw utf-8", `"👩‍👩‍👧"`},
		{"invalid utf-8", "\"a\xffb\xc3\""},
		{"escape ESC", `"\u001B"`},
		{"NUL", `"\u0000"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want string
			if err := json.Unmarshal([]byte(tt.literal), &want); err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			body := `{"direct_message_events":[{"message_create":{"message_data":{"text":` + tt.literal + `}}}]}`
			_, e := decodeOne(t, body)
			if got := e.(*DirectMessage).Text; got != want {
				t.Errorf("Text = %q, want %q", got, want)
			}
		})
	}
}

func TestEscapedKeys(t *testing.T) {
	_, e := decodeOne(t, `{"direct_message_event\u0073":[{"\u0069d":"5","message_create":{"message_data":{"t\u0065xt":"x"}}}]}`)
	dm, ok := e.(*DirectMessage)
	if !ok {
		t.Fatalf("event %T, want *DirectMessage", e)
	}
	if dm.ID != "5" || dm.Text != "x" {
		t.Errorf("ID, Text = %q, %q; want 5, x", dm.ID, dm.Text)
	}
}

func TestFractionalIDIsError(t *testing.T) {
	d, err := Decode([]byte(`{"tweet_create_events":[{"id":1.5}],"follow_events":[{"type":"follow"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Errors) != 1 || d.Errors[0].Kind != KindTweetCreate {
		t.Errorf("Errors = %v, want one tweet_create error", d.Errors)
	}
	if len(d.Events) != 1 {
		t.Errorf("got %d events, want the follow event", len(d.Events))
	}
}

func TestTimeFormats(t *testing.T) {
	tests := []struct {
		name, value string
		want        int64
	}{
		{"twitter format", `"Thu Dec 04 12:00:00 +0000 2025"`, 1764849600000},
		{"twitter format with offset", `"Thu Dec 04 13:00:00 +0100 2025"`, 1764849600000},
		{"rfc 3339", `"2025-12-04T12:00:00Z"`, 1764849600000},
		{"rfc 3339 fraction", `"2025-12-04T12:00:00.250Z"`, 1764849600250},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := decodeOne(t, `{"favorite_events":[{"id":"1","created_at":`+tt.value+`}]}`)
			got := e.(*FavoriteEvent).CreatedAt
			if got.UnixMilli() != tt.want || got.Location().String() != "UTC" {
				t.Errorf("CreatedAt = %v, want %v", got, ms(tt.want))
			}
		})
	}
	d, err := Decode([]byte(`{"user_event":{"revoke":{"date_time":"yesterday"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Errors) != 1 || !strings.Contains(d.Errors[0].Error(), `revoke.date_time: invalid time "yesterday"`) {
		t.Errorf("Errors = %v, want an invalid time error", d.Errors)
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"-0", 0, true},
		{"1764851234567", 1764851234567, true},
		{"00000000000000000000001", 1, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775808", -9223372036854775808, true},
		{"-9223372036854775809", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"+1", 0, false},
		{"1a", 0, false},
		{"1.0", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseInt([]byte(tt.in))
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
