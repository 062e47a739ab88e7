package sqlstore

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// applyFirst applies only the first n migrations to db, as an older release
// of this package did.
func applyFirst(t *testing.T, db *sql.DB, n int) {
	t.Helper()
	ctx := context.Background()
	list, err := loadMigrations(sqlite)
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		t.Fatalf("create schema_migrations: %v", err)
	}
	for _, m := range list[:n] {
		if err := applyMigration(ctx, db, sqlite, m, 0); err != nil {
			t.Fatalf("apply %s: %v", m.name, err)
		}
	}
}

func mustExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// TestMigrateOutboxKeepsMessages applies 0002_outbox.sql to a database with
// messages, the newest of them deleted, and checks that the messages are
// kept and that the deleted message's id is not handed out again.
func TestMigrateOutboxKeepsMessages(t *testing.T) {
	db := openDB(t, tempDSN(t))
	applyFirst(t, db, 1)
	mustExec(t, db, `INSERT INTO accounts (id, merchant_id, x_user_id, username, status, created_at, updated_at)
		VALUES (1, 'm1', '100', 'shop', 'active', 0, 0)`)
	mustExec(t, db, `INSERT INTO conversations (id, merchant_id, account_id, participant_id, participant_username,
		last_message_at, last_message_x_event_id, last_message_preview) VALUES (1, 'm1', 1, '555', 'alice', 3000, '30', 'c')`)
	for i, event := range []string{"10", "20", "30"} {
		mustExec(t, db, `INSERT INTO messages (conversation_id, account_id, direction, x_event_id, sender_id, content,
			type, status, created_at) VALUES (1, 1, 'inbound', ?, '555', ?, 'text', 'received', ?)`,
			event, "message "+event, (i+1)*1000)
	}
	mustExec(t, db, "DELETE FROM messages WHERE x_event_id = '30'")

	ctx := context.Background()
	s, err := Open(ctx, db, WithClock(func() time.Time { return time.UnixMilli(5000) }))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	page, err := s.Messages(ctx, store.MessageQuery{MerchantID: "m1", ConversationID: "1", Limit: 10})
	if err != nil {
		t.Fatalf("Messages: %v", err)
	}
	want := []store.Message{
		{ID: "2", ConversationID: "1", AccountID: "1", Direction: store.Inbound, XEventID: "20", SenderID: "555",
			Content: "message 20", Type: "text", Status: store.MessageReceived, CreatedAt: time.UnixMilli(2000).UTC()},
		{ID: "1", ConversationID: "1", AccountID: "1", Direction: store.Inbound, XEventID: "10", SenderID: "555",
			Content: "message 10", Type: "text", Status: store.MessageReceived, CreatedAt: time.UnixMilli(1000).UTC()},
	}
	if len(page.Items) != len(want) {
		t.Fatalf("Messages after the migration = %+v, want %+v", page.Items, want)
	}
	for i := range want {
		if page.Items[i] != want[i] {
			t.Errorf("message %d after the migration = %+v, want %+v", i, page.Items[i], want[i])
		}
	}
	for _, wantID := range []string{"4", "5"} {
		m, err := s.QueueMessage(ctx, "m1", "1", store.Message{Content: "queued"}, nil, time.UnixMilli(5000))
		if err != nil {
			t.Fatalf("QueueMessage: %v", err)
		}
		if m.ID != wantID {
			t.Errorf("queued message id = %s, want %s: ids after the deleted 3", m.ID, wantID)
		}
	}
}

// TestMessagesOlderCursor checks that a message cursor made before DMs could
// be queued, with id 0 and an event id, still names its position.
func TestMessagesOlderCursor(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	a, _, err := s.ConnectAccount(ctx, store.Account{MerchantID: "m1", XUserID: "100"})
	if err != nil {
		t.Fatalf("ConnectAccount: %v", err)
	}
	var convID string
	for _, event := range []string{"9", "10", "11"} {
		m, _, err := s.RecordMessage(ctx, store.Conversation{AccountID: a.ID, ParticipantID: "555"},
			store.Message{XEventID: event, CreatedAt: time.UnixMilli(1000)})
		if err != nil {
			t.Fatalf("RecordMessage: %v", err)
		}
		convID = m.ConversationID
	}
	older := encodeCursor(1000, 0, "10")
	page, err := s.Messages(ctx, store.MessageQuery{MerchantID: "m1", ConversationID: convID, Limit: 10, Cursor: older})
	if err != nil {
		t.Fatalf("Messages with an older cursor: %v", err)
	}
	if len(page.Items) != 1 || page.Items[0].XEventID != "9" {
		t.Errorf("Messages after the older cursor of event 10 = %+v, want only event 9", page.Items)
	}
}
