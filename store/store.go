// Package store defines the persistence contracts of a service built on this
// SDK: merchants' connected X accounts, DM conversations and messages, contact
// records, pending OAuth authorizations, DM campaigns, and the durable
// webhook inbox that sits between the webhook handler and the event
// processing.
//
// The package holds types and interfaces, the ordering helper
// CompareEventIDs, and an in-memory implementation (NewMemory) for tests and
// small programs. The sub-package sqlstore implements the same interfaces
// over database/sql, and storetest is the conformance suite every
// implementation must pass.
//
// Every method is safe for concurrent use. Methods that read tenant data take
// the merchant id and treat rows of another merchant as absent (ErrNotFound),
// so a caller can never reach another merchant's data by guessing an id. An id
// that no row has, including one that is not a valid id at all, is also
// ErrNotFound.
//
// Stores keep times with millisecond precision: every time a store returns is
// in UTC and truncated to the millisecond.
package store

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"time"
)

// Errors returned by every implementation. Callers test them with errors.Is.
var (
	// ErrNotFound reports that the row does not exist or belongs to another
	// merchant.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict reports that the X account is connected by another merchant.
	ErrConflict = errors.New("store: account connected by another merchant")
	// ErrInvalid reports an argument the store cannot accept, such as a list
	// limit below 1, a malformed cursor or an empty event key. Callers that
	// pass values from a request map it to a client error.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrClosed reports an Enqueue after Close.
	ErrClosed = errors.New("store: closed")
	// ErrNotClaimed reports that a call that settles an inbox or outbox row
	// was made under a Lease that is no longer the row's current claim. The
	// row may have been claimed again, settled already or returned to
	// pending, or the Lease names another owner or attempt. The call changed
	// nothing.
	ErrNotClaimed = errors.New("store: row not claimed under this lease")
)

// AccountStatus is the lifecycle state of a connected X account.
type AccountStatus string

// Account states.
const (
	AccountActive  AccountStatus = "active"
	AccountRevoked AccountStatus = "revoked"
)

// Account is a merchant's connected X account.
type Account struct {
	ID         string // the store's own id, a decimal or opaque string
	MerchantID string
	XUserID    string // X's user id, a decimal string
	Username   string // X handle without "@"
	Status     AccountStatus
	// Credentials is the sealed (encrypted) OAuth token and token secret. The
	// store keeps the bytes as given and never interprets them; it clears them
	// when the account is revoked or deleted.
	Credentials []byte
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Accounts stores connected X accounts.
type Accounts interface {
	// ConnectAccount creates the account for (a.MerchantID, a.XUserID), or,
	// when that merchant already has it (active or revoked), updates its
	// username and credentials and sets it active again, keeping its id.
	// created reports which case happened. It returns ErrConflict when
	// another merchant has the same X user connected, and ErrInvalid when
	// a.MerchantID or a.XUserID is empty. ID, Status, CreatedAt and UpdatedAt
	// of a are ignored.
	ConnectAccount(ctx context.Context, a Account) (acct Account, created bool, err error)
	// Account returns one of the merchant's accounts.
	Account(ctx context.Context, merchantID, id string) (Account, error)
	// Accounts lists the merchant's accounts, oldest first.
	Accounts(ctx context.Context, merchantID string) ([]Account, error)
	// AccountByXUserID returns the account that has the X user connected,
	// whatever merchant owns it, for event processing.
	AccountByXUserID(ctx context.Context, xUserID string) (Account, error)
	// RevokeAccount marks the account of the X user revoked and clears its
	// credentials. It returns ErrNotFound when no account has that user.
	RevokeAccount(ctx context.Context, xUserID string) (Account, error)
	// DeleteAccount removes the account with its credentials. Its
	// conversations, messages, contacts, campaigns, suppressions and the
	// sends recorded under AccountSendKey are removed too. Connecting the
	// same X user later creates a new account with a new id: ids are never
	// reused.
	DeleteAccount(ctx context.Context, merchantID, id string) error
}

// Direction is whether a message was sent to or by the account.
type Direction string

// Message directions.
const (
	Inbound  Direction = "inbound"
	Outbound Direction = "outbound"
)

// MessageStatus is the delivery state of a message.
type MessageStatus string

// Message states. Received applies to inbound messages; the others to
// outbound ones.
const (
	MessageReceived MessageStatus = "received"
	MessageQueued   MessageStatus = "queued"
	MessageSent     MessageStatus = "sent"
	MessageUnknown  MessageStatus = "unknown"
	MessageFailed   MessageStatus = "failed"
)

// Conversation is the one-to-one DM thread between an account and another
// X user.
type Conversation struct {
	ID                  string
	MerchantID          string
	AccountID           string
	ParticipantID       string // the other X user's id
	ParticipantUsername string
	LastMessageAt       time.Time
	LastMessagePreview  string
}

// Message is one DM in a conversation.
type Message struct {
	ID             string
	ConversationID string
	AccountID      string
	Direction      Direction
	XEventID       string // X's DM event id; unique per account, empty until an outbound DM is sent
	SenderID       string
	Content        string
	Type           string // "text" or "media"
	Status         MessageStatus
	StatusReason   string    // X's error text for a failed, unknown or rescheduled outbound DM
	CreatedAt      time.Time // X's created_timestamp, millisecond precision; the queue time until sent
}

// CompareEventIDs compares two X event ids as numbers. It returns -1 when a
// is smaller than b, +1 when a is larger, and 0 when they are equal. X's ids
// are decimal strings without leading zeros, so a longer id is larger, and
// ids of equal length compare byte by byte. Other strings get the same
// deterministic order.
func CompareEventIDs(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// Page is one page of a list. NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// ConversationQuery selects conversations of one merchant.
type ConversationQuery struct {
	MerchantID string
	AccountID  string // optional
	Limit      int    // at least 1
	Cursor     string // from a previous Page
}

// MessageQuery selects the messages of one conversation.
type MessageQuery struct {
	MerchantID     string
	ConversationID string
	Limit          int
	Cursor         string
}

// Conversations stores conversations and their messages.
type Conversations interface {
	// RecordMessage stores m in the conversation between c.AccountID and
	// c.ParticipantID, creating the conversation when needed, in one
	// transaction. A message whose (AccountID, XEventID) is already stored is
	// not stored again: the stored one is returned with inserted false, and
	// nothing changes.
	//
	// A new message becomes the conversation's last message when it sorts
	// before the current one in Messages order, so adding messages moves
	// LastMessageAt and LastMessagePreview only forward in time. The preview is
	// c.LastMessagePreview when that is non-empty, else m.Content; the store
	// does not shorten it. ParticipantUsername is updated when c carries a
	// non-empty one.
	//
	// An outbound m whose event id is not stored yet is first matched with
	// the account's own queued DM it echoes. That is the outbound message of
	// the same conversation with an empty XEventID, status MessageQueued or
	// MessageUnknown and the same Content, the oldest by CreatedAt and then
	// by insertion order. The match gets m.XEventID, status MessageSent,
	// m.CreatedAt and an empty StatusReason, and is returned with inserted
	// false, so a DM sent through the Outbox is stored once even when its
	// send timed out or its echo overtook MarkSent. The match moves the message in
	// Messages order, so the conversation's last message becomes the first
	// message in that order again. When it changes, the preview becomes
	// c.LastMessagePreview or the content of that message. Inbound messages
	// are never matched.
	//
	// The conversation belongs to the merchant of the account c.AccountID.
	// RecordMessage returns ErrNotFound when that account does not exist or
	// when c.MerchantID is set and names another merchant, and ErrInvalid when
	// m.XEventID or c.ParticipantID is empty. c.ID, c.LastMessageAt, m.ID,
	// m.ConversationID and m.AccountID are ignored: the stored message takes
	// its account from c.
	RecordMessage(ctx context.Context, c Conversation, m Message) (stored Message, inserted bool, err error)
	// Conversation returns one of the merchant's conversations.
	Conversation(ctx context.Context, merchantID, id string) (Conversation, error)
	// Conversations lists conversations, most recent LastMessageAt first
	// (ties by id, larger first). A q.AccountID of another merchant yields
	// ErrNotFound; a q.Limit below 1 or a malformed q.Cursor yields
	// ErrInvalid. The store applies no upper bound to
	// q.Limit.
	Conversations(ctx context.Context, q ConversationQuery) (Page[Conversation], error)
	// Messages lists a conversation's messages, newest CreatedAt first. Ties
	// are ordered by XEventID compared as numbers, larger first, so "10"
	// comes before "9". An empty XEventID, which a DM has until it is sent,
	// sorts after every event id of the same millisecond, and the remaining
	// ties, between unsent DMs, are ordered by insertion, newest first. A
	// conversation of another merchant yields ErrNotFound; the limit and
	// cursor are checked as in Conversations.
	Messages(ctx context.Context, q MessageQuery) (Page[Message], error)
}

// Contact is an account's record of another X user, built from follow,
// block and mute events.
type Contact struct {
	AccountID string
	XUserID   string
	Username  string
	Following bool // the user follows the account
	Blocked   bool // the account blocked the user
	Muted     bool // the account muted the user
	// UpdatedAt is the latest At of the changes applied to the contact.
	UpdatedAt time.Time
}

// ContactField names the relation a ContactChange sets.
type ContactField string

// Contact relations.
const (
	ContactFollowing ContactField = "following"
	ContactBlocked   ContactField = "blocked"
	ContactMuted     ContactField = "muted"
)

// ContactChange sets one relation of a contact as of time At.
type ContactChange struct {
	AccountID string
	XUserID   string
	Username  string // kept when empty
	Field     ContactField
	Value     bool
	At        time.Time // when X recorded the event
}

// Contacts stores contact records.
type Contacts interface {
	// ApplyContactChange sets the relation unless a change at a later At was
	// already applied to the same relation, so redelivered or reordered
	// events leave the latest state. Of two changes with the same At, the one
	// applied last wins. The username is replaced when ch.Username is
	// non-empty and ch.At is not older than the contact's UpdatedAt. It
	// returns ErrNotFound when the account does not exist and ErrInvalid for
	// an unknown Field or an empty XUserID.
	ApplyContactChange(ctx context.Context, ch ContactChange) error
	// Contact returns the record of one X user for one account.
	Contact(ctx context.Context, accountID, xUserID string) (Contact, error)
}

// InboxStatus is the processing state of an inbox event.
type InboxStatus string

// Inbox event states.
const (
	InboxPending    InboxStatus = "pending"
	InboxProcessing InboxStatus = "processing" // claimed under a lease
	InboxDone       InboxStatus = "done"
	InboxFailed     InboxStatus = "failed" // gave up after the last attempt
)

// InboxEvent is one event of a delivery as the inbox indexes it.
type InboxEvent struct {
	Key       string // deduplication key, stable across redeliveries
	Kind      string // the event kind, such as "direct_message_events"
	ForUserID string // the subscribed X user, empty when the body has none
}

// Delivery is one verified webhook request body and its events.
type Delivery struct {
	Body       []byte // the raw bytes as received
	ReceivedAt time.Time
	Events     []InboxEvent
}

// EnqueueResult reports what Enqueue stored.
type EnqueueResult struct {
	DeliveryID int64
	Inserted   int // events stored as new pending rows
	Duplicates int // events whose key was already in the inbox
}

// Lease identifies one claim of an inbox or outbox row. Claim, ClaimOutbox
// and ClaimOutboxItem return it with each item, and every call that settles
// the row takes it back, so that only the current claimer settles the row.
//
// Every claim counts an attempt, so (ID, Attempt) names one claim of one
// row, even when the same owner claims the row again. A claim stays current
// until the row is settled or returned to pending, or until another Claim
// takes over an inbox row whose lease expired. The expiry alone does not
// end a claim, so its claimer may still settle the row in the meantime.
//
// A settling call under a Lease whose claim has ended changes nothing and
// returns ErrNotClaimed. The exceptions are a repeated Complete or MarkSent
// that finds the row already settled the same way under the same Lease,
// and MarkSent of an outbox row that its claim left unknown.
type Lease struct {
	ID      int64  // the row's id
	Owner   string // the owner passed to the claim
	Attempt int    // the row's attempt count after this claim
}

// InboxItem is a claimed inbox event with the body of its delivery.
type InboxItem struct {
	ID         int64
	DeliveryID int64
	InboxEvent
	Body       []byte
	ReceivedAt time.Time
	Attempts   int   // claims so far, this one included
	Lease      Lease // this claim, for Complete and Fail; Lease.ID is ID
}

// Inbox is the durable queue of webhook events. Enqueue returns only after
// the delivery is committed: a process crash after it returns loses nothing.
type Inbox interface {
	// Enqueue stores the delivery and one pending row per event whose key is
	// not yet in the inbox. The body is stored even when every event is a
	// duplicate or the delivery has no events. A key that appears twice in d
	// is stored once and counted once as a duplicate. A zero ReceivedAt is
	// replaced by the store's current time.
	//
	// It returns ErrInvalid when an event has an empty key, and ErrClosed
	// after Close. When ctx ends before Enqueue returns, the delivery may or
	// may not have been stored. The caller must then not acknowledge it, and
	// storing it again later is safe because keys deduplicate.
	Enqueue(ctx context.Context, d Delivery) (EnqueueResult, error)
	// Claim leases up to limit pending rows, oldest first (by ID), to owner
	// for the lease duration, and counts an attempt on each. Rows in
	// processing whose lease has expired are claimable again, so a crashed
	// worker's rows are taken over, and the earlier claim can no longer
	// settle them. A pending row whose retry time (see Fail) is still in
	// the future is not claimable. Concurrent claimers never get the same
	// row under the same lease. It returns ErrInvalid when limit is below 1
	// or lease is shorter than a millisecond.
	Claim(ctx context.Context, owner string, limit int, lease time.Duration) ([]InboxItem, error)
	// Complete marks the row that lease claimed done. A worker whose lease
	// expired can still complete the row while no other Claim has taken it.
	// Completing a row again under the same lease returns nil, so a call
	// whose result was lost can be repeated. It returns ErrNotFound when no
	// row has lease.ID, and ErrNotClaimed, changing nothing, when the row is
	// not in processing under lease (see Lease).
	Complete(ctx context.Context, lease Lease) error
	// Fail records a processing error on the row that lease claimed: the row
	// becomes pending again, claimable at retryAt, or InboxFailed when final.
	// It returns ErrNotFound when no row has lease.ID, and ErrNotClaimed,
	// changing nothing, when the row is not in processing under lease, for
	// example because another worker claimed it after the lease expired.
	Fail(ctx context.Context, lease Lease, reason string, retryAt time.Time, final bool) error
	// InboxCounts returns the number of rows in each state, with every state
	// present in the map, zero counts included. A row whose lease has expired
	// counts as processing until it is claimed again.
	InboxCounts(ctx context.Context) (map[InboxStatus]int, error)
}

// Store is everything a service needs, behind one value.
type Store interface {
	Accounts
	Conversations
	Contacts
	Inbox
	Outbox
	OAuthRequests
	SendQuotas
	Campaigns
	// Ping reports whether the backing database is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's resources. It waits for Enqueue calls in
	// progress, after which Enqueue returns ErrClosed. Calling it again
	// returns nil.
	Close() error
}
