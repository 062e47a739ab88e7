package xtest

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func FuzzParseActivityRequest(f *testing.F) {
	for _, seed := range []string{
		`{"event_type":"dm.received","filter":{"user_id":"1470000000000000001","direction":"inbound"},"tag":"dm","webhook_id":"1700000000000000000"}`,
		`{"event_type":"news.new","filter":{"keyword":"goodgo"}}`,
		`{"event_type":"chat.conversation_join","filter":{"user_id":"1"}}`,
		`{"event_type":"mute.mute","filter":{"user_id":"1","direction":"outbound"}}`,
		`{"event_type":"like.create","filter":{"keyword":"a"}}`,
		`{"event_type":"post.create","filter":{"user_id":"1","keyword":"a"}}`,
		`{"event_type":"post.create","filter":{}}`, `{"event_type":5,"filter":null}`,
		`{"event_type":"post.create","filter":{"user_id":"1"},"tag":""}`,
		`{"event_type":"post.create","filter":{"user_id":"01"},"x":1}`,
		`{}`, `[]`, `null`, ``, `{"event_type":"post.create","filter":{"user_id":"\u0031"}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, errs := parseActivityRequest(body)
		if len(errs) > 0 {
			for _, e := range errs {
				if e.Message == "" {
					t.Errorf("error without a message for %q", body)
				}
			}
			return
		}
		checkActivityRequest(t, req)
		again, errs := parseActivityRequest(encodeActivityRequest(t, req))
		if len(errs) > 0 || again != req {
			t.Errorf("re-encoded request %+v parsed as %+v, %v", req, again, errs)
		}
	})
}

// checkActivityRequest checks the invariants of an accepted subscription
// request.
func checkActivityRequest(t *testing.T, req activityRequest) {
	t.Helper()
	if !activityEventTypes[req.EventType] || canonicalEventType(req.EventType) != req.EventType {
		t.Errorf("accepted event type %q", req.EventType)
	}
	f := req.Filter
	if (f.UserID == "") == (f.Keyword == "") {
		t.Errorf("accepted filter %+v without exactly one of user id and keyword", f)
	}
	if f.UserID != "" && !isDecimalID(f.UserID) {
		t.Errorf("accepted user id %q", f.UserID)
	}
	if f.Direction != "" && (actorOnlyEventType(req.EventType) || (f.Direction != "inbound" && f.Direction != "outbound")) {
		t.Errorf("accepted direction %q for %s", f.Direction, req.EventType)
	}
	if f.Keyword != "" && privateEventType(req.EventType) {
		t.Errorf("accepted keyword filter for private type %s", req.EventType)
	}
	if n := utf8.RuneCountInString(req.Tag); n > maxActivityTagRunes {
		t.Errorf("accepted tag of %d characters", n)
	}
	if req.WebhookID != "" && !numericID.MatchString(req.WebhookID) {
		t.Errorf("accepted webhook id %q", req.WebhookID)
	}
}

func encodeActivityRequest(t *testing.T, req activityRequest) []byte {
	t.Helper()
	v := map[string]any{"event_type": req.EventType, "filter": req.Filter}
	if req.Tag != "" {
		v["tag"] = req.Tag
	}
	if req.WebhookID != "" {
		v["webhook_id"] = req.WebhookID
	}
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func FuzzParseActivityUpdate(f *testing.F) {
	for _, seed := range []string{
		`{"tag":"new"}`, `{"webhook_id":"1700000000000000000"}`, `{"tag":"a","webhook_id":"1"}`,
		`{}`, `{"tag":""}`, `{"tag":5}`, `{"webhook_id":"x"}`, `{"filter":{}}`, `[]`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		u, errs := parseActivityUpdate(body)
		if len(errs) > 0 {
			return
		}
		if u == (activityUpdate{}) {
			t.Errorf("accepted an update that changes nothing: %q", body)
		}
		if n := utf8.RuneCountInString(u.Tag); n > maxActivityTagRunes {
			t.Errorf("accepted tag of %d characters", n)
		}
		if u.WebhookID != "" && !numericID.MatchString(u.WebhookID) {
			t.Errorf("accepted webhook id %q", u.WebhookID)
		}
	})
}
