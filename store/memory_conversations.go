package store

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

func sortAccounts(list []Account) {
	slices.SortFunc(list, func(a, b Account) int {
		x, _ := parseID(a.ID)
		y, _ := parseID(b.ID)
		return cmp.Compare(x, y)
	})
}

// RecordMessage stores a message and updates its conversation; see
// Conversations.
func (m *Memory) RecordMessage(ctx context.Context, c Conversation, msg Message) (Message, bool, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, false, err
	}
	if msg.XEventID == "" || c.ParticipantID == "" {
		return Message{}, false, fmt.Errorf("store: message needs an X event id and a participant id: %w", ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, _ := parseID(c.AccountID)
	a := m.accounts[n]
	if a == nil || (c.MerchantID != "" && c.MerchantID != a.MerchantID) {
		return Message{}, false, ErrNotFound
	}
	if id, ok := m.msgByEvent[[2]string{c.AccountID, msg.XEventID}]; ok {
		return *m.messages[id], false, nil
	}

	if msg.Direction == Outbound {
		if match := m.matchEcho(c, msg); match != nil {
			return *match, false, nil
		}
	}

	stored := msg
	stored.CreatedAt = truncMillis(msg.CreatedAt)
	conv := m.upsertConversation(a, c, stored)
	id := m.nextID()
	stored.ID = formatID(id)
	stored.ConversationID = conv.ID
	stored.AccountID = c.AccountID
	m.messages[id] = &stored
	m.msgByEvent[[2]string{c.AccountID, msg.XEventID}] = id
	return stored, true, nil
}

// upsertConversation creates or updates the conversation that msg belongs
// to. m.mu must be held.
func (m *Memory) upsertConversation(a *Account, c Conversation, msg Message) *memConversation {
	pair := [2]string{a.ID, c.ParticipantID}
	conv := m.conversations[m.convByPair[pair]]
	fresh := conv == nil
	if fresh {
		id := m.nextID()
		conv = &memConversation{Conversation: Conversation{
			ID:            formatID(id),
			MerchantID:    a.MerchantID,
			AccountID:     a.ID,
			ParticipantID: c.ParticipantID,
		}}
		m.conversations[id] = conv
		m.convByPair[pair] = id
	}
	// A username comes from the delivery's users map; a delivery older than
	// the last message may carry one the user has changed since.
	newer := compareMessageOrder(msg.CreatedAt.UnixMilli(), msg.XEventID, conv.LastMessageAt.UnixMilli(), conv.lastEventID) > 0
	if c.ParticipantUsername != "" && (fresh || conv.ParticipantUsername == "" || newer) {
		conv.ParticipantUsername = c.ParticipantUsername
	}
	if fresh {
		conv.setLast(msg, cmp.Or(c.LastMessagePreview, msg.Content))
	} else {
		conv.advanceLast(msg, cmp.Or(c.LastMessagePreview, msg.Content))
	}
	return conv
}

// setLast makes msg the conversation's last message.
func (conv *memConversation) setLast(msg Message, preview string) {
	conv.LastMessageAt = msg.CreatedAt
	conv.lastEventID = msg.XEventID
	conv.LastMessagePreview = preview
}

// advanceLast makes msg, which was just inserted, the conversation's last
// message unless the current one sorts before it. Of two unsent messages
// created in the same millisecond, the one inserted later sorts first, so
// an equal position with an empty event id counts as newer.
func (conv *memConversation) advanceLast(msg Message, preview string) {
	c := compareMessageOrder(msg.CreatedAt.UnixMilli(), msg.XEventID, conv.LastMessageAt.UnixMilli(), conv.lastEventID)
	if c > 0 || (c == 0 && msg.XEventID == "") {
		conv.setLast(msg, preview)
	}
}

// refreshLast makes the first message in Messages order the conversation's
// last message again, after a message moved or was deleted. The preview
// stays when the position does not change. It becomes hint when the new
// last message is the one with id movedID and hint is non-empty, and the
// message's content otherwise. m.mu must be held.
func (m *Memory) refreshLast(conv *memConversation, movedID string, hint string) {
	var last *Message
	for _, msg := range m.messages {
		if msg.ConversationID == conv.ID && (last == nil || compareMessages(msg, last) > 0) {
			last = msg
		}
	}
	if last == nil || (last.CreatedAt.Equal(conv.LastMessageAt) && last.XEventID == conv.lastEventID) {
		return
	}
	preview := last.Content
	if last.ID == movedID && hint != "" {
		preview = hint
	}
	conv.setLast(*last, preview)
}

// matchEcho applies the echo msg to the oldest unsent outbound message with
// the same content in the conversation c names, and returns that message,
// or nil when there is none. m.mu must be held.
func (m *Memory) matchEcho(c Conversation, msg Message) *Message {
	conv := m.conversations[m.convByPair[[2]string{c.AccountID, c.ParticipantID}]]
	if conv == nil {
		return nil
	}
	match := m.oldestUnsent(conv.ID, msg.Content)
	if match == nil {
		return nil
	}
	m.markSent(match, msg.XEventID, msg.CreatedAt)
	if c.ParticipantUsername != "" && (conv.ParticipantUsername == "" || !msg.CreatedAt.Before(conv.LastMessageAt)) {
		conv.ParticipantUsername = c.ParticipantUsername
	}
	m.refreshLast(conv, match.ID, c.LastMessagePreview)
	return match
}

// oldestUnsent returns the oldest outbound message of the conversation with
// an empty event id, status queued or unknown and the content, or nil.
// m.mu must be held.
func (m *Memory) oldestUnsent(convID, content string) *Message {
	var oldest *Message
	for _, msg := range m.messages {
		unsent := msg.Status == MessageQueued || msg.Status == MessageUnknown
		if msg.ConversationID != convID || msg.Direction != Outbound || msg.XEventID != "" || !unsent || msg.Content != content {
			continue
		}
		if oldest == nil || compareMessages(msg, oldest) < 0 {
			oldest = msg
		}
	}
	return oldest
}

// markSent gives msg the event id, status sent and the creation time, and
// indexes it by the event id. m.mu must be held.
func (m *Memory) markSent(msg *Message, xEventID string, createdAt time.Time) {
	msg.XEventID = xEventID
	msg.Status = MessageSent
	msg.StatusReason = ""
	msg.CreatedAt = truncMillis(createdAt)
	id, _ := parseID(msg.ID)
	m.msgByEvent[[2]string{msg.AccountID, xEventID}] = id
}

// messagePosition is a message's place in Messages order: creation time in
// Unix milliseconds, X event id, and the numeric message id.
type messagePosition struct {
	ms      int64
	eventID string
	id      int64
}

func positionOf(msg *Message) messagePosition {
	id, _ := parseID(msg.ID)
	return messagePosition{ms: msg.CreatedAt.UnixMilli(), eventID: msg.XEventID, id: id}
}

// comparePositions compares two positions: +1 means a is newer, so it
// comes first in Messages order.
func comparePositions(a, b messagePosition) int {
	if c := compareMessageOrder(a.ms, a.eventID, b.ms, b.eventID); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

func compareMessages(a, b *Message) int { return comparePositions(positionOf(a), positionOf(b)) }

// compareMessageOrder compares two message positions, given as creation time
// in Unix milliseconds and X event id: +1 means the first is newer. An empty
// event id sorts below every other.
func compareMessageOrder(ms1 int64, id1 string, ms2 int64, id2 string) int {
	if c := cmp.Compare(ms1, ms2); c != 0 {
		return c
	}
	return CompareEventIDs(id1, id2)
}

// Conversation returns one of the merchant's conversations; see
// Conversations.
func (m *Memory) Conversation(ctx context.Context, merchantID, id string) (Conversation, error) {
	if err := ctx.Err(); err != nil {
		return Conversation{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	conv := m.merchantConversation(merchantID, id)
	if conv == nil {
		return Conversation{}, ErrNotFound
	}
	return conv.Conversation, nil
}

// merchantConversation returns the merchant's conversation with the id, or
// nil. m.mu must be held.
func (m *Memory) merchantConversation(merchantID, id string) *memConversation {
	n, ok := parseID(id)
	if !ok {
		return nil
	}
	conv := m.conversations[n]
	if conv == nil || conv.MerchantID != merchantID {
		return nil
	}
	return conv
}

// Conversations lists conversations, most recent first; see Conversations.
func (m *Memory) Conversations(ctx context.Context, q ConversationQuery) (Page[Conversation], error) {
	if err := ctx.Err(); err != nil {
		return Page[Conversation]{}, err
	}
	after, err := decodeConversationCursor(q.Limit, q.Cursor)
	if err != nil {
		return Page[Conversation]{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if q.AccountID != "" && m.merchantAccount(q.MerchantID, q.AccountID) == nil {
		return Page[Conversation]{}, ErrNotFound
	}
	var list []memConversation
	for _, conv := range m.conversations {
		if conv.MerchantID != q.MerchantID || (q.AccountID != "" && conv.AccountID != q.AccountID) {
			continue
		}
		if after != nil && compareConversationOrder(conv, after) >= 0 {
			continue
		}
		list = append(list, *conv)
	}
	slices.SortFunc(list, func(a, b memConversation) int {
		return -compareConversationOrder(&a, &b)
	})
	return conversationPage(list, q.Limit), nil
}

// compareConversationOrder compares list positions: +1 means a comes
// before b (more recent, or as recent with a larger id).
func compareConversationOrder(a, b *memConversation) int {
	if c := cmp.Compare(a.LastMessageAt.UnixMilli(), b.LastMessageAt.UnixMilli()); c != 0 {
		return c
	}
	x, _ := parseID(a.ID)
	y, _ := parseID(b.ID)
	return cmp.Compare(x, y)
}

func conversationPage(list []memConversation, limit int) Page[Conversation] {
	var p Page[Conversation]
	for i := 0; i < len(list) && i < limit; i++ {
		p.Items = append(p.Items, list[i].Conversation)
	}
	if len(list) > limit {
		last := list[limit-1]
		p.NextCursor = encodeCursor(last.LastMessageAt.UnixMilli(), last.ID)
	}
	return p
}

// decodeConversationCursor checks the limit and returns the position the
// cursor names, or nil for the first page.
func decodeConversationCursor(limit int, cursor string) (*memConversation, error) {
	if err := checkLimit(limit); err != nil || cursor == "" {
		return nil, err
	}
	ms, key, err := decodeCursor(cursor)
	if _, ok := parseID(key); err != nil || !ok {
		return nil, fmt.Errorf("store: invalid cursor %.40q: %w", cursor, ErrInvalid)
	}
	return &memConversation{Conversation: Conversation{
		ID:            key,
		LastMessageAt: timeFromMillis(ms),
	}}, nil
}

// Messages lists a conversation's messages, newest first; see
// Conversations.
func (m *Memory) Messages(ctx context.Context, q MessageQuery) (Page[Message], error) {
	if err := ctx.Err(); err != nil {
		return Page[Message]{}, err
	}
	if err := checkLimit(q.Limit); err != nil {
		return Page[Message]{}, err
	}
	after, err := decodeMessageCursor(q.Cursor)
	if err != nil {
		return Page[Message]{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.merchantConversation(q.MerchantID, q.ConversationID) == nil {
		return Page[Message]{}, ErrNotFound
	}
	var list []Message
	for _, msg := range m.messages {
		if msg.ConversationID != q.ConversationID {
			continue
		}
		if q.Cursor != "" && comparePositions(positionOf(msg), after) >= 0 {
			continue
		}
		list = append(list, *msg)
	}
	slices.SortFunc(list, func(a, b Message) int { return -compareMessages(&a, &b) })
	return messagePage(list, q.Limit), nil
}

func messagePage(list []Message, limit int) Page[Message] {
	p := Page[Message]{Items: list}
	if len(list) > limit {
		p.Items = list[:limit:limit]
		p.NextCursor = encodeMessageCursor(positionOf(&list[limit-1]))
	}
	return p
}

// encodeMessageCursor returns the cursor of a message position. Its key is
// "id:eventID", because the event id may be empty.
func encodeMessageCursor(pos messagePosition) string {
	return encodeCursor(pos.ms, strconv.FormatInt(pos.id, 10)+":"+pos.eventID)
}

// decodeMessageCursor returns the position encodeMessageCursor encoded. It
// also accepts the older form whose key is only the event id, which names
// the same position with id 0: event ids are unique in a conversation, and
// id 0 keeps the message itself off the next page.
func decodeMessageCursor(cursor string) (messagePosition, error) {
	if cursor == "" {
		return messagePosition{}, nil
	}
	ms, key, err := decodeCursor(cursor)
	if err != nil {
		return messagePosition{}, fmt.Errorf("store: invalid cursor %.40q: %w", cursor, ErrInvalid)
	}
	idText, eventID, ok := strings.Cut(key, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || id < 0 {
		return messagePosition{ms: ms, eventID: key}, nil
	}
	return messagePosition{ms: ms, eventID: eventID, id: id}, nil
}

func checkLimit(limit int) error {
	if limit < 1 {
		return fmt.Errorf("store: limit %d is less than 1: %w", limit, ErrInvalid)
	}
	return nil
}

// encodeCursor returns the opaque cursor of a list position: a time in Unix
// milliseconds and the key that orders rows of the same time.
func encodeCursor(ms int64, key string) string {
	text := strconv.FormatInt(ms, 10) + ":" + key
	return base64.RawURLEncoding.EncodeToString([]byte(text))
}

// decodeCursor returns the position encodeCursor encoded.
func decodeCursor(cursor string) (ms int64, key string, err error) {
	text, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, "", err
	}
	msText, key, ok := strings.Cut(string(text), ":")
	if !ok || key == "" {
		return 0, "", fmt.Errorf("store: cursor has no key")
	}
	ms, err = strconv.ParseInt(msText, 10, 64)
	return ms, key, err
}
