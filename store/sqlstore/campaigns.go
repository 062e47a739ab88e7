package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/goodgo/xactivity/store"
)

const campaignColumns = "id, merchant_id, account_id, name, content, quick_replies, status, recipients, " +
	"created_at, updated_at, finished_at"

// Stored states of campaign_recipients rows besides the store's recipient
// states. A settled row is a queued row whose outbox row has left the
// queue, so that counting a campaign's queued DMs reads only the rows still
// in the queue.
const recipientSettled = "settled"

// recipientBatch is the number of rows inserted by one statement, or read
// at once by StartRecipients: 4 arguments per row keep an insert far below
// the bind-parameter limits of SQLite (32,766) and PostgreSQL (65,535).
const recipientBatch = 500

func scanCampaign(row rowScanner) (store.Campaign, error) {
	var c store.Campaign
	var id, accountID, created, updated, finished int64
	var replies string
	err := row.Scan(&id, &c.MerchantID, &accountID, &c.Name, &c.Content, &replies, &c.Status, &c.Recipients,
		&created, &updated, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Campaign{}, store.ErrNotFound
	}
	if err != nil {
		return store.Campaign{}, err
	}
	c.ID, c.AccountID = formatID(id), formatID(accountID)
	c.CreatedAt, c.UpdatedAt = fromMillis(created), fromMillis(updated)
	if finished != 0 {
		c.FinishedAt = fromMillis(finished)
	}
	c.QuickReplies, err = decodeQuickReplies(replies)
	return c, err
}

// CreateCampaign stores a running campaign and its recipients; see
// store.Campaigns.
func (s *Store) CreateCampaign(ctx context.Context, c store.Campaign, recipients []string) (store.Campaign, error) {
	if err := checkNewCampaign(c, recipients); err != nil {
		return store.Campaign{}, err
	}
	accountID, ok := parseID(c.AccountID)
	if !ok {
		return store.Campaign{}, store.ErrNotFound
	}
	replies, err := encodeQuickReplies(c.QuickReplies)
	if err != nil {
		return store.Campaign{}, wrap("create campaign", err)
	}
	unique := distinct(recipients)
	var created store.Campaign
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		// The key-share lock keeps the account from being deleted before
		// the rows that refer to it commit.
		err := exists(tx.QueryRowContext(ctx, s.q("SELECT 1 FROM accounts WHERE id = ? AND merchant_id = ? "+
			s.dialect.keyShareLock), accountID, c.MerchantID))
		if err != nil {
			return err
		}
		now := s.nowMillis()
		created, err = scanCampaign(tx.QueryRowContext(ctx, s.q(`INSERT INTO campaigns
			(merchant_id, account_id, name, content, quick_replies, status, recipients, created_at, updated_at,
			 finished_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING `+campaignColumns),
			c.MerchantID, accountID, c.Name, c.Content, replies, store.CampaignRunning, len(unique), now, now))
		if err != nil {
			return err
		}
		campaignID, _ := parseID(created.ID)
		return s.insertRecipients(ctx, tx, campaignID, accountID, unique, now)
	})
	return created, wrap("create campaign", err)
}

// insertRecipients inserts one pending row per X user id, in batches.
func (s *Store) insertRecipients(ctx context.Context, tx *sql.Tx, campaignID, accountID int64, users []string, now int64) error {
	for len(users) > 0 {
		batch := users[:min(recipientBatch, len(users))]
		users = users[len(batch):]
		query := "INSERT INTO campaign_recipients (campaign_id, account_id, x_user_id, status, updated_at) VALUES "
		args := make([]any, 0, 4*len(batch))
		for i, u := range batch {
			if i > 0 {
				query += ", "
			}
			query += "(?, ?, ?, 'pending', ?)"
			args = append(args, campaignID, accountID, u, now)
		}
		if _, err := tx.ExecContext(ctx, s.q(query), args...); err != nil {
			return err
		}
	}
	return nil
}

// distinct returns the strings of list without repeats, in the order of
// their first appearance.
func distinct(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := make([]string, 0, len(list))
	for _, v := range list {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// checkNewCampaign returns an error wrapping store.ErrInvalid when the
// campaign cannot be stored as given.
func checkNewCampaign(c store.Campaign, recipients []string) error {
	if c.Content == "" {
		return fmt.Errorf("sqlstore: campaign has no content: %w", store.ErrInvalid)
	}
	if len(recipients) == 0 {
		return fmt.Errorf("sqlstore: campaign has no recipients: %w", store.ErrInvalid)
	}
	for i, r := range recipients {
		if r == "" {
			return fmt.Errorf("sqlstore: campaign recipient %d is empty: %w", i, store.ErrInvalid)
		}
	}
	return nil
}

// Campaign returns one of the merchant's campaigns; see store.Campaigns.
func (s *Store) Campaign(ctx context.Context, merchantID, id string) (store.Campaign, error) {
	n, ok := parseID(id)
	if !ok {
		return store.Campaign{}, store.ErrNotFound
	}
	c, err := scanCampaign(s.db.QueryRowContext(ctx,
		s.q("SELECT "+campaignColumns+" FROM campaigns WHERE id = ? AND merchant_id = ?"), n, merchantID))
	return c, wrap("read campaign", err)
}

// Campaigns lists the merchant's campaigns, newest first; see
// store.Campaigns.
func (s *Store) Campaigns(ctx context.Context, q store.CampaignQuery) (store.Page[store.Campaign], error) {
	if err := checkLimit(q.Limit); err != nil {
		return store.Page[store.Campaign]{}, err
	}
	query := "SELECT " + campaignColumns + " FROM campaigns WHERE merchant_id = ?"
	args := []any{q.MerchantID}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil || c.id == 0 || c.key != "" {
			return store.Page[store.Campaign]{}, invalidCursor(q.Cursor)
		}
		query += " AND (created_at, id) < (?, ?)"
		args = append(args, c.millis, c.id)
	}
	query += " ORDER BY created_at DESC, id DESC LIMIT ?"
	list, err := queryList(ctx, s.db, s.q(query), append(args, fetchLimit(q.Limit)), scanCampaign)
	if err != nil {
		return store.Page[store.Campaign]{}, wrap("list campaigns", err)
	}
	return page(list, q.Limit, func(c store.Campaign) string {
		id, _ := parseID(c.ID)
		return encodeCursor(c.CreatedAt.UnixMilli(), id, "")
	}), nil
}

// recipientStateSQL counts a campaign's recipients by state. The state of
// a queued or settled row is that of its DM's message.
const recipientStateSQL = `SELECT state, COUNT(*) FROM (
	SELECT CASE
		WHEN r.status NOT IN ('queued', 'settled') THEN r.status
		WHEN m.status = 'sent' THEN 'sent'
		WHEN m.status = 'unknown' THEN 'unknown'
		WHEN m.status = 'failed' OR m.status IS NULL THEN 'failed'
		ELSE 'queued' END AS state
	FROM campaign_recipients r
	LEFT JOIN outbox o ON o.id = r.outbox_id
	LEFT JOIN messages m ON m.id = o.message_id
	WHERE r.campaign_id = ?) AS states
	GROUP BY state`

// CampaignProgress counts the campaign's recipients by state; see
// store.Campaigns.
func (s *Store) CampaignProgress(ctx context.Context, merchantID, id string) (store.CampaignProgress, error) {
	n, ok := parseID(id)
	if !ok {
		return store.CampaignProgress{}, store.ErrNotFound
	}
	p := store.CampaignProgress{Totals: make(map[store.RecipientStatus]int, len(store.RecipientStatuses))}
	for _, st := range store.RecipientStatuses {
		p.Totals[st] = 0
	}
	err := exists(s.db.QueryRowContext(ctx, s.q("SELECT 1 FROM campaigns WHERE id = ? AND merchant_id = ?"), n, merchantID))
	if err != nil {
		return store.CampaignProgress{}, wrap("read campaign progress", err)
	}
	type count struct {
		state store.RecipientStatus
		n     int
	}
	counts, err := queryList(ctx, s.db, s.q(recipientStateSQL), []any{n}, func(row rowScanner) (count, error) {
		var c count
		err := row.Scan(&c.state, &c.n)
		return c, err
	})
	if err != nil {
		return store.CampaignProgress{}, wrap("read campaign progress", err)
	}
	for _, c := range counts {
		p.Totals[c.state] = c.n
	}

	var next sql.NullInt64
	err = s.db.QueryRowContext(ctx, s.q(`SELECT MIN(o.available_at)
		FROM campaign_recipients r JOIN outbox o ON o.id = r.outbox_id
		WHERE r.campaign_id = ? AND r.status = 'queued' AND o.status = 'pending'`), n).Scan(&next)
	if err != nil {
		return store.CampaignProgress{}, wrap("read campaign progress", err)
	}
	if next.Valid {
		p.NextSendAt = fromMillis(next.Int64)
	}
	return p, nil
}

// CancelCampaign cancels a running campaign; see store.Campaigns.
func (s *Store) CancelCampaign(ctx context.Context, merchantID, id string) (store.Campaign, bool, error) {
	n, ok := parseID(id)
	if !ok {
		return store.Campaign{}, false, store.ErrNotFound
	}
	var c store.Campaign
	var cancelled bool
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		cancelled = false
		var err error
		if c, err = s.lockCampaign(ctx, tx, n, merchantID); err != nil || c.Status != store.CampaignRunning {
			return err
		}
		now := s.nowMillis()
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE campaign_recipients SET status = ?, updated_at = ?
			WHERE campaign_id = ? AND status = 'pending'`), store.RecipientCancelled, now, n); err != nil {
			return err
		}
		_, err = s.withdrawQueued(ctx, tx, "r.campaign_id = ?", []any{n}, store.RecipientCancelled)
		if err != nil {
			return err
		}
		c, err = scanCampaign(tx.QueryRowContext(ctx, s.q(`UPDATE campaigns
			SET status = ?, updated_at = ?, finished_at = ? WHERE id = ? RETURNING `+campaignColumns),
			store.CampaignCancelled, now, now, n))
		cancelled = err == nil
		return err
	})
	return c, cancelled, wrap("cancel campaign", err)
}

// lockCampaign locks the account of the campaign id, as lockAccount does,
// and returns the campaign. With merchantID non-empty, a campaign of
// another merchant is store.ErrNotFound.
func (s *Store) lockCampaign(ctx context.Context, tx *sql.Tx, id int64, merchantID string) (store.Campaign, error) {
	var accountID int64
	var owner string
	err := tx.QueryRowContext(ctx, s.q("SELECT account_id, merchant_id FROM campaigns WHERE id = ?"), id).
		Scan(&accountID, &owner)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && merchantID != "" && owner != merchantID) {
		return store.Campaign{}, store.ErrNotFound
	}
	if err != nil {
		return store.Campaign{}, err
	}
	if err := s.lockAccount(ctx, tx, accountID); err != nil {
		return store.Campaign{}, err
	}
	return scanCampaign(tx.QueryRowContext(ctx, s.q("SELECT "+campaignColumns+" FROM campaigns WHERE id = ?"), id))
}

// withdrawQueued withdraws the DMs of the queued recipients that where
// selects (a condition on r, the campaign_recipients row), which become
// status, store.RecipientOptedOut or store.RecipientCancelled. A pending
// outbox row is settled as failed, with the reason of status, and its
// recipient takes status at once. A row being sent stays with its sender:
// its recipient's withdrawn_as records status, so that Reschedule settles
// the row instead of returning it to the queue. A row that a claim took
// after the SELECT is one being sent. It returns the number of recipients
// that took status. The caller holds the lock of the recipients' account,
// which Reschedule takes too.
func (s *Store) withdrawQueued(ctx context.Context, tx *sql.Tx, where string, args []any, status store.RecipientStatus) (int, error) {
	type queued struct{ recipientID, outboxID int64 }
	list, err := queryList(ctx, tx, s.q(`SELECT r.id, o.id FROM campaign_recipients r
		JOIN outbox o ON o.id = r.outbox_id
		WHERE `+where+` AND r.status = 'queued' AND o.status IN ('pending', 'sending')`), args,
		func(row rowScanner) (queued, error) {
			var q queued
			err := row.Scan(&q.recipientID, &q.outboxID)
			return q, err
		})
	if err != nil {
		return 0, err
	}
	reason := withdrawalReason(status)
	withdrawn := 0
	now := s.nowMillis()
	for _, q := range list {
		var messageID int64
		err := tx.QueryRowContext(ctx, s.q(`UPDATE outbox SET status = 'failed', last_reason = ?, updated_at = ?
			WHERE id = ? AND status = 'pending' RETURNING message_id`), reason, now, q.outboxID).Scan(&messageID)
		if errors.Is(err, sql.ErrNoRows) {
			// The row is being sent, or a lease expiry settled it
			// meanwhile, which leaves withdrawn_as unread. A withdrawal
			// recorded earlier is kept.
			_, err = tx.ExecContext(ctx, s.q(`UPDATE campaign_recipients SET withdrawn_as = ?, updated_at = ?
				WHERE id = ? AND withdrawn_as = ''`), status, now, q.recipientID)
			if err != nil {
				return 0, err
			}
			continue
		}
		if err != nil {
			return 0, err
		}
		if _, err := s.setUnsentStatus(ctx, tx, messageID, store.MessageFailed, reason); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, s.q("UPDATE campaign_recipients SET status = ?, updated_at = ? WHERE id = ?"),
			status, now, q.recipientID); err != nil {
			return 0, err
		}
		withdrawn++
	}
	return withdrawn, nil
}

// withdrawalReason returns the status reason of a DM withdrawn from a
// recipient that became status, store.RecipientOptedOut or
// store.RecipientCancelled.
func withdrawalReason(status store.RecipientStatus) string {
	if status == store.RecipientOptedOut {
		return store.ReasonOptedOut
	}
	return store.ReasonCancelled
}

// RunningCampaigns lists the running campaigns of active accounts in id
// order; see store.Campaigns.
func (s *Store) RunningCampaigns(ctx context.Context, afterID string, limit int) ([]store.Campaign, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	var after int64
	if afterID != "" {
		var ok bool
		if after, ok = parseID(afterID); !ok {
			return nil, fmt.Errorf("sqlstore: invalid campaign id %.40q: %w", afterID, store.ErrInvalid)
		}
	}
	list, err := queryList(ctx, s.db, s.q("SELECT "+campaignColumns+` FROM campaigns
		WHERE status = 'running' AND id > ?
		AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = campaigns.account_id AND a.status = ?)
		ORDER BY id LIMIT ?`), []any{after, store.AccountActive, limit}, scanCampaign)
	return list, wrap("list running campaigns", err)
}

// CampaignStarts returns the start times of the account's campaign
// recipients after since; see store.Campaigns.
func (s *Store) CampaignStarts(ctx context.Context, accountID string, since time.Time) ([]time.Time, error) {
	n, ok := parseID(accountID)
	if !ok {
		return nil, nil
	}
	list, err := queryList(ctx, s.db, s.q(`SELECT started_at FROM campaign_recipients
		WHERE account_id = ? AND started_at > ? ORDER BY started_at`), []any{n, since.UnixMilli()},
		func(row rowScanner) (time.Time, error) {
			var ms int64
			err := row.Scan(&ms)
			return fromMillis(ms), err
		})
	return list, wrap("list campaign starts", err)
}
