package accountactivity

import (
	"strings"
	"testing"

	"github.com/goodgo/xactivity/internal/fixtures"
)

// onlyKey decodes body and returns the key of its only event.
func onlyKey(t *testing.T, body string) string {
	t.Helper()
	d, e := decodeOne(t, body)
	return Key(d, e)
}

// TestKeyStableAcrossEncodings decodes the same event written in
// different ways and expects one key.
func TestKeyStableAcrossEncodings(t *testing.T) {
	tests := []struct {
		name     string
		variants []string
	}{
		{"direct message", []string{
			`{"for_user_id":"1","direct_message_events":[{"type":"message_create","id":"55","created_timestamp":"5","message_create":{"sender_id":"2","target":{"recipient_id":"1"},"message_data":{"text":"hi"}}}]}`,
			"{ \"direct_message_events\" : [ {\"message_create\":{\"message_data\":{\"text\":\"h\\u0069\"},\"target\":{\"recipient_id\":\"1\"},\"sender_id\":\"2\"},\n\"id\":\"55\",\"created_timestamp\":5,\"type\":\"message_create\"} ],\n \"for_user_id\" : \"1\" }",
			`{"for_user_id":1,"direct_message_events":[{"id":55}]}`,
		}},
		{"follow", []string{
			`{"for_user_id":"1","follow_events":[{"type":"follow","created_timestamp":"1764851300020","source":{"id":"7","name":"a"},"target":{"id":"1"}}]}`,
			`{"follow_events":[{"target":{"id":1},"source":{"name":"b","id_str":"7"},"created_timestamp":1764851300020,"type":"follow"}],"for_user_id":"1"}`,
		}},
		{"typing", []string{
			`{"for_user_id":"1","direct_message_indicate_typing_events":[{"created_timestamp":"10","sender_id":"7","target":{"recipient_id":"1"}}]}`,
			`{"for_user_id":"1","direct_message_indicate_typing_events":[{"target":{"recipient_id":"1"},"sender_id":7,"created_timestamp":10}]}`,
		}},
		{"read receipt", []string{
			`{"for_user_id":"1","direct_message_mark_read_events":[{"created_timestamp":"10","sender_id":"7","target":{"recipient_id":"1"},"last_read_event_id":"99"}]}`,
			`{"direct_message_mark_read_events":[{"last_read_event_id":"99","target":{"recipient_id":"1"},"sender_id":"7","created_timestamp":"10"}],"for_user_id":"1"}`,
		}},
		{"revoke in both families", []string{
			`{"user_event":{"revoke":{"date_time":"2025-12-04T12:10:00+00:00","target":{"app_id":"27"},"source":{"user_id":"8"}}}}`,
			`{"data":{"event_uuid":"1","filter":{},"event_type":"oauth.revoke","payload":{"date_time":"2025-12-04T12:10:00Z","user_id":"8","app_id":"27"}}}`,
		}},
		{"xaa follow", []string{
			`{"data":{"event_uuid":"-79","filter":{"user_id":"1"},"event_type":"follow.follow","payload":{"source":{"data":{"id":"7"}},"target":{"data":{"id":"1"}}}}}`,
			`{"data":{"payload":{"target":{"data":{"id":"1"}},"source":{"data":{"id":"7"}}},"event_type":"FollowFollow","event_uuid":-79,"filter":{"user_id":1}}}`,
		}},
		{"unknown event, white space only", []string{
			`{"for_user_id":"1","bookmark_events":[{"type":"bookmark","source":{"id":"7"}}]}`,
			"{\"for_user_id\":\"1\",\n  \"bookmark_events\": [ { \"type\" : \"bookmark\", \"source\" : {\"id\":\"7\"} } ] }",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := onlyKey(t, tt.variants[0])
			for _, v := range tt.variants[1:] {
				if got := onlyKey(t, v); got != first {
					t.Errorf("key of %s = %q, want %q", v, got, first)
				}
			}
		})
	}
}

func TestKeySameDMAcrossFamilies(t *testing.T) {
	aaa := onlyKey(t, `{"for_user_id":"1","direct_message_events":[{"id":"55","message_create":{"sender_id":"2"}}]}`)
	xaa := onlyKey(t, `{"data":{"event_uuid":"3","filter":{"user_id":"1"},"event_type":"dm.received",`+
		`"payload":{"direct_message_events":[{"id":"55","message_create":{"sender_id":"2"}}]}}}`)
	if aaa != xaa {
		t.Errorf("AAA key %q and XAA key %q differ for the same DM", aaa, xaa)
	}
}

func TestKeyDiffersByForUserID(t *testing.T) {
	for _, f := range fixtures.LoadDeliveries(t) {
		t.Run(f.Name, func(t *testing.T) {
			d, err := Decode(f.Body)
			if err != nil {
				t.Fatal(err)
			}
			other := *d
			other.ForUserID = "1470000000000000999"
			for _, e := range d.Events {
				if a, b := Key(d, e), Key(&other, e); a == b {
					t.Errorf("key %q does not change with ForUserID", a)
				}
			}
		})
	}
}

func TestKeyDistinctAcrossSamples(t *testing.T) {
	owner := map[string]string{}
	for _, f := range fixtures.LoadDeliveries(t) {
		d, err := Decode(f.Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range d.Events {
			k := Key(d, e)
			if prev, ok := owner[k]; ok {
				t.Errorf("%s and %s share the key %q", prev, f.Name, k)
			}
			owner[k] = f.Name
		}
	}
}

func TestKeyDistinguishesEvents(t *testing.T) {
	tests := []struct{ name, a, b string }{
		{"follow then unfollow",
			`{"for_user_id":"1","follow_events":[{"type":"follow","created_timestamp":"5","source":{"id":"7"},"target":{"id":"1"}}]}`,
			`{"for_user_id":"1","follow_events":[{"type":"unfollow","created_timestamp":"5","source":{"id":"7"},"target":{"id":"1"}}]}`},
		{"follow at another time",
			`{"for_user_id":"1","follow_events":[{"type":"follow","created_timestamp":"5","source":{"id":"7"},"target":{"id":"1"}}]}`,
			`{"for_user_id":"1","follow_events":[{"type":"follow","created_timestamp":"6","source":{"id":"7"},"target":{"id":"1"}}]}`},
		{"read receipts up to different DMs",
			`{"for_user_id":"1","direct_message_mark_read_events":[{"created_timestamp":"5","sender_id":"7","target":{"recipient_id":"1"},"last_read_event_id":"8"}]}`,
			`{"for_user_id":"1","direct_message_mark_read_events":[{"created_timestamp":"5","sender_id":"7","target":{"recipient_id":"1"},"last_read_event_id":"9"}]}`},
		{"same id, different kinds",
			`{"for_user_id":"1","direct_message_events":[{"id":"5"}]}`,
			`{"for_user_id":"1","tweet_create_events":[{"id_str":"5"}]}`},
		{"unknown events under different keys",
			`{"for_user_id":"1","a_events":[{"x":1}]}`,
			`{"for_user_id":"1","b_events":[{"x":1}]}`},
		{"replay job states",
			`{"replay_job_status":{"job_id":"5","job_state":"Incomplete"}}`,
			`{"replay_job_status":{"job_id":"5","job_state":"Complete"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if a, b := onlyKey(t, tt.a), onlyKey(t, tt.b); a == b {
				t.Errorf("both events have the key %q", a)
			}
		})
	}
}

func TestKeyFallsBackToHash(t *testing.T) {
	a := onlyKey(t, `{"for_user_id":"1","direct_message_events":[{"message_create":{"sender_id":"2"}}]}`)
	b := onlyKey(t, `{"for_user_id":"1","direct_message_events":[{"message_create":{"sender_id":"3"}}]}`)
	if !strings.HasPrefix(a, "1/direct_message/sha256:") {
		t.Errorf("key %q of a DM without id is not a hash key", a)
	}
	if a == b {
		t.Errorf("two different DMs without ids share the key %q", a)
	}
}

func TestKeyFormat(t *testing.T) {
	got := onlyKey(t, `{"for_user_id":"1","direct_message_events":[{"id":"55"}]}`)
	if want := "1/direct_message/55"; got != want {
		t.Errorf("Key = %q, want %q", got, want)
	}
}
