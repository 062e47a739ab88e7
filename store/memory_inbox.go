package store

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"
)

// ApplyContactChange sets one relation of a contact; see Contacts.
func (m *Memory) ApplyContactChange(ctx context.Context, ch ContactChange) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validateContactChange(ch); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if n, _ := parseID(ch.AccountID); m.accounts[n] == nil {
		return ErrNotFound
	}

	key := [2]string{ch.AccountID, ch.XUserID}
	rec := m.contacts[key]
	fresh := rec == nil
	if fresh {
		rec = &memContact{
			Contact: Contact{AccountID: ch.AccountID, XUserID: ch.XUserID},
			setAt:   make(map[ContactField]int64),
		}
		m.contacts[key] = rec
	}

	at := ch.At.UnixMilli()
	if ch.Username != "" && (fresh || at >= rec.UpdatedAt.UnixMilli()) {
		rec.Username = ch.Username
	}
	if last, ok := rec.setAt[ch.Field]; !ok || at >= last {
		rec.setAt[ch.Field] = at
		*rec.relation(ch.Field) = ch.Value
	}
	if fresh || at > rec.UpdatedAt.UnixMilli() {
		rec.UpdatedAt = timeFromMillis(at)
	}
	return nil
}

// validateContactChange returns an error wrapping ErrInvalid when ch names an
// unknown field or has no X user id.
func validateContactChange(ch ContactChange) error {
	switch ch.Field {
	case ContactFollowing, ContactBlocked, ContactMuted:
	default:
		return fmt.Errorf("store: unknown contact field %q: %w", ch.Field, ErrInvalid)
	}
	if ch.XUserID == "" {
		return fmt.Errorf("store: contact change has no X user id: %w", ErrInvalid)
	}
	return nil
}

// relation returns the flag that f names; f must be valid.
func (c *memContact) relation(f ContactField) *bool {
	switch f {
	case ContactFollowing:
		return &c.Following
	case ContactBlocked:
		return &c.Blocked
	default:
		return &c.Muted
	}
}

// Contact returns the record of one X user for one account; see Contacts.
func (m *Memory) Contact(ctx context.Context, accountID, xUserID string) (Contact, error) {
	if err := ctx.Err(); err != nil {
		return Contact{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := m.contacts[[2]string{accountID, xUserID}]
	if rec == nil {
		return Contact{}, ErrNotFound
	}
	return rec.Contact, nil
}

// Enqueue stores a delivery and its new events; see Inbox.
func (m *Memory) Enqueue(ctx context.Context, d Delivery) (EnqueueResult, error) {
	if err := ctx.Err(); err != nil {
		return EnqueueResult{}, err
	}
	if err := validateDelivery(d); err != nil {
		return EnqueueResult{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return EnqueueResult{}, ErrClosed
	}
	received := truncMillis(d.ReceivedAt)
	if d.ReceivedAt.IsZero() {
		received = m.now()
	}
	res := EnqueueResult{DeliveryID: m.nextID()}
	m.deliveries[res.DeliveryID] = memDelivery{body: cloneBytes(d.Body), receivedAt: received}
	for _, ev := range d.Events {
		if m.eventByKey[ev.Key] != nil {
			res.Duplicates++
			continue
		}
		row := &memEvent{id: m.nextID(), deliveryID: res.DeliveryID, event: ev, status: InboxPending}
		m.events = append(m.events, row)
		m.eventByKey[ev.Key] = row
		res.Inserted++
	}
	return res, nil
}

// validateDelivery returns an error wrapping ErrInvalid when an event of d
// has an empty key.
func validateDelivery(d Delivery) error {
	for i, ev := range d.Events {
		if ev.Key == "" {
			return fmt.Errorf("store: event %d of the delivery has an empty key: %w", i, ErrInvalid)
		}
	}
	return nil
}

// validateClaim returns an error wrapping ErrInvalid when limit is below 1
// or lease is shorter than a millisecond.
func validateClaim(limit int, lease time.Duration) error {
	if limit < 1 {
		return fmt.Errorf("store: claim limit %d is less than 1: %w", limit, ErrInvalid)
	}
	if lease < time.Millisecond {
		return fmt.Errorf("store: lease %v is shorter than 1ms: %w", lease, ErrInvalid)
	}
	return nil
}

// Claim leases pending rows, oldest first; see Inbox.
func (m *Memory) Claim(ctx context.Context, owner string, limit int, lease time.Duration) ([]InboxItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validateClaim(limit, lease); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().UnixMilli()
	var items []InboxItem
	for _, row := range m.events {
		if len(items) == limit {
			break
		}
		claimable := row.status == InboxPending || row.status == InboxProcessing
		if !claimable || row.availableAt > now {
			continue
		}
		row.status = InboxProcessing
		row.attempts++
		row.owner = owner
		row.availableAt = now + lease.Milliseconds()
		items = append(items, m.item(row))
	}
	return items, nil
}

// item returns the claimed row with its delivery. m.mu must be held.
func (m *Memory) item(row *memEvent) InboxItem {
	d := m.deliveries[row.deliveryID]
	return InboxItem{
		ID:         row.id,
		DeliveryID: row.deliveryID,
		InboxEvent: row.event,
		Body:       cloneBytes(d.body),
		ReceivedAt: d.receivedAt,
		Attempts:   row.attempts,
		Lease:      Lease{ID: row.id, Owner: row.owner, Attempt: row.attempts},
	}
}

// event returns the inbox row with the id, or nil. m.mu must be held.
func (m *Memory) event(id int64) *memEvent {
	i := sort.Search(len(m.events), func(i int) bool { return m.events[i].id >= id })
	if i == len(m.events) || m.events[i].id != id {
		return nil
	}
	return m.events[i]
}

// leasedEvent returns the inbox row that lease claimed if its status is one
// of statuses and lease is its last claim. m.mu must be held.
func (m *Memory) leasedEvent(lease Lease, statuses ...InboxStatus) (*memEvent, error) {
	row := m.event(lease.ID)
	switch {
	case row == nil:
		return nil, ErrNotFound
	case row.owner != lease.Owner || row.attempts != lease.Attempt:
		return nil, fmt.Errorf("store: inbox row %d is no longer held by attempt %d of %q: %w",
			lease.ID, lease.Attempt, lease.Owner, ErrNotClaimed)
	case !slices.Contains(statuses, row.status):
		return nil, fmt.Errorf("store: inbox row %d is %s: %w", lease.ID, row.status, ErrNotClaimed)
	}
	return row, nil
}

// Complete marks a row done; see Inbox. The row keeps its owner and
// attempt count, so a repeated Complete under the same lease finds it.
func (m *Memory) Complete(ctx context.Context, lease Lease) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	row, err := m.leasedEvent(lease, InboxProcessing, InboxDone)
	if err != nil {
		return err
	}
	row.status = InboxDone
	return nil
}

// Fail records a processing error on a claimed row; see Inbox.
func (m *Memory) Fail(ctx context.Context, lease Lease, reason string, retryAt time.Time, final bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	row, err := m.leasedEvent(lease, InboxProcessing)
	if err != nil {
		return err
	}
	row.lastError = reason
	if final {
		row.status = InboxFailed
		return nil
	}
	row.status = InboxPending
	row.availableAt = retryAt.UnixMilli()
	return nil
}

// InboxCounts returns the number of rows in each state; see Inbox.
func (m *Memory) InboxCounts(ctx context.Context) (map[InboxStatus]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	counts := map[InboxStatus]int{InboxPending: 0, InboxProcessing: 0, InboxDone: 0, InboxFailed: 0}
	for _, row := range m.events {
		counts[row.status]++
	}
	return counts, nil
}
