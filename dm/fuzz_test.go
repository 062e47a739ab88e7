package dm

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Each decoder must accept any input without panicking; the targets below
// also check what a successful decode promises.

func FuzzDecodeSendResult(f *testing.F) {
	f.Add(sendResponse)
	f.Add(`{"data":{"dm_conversation_id":1,"dm_event_id":2},"errors":[{"title":"x"}]}`)
	f.Add(`{"errors":[{"code":1}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		res, problems, err := decodeSendResult([]byte(body))
		if err != nil && (res.EventID != "" || problems != nil) {
			t.Errorf("failed decode returned data: %+v %v", res, problems)
		}
	})
}

func FuzzDecodePage(f *testing.F) {
	f.Add(eventsPage(token2, "13", "12"))
	f.Add(`{"meta":{"result_count":"0","next_token":123}}`)
	f.Add(`{"data":[{"id":1,"participant_ids":[1,"2"],"referenced_posts":[{"id":"3"}]}],"includes":{"posts":[{"id":"3"}]}}`)
	f.Add(`{"errors":[{"type":"https://api.x.com/2/problems/resource-not-found"}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		page, found, err := decodePage([]byte(body))
		if err != nil {
			return
		}
		var raw struct {
			Data []json.RawMessage `json:"data"`
		}
		if json.Unmarshal([]byte(body), &raw) == nil && found && len(page.Events) != len(raw.Data) {
			t.Errorf("decoded %d events from %d data entries", len(page.Events), len(raw.Data))
		}
		if !found && len(page.Partial) == 0 {
			t.Error("a page without data reported no problems")
		}
	})
}

func FuzzDecodeEventResult(f *testing.F) {
	f.Add(eventResponse)
	f.Add(`{"data":{"created_at":"not a time"},"errors":[]}`)
	f.Add(`{"errors":[{"title":"Not Found Error"}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		res, found, err := decodeEventResult([]byte(body))
		if err == nil && !found && res.Event.ID != "" {
			t.Errorf("not found, yet event %q", res.Event.ID)
		}
	})
}

func FuzzDecodeDeleted(f *testing.F) {
	f.Add(`{"data":{"deleted":true}}`)
	f.Add(`{"data":{"deleted":"yes"}}`)
	f.Fuzz(func(t *testing.T, body string) {
		deleted, _, err := decodeDeleted([]byte(body))
		if err != nil && deleted {
			t.Error("failed decode reported deleted")
		}
	})
}

func FuzzDecodeV11Event(f *testing.F) {
	f.Add(v11EventResponse)
	f.Add(`{"event":{"id":5,"created_timestamp":"x","message_create":{"message_data":{"attachment":{"media":{"id":7}}}}}}`)
	f.Fuzz(func(t *testing.T, body string) {
		e, err := decodeV11Event([]byte(body))
		if err == nil && e.ID == "" {
			t.Error("decoded an event without an id")
		}
	})
}

func FuzzDecodeV11Page(f *testing.F) {
	f.Add(`{"events":[{"type":"message_create","id":"3"}],"next_cursor":"c2"}`)
	f.Add(`{"events":null,"next_cursor":42}`)
	f.Fuzz(func(t *testing.T, body string) {
		page, err := decodeV11Page([]byte(body))
		if err != nil {
			return
		}
		var raw struct {
			Events []json.RawMessage `json:"events"`
		}
		if json.Unmarshal([]byte(body), &raw) == nil && len(page.Events) != len(raw.Events) {
			t.Errorf("decoded %d events from %d entries", len(page.Events), len(raw.Events))
		}
	})
}

func FuzzDecodeWelcomeMessage(f *testing.F) {
	f.Add(welcomeResponse)
	f.Add(`{"welcome_message":{"id":1,"message_data":{"ctas":[{"type":"web_url"}]}}}`)
	f.Fuzz(func(t *testing.T, body string) {
		w, err := decodeWelcomeMessage([]byte(body))
		if err == nil && w.ID == "" {
			t.Error("decoded a welcome message without an id")
		}
		_, _ = decodeWelcomeMessagePage([]byte(body))
	})
}

func FuzzDecodeWelcomeRule(f *testing.F) {
	f.Add(ruleResponse)
	f.Add(`{"welcome_message_rules":[{"id":1}],"next_cursor":"x"}`)
	f.Fuzz(func(t *testing.T, body string) {
		r, err := decodeWelcomeRule([]byte(body))
		if err == nil && r.ID == "" {
			t.Error("decoded a rule without an id")
		}
		_, _ = decodeWelcomeRulePage([]byte(body))
	})
}

// FuzzV11MessageRoundTrip checks that a valid message survives encoding
// as message_data and decoding back.
func FuzzV11MessageRoundTrip(f *testing.F) {
	f.Add("Pick one", "Red", "warm", "color-red", "1455952740635586573", "Shop", "https://example.com")
	f.Fuzz(func(t *testing.T, text, label, description, metadata, mediaID, buttonLabel, buttonURL string) {
		m := V11Message{Text: text, MediaID: mediaID}
		if label != "" {
			m.QuickReplies = []QuickReplyOption{{Label: label, Description: description, Metadata: metadata}}
		}
		if buttonLabel != "" {
			m.Buttons = []Button{{Type: ButtonTypeWebURL, Label: buttonLabel, URL: buttonURL}}
		}
		if m.validate() != nil {
			return
		}
		b, err := json.Marshal(m.data())
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		var back messageDataJSON
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		if diff := cmp.Diff(m, back.message(), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("round trip mismatch (-sent +decoded):\n%s", diff)
		}
	})
}
