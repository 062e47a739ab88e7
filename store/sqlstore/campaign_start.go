package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/goodgo/xactivity/store"
)

// StartRecipients starts pending recipients of the campaign as limits
// allow; see store.Campaigns. It first reads, without locks, whether the
// campaign has anything to start or complete, so that a call for an idle
// campaign costs a few reads and no write transaction.
func (s *Store) StartRecipients(ctx context.Context, campaignID string, limits store.StartLimits) (store.StartResult, error) {
	if limits.MaxQueued < 1 {
		return store.StartResult{}, fmt.Errorf("sqlstore: MaxQueued %d is less than 1: %w", limits.MaxQueued, store.ErrInvalid)
	}
	if err := checkSendLimits("campaign contacts", []store.SendLimit{limits.DailyContacts}); err != nil {
		return store.StartResult{}, err
	}
	id, ok := parseID(campaignID)
	if !ok {
		return store.StartResult{}, store.ErrNotFound
	}
	res, write, err := s.checkStart(ctx, id, limits)
	if err != nil || !write {
		return res, wrap("start campaign recipients", err)
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = s.startRecipients(ctx, tx, id, limits)
		return err
	})
	return res, wrap("start campaign recipients", err)
}

// startStateSQL reads what StartRecipients can do for a campaign: the
// campaign's and its account's status, whether a recipient is pending, and
// how many of the campaign's DMs are pending or sending in the outbox.
const startStateSQL = `SELECT c.status, a.status, c.account_id,
	EXISTS (SELECT 1 FROM campaign_recipients p WHERE p.campaign_id = c.id AND p.status = 'pending'),
	(SELECT COUNT(*) FROM campaign_recipients r JOIN outbox o ON o.id = r.outbox_id
	 WHERE r.campaign_id = c.id AND r.status = 'queued' AND o.status IN ('pending', 'sending'))
	FROM campaigns c JOIN accounts a ON a.id = c.account_id
	WHERE c.id = ?`

// checkStart reads, without locks, whether StartRecipients needs its write
// transaction for the campaign id. When it does not, it returns the result
// of the call, which starts nothing, and false. The reads are not one
// snapshot and may miss a change that commits meanwhile, so a campaign can
// be skipped once that the next call starts. The write transaction checks
// everything again under the account's lock.
func (s *Store) checkStart(ctx context.Context, id int64, limits store.StartLimits) (store.StartResult, bool, error) {
	var campaignStatus store.CampaignStatus
	var accountStatus store.AccountStatus
	var accountID int64
	var pending bool
	var inQueue int
	err := s.db.QueryRowContext(ctx, s.q(startStateSQL), id).
		Scan(&campaignStatus, &accountStatus, &accountID, &pending, &inQueue)

	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.StartResult{}, false, store.ErrNotFound
	case err != nil:
		return store.StartResult{}, false, err
	case campaignStatus != store.CampaignRunning:
		return store.StartResult{}, false, nil
	case accountStatus != store.AccountActive:
		return store.StartResult{AccountInactive: true}, false, nil
	case !pending:
		return store.StartResult{}, inQueue == 0, nil // complete once the queue is empty
	case inQueue >= limits.MaxQueued:
		return store.StartResult{}, false, nil
	}

	now := s.nowMillis()
	allowed, err := s.startsAllowed(ctx, s.db, accountID, now, limits.DailyContacts)
	if err != nil || allowed > 0 {
		return store.StartResult{}, err == nil, err
	}
	next, err := s.nextStartAllowed(ctx, s.db, accountID, now, limits.DailyContacts)
	if err != nil {
		return store.StartResult{}, false, err
	}
	return store.StartResult{NextAt: fromMillis(next)}, false, nil
}

// campaignStart is the state of one StartRecipients call.
type campaignStart struct {
	c          store.Campaign
	id         int64
	accountID  int64
	merchantID string
	replies    string // the campaign's quick replies as stored
	now        int64
	free       int // DMs that may still be queued
	allowed    int // starts that DailyContacts still allows
	res        store.StartResult
}

func (s *Store) startRecipients(ctx context.Context, tx *sql.Tx, id int64, limits store.StartLimits) (store.StartResult, error) {
	c, err := s.lockCampaign(ctx, tx, id, "")
	if err != nil || c.Status != store.CampaignRunning {
		return store.StartResult{}, err
	}
	st := &campaignStart{c: c, id: id, now: s.nowMillis()}
	st.accountID, _ = parseID(c.AccountID)
	var accountStatus store.AccountStatus
	err = tx.QueryRowContext(ctx, s.q("SELECT merchant_id, status FROM accounts WHERE id = ?"), st.accountID).
		Scan(&st.merchantID, &accountStatus)
	if err != nil {
		return store.StartResult{}, err
	}
	if accountStatus != store.AccountActive {
		return store.StartResult{AccountInactive: true}, nil
	}
	if st.replies, err = encodeQuickReplies(c.QuickReplies); err != nil {
		return store.StartResult{}, err
	}
	queued, err := s.settleRecipients(ctx, tx, id, st.now)
	if err != nil {
		return store.StartResult{}, err
	}
	st.free = limits.MaxQueued - queued
	if st.allowed, err = s.startsAllowed(ctx, tx, st.accountID, st.now, limits.DailyContacts); err != nil {
		return store.StartResult{}, err
	}

	pending, err := s.startBatches(ctx, tx, st)
	if err != nil {
		return store.StartResult{}, err
	}
	if pending && st.allowed == 0 && st.free > 0 {
		next, err := s.nextStartAllowed(ctx, tx, st.accountID, st.now, limits.DailyContacts)
		if err != nil {
			return store.StartResult{}, err
		}
		st.res.NextAt = fromMillis(next)
	}

	if !pending && st.free == limits.MaxQueued {
		_, err = tx.ExecContext(ctx, s.q(`UPDATE campaigns SET status = ?, updated_at = ?, finished_at = ?
			WHERE id = ?`), store.CampaignCompleted, st.now, st.now, id)
		st.res.Completed = err == nil
	}
	return st.res, err
}

// startBatches starts pending recipients in id order while st allows, and
// reports whether pending recipients remain.
func (s *Store) startBatches(ctx context.Context, tx *sql.Tx, st *campaignStart) (pending bool, err error) {
	type recipient struct {
		id   int64
		user string
	}
	for {
		batch, err := queryList(ctx, tx, s.q(`SELECT id, x_user_id FROM campaign_recipients
			WHERE campaign_id = ? AND status = 'pending' ORDER BY id LIMIT ?`), []any{st.id, recipientBatch},
			func(row rowScanner) (recipient, error) {
				var r recipient
				err := row.Scan(&r.id, &r.user)
				return r, err
			})
		if err != nil || len(batch) == 0 {
			return false, err
		}
		for _, r := range batch {
			if st.free <= 0 || st.allowed <= 0 {
				return true, nil
			}
			if err := s.startRecipient(ctx, tx, st, r.id, r.user); err != nil {
				return false, err
			}
		}
	}
}

// startRecipient starts one pending recipient: it becomes opted out or
// skipped, or its DM is queued.
func (s *Store) startRecipient(ctx context.Context, tx *sql.Tx, st *campaignStart, recipientID int64, user string) error {
	status, err := s.suppressionOf(ctx, tx, st.accountID, user)
	if err != nil {
		return err
	}
	switch status {
	case store.RecipientOptedOut:
		st.res.OptedOut++
	case store.RecipientSkipped:
		st.res.Skipped++
	default:
		convID, err := s.conversationWith(ctx, tx, st.merchantID, st.accountID, user)
		if err != nil {
			return err
		}
		msg, err := s.queueMessage(ctx, tx, st.merchantID, convID,
			store.Message{Content: st.c.Content, Type: "text"}, st.replies, st.now)
		if err != nil {
			return err
		}
		outboxID, _ := parseID(msg.ID)
		_, err = tx.ExecContext(ctx, s.q(`UPDATE campaign_recipients
			SET status = 'queued', outbox_id = ?, started_at = ?, updated_at = ? WHERE id = ?`),
			outboxID, st.now, st.now, recipientID)
		st.res.Started++
		st.free--
		st.allowed--
		return err
	}
	_, err = tx.ExecContext(ctx, s.q("UPDATE campaign_recipients SET status = ?, updated_at = ? WHERE id = ?"),
		status, st.now, recipientID)
	return err
}

// settleRecipients marks the campaign's queued rows whose outbox row has
// left the queue settled, and returns the number of queued rows left.
func (s *Store) settleRecipients(ctx context.Context, tx *sql.Tx, id, now int64) (int, error) {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE campaign_recipients SET status = ?, updated_at = ?
		WHERE campaign_id = ? AND status = 'queued' AND EXISTS (
			SELECT 1 FROM outbox o WHERE o.id = campaign_recipients.outbox_id
			AND o.status NOT IN ('pending', 'sending'))`), recipientSettled, now, id)
	if err != nil {
		return 0, err
	}
	var queued int
	err = tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM campaign_recipients
		WHERE campaign_id = ? AND status = 'queued'`), id).Scan(&queued)
	return queued, err
}

// startsAllowed returns how many recipients of the account's campaigns
// limit allows to start at now: Max minus the starts after now minus Per.
func (s *Store) startsAllowed(ctx context.Context, q querier, accountID, now int64, limit store.SendLimit) (int, error) {
	var counted int
	err := q.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM campaign_recipients
		WHERE account_id = ? AND started_at > ?`), accountID, now-limit.Per.Milliseconds()).Scan(&counted)
	return max(0, limit.Max-counted), err
}

// nextStartAllowed returns when limit allows the account's next start, for
// an account that has used it up: Per after the oldest start that must
// leave the window.
func (s *Store) nextStartAllowed(ctx context.Context, q querier, accountID, now int64, limit store.SendLimit) (int64, error) {
	per := limit.Per.Milliseconds()
	var counted int
	err := q.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM campaign_recipients
		WHERE account_id = ? AND started_at > ?`), accountID, now-per).Scan(&counted)
	if err != nil || counted < limit.Max {
		return now, err
	}
	var at int64
	err = q.QueryRowContext(ctx, s.q(`SELECT started_at FROM campaign_recipients
		WHERE account_id = ? AND started_at > ? ORDER BY started_at LIMIT 1 OFFSET ?`),
		accountID, now-per, counted-limit.Max).Scan(&at)
	return at + per, err
}

// suppressionOf returns store.RecipientOptedOut when the contact opted out
// of the account's campaigns, store.RecipientSkipped when the account
// blocked the contact or X rejected DMs to them for good, and
// store.RecipientPending otherwise.
func (s *Store) suppressionOf(ctx context.Context, tx *sql.Tx, accountID int64, user string) (store.RecipientStatus, error) {
	var optedOut bool
	var undeliverable string
	err := tx.QueryRowContext(ctx, s.q(`SELECT opted_out, undeliverable FROM suppressions
		WHERE account_id = ? AND x_user_id = ?`), accountID, user).Scan(&optedOut, &undeliverable)
	switch {
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return "", err
	case optedOut:
		return store.RecipientOptedOut, nil
	case undeliverable != "":
		return store.RecipientSkipped, nil
	}
	var blocked bool
	err = tx.QueryRowContext(ctx, s.q("SELECT blocked FROM contacts WHERE account_id = ? AND x_user_id = ?"),
		accountID, user).Scan(&blocked)
	switch {
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return "", err
	case blocked:
		return store.RecipientSkipped, nil
	}
	return store.RecipientPending, nil
}

// conversationWith returns the id of the account's conversation with the
// X user, creating it without messages when there is none. The caller
// holds the account's lock.
func (s *Store) conversationWith(ctx context.Context, tx *sql.Tx, merchantID string, accountID int64, user string) (int64, error) {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO conversations
		(merchant_id, account_id, participant_id, participant_username, last_message_at,
		 last_message_x_event_id, last_message_preview)
		VALUES (?, ?, ?, '', 0, '', '')
		ON CONFLICT (account_id, participant_id) DO NOTHING`), merchantID, accountID, user)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, s.q("SELECT id FROM conversations WHERE account_id = ? AND participant_id = ?"),
		accountID, user).Scan(&id)
	return id, err
}
