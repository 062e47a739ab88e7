package xtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"unicode/utf8"
)

func FuzzParseV2Message(f *testing.F) {
	for _, seed := range []string{
		`{"text":"hi"}`,
		`{"attachments":[{"media_id":"1455952740635586573"}]}`,
		`{"text":"hi","attachments":[{"media_id":"1"}]}`,
		`{"text":""}`, `{}`, `[]`, `null`, `{"text":5}`, `{"attachments":[{}]}`,
		`{"text":"a","x":1}`, `{"text":"\u00e9"}`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg, errs := parseV2Message(body)
		if len(errs) > 0 {
			for _, e := range errs {
				if e.Message == "" {
					t.Errorf("error without a message for %q", body)
				}
			}
			return
		}
		checkV2Message(t, msg)
		again, errs := parseV2Message(encodeV2Message(t, msg))
		if len(errs) > 0 || again.text != msg.text || !slices.Equal(again.mediaIDs, msg.mediaIDs) {
			t.Errorf("re-encoded message %+v parsed as %+v, %v", msg, again, errs)
		}
	})
}

// checkV2Message checks the invariants of an accepted v2 message.
func checkV2Message(t *testing.T, msg message) {
	t.Helper()
	if msg.text == "" && len(msg.mediaIDs) == 0 {
		t.Error("accepted a message without text or media")
	}
	if utf8.RuneCountInString(msg.text) > maxTextRunes {
		t.Errorf("accepted a text of %d characters", utf8.RuneCountInString(msg.text))
	}
	if len(msg.mediaIDs) > 1 {
		t.Errorf("accepted %d media ids", len(msg.mediaIDs))
	}
	for _, id := range msg.mediaIDs {
		if !numericID.MatchString(id) {
			t.Errorf("accepted media id %q", id)
		}
	}
}

func encodeV2Message(t *testing.T, msg message) []byte {
	t.Helper()
	v := map[string]any{}
	if msg.text != "" {
		v["text"] = msg.text
	}
	if msg.mediaIDs != nil {
		var attachments []map[string]string
		for _, id := range msg.mediaIDs {
			attachments = append(attachments, map[string]string{"media_id": id})
		}
		v["attachments"] = attachments
	}
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func FuzzParseGroupRequest(f *testing.F) {
	for _, seed := range []string{
		`{"conversation_type":"Group","participant_ids":["1","2"],"message":{"text":"hi"}}`,
		`{"conversation_type":"Group","participant_ids":["1"],"message":{"text":"hi"}}`,
		`{"conversation_type":"Group","participant_ids":["1","x"],"message":{}}`,
		`{"conversation_type":"Group","participant_ids":null,"message":null}`,
		`{}`, `[]`, `{"conversation_type":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, errs := parseGroupRequest(body)
		if len(errs) > 0 {
			return
		}
		if n := len(req.participants); n < 2 || n > maxGroupParticipants {
			t.Errorf("accepted %d participants", n)
		}
		for _, id := range req.participants {
			if !numericID.MatchString(id) {
				t.Errorf("accepted participant id %q", id)
			}
		}
		checkV2Message(t, req.msg)
	})
}

func FuzzParseV1Event(f *testing.F) {
	for _, seed := range []string{
		v11Body("1600000000000000042", "hi"),
		`{"event":{"type":"message_create","message_create":{"target":{"recipient_id":42},"message_data":{"text":"",` +
			`"attachment":{"type":"media","media":{"id":77}}}}}}`,
		`{"event":{"type":"message_create","message_create":{"target":{"recipient_id":"1"},"message_data":{"text":"x",` +
			`"quick_reply":{"type":"options","options":[{"label":"a","description":"b","metadata":"c"}]},` +
			`"ctas":[{"type":"web_url","label":"l","url":"https://a.example"}]}}}}`,
		`{"event":{"type":"message_create"}}`, `{"event":null}`, `{}`, `[]`, `x`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		recipient, msg, err := parseV1Event(body)
		if err != nil {
			if err.status != http.StatusBadRequest && err.status != http.StatusForbidden {
				t.Errorf("error status %d for %q", err.status, body)
			}
			return
		}
		if !isDecimalID(recipient) {
			t.Errorf("accepted recipient %q", recipient)
		}
		checkV1Message(t, msg)
	})
}

// checkV1Message checks the invariants of accepted v1.1 message data.
func checkV1Message(t *testing.T, msg message) {
	t.Helper()
	if msg.text == "" && len(msg.mediaIDs) == 0 {
		t.Error("accepted a message without text or media")
	}
	if utf8.RuneCountInString(msg.text) > maxTextRunes {
		t.Errorf("accepted a text of %d characters", utf8.RuneCountInString(msg.text))
	}
	if msg.quickReplies != nil && (len(msg.quickReplies) < 1 || len(msg.quickReplies) > maxQuickReplyOptions) {
		t.Errorf("accepted %d quick reply options", len(msg.quickReplies))
	}
	for _, o := range msg.quickReplies {
		if o.Label == "" || utf8.RuneCountInString(o.Label) > maxOptionLabel {
			t.Errorf("accepted option label %q", o.Label)
		}
	}
	if msg.ctas != nil && (len(msg.ctas) < 1 || len(msg.ctas) > maxCTAs) {
		t.Errorf("accepted %d buttons", len(msg.ctas))
	}
	for _, id := range msg.mediaIDs {
		if !isDecimalID(id) {
			t.Errorf("accepted media id %q", id)
		}
	}
}

func FuzzParseWelcomeMessage(f *testing.F) {
	for _, seed := range []string{
		`{"welcome_message":{"name":"n","message_data":{"text":"hi"}}}`,
		`{"welcome_message":{"message_data":{"text":"hi","quick_reply":{"type":"options","options":[{"label":"a"}]}}}}`,
		`{"welcome_message":{}}`, `{}`, `null`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		name, msg, err := parseWelcomeMessage(body)
		if err != nil {
			return
		}
		if utf8.RuneCountInString(name) > maxWelcomeName {
			t.Errorf("accepted a name of %d characters", utf8.RuneCountInString(name))
		}
		checkV1Message(t, msg)
	})
}

func FuzzParseWelcomeRule(f *testing.F) {
	for _, seed := range []string{
		`{"welcome_message_rule":{"welcome_message_id":"1900000000000000001"}}`,
		`{"welcome_message_rule":{"welcome_message_id":1900000000000000001}}`,
		`{"welcome_message_rule":{"welcome_message_id":"01"}}`, `{}`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		id, err := parseWelcomeRule(body)
		if err == nil && !isDecimalID(id) {
			t.Errorf("accepted welcome message id %q", id)
		}
	})
}

func FuzzDecodePageToken(f *testing.F) {
	f.Add(firstPage.encode())
	f.Add(pageToken{cursor: 1900000000000000007, afterEmpty: true}.encode())
	f.Add("0000000000000000")
	f.Add("abc")
	f.Add("04000000000000000")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := decodePageToken(s)
		if err != nil {
			return
		}
		if got := tok.encode(); got != s {
			t.Errorf("decodePageToken(%q) = %+v, which encodes as %q", s, tok, got)
		}
	})
}

func FuzzPageTokenRoundTrip(f *testing.F) {
	f.Add(uint64(0), false)
	f.Add(uint64(1900000000000000007), true)
	f.Fuzz(func(t *testing.T, cursor uint64, afterEmpty bool) {
		want := pageToken{cursor: cursor, afterEmpty: afterEmpty}
		s := want.encode()
		if len(s) < 16 {
			t.Errorf("token %q is shorter than 16 characters", s)
		}
		got, err := decodePageToken(s)
		if err != nil || got != want {
			t.Errorf("decodePageToken(%q) = %+v, %v, want %+v", s, got, err, want)
		}
	})
}

func FuzzParseListQuery(f *testing.F) {
	for _, seed := range []string{
		"max_results=10&dm_event.fields=id,text&expansions=sender_id&user.fields=username",
		"event_types=MessageCreate,ParticipantsJoin&pagination_token=" + firstPage.encode(),
		"max_results=0", "max_results=101", "dm_event.fields=", "event_types=x", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		lq, errs := parseListQuery(q)
		if len(errs) > 0 {
			return
		}
		if lq.max < 1 || lq.max > maxMaxResults {
			t.Errorf("accepted max_results %d", lq.max)
		}
		for field := range lq.fields {
			if !slices.Contains(dmEventFields, field) {
				t.Errorf("accepted field %q", field)
			}
		}
		for kind := range lq.types {
			if !slices.Contains(dmEventTypes, kind) {
				t.Errorf("accepted event type %q", kind)
			}
		}
	})
}
