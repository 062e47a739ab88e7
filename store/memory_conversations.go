package store

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	if c.ParticipantUsername != "" {
		conv.ParticipantUsername = c.ParticipantUsername
	}
	if fresh || compareMessageOrder(msg.CreatedAt.UnixMilli(), msg.XEventID,
		conv.LastMessageAt.UnixMilli(), conv.lastEventID) > 0 {
		conv.LastMessageAt = msg.CreatedAt
		conv.lastEventID = msg.XEventID
		conv.LastMessagePreview = cmp.Or(c.LastMessagePreview, msg.Content)
	}
	return conv
}

// compareMessageOrder compares two message positions, given as creation time
// in Unix milliseconds and X event id: +1 means the first is newer.
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
	afterMs, afterID, err := decodeMessageCursor(q.Cursor)
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
		if q.Cursor != "" && compareMessageOrder(msg.CreatedAt.UnixMilli(), msg.XEventID, afterMs, afterID) >= 0 {
			continue
		}
		list = append(list, *msg)
	}
	slices.SortFunc(list, func(a, b Message) int {
		return -compareMessageOrder(a.CreatedAt.UnixMilli(), a.XEventID, b.CreatedAt.UnixMilli(), b.XEventID)
	})
	return messagePage(list, q.Limit), nil
}

func messagePage(list []Message, limit int) Page[Message] {
	p := Page[Message]{Items: list}
	if len(list) > limit {
		p.Items = list[:limit:limit]
		last := list[limit-1]
		p.NextCursor = encodeCursor(last.CreatedAt.UnixMilli(), last.XEventID)
	}
	return p
}

func decodeMessageCursor(cursor string) (int64, string, error) {
	if cursor == "" {
		return 0, "", nil
	}
	ms, key, err := decodeCursor(cursor)
	if err != nil {
		return 0, "", fmt.Errorf("store: invalid cursor %.40q: %w", cursor, ErrInvalid)
	}
	return ms, key, nil
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
