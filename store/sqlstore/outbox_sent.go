package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/goodgo/xactivity/store"
)

// MarkSent settles a row as sent, merging or exchanging messages as needed;
// see store.Outbox.
func (s *Store) MarkSent(ctx context.Context, lease store.Lease, xEventID string, sentAt time.Time) (store.Message, error) {
	if xEventID == "" {
		return store.Message{}, fmt.Errorf("sqlstore: MarkSent needs an X event id: %w", store.ErrInvalid)
	}
	var msg store.Message
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		msg, err = s.markSent(ctx, tx, lease, xEventID, sentAt.UnixMilli())
		return err
	})
	return msg, wrap("mark outbox row sent", err)
}

func (s *Store) markSent(ctx context.Context, tx *sql.Tx, lease store.Lease, xEventID string, sentAt int64) (store.Message, error) {
	row, err := s.leasedRow(ctx, tx, lease)
	if err != nil {
		return store.Message{}, err
	}
	msg, err := s.message(ctx, tx, row.messageID)
	if err != nil {
		return store.Message{}, err
	}
	settleable := row.status == outboxSending || row.status == outboxUnknown
	if msg.XEventID == xEventID && (settleable || row.status == outboxSent) {
		return msg, s.settleSent(ctx, tx, lease)
	}
	if !settleable {
		return store.Message{}, fmt.Errorf("sqlstore: outbox row %d is %s: %w", row.id, row.status, store.ErrNotClaimed)
	}
	msg, err = s.sentMessage(ctx, tx, row, msg, xEventID, sentAt)
	if err != nil {
		return store.Message{}, err
	}
	return msg, s.settleSent(ctx, tx, lease)
}

func (s *Store) message(ctx context.Context, tx *sql.Tx, id int64) (store.Message, error) {
	row := tx.QueryRowContext(ctx, s.q("SELECT "+messageColumns+" FROM messages WHERE id = ? "+s.dialect.rowLock), id)
	return scanMessage(row)
}

func (s *Store) settleSent(ctx context.Context, tx *sql.Tx, lease store.Lease) error {
	return s.updateLeased(ctx, tx, lease, `UPDATE outbox SET status = 'sent', updated_at = ?
		WHERE status IN ('sending', 'unknown', 'sent') AND id = ? AND lease_owner = ? AND attempts = ?`,
		s.nowMillis())
}

// sentMessage makes a message of the row's conversation carry xEventID as
// the row's DM and returns it. msg is the row's message.
func (s *Store) sentMessage(ctx context.Context, tx *sql.Tx, row outboxRow, msg store.Message, xEventID string, sentAt int64) (store.Message, error) {
	holder, err := scanMessage(tx.QueryRowContext(ctx, s.q("SELECT "+messageColumns+
		" FROM messages WHERE account_id = ? AND x_event_id = ? "+s.dialect.rowLock), row.accountID, xEventID))
	if errors.Is(err, store.ErrNotFound) {
		return s.sendAs(ctx, tx, row, msg, xEventID, sentAt)
	}
	if err != nil {
		return store.Message{}, err
	}
	if holder.ConversationID != formatID(row.conversationID) || holder.Direction != store.Outbound {
		return store.Message{}, fmt.Errorf("sqlstore: X event id %q belongs to an inbound message or one of another conversation: %w", xEventID, store.ErrInvalid)
	}

	holderID, _ := parseID(holder.ID)
	other, err := s.readOutboxRow(ctx, tx, "message_id = ?", holderID)
	switch {
	case err == nil:
		return holder, s.exchange(ctx, tx, row, other, msg, holder)
	case !errors.Is(err, store.ErrNotFound):
		return store.Message{}, err
	case msg.XEventID != "":
		// The row's message carries another echo; the stored echo is the
		// row's DM.
		return holder, s.relink(ctx, tx, row.id, holderID)
	}

	// Merge the stored echo into the queued message. The echo goes first,
	// because it holds the event id.
	if _, err := tx.ExecContext(ctx, s.q("DELETE FROM messages WHERE id = ?"), holderID); err != nil {
		return store.Message{}, err
	}
	msgID, _ := parseID(msg.ID)
	merged, err := s.setSent(ctx, tx, msgID, xEventID, holder.CreatedAt.UnixMilli())
	if err != nil {
		return store.Message{}, err
	}
	return merged, s.refreshLast(ctx, tx, row.conversationID, msgID, "")
}

// sendAs gives the row's DM the event id, which no message has yet. The
// row's message takes it, unless the echo of another DM with the same
// content took that message. Then the row takes the next unsent message
// with that content, or a new one.
func (s *Store) sendAs(ctx context.Context, tx *sql.Tx, row outboxRow, msg store.Message, xEventID string, sentAt int64) (store.Message, error) {
	msgID, _ := parseID(msg.ID)
	if msg.XEventID != "" {
		var err error
		if msgID, err = s.takeUnsent(ctx, tx, row, msg, sentAt); err != nil {
			return store.Message{}, err
		}
	}
	sent, err := s.setSent(ctx, tx, msgID, xEventID, sentAt)
	if err != nil {
		return store.Message{}, err
	}
	return sent, s.refreshLast(ctx, tx, row.conversationID, msgID, "")
}

// takeUnsent links the row to the oldest unsent message with the content
// of taken, exchanging messages with that message's row, or to a new
// message copied from taken when there is none. It returns the id of the
// message the row sends now.
func (s *Store) takeUnsent(ctx context.Context, tx *sql.Tx, row outboxRow, taken store.Message, sentAt int64) (int64, error) {
	nextID, err := s.oldestUnsent(ctx, tx, row.conversationID, taken.Content)
	if err != nil {
		return 0, err
	}
	if nextID != 0 {
		other, err := s.readOutboxRow(ctx, tx, "message_id = ?", nextID)
		if err != nil {
			return 0, err
		}
		return nextID, s.swapMessages(ctx, tx, row, other)
	}
	var id int64
	err = tx.QueryRowContext(ctx, s.q(`INSERT INTO messages
		(conversation_id, account_id, direction, x_event_id, sender_id, content, type, status,
		 status_reason, created_at)
		VALUES (?, ?, ?, NULL, ?, ?, ?, ?, '', ?) RETURNING id`),
		row.conversationID, row.accountID, store.Outbound, taken.SenderID, taken.Content, taken.Type,
		store.MessageQueued, sentAt).Scan(&id)
	if err != nil {
		return 0, err
	}
	return id, s.relink(ctx, tx, row.id, id)
}

// relink makes the row send the message with the id. The message it sent
// before is left without a row.
func (s *Store) relink(ctx context.Context, tx *sql.Tx, rowID, messageID int64) error {
	_, err := tx.ExecContext(ctx, s.q("UPDATE outbox SET message_id = ? WHERE id = ?"), messageID, rowID)
	return err
}

// swapMessages exchanges the messages of two outbox rows. The index on
// outbox.message_id is not unique, so the two updates may run in either
// order.
func (s *Store) swapMessages(ctx context.Context, tx *sql.Tx, a, b outboxRow) error {
	if err := s.relink(ctx, tx, a.id, b.messageID); err != nil {
		return err
	}
	return s.relink(ctx, tx, b.id, a.messageID)
}

// exchange gives row the message holder, which an echo matched although
// the row other queued it, and gives other the row's message msg. That
// message takes the state of other unless an echo already marked it sent.
func (s *Store) exchange(ctx context.Context, tx *sql.Tx, row, other outboxRow, msg, holder store.Message) error {
	switch {
	case other.status == outboxSent:
		return fmt.Errorf("sqlstore: X event id %q was marked sent with outbox row %d: %w", holder.XEventID, other.id, store.ErrInvalid)
	case holder.Content != msg.Content:
		return fmt.Errorf("sqlstore: X event id %q belongs to outbox row %d with other content: %w", holder.XEventID, other.id, store.ErrInvalid)
	}
	if err := s.swapMessages(ctx, tx, row, other); err != nil || msg.XEventID != "" {
		return err
	}
	_, err := tx.ExecContext(ctx, s.q("UPDATE messages SET status = ?, status_reason = ? WHERE id = ?"),
		unsentStatus(other.status), other.lastReason, row.messageID)
	return err
}

// unsentStatus returns the status of an unsent message whose outbox row is
// in the state status.
func unsentStatus(status string) store.MessageStatus {
	switch status {
	case outboxUnknown:
		return store.MessageUnknown
	case outboxFailed:
		return store.MessageFailed
	default:
		return store.MessageQueued
	}
}
