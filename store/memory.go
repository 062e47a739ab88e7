package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Memory is an in-memory Store for tests and small programs. Nothing
// survives the process. It has the same semantics as the SQL store, checked by
// the same conformance suite.
//
// Use NewMemory to create one, because the zero value has no maps to store
// into. Its methods are safe for concurrent use.
type Memory struct {
	// Now returns the current time, used for lease expiry, retry times, the
	// CreatedAt and UpdatedAt of accounts and the queue time of outgoing
	// DMs. NewMemory sets it to time.Now, which is also used while it is
	// nil. Replace it before the first call, not while calls run.
	Now func() time.Time

	mu     sync.Mutex
	closed bool
	seq    int64 // last id handed out, shared by every table

	accounts      map[int64]*Account
	accountByUser map[string]int64 // X user id to account id

	conversations map[int64]*memConversation
	convByPair    map[[2]string]int64 // (account id, participant id)
	messages      map[int64]*Message
	msgByEvent    map[[2]string]int64 // (account id, X event id), for messages that have one
	contacts      map[[2]string]*memContact

	outbox       map[int64]*memOutbox
	rowByMessage map[int64]int64 // message id to the outbox row that sends it

	deliveries map[int64]memDelivery
	events     []*memEvent // in id order
	eventByKey map[string]*memEvent

	oauthRequests map[string]OAuthRequest // by request token

	sends map[string][]int64 // recorded send times per quota key, Unix ms, ascending

	campaigns    map[int64]*memCampaign
	suppressions map[[2]string]*Suppression // by (account id, X user id)
}

// memConversation is a conversation and the X event id of its last message,
// which breaks ties between messages created in the same millisecond.
type memConversation struct {
	Conversation
	lastEventID string
}

// memContact is a contact and the time each relation was last set, in Unix
// milliseconds. A relation that was never set has no entry.
type memContact struct {
	Contact
	setAt map[ContactField]int64
}

type memDelivery struct {
	body       []byte
	receivedAt time.Time
}

type memEvent struct {
	id          int64
	deliveryID  int64
	event       InboxEvent
	status      InboxStatus
	attempts    int
	availableAt int64  // Unix ms: retry time when pending, lease end when processing
	owner       string // the owner of the last claim, kept after settling
	lastError   string
}

// NewMemory returns an empty in-memory store that reads the time from
// time.Now.
func NewMemory() *Memory {
	return &Memory{
		Now:           time.Now,
		accounts:      make(map[int64]*Account),
		accountByUser: make(map[string]int64),
		conversations: make(map[int64]*memConversation),
		convByPair:    make(map[[2]string]int64),
		messages:      make(map[int64]*Message),
		msgByEvent:    make(map[[2]string]int64),
		contacts:      make(map[[2]string]*memContact),
		outbox:        make(map[int64]*memOutbox),
		rowByMessage:  make(map[int64]int64),
		deliveries:    make(map[int64]memDelivery),
		eventByKey:    make(map[string]*memEvent),
		oauthRequests: make(map[string]OAuthRequest),
		sends:         make(map[string][]int64),
		campaigns:     make(map[int64]*memCampaign),
		suppressions:  make(map[[2]string]*Suppression),
	}
}

// Ping returns only ctx.Err(), because the memory store is always reachable.
func (m *Memory) Ping(ctx context.Context) error { return ctx.Err() }

// Close makes later Enqueue calls return ErrClosed. The other methods keep
// working on the data in memory.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// now returns the current time of the store's clock, in milliseconds.
func (m *Memory) now() time.Time {
	if m.Now == nil {
		return truncMillis(time.Now())
	}
	return truncMillis(m.Now())
}

func (m *Memory) nextID() int64 {
	m.seq++
	return m.seq
}

// truncMillis returns t in UTC without its sub-millisecond part, as every
// store keeps it.
func truncMillis(t time.Time) time.Time {
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// parseID returns the numeric id in s, or false when s is not one.
func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0 && strconv.FormatInt(id, 10) == s
}

func timeFromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func formatID(id int64) string { return strconv.FormatInt(id, 10) }

// cloneBytes returns a copy of b, or nil when b is empty, as the SQL store
// reads empty byte strings back.
func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte{}, b...)
}

// ConnectAccount creates or reconnects the account; see Accounts.
func (m *Memory) ConnectAccount(ctx context.Context, a Account) (Account, bool, error) {
	if err := ctx.Err(); err != nil {
		return Account{}, false, err
	}
	if a.MerchantID == "" || a.XUserID == "" {
		return Account{}, false, fmt.Errorf("store: account needs a merchant id and an X user id: %w", ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if id, ok := m.accountByUser[a.XUserID]; ok {
		stored := m.accounts[id]
		if stored.MerchantID != a.MerchantID {
			return Account{}, false, ErrConflict
		}
		stored.Username = a.Username
		stored.Credentials = cloneBytes(a.Credentials)
		stored.Status = AccountActive
		stored.UpdatedAt = now
		return copyAccount(stored), false, nil
	}
	id := m.nextID()
	stored := &Account{
		ID:          formatID(id),
		MerchantID:  a.MerchantID,
		XUserID:     a.XUserID,
		Username:    a.Username,
		Status:      AccountActive,
		Credentials: cloneBytes(a.Credentials),
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	m.accounts[id] = stored
	m.accountByUser[a.XUserID] = id
	return copyAccount(stored), true, nil
}

func copyAccount(a *Account) Account {
	c := *a
	c.Credentials = cloneBytes(a.Credentials)
	return c
}

// merchantAccount returns the merchant's account with the id, or nil.
// m.mu must be held.
func (m *Memory) merchantAccount(merchantID, id string) *Account {
	n, ok := parseID(id)
	if !ok {
		return nil
	}
	a := m.accounts[n]
	if a == nil || a.MerchantID != merchantID {
		return nil
	}
	return a
}

// Account returns one of the merchant's accounts; see Accounts.
func (m *Memory) Account(ctx context.Context, merchantID, id string) (Account, error) {
	if err := ctx.Err(); err != nil {
		return Account{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.merchantAccount(merchantID, id)
	if a == nil {
		return Account{}, ErrNotFound
	}
	return copyAccount(a), nil
}

// Accounts lists the merchant's accounts, oldest first; see Accounts.
func (m *Memory) Accounts(ctx context.Context, merchantID string) ([]Account, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var list []Account
	for _, a := range m.accounts {
		if a.MerchantID == merchantID {
			list = append(list, copyAccount(a))
		}
	}
	sortAccounts(list)
	return list, nil
}

// AccountByXUserID returns the account of the X user; see Accounts.
func (m *Memory) AccountByXUserID(ctx context.Context, xUserID string) (Account, error) {
	if err := ctx.Err(); err != nil {
		return Account{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.accountByUser[xUserID]
	if !ok {
		return Account{}, ErrNotFound
	}
	return copyAccount(m.accounts[id]), nil
}

// RevokeAccount marks the X user's account revoked; see Accounts.
func (m *Memory) RevokeAccount(ctx context.Context, xUserID string) (Account, error) {
	if err := ctx.Err(); err != nil {
		return Account{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.accountByUser[xUserID]
	if !ok {
		return Account{}, ErrNotFound
	}
	a := m.accounts[id]
	a.Status = AccountRevoked
	a.Credentials = nil
	a.UpdatedAt = m.now()
	return copyAccount(a), nil
}

// DeleteAccount removes the account and everything stored for it; see
// Accounts.
func (m *Memory) DeleteAccount(ctx context.Context, merchantID, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.merchantAccount(merchantID, id)
	if a == nil {
		return ErrNotFound
	}

	for key, convID := range m.convByPair {
		if key[0] == id {
			delete(m.convByPair, key)
			delete(m.conversations, convID)
		}
	}
	for msgID, msg := range m.messages {
		if msg.AccountID == id {
			delete(m.msgByEvent, [2]string{id, msg.XEventID})
			delete(m.messages, msgID)
		}
	}
	for rowID, row := range m.outbox {
		if row.accountID == id {
			delete(m.rowByMessage, row.messageID)
			delete(m.outbox, rowID)
		}
	}
	for key := range m.contacts {
		if key[0] == id {
			delete(m.contacts, key)
		}
	}
	m.deleteCampaignData(id)

	delete(m.accountByUser, a.XUserID)
	n, _ := parseID(id)
	delete(m.accounts, n)
	return nil
}
