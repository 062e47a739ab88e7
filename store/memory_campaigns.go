package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// memCampaign is a campaign with its recipients.
type memCampaign struct {
	Campaign
	recipients []*memRecipient // in the order given
}

// memRecipient is one recipient of a campaign. A queued recipient's state
// follows the message of its outbox row.
type memRecipient struct {
	xUserID   string
	status    RecipientStatus // pending, queued, opted_out, skipped or cancelled
	outboxID  int64           // the outbox row of its DM, once queued
	startedAt int64           // Unix ms, once queued
	// withdrawnAs is the status, opted_out or cancelled, that a queued
	// recipient takes if its DM, which was being sent when an opt-out or
	// a cancellation withdrew it, returns to the queue. It is empty
	// while nothing withdrew the recipient.
	withdrawnAs RecipientStatus
}

func copyCampaign(c *memCampaign) Campaign {
	out := c.Campaign
	out.QuickReplies = cloneQuickReplies(c.QuickReplies)
	return out
}

// CreateCampaign stores a running campaign and its recipients; see
// Campaigns.
func (m *Memory) CreateCampaign(ctx context.Context, c Campaign, recipients []string) (Campaign, error) {
	if err := ctx.Err(); err != nil {
		return Campaign{}, err
	}
	if err := checkNewCampaign(c, recipients); err != nil {
		return Campaign{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.merchantAccount(c.MerchantID, c.AccountID)
	if a == nil {
		return Campaign{}, ErrNotFound
	}
	now := m.now()
	id := m.nextID()

	mc := &memCampaign{Campaign: Campaign{
		ID:           formatID(id),
		MerchantID:   a.MerchantID,
		AccountID:    a.ID,
		Name:         c.Name,
		Content:      c.Content,
		QuickReplies: cloneQuickReplies(c.QuickReplies),
		Status:       CampaignRunning,
		CreatedAt:    now,
		UpdatedAt:    now,
	}}
	seen := make(map[string]bool, len(recipients))
	for _, r := range recipients {
		if !seen[r] {
			seen[r] = true
			mc.recipients = append(mc.recipients, &memRecipient{xUserID: r, status: RecipientPending})
		}
	}
	mc.Recipients = len(mc.recipients)

	m.campaigns[id] = mc
	return copyCampaign(mc), nil
}

// merchantCampaign returns the merchant's campaign with the id, or nil.
// m.mu must be held.
func (m *Memory) merchantCampaign(merchantID, id string) *memCampaign {
	n, ok := parseID(id)
	if !ok {
		return nil
	}
	c := m.campaigns[n]
	if c == nil || c.MerchantID != merchantID {
		return nil
	}
	return c
}

// Campaign returns one of the merchant's campaigns; see Campaigns.
func (m *Memory) Campaign(ctx context.Context, merchantID, id string) (Campaign, error) {
	if err := ctx.Err(); err != nil {
		return Campaign{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.merchantCampaign(merchantID, id)
	if c == nil {
		return Campaign{}, ErrNotFound
	}
	return copyCampaign(c), nil
}

// compareCampaignOrder orders campaigns newest first: by CreatedAt, then
// by id, larger first.
func compareCampaignOrder(a, b Campaign) int {
	x, _ := parseID(a.ID)
	y, _ := parseID(b.ID)
	return -cmp.Or(cmp.Compare(a.CreatedAt.UnixMilli(), b.CreatedAt.UnixMilli()), cmp.Compare(x, y))
}

// Campaigns lists the merchant's campaigns, newest first; see Campaigns.
func (m *Memory) Campaigns(ctx context.Context, q CampaignQuery) (Page[Campaign], error) {
	if err := ctx.Err(); err != nil {
		return Page[Campaign]{}, err
	}
	if err := checkLimit(q.Limit); err != nil {
		return Page[Campaign]{}, err
	}
	var after *Campaign
	if q.Cursor != "" {
		ms, key, err := decodeCursor(q.Cursor)
		if _, ok := parseID(key); err != nil || !ok {
			return Page[Campaign]{}, fmt.Errorf("store: invalid cursor %.40q: %w", q.Cursor, ErrInvalid)
		}
		after = &Campaign{ID: key, CreatedAt: timeFromMillis(ms)}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	var list []Campaign
	for _, c := range m.campaigns {
		if c.MerchantID != q.MerchantID {
			continue
		}
		if after != nil && compareCampaignOrder(c.Campaign, *after) <= 0 {
			continue
		}
		list = append(list, copyCampaign(c))
	}
	slices.SortFunc(list, compareCampaignOrder)

	var p Page[Campaign]
	p.Items = list[:min(q.Limit, len(list))]
	if len(list) > q.Limit {
		last := list[q.Limit-1]
		p.NextCursor = encodeCursor(last.CreatedAt.UnixMilli(), last.ID)
	}
	return p, nil
}

// CampaignProgress counts the campaign's recipients by state; see
// Campaigns.
func (m *Memory) CampaignProgress(ctx context.Context, merchantID, id string) (CampaignProgress, error) {
	if err := ctx.Err(); err != nil {
		return CampaignProgress{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.merchantCampaign(merchantID, id)
	if c == nil {
		return CampaignProgress{}, ErrNotFound
	}
	p := CampaignProgress{Totals: make(map[RecipientStatus]int, len(RecipientStatuses))}
	for _, s := range RecipientStatuses {
		p.Totals[s] = 0
	}
	for _, r := range c.recipients {
		p.Totals[m.recipientState(r)]++
		if row := m.queuedRow(r); row != nil && row.status == outboxPending {
			at := timeFromMillis(row.availableAt)
			if p.NextSendAt.IsZero() || at.Before(p.NextSendAt) {
				p.NextSendAt = at
			}
		}
	}
	return p, nil
}

// queuedRow returns the outbox row of a queued recipient's DM, or nil.
// m.mu must be held.
func (m *Memory) queuedRow(r *memRecipient) *memOutbox {
	if r.status != RecipientQueued {
		return nil
	}
	return m.outbox[r.outboxID]
}

// recipientState returns the state of a recipient, which for a queued one
// is the state of its DM. m.mu must be held.
func (m *Memory) recipientState(r *memRecipient) RecipientStatus {
	if r.status != RecipientQueued {
		return r.status
	}
	row := m.outbox[r.outboxID]
	if row == nil {
		return RecipientFailed
	}
	switch m.messages[row.messageID].Status {
	case MessageSent:
		return RecipientSent
	case MessageUnknown:
		return RecipientUnknown
	case MessageFailed:
		return RecipientFailed
	}
	return RecipientQueued
}

// withdraw settles the pending outbox row of a queued recipient's DM as
// failed and reports whether it did. The DM's reason is that of the
// recipient's new status, RecipientOptedOut or RecipientCancelled, which
// the caller gives the recipient. A row that is being sent stays with its
// sender, and the recipient records status for Reschedule, which settles
// the row instead of returning it to the queue. A settled row is left
// alone. m.mu must be held.
func (m *Memory) withdraw(r *memRecipient, status RecipientStatus) bool {
	row := m.queuedRow(r)
	switch {
	case row == nil:
		return false
	case row.status == outboxSending:
		if r.withdrawnAs == "" {
			r.withdrawnAs = status
		}
		return false
	case row.status != outboxPending:
		return false
	}
	reason := withdrawalReason(status)
	row.status = outboxFailed
	row.lastReason = reason
	m.setUnsentStatus(row, MessageFailed, reason)
	return true
}

// CancelCampaign cancels a running campaign; see Campaigns.
func (m *Memory) CancelCampaign(ctx context.Context, merchantID, id string) (Campaign, bool, error) {
	if err := ctx.Err(); err != nil {
		return Campaign{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.merchantCampaign(merchantID, id)
	if c == nil {
		return Campaign{}, false, ErrNotFound
	}
	if c.Status != CampaignRunning {
		return copyCampaign(c), false, nil
	}
	for _, r := range c.recipients {
		if r.status == RecipientPending || m.withdraw(r, RecipientCancelled) {
			r.status = RecipientCancelled
		}
	}
	now := m.now()
	c.Status, c.UpdatedAt, c.FinishedAt = CampaignCancelled, now, now
	return copyCampaign(c), true, nil
}

// RunningCampaigns lists running campaigns in id order; see Campaigns.
func (m *Memory) RunningCampaigns(ctx context.Context, afterID string, limit int) ([]Campaign, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	var after int64
	if afterID != "" {
		var ok bool
		if after, ok = parseID(afterID); !ok {
			return nil, fmt.Errorf("store: invalid campaign id %.40q: %w", afterID, ErrInvalid)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []int64
	for id, c := range m.campaigns {
		accountID, _ := parseID(c.AccountID)
		if id > after && c.Status == CampaignRunning && m.accounts[accountID].Status == AccountActive {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var list []Campaign
	for _, id := range ids[:min(limit, len(ids))] {
		list = append(list, copyCampaign(m.campaigns[id]))
	}
	return list, nil
}

// StartRecipients starts pending recipients of the campaign as limits
// allow; see Campaigns.
func (m *Memory) StartRecipients(ctx context.Context, campaignID string, limits StartLimits) (StartResult, error) {
	if err := ctx.Err(); err != nil {
		return StartResult{}, err
	}
	if err := checkStartLimits(limits); err != nil {
		return StartResult{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := parseID(campaignID)
	c := m.campaigns[n]
	if !ok || c == nil {
		return StartResult{}, ErrNotFound
	}
	if c.Status != CampaignRunning {
		return StartResult{}, nil
	}
	accountID, _ := parseID(c.AccountID)
	a := m.accounts[accountID]
	if a.Status != AccountActive {
		return StartResult{AccountInactive: true}, nil
	}

	now := m.now()
	starts := m.accountStarts(c.AccountID)
	free := limits.MaxQueued - m.campaignQueued(c)
	var res StartResult
	for _, r := range c.recipients {
		if free <= 0 {
			break
		}
		if r.status != RecipientPending {
			continue
		}
		next, allowed := nextSendAllowed(starts, now.UnixMilli(), []SendLimit{limits.DailyContacts})
		if !allowed {
			res.NextAt = timeFromMillis(next)
			break
		}
		switch m.suppressionOf(c.AccountID, r.xUserID) {
		case RecipientOptedOut:
			r.status = RecipientOptedOut
			res.OptedOut++
		case RecipientSkipped:
			r.status = RecipientSkipped
			res.Skipped++
		default:
			conv := m.conversationWith(a, r.xUserID)
			msg := m.queueMessage(conv, Message{Content: c.Content, Type: "text"}, c.QuickReplies, now)
			r.status = RecipientQueued
			r.outboxID, _ = parseID(msg.ID)
			m.outbox[r.outboxID].recipient = r
			r.startedAt = now.UnixMilli()
			starts = append(starts, r.startedAt) // now is the latest start
			res.Started++
			free--
		}
	}
	if !slices.ContainsFunc(c.recipients, func(r *memRecipient) bool { return r.status == RecipientPending }) &&
		m.campaignQueued(c) == 0 {
		c.Status, c.UpdatedAt, c.FinishedAt = CampaignCompleted, now, now
		res.Completed = true
	}
	return res, nil
}

// campaignQueued returns the number of the campaign's DMs that are pending
// or sending in the outbox. m.mu must be held.
func (m *Memory) campaignQueued(c *memCampaign) int {
	n := 0
	for _, r := range c.recipients {
		if row := m.queuedRow(r); row != nil && (row.status == outboxPending || row.status == outboxSending) {
			n++
		}
	}
	return n
}

// accountStarts returns the start times of the recipients of the account's
// campaigns, in Unix ms, ascending. m.mu must be held.
func (m *Memory) accountStarts(accountID string) []int64 {
	var starts []int64
	for _, c := range m.campaigns {
		if c.AccountID != accountID {
			continue
		}
		for _, r := range c.recipients {
			if r.startedAt != 0 {
				starts = append(starts, r.startedAt)
			}
		}
	}
	slices.Sort(starts)
	return starts
}

// suppressionOf returns RecipientOptedOut when the contact opted out of the
// account's campaigns, RecipientSkipped when the account blocked the
// contact or X rejected DMs to them for good, and RecipientPending
// otherwise. m.mu must be held.
func (m *Memory) suppressionOf(accountID, xUserID string) RecipientStatus {
	key := [2]string{accountID, xUserID}
	if s := m.suppressions[key]; s != nil {
		if s.OptedOut {
			return RecipientOptedOut
		}
		if s.Undeliverable != "" {
			return RecipientSkipped
		}
	}
	if c := m.contacts[key]; c != nil && c.Blocked {
		return RecipientSkipped
	}
	return RecipientPending
}

// conversationWith returns the account's conversation with the X user,
// creating it without messages when there is none. m.mu must be held.
func (m *Memory) conversationWith(a *Account, xUserID string) *memConversation {
	pair := [2]string{a.ID, xUserID}
	if id, ok := m.convByPair[pair]; ok {
		return m.conversations[id]
	}
	id := m.nextID()
	conv := &memConversation{Conversation: Conversation{
		ID:            formatID(id),
		MerchantID:    a.MerchantID,
		AccountID:     a.ID,
		ParticipantID: xUserID,
		LastMessageAt: timeFromMillis(0),
	}}
	m.conversations[id] = conv
	m.convByPair[pair] = id
	return conv
}

// CampaignStarts returns the start times of the account's campaign
// recipients after since; see Campaigns.
func (m *Memory) CampaignStarts(ctx context.Context, accountID string, since time.Time) ([]time.Time, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []time.Time
	for _, ms := range m.accountStarts(accountID) {
		if ms > since.UnixMilli() {
			out = append(out, timeFromMillis(ms))
		}
	}
	return out, nil
}

// ApplyOptOut opts a contact out of the account's campaigns or back in;
// see Campaigns.
func (m *Memory) ApplyOptOut(ctx context.Context, ch OptOutChange) (OptOutResult, error) {
	if err := ctx.Err(); err != nil {
		return OptOutResult{}, err
	}
	if ch.XUserID == "" {
		return OptOutResult{}, fmt.Errorf("store: opt-out change has no X user id: %w", ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, _ := parseID(ch.AccountID)
	a := m.accounts[n]
	if a == nil {
		return OptOutResult{}, ErrNotFound
	}

	s := m.suppression(a.ID, ch.XUserID)
	at := truncMillis(ch.At)
	if !s.OptOutAt.IsZero() && s.OptOutAt.After(at) {
		return OptOutResult{}, nil // a later change was applied
	}
	res := OptOutResult{Changed: s.OptedOut != ch.OptedOut}
	s.OptedOut, s.OptOutAt = ch.OptedOut, at
	if !res.Changed || !ch.OptedOut {
		return res, nil
	}

	for _, c := range m.campaigns {
		if c.AccountID != a.ID {
			continue
		}
		for _, r := range c.recipients {
			if r.xUserID == ch.XUserID && (r.status == RecipientPending || m.withdraw(r, RecipientOptedOut)) {
				r.status = RecipientOptedOut
				res.Withdrawn++
			}
		}
	}
	if ch.Confirmation != "" {
		conv := m.conversationWith(a, ch.XUserID)
		res.Confirmation = m.queueMessage(conv, Message{Content: ch.Confirmation, Type: "text"}, nil, m.now())
	}
	return res, nil
}

// suppression returns the record of the contact, creating an empty one
// when there is none. m.mu must be held.
func (m *Memory) suppression(accountID, xUserID string) *Suppression {
	key := [2]string{accountID, xUserID}
	s := m.suppressions[key]
	if s == nil {
		s = &Suppression{AccountID: accountID, XUserID: xUserID}
		m.suppressions[key] = s
	}
	return s
}

// MarkUndeliverable records X's lasting rejection of DMs to the contact; see
// Campaigns.
func (m *Memory) MarkUndeliverable(ctx context.Context, accountID, xUserID, reason string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if xUserID == "" || reason == "" {
		return fmt.Errorf("store: undeliverable contact needs an X user id and a reason: %w", ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, _ := parseID(accountID)
	if m.accounts[n] == nil {
		return ErrNotFound
	}
	s := m.suppression(accountID, xUserID)
	s.Undeliverable, s.UndeliverableAt = reason, m.now()
	return nil
}

// Suppression returns what keeps the contact out of the account's
// campaigns; see Campaigns.
func (m *Memory) Suppression(ctx context.Context, accountID, xUserID string) (Suppression, error) {
	if err := ctx.Err(); err != nil {
		return Suppression{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.suppressions[[2]string{accountID, xUserID}]
	if s == nil {
		return Suppression{}, ErrNotFound
	}
	return *s, nil
}

// deleteCampaignData removes the account's campaigns, suppressions and the
// sends recorded under AccountSendKey. m.mu must be held.
func (m *Memory) deleteCampaignData(accountID string) {
	delete(m.sends, AccountSendKey(accountID))
	for id, c := range m.campaigns {
		if c.AccountID == accountID {
			delete(m.campaigns, id)
		}
	}
	for key := range m.suppressions {
		if key[0] == accountID {
			delete(m.suppressions, key)
		}
	}
}
