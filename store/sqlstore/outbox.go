package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/goodgo/xactivity/store"
)

// Outbox row states. Pending and sending rows are in the queue; the others
// are settled.
const (
	outboxPending = "pending"
	outboxSending = "sending"
	outboxSent    = "sent"
	outboxFailed  = "failed"
	outboxUnknown = "unknown"
)

const outboxItemColumns = "id, message_id, conversation_id, account_id, merchant_id, recipient_id, " +
	"content, quick_replies, attempts, lease_owner, created_at, available_at"

// quickReply is the JSON form of a store.QuickReply in outbox.quick_replies.
type quickReply struct {
	Label       string `json:"label"`
	Description string `json:"description,omitempty"`
	Metadata    string `json:"metadata,omitempty"`
}

func encodeQuickReplies(list []store.QuickReply) (string, error) {
	replies := make([]quickReply, len(list))
	for i, r := range list {
		replies[i] = quickReply(r)
	}
	b, err := json.Marshal(replies)
	return string(b), err
}

// decodeQuickReplies returns the quick replies in text, or nil when there
// are none.
func decodeQuickReplies(text string) ([]store.QuickReply, error) {
	var replies []quickReply
	if err := json.Unmarshal([]byte(text), &replies); err != nil {
		return nil, fmt.Errorf("decode quick replies: %w", err)
	}
	if len(replies) == 0 {
		return nil, nil
	}
	list := make([]store.QuickReply, len(replies))
	for i, r := range replies {
		list[i] = store.QuickReply(r)
	}
	return list, nil
}

// claimedRow is a claimed outbox row with its available_at, which orders
// the rows of one claim.
type claimedRow struct {
	item        store.OutboxItem
	availableAt int64
}

func scanClaimedRow(row rowScanner) (claimedRow, error) {
	var r claimedRow
	var messageID, convID, accountID, queued int64
	var replies string
	err := row.Scan(&r.item.ID, &messageID, &convID, &accountID, &r.item.MerchantID, &r.item.RecipientID,
		&r.item.Content, &replies, &r.item.Attempts, &r.item.Lease.Owner, &queued, &r.availableAt)
	if errors.Is(err, sql.ErrNoRows) {
		return claimedRow{}, store.ErrNotFound
	}
	if err != nil {
		return claimedRow{}, err
	}
	r.item.MessageID = formatID(messageID)
	r.item.ConversationID = formatID(convID)
	r.item.AccountID = formatID(accountID)
	r.item.QueuedAt = fromMillis(queued)
	r.item.Lease.ID, r.item.Lease.Attempt = r.item.ID, r.item.Attempts
	r.item.QuickReplies, err = decodeQuickReplies(replies)
	return r, err
}

// QueueMessage stores an outgoing DM and its outbox row; see store.Outbox.
func (s *Store) QueueMessage(ctx context.Context, merchantID, conversationID string, m store.Message, quickReplies []store.QuickReply, availableAt time.Time) (store.Message, error) {
	if m.XEventID != "" {
		return store.Message{}, fmt.Errorf("sqlstore: a queued message must not have an X event id: %w", store.ErrInvalid)
	}
	convID, ok := parseID(conversationID)
	if !ok {
		return store.Message{}, store.ErrNotFound
	}
	replies, err := encodeQuickReplies(quickReplies)
	if err != nil {
		return store.Message{}, wrap("queue message", err)
	}
	var stored store.Message
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		stored, err = s.queueMessage(ctx, tx, merchantID, convID, m, replies, availableAt.UnixMilli())
		return err
	})
	return stored, wrap("queue message", err)
}

// advanceToUnsentSQL makes a just-queued message, which has no event id,
// the conversation's last message unless the current one sorts before it.
// Of two unsent messages created in the same millisecond, the one inserted
// later sorts first, so an equal position counts as newer.
const advanceToUnsentSQL = `UPDATE conversations
	SET last_message_at = ?, last_message_x_event_id = '', last_message_preview = ?
	WHERE id = ? AND (?, 0, '') >=
		(last_message_at, octet_length(last_message_x_event_id), last_message_x_event_id)`

const insertOutboxSQL = `INSERT INTO outbox
	(id, message_id, conversation_id, account_id, merchant_id, recipient_id, content, quick_replies,
	 status, available_at, lease_owner, lease_until, attempts, last_reason, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, '', 0, 0, '', ?, ?)`

func (s *Store) queueMessage(ctx context.Context, tx *sql.Tx, merchantID string, convID int64, m store.Message, replies string, availableAt int64) (store.Message, error) {
	var accountID int64
	err := tx.QueryRowContext(ctx, s.q("SELECT account_id FROM conversations WHERE id = ? AND merchant_id = ?"),
		convID, merchantID).Scan(&accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Message{}, store.ErrNotFound
	}
	if err != nil {
		return store.Message{}, err
	}
	if err := s.lockAccount(ctx, tx, accountID); err != nil {
		return store.Message{}, err
	}
	var participantID, xUserID string
	err = tx.QueryRowContext(ctx, s.q(`SELECT c.account_id, c.participant_id, a.x_user_id
		FROM conversations c JOIN accounts a ON a.id = c.account_id
		WHERE c.id = ? AND c.merchant_id = ?`), convID, merchantID).Scan(&accountID, &participantID, &xUserID)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Message{}, store.ErrNotFound
	}
	if err != nil {
		return store.Message{}, err
	}

	now := s.nowMillis()
	created := now
	if !m.CreatedAt.IsZero() {
		created = m.CreatedAt.UnixMilli()
	}
	row := tx.QueryRowContext(ctx, s.q(`INSERT INTO messages
		(conversation_id, account_id, direction, x_event_id, sender_id, content, type, status,
		 status_reason, created_at)
		VALUES (?, ?, ?, NULL, ?, ?, ?, ?, '', ?) RETURNING `+messageColumns),
		convID, accountID, store.Outbound, cmp.Or(m.SenderID, xUserID), m.Content, m.Type, store.MessageQueued, created)
	stored, err := scanMessage(row)
	if err != nil {
		return store.Message{}, err
	}
	if _, err := tx.ExecContext(ctx, s.q(advanceToUnsentSQL), created, m.Content, convID, created); err != nil {
		return store.Message{}, err
	}

	id, _ := parseID(stored.ID)
	_, err = tx.ExecContext(ctx, s.q(insertOutboxSQL),
		id, id, convID, accountID, merchantID, participantID, m.Content, replies, availableAt, now, now)
	return stored, err
}

// claimOutboxSQL leases the pending rows whose time has come in one
// statement, so two claimers can never take the same row. Its WHERE
// repeats the condition of the outbox_claimable index so that the database
// can use it.
const claimOutboxSQL = `UPDATE outbox
	SET status = 'sending', attempts = attempts + 1, lease_owner = ?, lease_until = ?, updated_at = ?
	WHERE id IN (
		SELECT id FROM outbox
		WHERE status = 'pending' AND available_at <= ?
		ORDER BY available_at, id LIMIT ? %s)
	RETURNING ` + outboxItemColumns

// expireRowsSQL settles, as unknown, the sending rows whose lease ended at
// or before a time, and returns their messages. The rows keep lease_owner
// and attempts, so the late MarkSent of the expired claim still matches
// them. The rows are changed before their messages, in the order in which
// the settling calls lock them, so that the two do not deadlock.
const expireRowsSQL = `UPDATE outbox SET status = 'unknown', last_reason = ?, updated_at = ?
	WHERE status = 'sending' AND lease_until <= ?
	RETURNING message_id`

// expireMessageSQL gives an expired row's message status unknown while it
// is still queued.
const expireMessageSQL = `UPDATE messages SET status = 'unknown', status_reason = ?
	WHERE id = ? AND status = 'queued'`

// ClaimOutbox settles expired leases, then leases pending rows whose time
// has come; see store.Outbox.
func (s *Store) ClaimOutbox(ctx context.Context, owner string, limit int, lease time.Duration) ([]store.OutboxItem, error) {
	if err := checkClaim(limit, lease); err != nil {
		return nil, err
	}
	var rows []claimedRow
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		now := s.nowMillis()
		if err := s.expireLeases(ctx, tx, now); err != nil {
			return err
		}
		var err error
		query := s.q(fmt.Sprintf(claimOutboxSQL, s.dialect.claimLock))
		rows, err = queryList(ctx, tx, query, []any{owner, now + lease.Milliseconds(), now, now, limit}, scanClaimedRow)
		return err
	})
	if err != nil {
		return nil, wrap("claim outbox", err)
	}
	slices.SortFunc(rows, func(a, b claimedRow) int {
		return cmp.Or(cmp.Compare(a.availableAt, b.availableAt), cmp.Compare(a.item.ID, b.item.ID))
	})
	var items []store.OutboxItem
	for _, r := range rows {
		items = append(items, r.item)
	}
	return items, nil
}

// expireLeases settles the sending rows whose lease ended by now as
// unknown, with their queued messages.
func (s *Store) expireLeases(ctx context.Context, tx *sql.Tx, now int64) error {
	messageIDs, err := queryList(ctx, tx, s.q(expireRowsSQL), []any{store.LeaseExpiredReason, now, now},
		func(row rowScanner) (int64, error) {
			var id int64
			err := row.Scan(&id)
			return id, err
		})
	if err != nil {
		return err
	}
	for _, id := range messageIDs {
		if _, err := tx.ExecContext(ctx, s.q(expireMessageSQL), store.LeaseExpiredReason, id); err != nil {
			return err
		}
	}
	return nil
}

// ClaimOutboxItem leases one pending row; see store.Outbox.
func (s *Store) ClaimOutboxItem(ctx context.Context, id int64, owner string, lease time.Duration) (store.OutboxItem, error) {
	if err := checkClaim(1, lease); err != nil {
		return store.OutboxItem{}, err
	}
	var r claimedRow
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		now := s.nowMillis()
		row := tx.QueryRowContext(ctx, s.q(`UPDATE outbox
			SET status = 'sending', attempts = attempts + 1, lease_owner = ?, lease_until = ?, updated_at = ?
			WHERE id = ? AND status = 'pending' RETURNING `+outboxItemColumns),
			owner, now+lease.Milliseconds(), now, id)
		var err error
		r, err = scanClaimedRow(row)
		return err
	})
	return r.item, wrap("claim outbox item", err)
}

// outboxRow is the part of an outbox row that settling reads.
type outboxRow struct {
	id, messageID, conversationID, accountID int64
	status, lastReason, leaseOwner           string
	attempts                                 int
}

// readOutboxRow returns the outbox row that matches where, a condition on
// one argument, or store.ErrNotFound.
func (s *Store) readOutboxRow(ctx context.Context, tx *sql.Tx, where string, arg int64) (outboxRow, error) {
	var r outboxRow
	err := tx.QueryRowContext(ctx, s.q("SELECT id, message_id, conversation_id, account_id, status, last_reason, "+
		"lease_owner, attempts FROM outbox WHERE "+where+" "+s.dialect.rowLock), arg).
		Scan(&r.id, &r.messageID, &r.conversationID, &r.accountID, &r.status, &r.lastReason, &r.leaseOwner, &r.attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return outboxRow{}, store.ErrNotFound
	}
	return r, err
}

// leasedRow returns the outbox row that lease claimed if lease is its last
// claim, whatever the row's status. It locks the row's account first (see
// lockAccount), then the row.
func (s *Store) leasedRow(ctx context.Context, tx *sql.Tx, lease store.Lease) (outboxRow, error) {
	var accountID int64
	err := tx.QueryRowContext(ctx, s.q("SELECT account_id FROM outbox WHERE id = ?"), lease.ID).Scan(&accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return outboxRow{}, store.ErrNotFound
	}
	if err != nil {
		return outboxRow{}, err
	}
	if err := s.lockAccount(ctx, tx, accountID); err != nil {
		return outboxRow{}, err
	}
	r, err := s.readOutboxRow(ctx, tx, "id = ?", lease.ID)
	if err == nil && (r.leaseOwner != lease.Owner || r.attempts != lease.Attempt) {
		return outboxRow{}, fmt.Errorf("sqlstore: outbox row %d is no longer held by attempt %d of %q: %w",
			lease.ID, lease.Attempt, lease.Owner, store.ErrNotClaimed)
	}
	return r, err
}

// sendingRow returns the outbox row that lease claimed if it is sending
// under lease.
func (s *Store) sendingRow(ctx context.Context, tx *sql.Tx, lease store.Lease) (outboxRow, error) {
	r, err := s.leasedRow(ctx, tx, lease)
	if err == nil && r.status != outboxSending {
		return outboxRow{}, fmt.Errorf("sqlstore: outbox row %d is %s: %w", lease.ID, r.status, store.ErrNotClaimed)
	}
	return r, err
}

// updateLeased runs an UPDATE of the outbox row that lease claimed, whose
// WHERE clause ends with "id = ? AND lease_owner = ? AND attempts = ?", so
// that it changes the row only under lease even without the row lock that
// leasedRow takes. It returns store.ErrNotClaimed when no row changed.
func (s *Store) updateLeased(ctx context.Context, tx *sql.Tx, lease store.Lease, query string, args ...any) error {
	args = append(args, lease.ID, lease.Owner, lease.Attempt)
	n, err := rowsAffected(tx.ExecContext(ctx, s.q(query), args...))
	if err == nil && n != 1 {
		return fmt.Errorf("sqlstore: outbox row %d changed under attempt %d of %q: %w",
			lease.ID, lease.Attempt, lease.Owner, store.ErrNotClaimed)
	}
	return err
}

// setUnsentStatus sets the status and reason of the message unless it is
// already sent, and returns the message.
func (s *Store) setUnsentStatus(ctx context.Context, tx *sql.Tx, id int64, status store.MessageStatus, reason string) (store.Message, error) {
	row := tx.QueryRowContext(ctx, s.q(`UPDATE messages
		SET status = CASE WHEN status = 'sent' THEN status ELSE ? END,
			status_reason = CASE WHEN status = 'sent' THEN status_reason ELSE ? END
		WHERE id = ? RETURNING `+messageColumns), status, reason, id)
	return scanMessage(row)
}

// MarkFailed settles a sending row as failed; see store.Outbox.
func (s *Store) MarkFailed(ctx context.Context, lease store.Lease, reason string) (store.Message, error) {
	return s.settle(ctx, lease, outboxFailed, store.MessageFailed, reason)
}

// MarkUnknown settles a sending row as unknown; see store.Outbox.
func (s *Store) MarkUnknown(ctx context.Context, lease store.Lease, reason string) (store.Message, error) {
	return s.settle(ctx, lease, outboxUnknown, store.MessageUnknown, reason)
}

func (s *Store) settle(ctx context.Context, lease store.Lease, status string, msgStatus store.MessageStatus, reason string) (store.Message, error) {
	var msg store.Message
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		row, err := s.sendingRow(ctx, tx, lease)
		if err != nil {
			return err
		}
		err = s.updateLeased(ctx, tx, lease, `UPDATE outbox SET status = ?, last_reason = ?, updated_at = ?
			WHERE status = 'sending' AND id = ? AND lease_owner = ? AND attempts = ?`,
			status, reason, s.nowMillis())
		if err != nil {
			return err
		}
		msg, err = s.setUnsentStatus(ctx, tx, row.messageID, msgStatus, reason)
		return err
	})
	return msg, wrap("settle outbox row", err)
}

// Reschedule returns a sending row to pending, or settles it as failed
// when its campaign recipient was withdrawn; see store.Outbox.
func (s *Store) Reschedule(ctx context.Context, lease store.Lease, at time.Time, reason string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		row, err := s.sendingRow(ctx, tx, lease)
		if err != nil {
			return err
		}
		withdrawnAs, err := s.withdrawnAs(ctx, tx, row.id)
		if err != nil {
			return err
		}
		if withdrawnAs != "" {
			return s.settleWithdrawn(ctx, tx, lease, row, withdrawnAs)
		}
		err = s.updateLeased(ctx, tx, lease, `UPDATE outbox
			SET status = 'pending', available_at = ?, last_reason = ?, updated_at = ?
			WHERE status = 'sending' AND id = ? AND lease_owner = ? AND attempts = ?`,
			at.UnixMilli(), reason, s.nowMillis())
		if err != nil {
			return err
		}
		_, err = s.setUnsentStatus(ctx, tx, row.messageID, store.MessageQueued, reason)
		return err
	})
	return wrap("reschedule outbox row", err)
}

// withdrawnAs returns the status that an opt-out or a cancellation
// recorded for the queued campaign recipient whose DM the outbox row
// sends, and "" when the row sends no such DM or nothing withdrew it.
func (s *Store) withdrawnAs(ctx context.Context, tx *sql.Tx, outboxID int64) (store.RecipientStatus, error) {
	var status store.RecipientStatus
	err := tx.QueryRowContext(ctx, s.q(`SELECT withdrawn_as FROM campaign_recipients
		WHERE outbox_id = ? AND status = 'queued'`), outboxID).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return status, err
}

// settleWithdrawn settles the sending row of a withdrawn recipient's DM
// as failed, with the reason of status, and gives the recipient status.
func (s *Store) settleWithdrawn(ctx context.Context, tx *sql.Tx, lease store.Lease, row outboxRow, status store.RecipientStatus) error {
	reason := withdrawalReason(status)
	now := s.nowMillis()
	err := s.updateLeased(ctx, tx, lease, `UPDATE outbox SET status = 'failed', last_reason = ?, updated_at = ?
		WHERE status = 'sending' AND id = ? AND lease_owner = ? AND attempts = ?`, reason, now)
	if err != nil {
		return err
	}
	if _, err := s.setUnsentStatus(ctx, tx, row.messageID, store.MessageFailed, reason); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, s.q("UPDATE campaign_recipients SET status = ?, updated_at = ? WHERE outbox_id = ?"),
		status, now, row.id)
	return err
}

// DeferAccount postpones the account's pending rows to until; see
// store.Outbox.
func (s *Store) DeferAccount(ctx context.Context, accountID string, until time.Time) (int, error) {
	account, ok := parseID(accountID)
	if !ok {
		return 0, nil // no such account, so no rows
	}
	var moved int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE outbox SET available_at = ?, updated_at = ?
			WHERE account_id = ? AND status = 'pending' AND available_at < ?`),
			until.UnixMilli(), s.nowMillis(), account, until.UnixMilli())
		if err != nil {
			return err
		}
		moved, err = res.RowsAffected()
		return err
	})
	return int(moved), wrap("defer account outbox rows", err)
}

// OutboxCounts returns the number of pending and sending rows; see
// store.Outbox.
func (s *Store) OutboxCounts(ctx context.Context) (pending, sending int, err error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT status, COUNT(*) FROM outbox WHERE status IN ('pending', 'sending') GROUP BY status")
	if err != nil {
		return 0, 0, wrap("count outbox rows", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return 0, 0, wrap("count outbox rows", err)
		}
		if status == outboxPending {
			pending = n
		} else {
			sending = n
		}
	}
	return pending, sending, wrap("count outbox rows", rows.Err())
}
