package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCursorRoundTrip(t *testing.T) {
	tests := []struct {
		ms  int64
		key string
	}{
		{1764851234567, "42"},
		{-62135596800000, "1234567890123456789"},
		{0, "a:b"},
	}
	for _, tt := range tests {
		ms, key, err := decodeCursor(encodeCursor(tt.ms, tt.key))
		if err != nil || ms != tt.ms || key != tt.key {
			t.Errorf("decodeCursor(encodeCursor(%d, %q)) = %d, %q, %v; want the same values", tt.ms, tt.key, ms, key, err)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(1, "2"))
	f.Add("")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, s string) {
		ms, key, err := decodeCursor(s)
		if err != nil {
			return
		}
		if key == "" {
			t.Fatalf("decodeCursor(%q) returned an empty key without an error", s)
		}
		ms2, key2, err := decodeCursor(encodeCursor(ms, key))
		if err != nil || ms2 != ms || key2 != key {
			t.Errorf("cursor (%d, %q) does not survive a round trip: (%d, %q), %v", ms, key, ms2, key2, err)
		}
	})
}

func TestDecodeMessageCursor(t *testing.T) {
	tests := []struct {
		name   string
		cursor string
		want   messagePosition
	}{
		{"sent message", encodeMessageCursor(messagePosition{ms: 5, eventID: "99", id: 7}), messagePosition{ms: 5, eventID: "99", id: 7}},
		{"unsent message", encodeMessageCursor(messagePosition{ms: 5, id: 8}), messagePosition{ms: 5, id: 8}},
		{"older form", encodeCursor(5, "99"), messagePosition{ms: 5, eventID: "99"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeMessageCursor(tt.cursor)
			if err != nil || got != tt.want {
				t.Errorf("decodeMessageCursor(%q) = %+v, %v; want %+v", tt.cursor, got, err, tt.want)
			}
		})
	}
	if _, err := decodeMessageCursor("%%%"); !errors.Is(err, ErrInvalid) {
		t.Errorf("decodeMessageCursor of a malformed cursor: got error %v, want ErrInvalid", err)
	}
}

// TestMessagesOlderCursor checks that a message cursor made before DMs could
// be queued, whose key is only the event id, still names its position.
func TestMessagesOlderCursor(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	a, _, err := m.ConnectAccount(ctx, Account{MerchantID: "m1", XUserID: "100"})
	if err != nil {
		t.Fatalf("ConnectAccount: %v", err)
	}
	var convID string
	for _, event := range []string{"9", "10", "11"} {
		msg, _, err := m.RecordMessage(ctx, Conversation{AccountID: a.ID, ParticipantID: "555"},
			Message{XEventID: event, CreatedAt: time.UnixMilli(1000)})
		if err != nil {
			t.Fatalf("RecordMessage: %v", err)
		}
		convID = msg.ConversationID
	}
	q := MessageQuery{MerchantID: "m1", ConversationID: convID, Limit: 10, Cursor: encodeCursor(1000, "10")}
	page, err := m.Messages(ctx, q)
	if err != nil {
		t.Fatalf("Messages with an older cursor: %v", err)
	}
	if len(page.Items) != 1 || page.Items[0].XEventID != "9" {
		t.Errorf("Messages after the older cursor of event 10 = %+v, want only event 9", page.Items)
	}
}

func FuzzDecodeMessageCursor(f *testing.F) {
	f.Add(encodeMessageCursor(messagePosition{ms: 1, eventID: "2", id: 3}))
	f.Add(encodeCursor(1, "2"))
	f.Add(encodeCursor(1, "-1:x"))
	f.Fuzz(func(t *testing.T, s string) {
		pos, err := decodeMessageCursor(s)
		if err != nil || s == "" {
			return
		}
		again, err := decodeMessageCursor(encodeMessageCursor(pos))
		if err != nil || again != pos {
			t.Errorf("position %+v does not survive a round trip: %+v, %v", pos, again, err)
		}
	})
}
