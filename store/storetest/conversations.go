package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

func runMessages(t *testing.T, open Opener) {
	t.Run("record creates conversation", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		c := store.Conversation{AccountID: a.ID, ParticipantID: "555", ParticipantUsername: "alice"}
		in := store.Message{
			Direction: store.Inbound, XEventID: "1001", SenderID: "555", Content: "hi",
			Type: "text", Status: store.MessageReceived, CreatedAt: startTime,
		}
		got, inserted, err := f.s.RecordMessage(f.ctx, c, in)
		mustNoError(t, "RecordMessage", err)
		if !inserted {
			t.Errorf("inserted = false, want true")
		}
		if got.ID == "" || got.ConversationID == "" {
			t.Fatalf("RecordMessage returned ID %q, ConversationID %q; want both set", got.ID, got.ConversationID)
		}
		want := in
		want.ID, want.ConversationID, want.AccountID = got.ID, got.ConversationID, a.ID
		want.CreatedAt = millis(startTime)
		wantEqual(t, "stored message", got, want)

		conv, err := f.s.Conversation(f.ctx, "m1", got.ConversationID)
		mustNoError(t, "Conversation", err)
		wantConv := store.Conversation{
			ID: got.ConversationID, MerchantID: "m1", AccountID: a.ID, ParticipantID: "555",
			ParticipantUsername: "alice", LastMessageAt: millis(startTime), LastMessagePreview: "hi",
		}
		wantEqual(t, "conversation", conv, wantConv)
		page, err := f.s.Messages(f.ctx, store.MessageQuery{MerchantID: "m1", ConversationID: got.ConversationID, Limit: 10})
		mustNoError(t, "Messages", err)
		wantEqual(t, "Messages", page, store.Page[store.Message]{Items: []store.Message{want}})
	})

	t.Run("duplicate event not stored", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		first, _ := f.record(a, "555", "1001", 0)
		c := store.Conversation{AccountID: a.ID, ParticipantID: "555", ParticipantUsername: "bob"}
		again := store.Message{XEventID: "1001", Content: "changed", CreatedAt: startTime.Add(time.Hour)}
		got, inserted, err := f.s.RecordMessage(f.ctx, c, again)
		mustNoError(t, "RecordMessage again", err)
		if inserted {
			t.Errorf("inserted = true for a duplicate, want false")
		}
		wantEqual(t, "returned message", got, first)
		conv, err := f.s.Conversation(f.ctx, "m1", first.ConversationID)
		mustNoError(t, "Conversation", err)
		wantEqual(t, "LastMessageAt", conv.LastMessageAt, millis(startTime))
		wantEqual(t, "ParticipantUsername", conv.ParticipantUsername, "")
		page, err := f.s.Messages(f.ctx, store.MessageQuery{MerchantID: "m1", ConversationID: first.ConversationID, Limit: 10})
		mustNoError(t, "Messages", err)
		wantEqual(t, "Messages", page.Items, []store.Message{first})
	})

	t.Run("each account keeps its copy", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		b := f.connect("m2", "200", "other")
		ma, insertedA := f.record(a, "200", "1001", 0)
		mb, insertedB := f.record(b, "100", "1001", 0)
		if !insertedA || !insertedB {
			t.Errorf("inserted = %v, %v; want true for both accounts", insertedA, insertedB)
		}
		if ma.ID == mb.ID || ma.ConversationID == mb.ConversationID {
			t.Errorf("both accounts share message %q or conversation %q", ma.ID, ma.ConversationID)
		}
		wantEqual(t, "account of b's copy", mb.AccountID, b.ID)
	})

	t.Run("last message moves forward only", func(t *testing.T) { testLastMessage(t, open) })

	t.Run("username kept when empty", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		steps := []struct{ username, want string }{{"alice", "alice"}, {"", "alice"}, {"alice2", "alice2"}}
		for i, step := range steps {
			c := store.Conversation{AccountID: a.ID, ParticipantID: "555", ParticipantUsername: step.username}
			m := store.Message{XEventID: string(rune('1'+i)) + "000", CreatedAt: startTime}
			got, _, err := f.s.RecordMessage(f.ctx, c, m)
			mustNoError(t, "RecordMessage", err)
			conv, err := f.s.Conversation(f.ctx, "m1", got.ConversationID)
			mustNoError(t, "Conversation", err)
			wantEqual(t, "username after "+show(step), conv.ParticipantUsername, step.want)
		}
	})

	t.Run("username of an older message ignored", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		steps := []struct {
			username, eventID string
			at                time.Duration
			want              string
		}{
			{"renamed", "2000", time.Minute, "renamed"},
			{"old_name", "1000", 0, "renamed"}, // delivered late
			{"newest", "3000", 2 * time.Minute, "newest"},
		}
		for _, step := range steps {
			c := store.Conversation{AccountID: a.ID, ParticipantID: "555", ParticipantUsername: step.username}
			m := store.Message{XEventID: step.eventID, CreatedAt: startTime.Add(step.at)}
			got, _, err := f.s.RecordMessage(f.ctx, c, m)
			mustNoError(t, "RecordMessage", err)
			conv, err := f.s.Conversation(f.ctx, "m1", got.ConversationID)
			mustNoError(t, "Conversation", err)
			wantEqual(t, "username after event "+step.eventID, conv.ParticipantUsername, step.want)
		}
	})

	t.Run("preview from conversation", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		c := store.Conversation{AccountID: a.ID, ParticipantID: "555", LastMessagePreview: "[media]"}
		got, _, err := f.s.RecordMessage(f.ctx, c, store.Message{XEventID: "1", Type: "media", CreatedAt: startTime})
		mustNoError(t, "RecordMessage", err)
		conv, err := f.s.Conversation(f.ctx, "m1", got.ConversationID)
		mustNoError(t, "Conversation", err)
		wantEqual(t, "preview", conv.LastMessagePreview, "[media]")
	})

	t.Run("record rejects bad input", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		ok := store.Conversation{AccountID: a.ID, ParticipantID: "555"}
		_, _, err := f.s.RecordMessage(f.ctx, ok, store.Message{CreatedAt: startTime})
		wantError(t, "empty XEventID", err, store.ErrInvalid)
		_, _, err = f.s.RecordMessage(f.ctx, store.Conversation{AccountID: a.ID}, store.Message{XEventID: "1"})
		wantError(t, "empty ParticipantID", err, store.ErrInvalid)
		_, _, err = f.s.RecordMessage(f.ctx, store.Conversation{AccountID: "999", ParticipantID: "555"}, store.Message{XEventID: "1"})
		wantError(t, "unknown account", err, store.ErrNotFound)
	})
}

func testLastMessage(t *testing.T, open Opener) {
	f := newFixture(t, open)
	a := f.connect("m1", "100", "shop")
	steps := []struct {
		name    string
		eventID string
		at      time.Duration
		wantID  string // event id of the conversation's last message after the step
	}{
		{"first", "9", time.Minute, "9"},
		{"older", "8", 0, "9"},
		{"newer", "20", 2 * time.Minute, "20"},
		{"same time smaller id", "19", 2 * time.Minute, "20"},
		{"same time larger id", "100", 2 * time.Minute, "100"},
		{"same millisecond", "101", 2*time.Minute + 300*time.Microsecond, "101"},
	}
	for _, step := range steps {
		m, _ := f.record(a, "555", step.eventID, step.at)
		conv, err := f.s.Conversation(f.ctx, "m1", m.ConversationID)
		mustNoError(t, "Conversation", err)
		var wantAt time.Duration
		for _, s := range steps {
			if s.eventID == step.wantID {
				wantAt = s.at
			}
		}
		wantEqual(t, step.name+": LastMessageAt", conv.LastMessageAt, millis(startTime.Add(wantAt)))
		wantEqual(t, step.name+": preview", conv.LastMessagePreview, "message "+step.wantID)
	}
}

func runPagination(t *testing.T, open Opener) {
	t.Run("conversations", func(t *testing.T) { testConversationPages(t, open) })
	t.Run("conversations of account", func(t *testing.T) { testAccountConversationPages(t, open) })
	t.Run("messages", func(t *testing.T) { testMessagePages(t, open) })
	t.Run("limits and cursors", func(t *testing.T) { testLimits(t, open) })
}

// testConversationPages pages through conversations whose LastMessageAt
// values include ties, one of them across a page boundary. It checks the
// order, and that a conversation added between pages does not shift the
// later pages.
func testConversationPages(t *testing.T, open Opener) {
	f := newFixture(t, open)
	a := f.connect("m1", "100", "shop")
	f.connect("m2", "200", "rival")
	other, _ := f.s.AccountByXUserID(f.ctx, "200")
	f.record(other, "900", "1", time.Hour)
	offsets := []time.Duration{5, 1, 5, 3, 5, 2, 4} // minutes; ties at 5
	var all []store.Conversation
	for i, off := range offsets {
		m, _ := f.record(a, "p"+string(rune('a'+i)), string(rune('1'+i)), off*time.Minute)
		conv, err := f.s.Conversation(f.ctx, "m1", m.ConversationID)
		mustNoError(t, "Conversation", err)
		all = append(all, conv)
	}
	slices.SortFunc(all, func(x, y store.Conversation) int {
		if c := y.LastMessageAt.Compare(x.LastMessageAt); c != 0 {
			return c
		}
		return store.CompareEventIDs(y.ID, x.ID)
	})

	first, err := f.s.Conversations(f.ctx, store.ConversationQuery{MerchantID: "m1", Limit: 2})
	mustNoError(t, "Conversations page 1", err)
	// A newer conversation after the first page must not appear on later
	// pages, and no item may repeat.
	f.record(a, "pz", "99", time.Hour)
	got := append([]store.Conversation{}, first.Items...)
	pages := collectConversations(t, f, store.ConversationQuery{MerchantID: "m1", Limit: 2}, first.NextCursor)
	for _, p := range pages {
		got = append(got, p...)
	}
	wantEqual(t, "conversations over all pages", got, all)
	wantEqual(t, "page sizes", pageSizes(first.Items, pages), []int{2, 2, 2, 1})
}

func pageSizes(first []store.Conversation, rest [][]store.Conversation) []int {
	sizes := []int{len(first)}
	for _, p := range rest {
		sizes = append(sizes, len(p))
	}
	return sizes
}

// collectConversations follows cursors from cursor until the last page and
// returns the pages.
func collectConversations(t *testing.T, f *fixture, q store.ConversationQuery, cursor string) [][]store.Conversation {
	t.Helper()
	var pages [][]store.Conversation
	for n := 0; cursor != ""; n++ {
		if n > 100 {
			t.Fatalf("more than 100 pages: the cursor does not advance")
		}
		q.Cursor = cursor
		p, err := f.s.Conversations(f.ctx, q)
		mustNoError(t, "Conversations", err)
		pages = append(pages, p.Items)
		cursor = p.NextCursor
	}
	return pages
}

func testAccountConversationPages(t *testing.T, open Opener) {
	f := newFixture(t, open)
	a := f.connect("m1", "100", "shop")
	b := f.connect("m1", "101", "shop2")
	var want []string
	for i := range 5 {
		ma, _ := f.record(a, "p"+string(rune('a'+i)), "1"+string(rune('0'+i)), time.Duration(i)*time.Minute)
		f.record(b, "p"+string(rune('a'+i)), "2"+string(rune('0'+i)), time.Duration(i)*time.Minute)
		want = append([]string{ma.ConversationID}, want...)
	}
	q := store.ConversationQuery{MerchantID: "m1", AccountID: a.ID, Limit: 2}
	first, err := f.s.Conversations(f.ctx, q)
	mustNoError(t, "Conversations", err)
	var got []string
	for _, p := range append([][]store.Conversation{first.Items}, collectConversations(t, f, q, first.NextCursor)...) {
		for _, c := range p {
			got = append(got, c.ID)
		}
	}
	wantEqual(t, "conversation ids of account a", got, want)
}

// testMessagePages checks the message order over several pages: newest
// first, ties broken by the event id compared as a number.
func testMessagePages(t *testing.T, open Opener) {
	f := newFixture(t, open)
	a := f.connect("m1", "100", "shop")
	records := []struct {
		eventID string
		at      time.Duration
	}{
		{"9", time.Minute}, {"10", time.Minute}, {"11", 0}, {"100", time.Minute},
		{"8", 2 * time.Minute}, {"99", time.Minute}, {"1000", 0}, {"7", 3 * time.Minute},
		{"101", time.Minute}, {"12", 0}, {"13", 4 * time.Minute},
	}
	var convID string
	for _, r := range records {
		m, _ := f.record(a, "555", r.eventID, r.at)
		convID = m.ConversationID
	}
	want := []string{"13", "7", "8", "101", "100", "99", "10", "9", "1000", "12", "11"}

	var got []string
	var sizes []int
	q := store.MessageQuery{MerchantID: "m1", ConversationID: convID, Limit: 4}
	for n := 0; n == 0 || q.Cursor != ""; n++ {
		if n > 100 {
			t.Fatalf("more than 100 pages: the cursor does not advance")
		}
		p, err := f.s.Messages(f.ctx, q)
		mustNoError(t, "Messages", err)
		for _, m := range p.Items {
			got = append(got, m.XEventID)
		}
		sizes = append(sizes, len(p.Items))
		q.Cursor = p.NextCursor
	}
	wantEqual(t, "event ids over all pages", got, want)
	wantEqual(t, "page sizes", sizes, []int{4, 4, 3})
}

func testLimits(t *testing.T, open Opener) {
	f := newFixture(t, open)
	a := f.connect("m1", "100", "shop")
	var convID string
	for i := range 3 {
		m, _ := f.record(a, "555", string(rune('1'+i)), time.Duration(i)*time.Second)
		convID = m.ConversationID
	}
	f.record(a, "556", "7", 0)
	f.record(a, "557", "8", 0)
	for _, limit := range []int{2, 3, 4} {
		p, err := f.s.Messages(f.ctx, store.MessageQuery{MerchantID: "m1", ConversationID: convID, Limit: limit})
		mustNoError(t, "Messages", err)
		wantEqual(t, "message count at limit "+show(limit), len(p.Items), min(limit, 3))
		wantEqual(t, "has next cursor at limit "+show(limit), p.NextCursor != "", limit < 3)
		c, err := f.s.Conversations(f.ctx, store.ConversationQuery{MerchantID: "m1", Limit: limit})
		mustNoError(t, "Conversations", err)
		wantEqual(t, "conversation count at limit "+show(limit), len(c.Items), min(limit, 3))
		wantEqual(t, "has next cursor at limit "+show(limit), c.NextCursor != "", limit < 3)
	}
	for _, limit := range []int{0, -1} {
		_, err := f.s.Messages(f.ctx, store.MessageQuery{MerchantID: "m1", ConversationID: convID, Limit: limit})
		wantError(t, "Messages limit "+show(limit), err, store.ErrInvalid)
		_, err = f.s.Conversations(f.ctx, store.ConversationQuery{MerchantID: "m1", Limit: limit})
		wantError(t, "Conversations limit "+show(limit), err, store.ErrInvalid)
	}
	for _, cursor := range []string{"%%%", "bm90IGEgY3Vyc29y", "MTIz"} {
		_, err := f.s.Messages(f.ctx, store.MessageQuery{MerchantID: "m1", ConversationID: convID, Limit: 1, Cursor: cursor})
		wantError(t, "Messages cursor "+cursor, err, store.ErrInvalid)
		_, err = f.s.Conversations(f.ctx, store.ConversationQuery{MerchantID: "m1", Limit: 1, Cursor: cursor})
		wantError(t, "Conversations cursor "+cursor, err, store.ErrInvalid)
	}
}
