package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/goodgo/xactivity/store"
)

const (
	conversationColumns = "id, merchant_id, account_id, participant_id, participant_username, " +
		"last_message_at, last_message_preview"
	messageColumns = "id, conversation_id, account_id, direction, x_event_id, sender_id, " +
		"content, type, status, status_reason, created_at"
)

// Messages order: newest created_at first, then the X event id compared as
// a number, larger first, then the row id, larger first. x_event_id is NULL
// until an outbound DM is sent. eventKey reads it as the empty string,
// which sorts below every event id in every database, whereas databases
// disagree on where NULL sorts.
const (
	eventKey     = "COALESCE(x_event_id, '')"
	messageOrder = "created_at DESC, octet_length(" + eventKey + ") DESC, " + eventKey + " DESC, id DESC"
	messageAfter = "(created_at, octet_length(" + eventKey + "), " + eventKey + ", id) < (?, ?, ?, ?)"
)

func scanConversation(row rowScanner) (store.Conversation, error) {
	var c store.Conversation
	var id, accountID, last int64
	err := row.Scan(&id, &c.MerchantID, &accountID, &c.ParticipantID, &c.ParticipantUsername,
		&last, &c.LastMessagePreview)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Conversation{}, store.ErrNotFound
	}
	c.ID = formatID(id)
	c.AccountID = formatID(accountID)
	c.LastMessageAt = fromMillis(last)
	return c, err
}

func scanMessage(row rowScanner) (store.Message, error) {
	var m store.Message
	var id, convID, accountID, created int64
	var eventID sql.NullString
	err := row.Scan(&id, &convID, &accountID, &m.Direction, &eventID, &m.SenderID,
		&m.Content, &m.Type, &m.Status, &m.StatusReason, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Message{}, store.ErrNotFound
	}
	m.XEventID = eventID.String
	m.ID = formatID(id)
	m.ConversationID = formatID(convID)
	m.AccountID = formatID(accountID)
	m.CreatedAt = fromMillis(created)
	return m, err
}

// RecordMessage stores a message and updates its conversation; see
// store.Conversations.
func (s *Store) RecordMessage(ctx context.Context, c store.Conversation, m store.Message) (store.Message, bool, error) {
	if m.XEventID == "" || c.ParticipantID == "" {
		return store.Message{}, false, fmt.Errorf("sqlstore: message needs an X event id and a participant id: %w", store.ErrInvalid)
	}
	accountID, ok := parseID(c.AccountID)
	if !ok {
		return store.Message{}, false, store.ErrNotFound
	}
	var stored store.Message
	var inserted bool
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		stored, inserted, err = s.recordMessage(ctx, tx, accountID, c, m)
		return err
	})
	return stored, inserted, wrap("record message", err)
}

func (s *Store) recordMessage(ctx context.Context, tx *sql.Tx, accountID int64, c store.Conversation, m store.Message) (store.Message, bool, error) {
	// The account's row is locked as lockAccount locks it.
	var merchantID string
	err := tx.QueryRowContext(ctx, s.q("SELECT merchant_id FROM accounts WHERE id = ? "+s.dialect.accountLock),
		accountID).Scan(&merchantID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && c.MerchantID != "" && c.MerchantID != merchantID) {
		return store.Message{}, false, store.ErrNotFound
	}
	if err != nil {
		return store.Message{}, false, err
	}
	row := tx.QueryRowContext(ctx,
		s.q("SELECT "+messageColumns+" FROM messages WHERE account_id = ? AND x_event_id = ?"), accountID, m.XEventID)
	if old, err := scanMessage(row); !errors.Is(err, store.ErrNotFound) {
		return old, false, err
	}

	if m.Direction == store.Outbound {
		matched, err := s.matchEcho(ctx, tx, accountID, c, m)
		if err != nil || matched.ID != "" {
			return matched, false, err
		}
	}

	convID, err := s.upsertConversation(ctx, tx, merchantID, accountID, c, m)
	if err != nil {
		return store.Message{}, false, err
	}
	row = tx.QueryRowContext(ctx, s.q(`INSERT INTO messages
		(conversation_id, account_id, direction, x_event_id, sender_id, content, type, status,
		 status_reason, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+messageColumns),
		convID, accountID, m.Direction, m.XEventID, m.SenderID, m.Content, m.Type, m.Status,
		m.StatusReason, m.CreatedAt.UnixMilli())
	stored, err := scanMessage(row)
	return stored, true, err
}

// matchEcho applies the echo m to the oldest unsent DM with the same
// content in the account's conversation with c.ParticipantID, and returns
// that message. It returns a zero Message when there is none.
func (s *Store) matchEcho(ctx context.Context, tx *sql.Tx, accountID int64, c store.Conversation, m store.Message) (store.Message, error) {
	var convID int64
	err := tx.QueryRowContext(ctx, s.q("SELECT id FROM conversations WHERE account_id = ? AND participant_id = ?"),
		accountID, c.ParticipantID).Scan(&convID)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Message{}, nil
	}
	if err != nil {
		return store.Message{}, err
	}
	id, err := s.oldestUnsent(ctx, tx, convID, m.Content)
	if err != nil || id == 0 {
		return store.Message{}, err
	}
	matched, err := s.setSent(ctx, tx, id, m.XEventID, m.CreatedAt.UnixMilli())
	if err != nil {
		return store.Message{}, err
	}
	if c.ParticipantUsername != "" {
		// An echo older than the last message may carry a username the
		// participant has changed since.
		_, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET participant_username = ?
			WHERE id = ? AND (participant_username = '' OR last_message_at <= ?)`),
			c.ParticipantUsername, convID, m.CreatedAt.UnixMilli())
		if err != nil {
			return store.Message{}, err
		}
	}
	return matched, s.refreshLast(ctx, tx, convID, id, c.LastMessagePreview)
}

// oldestUnsentSQL selects the message an echo of content matches: the
// oldest outbound message of the conversation without an event id that is
// queued or unknown. The messages_unsent index holds the candidates.
const oldestUnsentSQL = `SELECT id FROM messages
	WHERE conversation_id = ? AND x_event_id IS NULL AND direction = 'outbound'
		AND status IN ('queued', 'unknown') AND content = ?
	ORDER BY created_at, id LIMIT 1`

// oldestUnsent returns the id of the message that an echo of content
// matches in the conversation, or 0 when there is none.
func (s *Store) oldestUnsent(ctx context.Context, tx *sql.Tx, convID int64, content string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, s.q(oldestUnsentSQL+" "+s.dialect.rowLock), convID, content).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// setSent gives the message the event id, status sent, an empty reason and
// the creation time, and returns it.
func (s *Store) setSent(ctx context.Context, tx *sql.Tx, id int64, xEventID string, createdAt int64) (store.Message, error) {
	row := tx.QueryRowContext(ctx, s.q(`UPDATE messages
		SET x_event_id = ?, status = ?, status_reason = '', created_at = ?
		WHERE id = ? RETURNING `+messageColumns),
		xEventID, store.MessageSent, createdAt, id)
	return scanMessage(row)
}

// refreshLast makes the first message in Messages order the conversation's
// last message again, after a message moved or was deleted. The preview
// stays when the position does not change. It becomes hint when the new
// last message is the one with id movedID and hint is non-empty, and the
// message's content otherwise.
func (s *Store) refreshLast(ctx context.Context, tx *sql.Tx, convID, movedID int64, hint string) error {
	var id, at int64
	var eventID, content string
	err := tx.QueryRowContext(ctx, s.q("SELECT id, created_at, "+eventKey+", content FROM messages "+
		"WHERE conversation_id = ? ORDER BY "+messageOrder+" LIMIT 1"), convID).Scan(&id, &at, &eventID, &content)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if id == movedID && hint != "" {
		content = hint
	}
	_, err = tx.ExecContext(ctx, s.q(`UPDATE conversations
		SET last_message_at = ?, last_message_x_event_id = ?, last_message_preview = ?
		WHERE id = ? AND (last_message_at <> ? OR last_message_x_event_id <> ?)`),
		at, eventID, content, convID, at, eventID)
	return err
}

// upsertConversationSQL creates the conversation or updates it. A message
// becomes the last one when its (time, event id) position is after the
// current one, event ids comparing as numbers: longer first, then byte by
// byte. Its username replaces the stored one under the same rule, or when
// none is stored, because an older delivery may carry a username the
// participant has changed since. On update every SET expression reads the
// old row.
const upsertConversationSQL = `INSERT INTO conversations
	(merchant_id, account_id, participant_id, participant_username,
	 last_message_at, last_message_x_event_id, last_message_preview)
	VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (account_id, participant_id) DO UPDATE SET
	participant_username = CASE WHEN excluded.participant_username <> ''
		AND (conversations.participant_username = '' OR ` + newerMessage + `)
		THEN excluded.participant_username ELSE conversations.participant_username END,
	last_message_at = CASE WHEN ` + newerMessage + `
		THEN excluded.last_message_at ELSE conversations.last_message_at END,
	last_message_x_event_id = CASE WHEN ` + newerMessage + `
		THEN excluded.last_message_x_event_id ELSE conversations.last_message_x_event_id END,
	last_message_preview = CASE WHEN ` + newerMessage + `
		THEN excluded.last_message_preview ELSE conversations.last_message_preview END
	RETURNING id`

const newerMessage = `(excluded.last_message_at, octet_length(excluded.last_message_x_event_id),
		excluded.last_message_x_event_id) >
	(conversations.last_message_at, octet_length(conversations.last_message_x_event_id),
		conversations.last_message_x_event_id)`

func (s *Store) upsertConversation(ctx context.Context, tx *sql.Tx, merchantID string, accountID int64, c store.Conversation, m store.Message) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, s.q(upsertConversationSQL),
		merchantID, accountID, c.ParticipantID, c.ParticipantUsername,
		m.CreatedAt.UnixMilli(), m.XEventID, cmp.Or(c.LastMessagePreview, m.Content)).Scan(&id)
	return id, err
}

// Conversation returns one of the merchant's conversations; see
// store.Conversations.
func (s *Store) Conversation(ctx context.Context, merchantID, id string) (store.Conversation, error) {
	n, ok := parseID(id)
	if !ok {
		return store.Conversation{}, store.ErrNotFound
	}
	row := s.db.QueryRowContext(ctx,
		s.q("SELECT "+conversationColumns+" FROM conversations WHERE id = ? AND merchant_id = ?"), n, merchantID)
	c, err := scanConversation(row)
	return c, wrap("read conversation", err)
}

// Conversations lists conversations, most recent first; see
// store.Conversations.
func (s *Store) Conversations(ctx context.Context, q store.ConversationQuery) (store.Page[store.Conversation], error) {
	query, args, err := s.conversationsQuery(ctx, q)
	if err != nil {
		return store.Page[store.Conversation]{}, wrap("list conversations", err)
	}
	list, err := queryList(ctx, s.db, query, args, scanConversation)
	if err != nil {
		return store.Page[store.Conversation]{}, wrap("list conversations", err)
	}
	return page(list, q.Limit, func(c store.Conversation) string {
		id, _ := parseID(c.ID)
		return encodeCursor(c.LastMessageAt.UnixMilli(), id, "")
	}), nil
}

// conversationsQuery checks q and returns the query for its page.
func (s *Store) conversationsQuery(ctx context.Context, q store.ConversationQuery) (string, []any, error) {
	if err := checkLimit(q.Limit); err != nil {
		return "", nil, err
	}
	var c cursor
	if q.Cursor != "" {
		var err error
		if c, err = decodeCursor(q.Cursor); err != nil || c.id == 0 || c.key != "" {
			return "", nil, invalidCursor(q.Cursor)
		}
	}

	query := "SELECT " + conversationColumns + " FROM conversations WHERE merchant_id = ?"
	args := []any{q.MerchantID}
	if q.AccountID != "" {
		accountID, ok := parseID(q.AccountID)
		if !ok {
			return "", nil, store.ErrNotFound
		}
		if err := s.checkAccount(ctx, s.db, q.MerchantID, accountID); err != nil {
			return "", nil, err
		}
		query += " AND account_id = ?"
		args = append(args, accountID)
	}
	if q.Cursor != "" {
		query += " AND (last_message_at, id) < (?, ?)"
		args = append(args, c.millis, c.id)
	}
	query += " ORDER BY last_message_at DESC, id DESC LIMIT ?"
	return s.q(query), append(args, fetchLimit(q.Limit)), nil
}

// Messages lists a conversation's messages, newest first; see
// store.Conversations.
func (s *Store) Messages(ctx context.Context, q store.MessageQuery) (store.Page[store.Message], error) {
	query, args, err := s.messagesQuery(ctx, q)
	if err != nil {
		return store.Page[store.Message]{}, wrap("list messages", err)
	}
	list, err := queryList(ctx, s.db, query, args, scanMessage)
	if err != nil {
		return store.Page[store.Message]{}, wrap("list messages", err)
	}
	return page(list, q.Limit, func(m store.Message) string {
		id, _ := parseID(m.ID)
		return encodeCursor(m.CreatedAt.UnixMilli(), id, m.XEventID)
	}), nil
}

// messagesQuery checks q and returns the query for its page.
func (s *Store) messagesQuery(ctx context.Context, q store.MessageQuery) (string, []any, error) {
	if err := checkLimit(q.Limit); err != nil {
		return "", nil, err
	}
	var c cursor
	if q.Cursor != "" {
		var err error
		// A cursor of this version names the message id; an older one has
		// id 0 and a non-empty event id, which names the same position.
		if c, err = decodeCursor(q.Cursor); err != nil || (c.key == "" && c.id == 0) {
			return "", nil, invalidCursor(q.Cursor)
		}
	}
	convID, ok := parseID(q.ConversationID)
	if !ok {
		return "", nil, store.ErrNotFound
	}
	err := exists(s.db.QueryRowContext(ctx,
		s.q("SELECT 1 FROM conversations WHERE id = ? AND merchant_id = ?"), convID, q.MerchantID))
	if err != nil {
		return "", nil, err
	}
	query := "SELECT " + messageColumns + " FROM messages WHERE conversation_id = ?"
	args := []any{convID}
	if q.Cursor != "" {
		query += " AND " + messageAfter
		args = append(args, c.millis, len(c.key), c.key, c.id)
	}
	query += " ORDER BY " + messageOrder + " LIMIT ?"
	return s.q(query), append(args, fetchLimit(q.Limit)), nil
}

// queryList runs a query and scans every row.
func queryList[T any](ctx context.Context, db querier, query string, args []any, scan func(rowScanner) (T, error)) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []T
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, item)
	}
	return list, rows.Err()
}

// page returns the first limit items of list, which holds up to limit+1
// rows, with the cursor of the last item when more rows remain.
func page[T any](list []T, limit int, cursorOf func(T) string) store.Page[T] {
	p := store.Page[T]{Items: list}
	if len(list) > limit {
		p.Items = list[:limit:limit]
		p.NextCursor = cursorOf(list[limit-1])
	}
	return p
}

// fetchLimit returns the number of rows to read for a page of limit items:
// one more, to learn whether another page follows.
func fetchLimit(limit int) int {
	return min(limit, 1<<31) + 1
}

func checkLimit(limit int) error {
	if limit < 1 {
		return fmt.Errorf("sqlstore: limit %d is less than 1: %w", limit, store.ErrInvalid)
	}
	return nil
}
