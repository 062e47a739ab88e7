package accountactivity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/goodgo/xactivity/internal/fixtures"
)

// The ref* types decode a DM event with encoding/json. They spell out the
// decoder's tolerance rules (ids as strings or integers, epoch milliseconds
// as numbers or strings) independently of reader, so that the fuzz target
// can compare the two.

var integerLiteral = regexp.MustCompile(`^-?[0-9]+$`)

type refID string

func (id *refID) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		return nil
	case b[0] == '"':
		return json.Unmarshal(b, (*string)(id))
	case integerLiteral.Match(b):
		*id = refID(b)
		return nil
	}
	return errors.New("not an id")
}

type refMillis struct {
	set bool
	ms  int64
}

func (m *refMillis) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	if !integerLiteral.MatchString(s) {
		return errors.New("not an integer")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return err
	}
	m.set, m.ms = true, n
	return nil
}

type refTextEntity struct {
	Text    string `json:"text"`
	Indices [2]int `json:"indices"`
}

type refURLEntity struct {
	URL         string `json:"url"`
	ExpandedURL string `json:"expanded_url"`
	DisplayURL  string `json:"display_url"`
	Indices     [2]int `json:"indices"`
}

type refMention struct {
	ID         refID  `json:"id"`
	IDStr      refID  `json:"id_str"`
	ScreenName string `json:"screen_name"`
	Name       string `json:"name"`
	Indices    [2]int `json:"indices"`
}

type refEntities struct {
	Hashtags     []refTextEntity `json:"hashtags"`
	Symbols      []refTextEntity `json:"symbols"`
	URLs         []refURLEntity  `json:"urls"`
	UserMentions []refMention    `json:"user_mentions"`
}

type refInitiatedVia struct {
	TweetID          refID `json:"tweet_id"`
	WelcomeMessageID refID `json:"welcome_message_id"`
}

type refDM struct {
	Type             string           `json:"type"`
	ID               refID            `json:"id"`
	CreatedTimestamp refMillis        `json:"created_timestamp"`
	InitiatedVia     *refInitiatedVia `json:"initiated_via"`
	MessageCreate    struct {
		Target struct {
			RecipientID refID `json:"recipient_id"`
		} `json:"target"`
		SenderID     refID            `json:"sender_id"`
		SourceAppID  refID            `json:"source_app_id"`
		InitiatedVia *refInitiatedVia `json:"initiated_via"`
		MessageData  struct {
			Text               string          `json:"text"`
			Entities           refEntities     `json:"entities"`
			CTAs               json.RawMessage `json:"ctas"`
			QuickReplyResponse *struct {
				Type     string `json:"type"`
				Metadata string `json:"metadata"`
			} `json:"quick_reply_response"`
			Attachment *struct {
				Type  string `json:"type"`
				Media struct {
					ID            refID  `json:"id"`
					IDStr         refID  `json:"id_str"`
					MediaURLHTTPS string `json:"media_url_https"`
					MediaURL      string `json:"media_url"`
					Type          string `json:"type"`
					URL           string `json:"url"`
				} `json:"media"`
			} `json:"attachment"`
		} `json:"message_data"`
	} `json:"message_create"`
}

// want converts the reference decoding into the value Decode should return.
func (r *refDM) want() *DirectMessage {
	mc, md := &r.MessageCreate, &r.MessageCreate.MessageData
	dm := &DirectMessage{
		ID: string(r.ID), Type: r.Type, SenderID: string(mc.SenderID),
		RecipientID: string(mc.Target.RecipientID), SourceAppID: string(mc.SourceAppID),
		Text: md.Text, CTAs: md.CTAs, Entities: md.Entities.want(),
	}
	if r.CreatedTimestamp.set {
		dm.CreatedAt = ms(r.CreatedTimestamp.ms)
	}
	via := mc.InitiatedVia
	if via == nil {
		via = r.InitiatedVia
	}
	if via != nil {
		dm.InitiatedVia = &InitiatedVia{TweetID: string(via.TweetID), WelcomeMessageID: string(via.WelcomeMessageID)}
	}
	if q := md.QuickReplyResponse; q != nil {
		dm.QuickReplyResponse = &QuickReplyResponse{Type: q.Type, Metadata: q.Metadata}
	}
	if a := md.Attachment; a != nil {
		dm.Attachment = &Attachment{
			Type: a.Type, MediaID: orElse(string(a.Media.IDStr), string(a.Media.ID)),
			MediaURL:  orElse(a.Media.MediaURLHTTPS, a.Media.MediaURL),
			MediaType: a.Media.Type, URL: a.Media.URL,
		}
	}
	return dm
}

func (e *refEntities) want() Entities {
	var out Entities
	for _, h := range e.Hashtags {
		out.Hashtags = append(out.Hashtags, TextEntity(h))
	}
	for _, s := range e.Symbols {
		out.Symbols = append(out.Symbols, TextEntity(s))
	}
	for _, u := range e.URLs {
		out.URLs = append(out.URLs, URLEntity(u))
	}
	for _, m := range e.UserMentions {
		out.UserMentions = append(out.UserMentions, MentionEntity{
			ID: orElse(string(m.IDStr), string(m.ID)), ScreenName: m.ScreenName, Name: m.Name, Indices: m.Indices,
		})
	}
	return out
}

// plainKeys reports whether every object key in data is unique within its
// object and contains no upper-case or non-ASCII letter. encoding/json
// matches keys case-insensitively and merges duplicate keys into one
// struct, while Decode matches keys exactly and lets the last duplicate
// win, so the comparison is only meaningful for such documents.
func plainKeys(data []byte) bool {
	type frame struct {
		object, wantKey bool
		keys            map[string]bool
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if key, ok := tok.(string); ok && top != nil && top.object && top.wantKey {
			if top.keys[key] || !plainKey(key) {
				return false
			}
			top.keys[key], top.wantKey = true, false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, &frame{object: tok == json.Delim('{'), wantKey: true, keys: map[string]bool{}})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			} else {
				top = nil
			}
		}
		if top != nil && top.object {
			top.wantKey = true
		}
	}
}

func plainKey(k string) bool {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c >= 0x80 || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// refDMEntries returns the entries of the top-level direct_message_events
// member the way Decode treats them: each non-null element of an array, a
// single object, or one bad value.
func refDMEntries(body []byte) []json.RawMessage {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return nil
	}
	list, ok := top["direct_message_events"]
	if !ok {
		return nil
	}
	switch bytes.TrimLeft(list, " \t\r\n")[0] {
	case 'n':
		return nil
	case '[':
		var elems []json.RawMessage
		json.Unmarshal(list, &elems)
		var out []json.RawMessage
		for _, e := range elems {
			if string(e) != "null" {
				out = append(out, e)
			}
		}
		return out
	}
	return []json.RawMessage{list}
}

// dmEntry is a DM of a delivery, decoded or failed, at its body position.
type dmEntry struct {
	index int
	dm    *DirectMessage // nil when the entry failed
}

func decodedDMEntries(d *Delivery) []dmEntry {
	var out []dmEntry
	pos := map[Event]int{}
	i := 0
	for _, e := range d.Events {
		for isErrorAt(d, i) {
			i++
		}
		pos[e] = i
		i++
		if dm, ok := e.(*DirectMessage); ok {
			out = append(out, dmEntry{pos[e], dm})
		}
	}
	for _, e := range d.Errors {
		if e.Kind == KindDirectMessage {
			out = append(out, dmEntry{e.Index, nil})
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].index < out[b].index })
	return out
}

func isErrorAt(d *Delivery, i int) bool {
	for _, e := range d.Errors {
		if e.Index == i {
			return true
		}
	}
	return false
}

// crossCheckDMs compares Decode's DMs with the encoding/json reference.
func crossCheckDMs(t *testing.T, body []byte, d *Delivery) {
	t.Helper()
	refs := refDMEntries(body)
	got := decodedDMEntries(d)
	if len(refs) != len(got) {
		t.Fatalf("Decode found %d DM entries, encoding/json %d", len(got), len(refs))
	}
	for i, raw := range refs {
		var ref refDM
		refErr := json.Unmarshal(raw, &ref)
		switch {
		case refErr != nil && got[i].dm != nil:
			t.Fatalf("DM %d decoded, but encoding/json fails: %v\n%s", i, refErr, raw)
		case refErr == nil && got[i].dm == nil:
			t.Fatalf("DM %d failed, but encoding/json decodes it\n%s", i, raw)
		case refErr == nil:
			if diff := cmp.Diff(ref.want(), got[i].dm, ignoreRaw, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("DM %d differs from encoding/json (-want +got):\n%s\n%s", i, diff, raw)
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, d := range fixtures.LoadDeliveries(f) {
		f.Add(d.Body)
	}
	f.Add([]byte(`{"direct_message_events":[{"id":1e3,"created_timestamp":"-5","message_create":{"message_data":{"text":"\ud83d"}}}]}`))
	f.Add([]byte(`{"data":{"event_type":"FollowFollow","payload":{"source":{"data":{}}}}}`))
	f.Add([]byte(`{"direct_message_events":{"initiated_via":{"tweet_id":7},"message_create":{"initiated_via":null}}}`))
	var rec recorder
	var x Dispatcher
	rec.register(&x)
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := Decode(body)
		valid := json.Valid(body)
		if err == nil && !valid {
			t.Fatalf("Decode accepted invalid JSON")
		}
		if err != nil {
			if valid && isObject(body) {
				t.Fatalf("Decode rejected a valid JSON object: %v", err)
			}
			return
		}
		checkRaws(t, body, d)
		for _, e := range d.Events {
			prefix := d.ForUserID + "/" + string(e.Kind()) + "/"
			if k := Key(d, e); !strings.HasPrefix(k, prefix) || len(k) == len(prefix) {
				t.Fatalf("key %q of a %s event lacks the prefix %q or an id", k, e.Kind(), prefix)
			}
			if err := x.DispatchEvent(context.Background(), d, e); err != nil {
				t.Fatalf("DispatchEvent: %v", err)
			}
		}
		if d.Envelope == nil && plainKeys(body) {
			crossCheckDMs(t, body, d)
		}
	})
}

// isObject reports whether body is a JSON object, which Decode must always
// accept when it is valid JSON.
func isObject(body []byte) bool {
	var top map[string]json.RawMessage
	return json.Unmarshal(body, &top) == nil && top != nil
}

func checkRaws(t *testing.T, body []byte, d *Delivery) {
	t.Helper()
	for _, e := range d.Events {
		if raw := e.Raw(); !json.Valid(raw) || !bytes.Contains(body, raw) {
			t.Fatalf("%s event: Raw %q is not valid JSON from the body", e.Kind(), raw)
		}
	}
	for _, e := range d.Errors {
		if !json.Valid(e.Raw) || !bytes.Contains(body, e.Raw) {
			t.Fatalf("error %v: Raw %q is not valid JSON from the body", e, e.Raw)
		}
		if e.Error() == "" || e.Unwrap() == nil {
			t.Fatalf("error at index %d has no message or cause", e.Index)
		}
	}
}

// FuzzString compares the reader's string decoding with encoding/json's on
// the contents of one JSON string literal.
func FuzzString(f *testing.F) {
	for _, s := range []string{
		`plain`, `Caf\u00e9`, `\ud83d\ude00`, `\ud83d`, `\ude00\ud83d`, `\ud83d\u0041`,
		`https:\/\/x`, `\"\\\b\f\n\r\t`, "a\xffb", "\xc3", "👩‍👩‍👧", `\u001B`, `\u`, `\x`, "\x01",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, contents []byte) {
		literal := append(append([]byte{'"'}, contents...), '"')
		var want string
		wantErr := json.Unmarshal(literal, &want)
		r := reader{buf: literal}
		got := r.stringValue()
		ok := r.err == nil && r.pos == len(literal)
		if ok != (wantErr == nil) {
			t.Fatalf("reader accepts %q: %v; encoding/json error: %v", literal, ok, wantErr)
		}
		if ok && got != want {
			t.Fatalf("reader decodes %q as %q, encoding/json as %q", literal, got, want)
		}
	})
}
