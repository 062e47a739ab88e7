package store

import (
	"context"
	"time"
)

// QuickReply is one quick-reply option offered with an outgoing DM.
type QuickReply struct {
	Label       string
	Description string
	Metadata    string
}

// OutboxItem is a claimed outgoing DM: the message to send and where.
type OutboxItem struct {
	ID             int64 // the row's id, the number in the ID of the message QueueMessage returned
	MessageID      string
	ConversationID string
	AccountID      string
	MerchantID     string
	RecipientID    string // the conversation's participant
	Content        string
	QuickReplies   []QuickReply // nil when the DM has none
	Attempts       int          // claims so far, this one included
	QueuedAt       time.Time    // when QueueMessage stored the row, by the store's clock
	Lease          Lease        // this claim, for the settling calls; Lease.ID is ID
}

// LeaseExpiredReason is the StatusReason that ClaimOutbox gives a queued
// message whose outbox row's lease expired while sending.
const LeaseExpiredReason = "lease expired while sending"

// Outbox is the durable queue of DMs to send. A DM is stored first, as a
// message with status MessageQueued and an outbox row, and only then sent,
// so a crash never loses a DM a merchant asked for. Because a send that
// may have reached X must never be repeated, a row whose sender died while
// sending is not sent again: it becomes MessageUnknown and is settled by the
// echo of the DM that X delivers to the webhook (see RecordMessage).
//
// Outbox rows are pending (waiting for their time), sending (claimed under
// a lease) or settled (sent, failed or unknown: no longer in the queue).
// The settling calls MarkSent, MarkFailed, MarkUnknown and Reschedule take
// the Lease of the claim and act on a row that is sending under that lease.
// They return ErrNotFound when no row has lease.ID, and ErrNotClaimed,
// changing nothing, when the row is in another state or its current claim
// is another one (see Lease); the exceptions are stated on MarkSent. A
// sender whose lease has expired can still settle its row until a
// ClaimOutbox settles it as unknown. Settling never changes the status of a
// message that is already MessageSent.
//
// An echo is matched to a queued message by content (see RecordMessage), so
// of two queued DMs with the same content in one conversation, the echo of
// the one sent first may match the other. MarkSent then exchanges the two
// rows' messages, so that every row ends with a message that carries its own
// event id. The DMs are interchangeable, because their content is equal,
// but the message a row settles may be another one than QueueMessage
// returned for it; OutboxItem.MessageID names the current one.
type Outbox interface {
	// QueueMessage stores m as an outbound message with status
	// MessageQueued in the conversation conversationID of the merchant, and
	// an outbox row that becomes claimable at availableAt. The row's ID is
	// the number in the returned message's ID, for ClaimOutboxItem.
	//
	// m.XEventID must be empty, else QueueMessage returns ErrInvalid.
	// m.Direction, m.Status, m.StatusReason, m.ConversationID and
	// m.AccountID are set by the store. An empty m.SenderID becomes the
	// account's X user id, and a zero m.CreatedAt becomes the store's
	// current time. The message becomes the conversation's last message,
	// with m.Content as the preview, unless a message sorts before it in
	// Messages order. Another merchant's conversation yields ErrNotFound.
	QueueMessage(ctx context.Context, merchantID, conversationID string, m Message, quickReplies []QuickReply, availableAt time.Time) (Message, error)
	// ClaimOutbox leases up to limit pending rows whose time has come, oldest
	// availableAt first (ties by ID), to owner, moving them to sending and
	// counting an attempt. Before claiming, in the same transaction, it
	// settles every sending row whose lease expired as unknown (its sender
	// may have reached X), so such a row is never returned again. Its
	// message gets MessageUnknown and LeaseExpiredReason unless it is
	// already sent. Concurrent claimers never get the same row. It returns
	// ErrInvalid when limit is below 1 or lease is shorter than a
	// millisecond.
	ClaimOutbox(ctx context.Context, owner string, limit int, lease time.Duration) ([]OutboxItem, error)
	// ClaimOutboxItem leases one pending row by id regardless of its time,
	// for a caller that sends a just-queued DM at once. It returns
	// ErrNotFound when no pending row has the id, and ErrInvalid when lease
	// is shorter than a millisecond.
	ClaimOutboxItem(ctx context.Context, id int64, owner string, lease time.Duration) (OutboxItem, error)
	// MarkSent settles a sending row as sent: its message gets status
	// MessageSent, X's event id, sentAt as CreatedAt and an empty
	// StatusReason, and the conversation's last message becomes the first
	// message in Messages order again. It returns the row's message.
	//
	// It also accepts a row that was settled as unknown under lease, by
	// MarkUnknown or by a ClaimOutbox after the lease expired, because a
	// late result resolves the doubt. The lease check still applies to such
	// a row: an unknown row is never claimed again, so the claim whose send
	// is in doubt stays its last claim, and that claim's lease still
	// matches. MarkSent is idempotent: for a row sent under lease whose
	// message carries xEventID it returns that message and nil.
	//
	// The echo of the DM can arrive before MarkSent, with content that X
	// changed, and be recorded as its own message under xEventID. MarkSent
	// then merges the two: the queued message keeps its ID and content and
	// takes the echo's CreatedAt, which is X's time, and the echo's message
	// is deleted. When the echo matched another queued message, the rows
	// exchange messages (see Outbox). When the row's own message was matched
	// by the echo of another DM with the same content, the row takes another
	// queued message with that content, or, when none is left, a new message
	// stored for xEventID.
	//
	// It returns ErrInvalid when xEventID is empty or names a message that
	// cannot be this row's DM: an inbound one, one in another conversation,
	// one that another row was marked sent with, or another row's message
	// with other content.
	MarkSent(ctx context.Context, lease Lease, xEventID string, sentAt time.Time) (Message, error)
	// MarkFailed settles a sending row for good: the message gets
	// MessageFailed and reason (X's error text). It returns the row's
	// message.
	MarkFailed(ctx context.Context, lease Lease, reason string) (Message, error)
	// MarkUnknown settles a sending row whose send may have reached X: the
	// message gets MessageUnknown and reason until its echo arrives. It
	// returns the row's message.
	MarkUnknown(ctx context.Context, lease Lease, reason string) (Message, error)
	// Reschedule returns a sending row to pending, claimable at at, with
	// reason recorded as the message's StatusReason (a 429 or a transient
	// failure before the request reached X). The message stays queued.
	// The lease's claim ends: a later claim of the row has a new Lease.
	// A campaign DM whose recipient an opt-out or a cancellation withdrew
	// while it was being sent does not return to the queue. Reschedule
	// settles its row and message as failed instead, with ReasonOptedOut
	// or ReasonCancelled as the reason, and the recipient becomes opted
	// out or cancelled (see Campaigns).
	Reschedule(ctx context.Context, lease Lease, at time.Time, reason string) error
	// DeferAccount makes every pending row of the account that would become
	// claimable before until claimable at until instead, and returns how
	// many rows it moved. A sender calls it when the account's send limits
	// are exhausted, so that the account's queue is not claimed and put back
	// row by row until the limit opens.
	DeferAccount(ctx context.Context, accountID string, until time.Time) (int, error)
	// OutboxCounts returns the number of pending and sending rows. A row
	// whose lease has expired counts as sending until a ClaimOutbox settles
	// it.
	OutboxCounts(ctx context.Context) (pending, sending int, err error)
}
