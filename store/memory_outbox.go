package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// outboxStatus is the state of an outbox row. Pending and sending rows are
// in the queue; the others are settled.
type outboxStatus string

const (
	outboxPending outboxStatus = "pending"
	outboxSending outboxStatus = "sending"
	outboxSent    outboxStatus = "sent"
	outboxFailed  outboxStatus = "failed"
	outboxUnknown outboxStatus = "unknown"
)

// memOutbox is one outbox row. Its id is the id of the message QueueMessage
// stored. messageID names the message it sends now, which is another one
// after MarkSent exchanged the messages of two rows.
type memOutbox struct {
	id             int64
	messageID      int64
	conversationID string
	accountID      string
	merchantID     string
	recipientID    string
	content        string
	quickReplies   []QuickReply
	status         outboxStatus
	availableAt    int64  // Unix ms
	owner          string // the owner of the last claim, kept after settling
	leaseUntil     int64  // Unix ms, while sending
	attempts       int
	lastReason     string
	queuedAt       time.Time
	recipient      *memRecipient // the campaign recipient whose DM the row sends, or nil
}

// QueueMessage stores an outgoing DM and its outbox row; see Outbox.
func (m *Memory) QueueMessage(ctx context.Context, merchantID, conversationID string, msg Message, quickReplies []QuickReply, availableAt time.Time) (Message, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, err
	}
	if msg.XEventID != "" {
		return Message{}, fmt.Errorf("store: a queued message must not have an X event id: %w", ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	conv := m.merchantConversation(merchantID, conversationID)
	if conv == nil {
		return Message{}, ErrNotFound
	}
	return m.queueMessage(conv, msg, quickReplies, availableAt), nil
}

// queueMessage stores msg as a queued outbound message in conv, with its
// outbox row, as QueueMessage describes. m.mu must be held.
func (m *Memory) queueMessage(conv *memConversation, msg Message, quickReplies []QuickReply, availableAt time.Time) Message {
	accountID, _ := parseID(conv.AccountID)
	now := m.now()
	id := m.nextID()
	stored := msg
	stored.ID = formatID(id)
	stored.ConversationID = conv.ID
	stored.AccountID = conv.AccountID
	stored.Direction = Outbound
	stored.SenderID = cmp.Or(msg.SenderID, m.accounts[accountID].XUserID)
	stored.Status = MessageQueued
	stored.StatusReason = ""
	stored.CreatedAt = now
	if !msg.CreatedAt.IsZero() {
		stored.CreatedAt = truncMillis(msg.CreatedAt)
	}
	m.messages[id] = &stored
	conv.advanceLast(stored, stored.Content)

	m.outbox[id] = &memOutbox{
		id:             id,
		messageID:      id,
		conversationID: conv.ID,
		accountID:      conv.AccountID,
		merchantID:     conv.MerchantID,
		recipientID:    conv.ParticipantID,
		content:        stored.Content,
		quickReplies:   cloneQuickReplies(quickReplies),
		status:         outboxPending,
		availableAt:    availableAt.UnixMilli(),
		queuedAt:       now,
	}
	m.rowByMessage[id] = id
	return stored
}

func cloneQuickReplies(list []QuickReply) []QuickReply {
	if len(list) == 0 {
		return nil
	}
	return slices.Clone(list)
}

// ClaimOutbox settles expired leases, then leases pending rows whose time
// has come; see Outbox.
func (m *Memory) ClaimOutbox(ctx context.Context, owner string, limit int, lease time.Duration) ([]OutboxItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validateClaim(limit, lease); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().UnixMilli()
	m.expireLeases(now)
	var due []*memOutbox
	for _, row := range m.outbox {
		if row.status == outboxPending && row.availableAt <= now {
			due = append(due, row)
		}
	}
	slices.SortFunc(due, func(a, b *memOutbox) int {
		return cmp.Or(cmp.Compare(a.availableAt, b.availableAt), cmp.Compare(a.id, b.id))
	})
	var items []OutboxItem
	for _, row := range due[:min(limit, len(due))] {
		row.lease(owner, now, lease)
		items = append(items, m.outboxItem(row))
	}
	return items, nil
}

// expireLeases settles every sending row whose lease ended at or before now
// as unknown. m.mu must be held.
func (m *Memory) expireLeases(now int64) {
	for _, row := range m.outbox {
		if row.status != outboxSending || row.leaseUntil > now {
			continue
		}
		row.status = outboxUnknown
		row.lastReason = LeaseExpiredReason
		m.setUnsentStatus(row, MessageUnknown, LeaseExpiredReason)
	}
}

// setUnsentStatus sets the status and reason of the row's message unless it
// is already sent. m.mu must be held.
func (m *Memory) setUnsentStatus(row *memOutbox, status MessageStatus, reason string) {
	msg := m.messages[row.messageID]
	if msg.Status != MessageSent {
		msg.Status = status
		msg.StatusReason = reason
	}
}

func (row *memOutbox) lease(owner string, now int64, lease time.Duration) {
	row.status = outboxSending
	row.attempts++
	row.owner = owner
	row.leaseUntil = now + lease.Milliseconds()
}

// outboxItem returns the claimed row as an OutboxItem. m.mu must be held.
func (m *Memory) outboxItem(row *memOutbox) OutboxItem {
	return OutboxItem{
		ID:             row.id,
		MessageID:      formatID(row.messageID),
		ConversationID: row.conversationID,
		AccountID:      row.accountID,
		MerchantID:     row.merchantID,
		RecipientID:    row.recipientID,
		Content:        row.content,
		QuickReplies:   cloneQuickReplies(row.quickReplies),
		Attempts:       row.attempts,
		QueuedAt:       row.queuedAt,
		Lease:          Lease{ID: row.id, Owner: row.owner, Attempt: row.attempts},
	}
}

// ClaimOutboxItem leases one pending row; see Outbox.
func (m *Memory) ClaimOutboxItem(ctx context.Context, id int64, owner string, lease time.Duration) (OutboxItem, error) {
	if err := ctx.Err(); err != nil {
		return OutboxItem{}, err
	}
	if err := validateClaim(1, lease); err != nil {
		return OutboxItem{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	row := m.outbox[id]
	if row == nil || row.status != outboxPending {
		return OutboxItem{}, ErrNotFound
	}
	row.lease(owner, m.now().UnixMilli(), lease)
	return m.outboxItem(row), nil
}

// leasedRow returns the outbox row that lease claimed if lease is its last
// claim. m.mu must be held.
func (m *Memory) leasedRow(lease Lease) (*memOutbox, error) {
	row := m.outbox[lease.ID]
	switch {
	case row == nil:
		return nil, ErrNotFound
	case row.owner != lease.Owner || row.attempts != lease.Attempt:
		return nil, fmt.Errorf("store: outbox row %d is no longer held by attempt %d of %q: %w",
			lease.ID, lease.Attempt, lease.Owner, ErrNotClaimed)
	}
	return row, nil
}

// sendingRow returns the outbox row that lease claimed if it is sending
// under lease. m.mu must be held.
func (m *Memory) sendingRow(lease Lease) (*memOutbox, error) {
	row, err := m.leasedRow(lease)
	if err == nil && row.status != outboxSending {
		return nil, fmt.Errorf("store: outbox row %d is %s: %w", lease.ID, row.status, ErrNotClaimed)
	}
	return row, err
}

// MarkFailed settles a sending row as failed; see Outbox.
func (m *Memory) MarkFailed(ctx context.Context, lease Lease, reason string) (Message, error) {
	return m.settle(ctx, lease, outboxFailed, MessageFailed, reason)
}

// MarkUnknown settles a sending row as unknown; see Outbox.
func (m *Memory) MarkUnknown(ctx context.Context, lease Lease, reason string) (Message, error) {
	return m.settle(ctx, lease, outboxUnknown, MessageUnknown, reason)
}

func (m *Memory) settle(ctx context.Context, lease Lease, status outboxStatus, msgStatus MessageStatus, reason string) (Message, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	row, err := m.sendingRow(lease)
	if err != nil {
		return Message{}, err
	}
	row.status = status
	row.lastReason = reason
	m.setUnsentStatus(row, msgStatus, reason)
	return *m.messages[row.messageID], nil
}

// Reschedule returns a sending row to pending; see Outbox.
func (m *Memory) Reschedule(ctx context.Context, lease Lease, at time.Time, reason string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	row, err := m.sendingRow(lease)
	if err != nil {
		return err
	}
	if r := row.recipient; r != nil && r.status == RecipientQueued && r.withdrawnAs != "" {
		// An opt-out or a cancellation withdrew the DM while it was
		// being sent.
		withdrawn := withdrawalReason(r.withdrawnAs)
		row.status = outboxFailed
		row.lastReason = withdrawn
		m.setUnsentStatus(row, MessageFailed, withdrawn)
		r.status = r.withdrawnAs
		return nil
	}
	row.status = outboxPending
	row.availableAt = at.UnixMilli()
	row.lastReason = reason
	m.setUnsentStatus(row, MessageQueued, reason)
	return nil
}

// DeferAccount postpones the account's pending rows to until; see Outbox.
func (m *Memory) DeferAccount(ctx context.Context, accountID string, until time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	moved := 0
	for _, row := range m.outbox {
		if row.accountID == accountID && row.status == outboxPending && row.availableAt < until.UnixMilli() {
			row.availableAt = until.UnixMilli()
			moved++
		}
	}
	return moved, nil
}

// OutboxCounts returns the number of pending and sending rows; see Outbox.
func (m *Memory) OutboxCounts(ctx context.Context) (pending, sending int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, row := range m.outbox {
		switch row.status {
		case outboxPending:
			pending++
		case outboxSending:
			sending++
		}
	}
	return pending, sending, nil
}

// MarkSent settles a row as sent, merging or exchanging messages as needed;
// see Outbox.
func (m *Memory) MarkSent(ctx context.Context, lease Lease, xEventID string, sentAt time.Time) (Message, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, err
	}
	if xEventID == "" {
		return Message{}, fmt.Errorf("store: MarkSent needs an X event id: %w", ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	row, err := m.leasedRow(lease)
	if err != nil {
		return Message{}, err
	}
	settleable := row.status == outboxSending || row.status == outboxUnknown
	if msg := m.messages[row.messageID]; msg.XEventID == xEventID && (settleable || row.status == outboxSent) {
		row.settleSent()
		return *msg, nil
	}
	if !settleable {
		return Message{}, fmt.Errorf("store: outbox row %d is %s: %w", row.id, row.status, ErrNotClaimed)
	}
	msg, err := m.sentMessage(row, xEventID, sentAt)
	if err != nil {
		return Message{}, err
	}
	row.settleSent()
	return *msg, nil
}

func (row *memOutbox) settleSent() {
	row.status = outboxSent
}

// sentMessage makes a message of the row's conversation carry xEventID as
// the row's DM and returns it. m.mu must be held.
func (m *Memory) sentMessage(row *memOutbox, xEventID string, sentAt time.Time) (*Message, error) {
	msg := m.messages[row.messageID]
	convID, _ := parseID(row.conversationID)
	conv := m.conversations[convID]

	holderID, ok := m.msgByEvent[[2]string{row.accountID, xEventID}]
	if !ok {
		if msg.XEventID != "" {
			// The echo of another DM with the same content took the row's
			// message: the row takes the next unsent one, or a new one.
			msg = m.takeUnsent(row, msg)
		}
		m.markSent(msg, xEventID, sentAt)
		m.refreshLast(conv, msg.ID, "")
		return msg, nil
	}

	holder := m.messages[holderID]
	if holder.ConversationID != row.conversationID || holder.Direction != Outbound {
		return nil, fmt.Errorf("store: X event id %q belongs to an inbound message or one of another conversation: %w", xEventID, ErrInvalid)
	}
	if otherID, linked := m.rowByMessage[holderID]; linked {
		if err := m.exchange(row, m.outbox[otherID], holder); err != nil {
			return nil, err
		}
		return holder, nil
	}

	if msg.XEventID != "" {
		// The row's message carries another echo; the stored echo is the
		// row's DM.
		m.relink(row, holderID)
		return holder, nil
	}
	// Merge the stored echo into the queued message.
	delete(m.messages, holderID)
	m.markSent(msg, xEventID, holder.CreatedAt)
	m.refreshLast(conv, msg.ID, "")
	return msg, nil
}

// takeUnsent links the row to the oldest unsent message with the content of
// taken, exchanging messages with that message's row, or to a new message
// copied from taken when there is none. It returns the message the row
// sends now. m.mu must be held.
func (m *Memory) takeUnsent(row *memOutbox, taken *Message) *Message {
	if next := m.oldestUnsent(row.conversationID, taken.Content); next != nil {
		nextID, _ := parseID(next.ID)
		other := m.outbox[m.rowByMessage[nextID]]
		other.messageID, row.messageID = row.messageID, nextID
		m.rowByMessage[other.messageID] = other.id
		m.rowByMessage[row.messageID] = row.id
		return next
	}
	id := m.nextID()
	fresh := &Message{
		ID:             formatID(id),
		ConversationID: taken.ConversationID,
		AccountID:      taken.AccountID,
		Direction:      Outbound,
		SenderID:       taken.SenderID,
		Content:        taken.Content,
		Type:           taken.Type,
	}
	m.messages[id] = fresh
	m.relink(row, id)
	return fresh
}

// relink makes the row send the message with the id. The message it sent
// before is left without a row. m.mu must be held.
func (m *Memory) relink(row *memOutbox, messageID int64) {
	delete(m.rowByMessage, row.messageID)
	row.messageID = messageID
	m.rowByMessage[messageID] = row.id
}

// exchange gives row the message holder, which an echo matched although
// other's row queued it, and gives other the row's message. That message
// takes the state of other's row unless an echo already marked it sent.
// m.mu must be held.
func (m *Memory) exchange(row, other *memOutbox, holder *Message) error {
	msg := m.messages[row.messageID]
	switch {
	case other.status == outboxSent:
		return fmt.Errorf("store: X event id %q was marked sent with outbox row %d: %w", holder.XEventID, other.id, ErrInvalid)
	case holder.Content != msg.Content:
		return fmt.Errorf("store: X event id %q belongs to outbox row %d with other content: %w", holder.XEventID, other.id, ErrInvalid)
	}
	holderID, _ := parseID(holder.ID)
	other.messageID, row.messageID = row.messageID, holderID
	m.rowByMessage[other.messageID] = other.id
	m.rowByMessage[row.messageID] = row.id
	if msg.XEventID == "" {
		msg.Status = unsentStatus(other.status)
		msg.StatusReason = other.lastReason
	}
	return nil
}

// unsentStatus returns the status of an unsent message whose row is in
// status s.
func unsentStatus(s outboxStatus) MessageStatus {
	switch s {
	case outboxUnknown:
		return MessageUnknown
	case outboxFailed:
		return MessageFailed
	default:
		return MessageQueued
	}
}
