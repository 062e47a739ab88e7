package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/goodgo/xactivity/store"
)

// ApplyOptOut opts a contact out of the account's campaigns or back in;
// see store.Campaigns.
func (s *Store) ApplyOptOut(ctx context.Context, ch store.OptOutChange) (store.OptOutResult, error) {
	if ch.XUserID == "" {
		return store.OptOutResult{}, fmt.Errorf("sqlstore: opt-out change has no X user id: %w", store.ErrInvalid)
	}
	accountID, ok := parseID(ch.AccountID)
	if !ok {
		return store.OptOutResult{}, store.ErrNotFound
	}
	var res store.OptOutResult
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = s.applyOptOut(ctx, tx, accountID, ch)
		return err
	})
	return res, wrap("apply opt-out", err)
}

func (s *Store) applyOptOut(ctx context.Context, tx *sql.Tx, accountID int64, ch store.OptOutChange) (store.OptOutResult, error) {
	// The account's lock orders this change after every other change of
	// the account's suppressions and campaign recipients.
	var merchantID string
	err := tx.QueryRowContext(ctx, s.q("SELECT merchant_id FROM accounts WHERE id = ? "+s.dialect.accountLock),
		accountID).Scan(&merchantID)
	if errors.Is(err, sql.ErrNoRows) {
		return store.OptOutResult{}, store.ErrNotFound
	}
	if err != nil {
		return store.OptOutResult{}, err
	}
	var optedOut bool
	var changedAt sql.NullInt64
	err = tx.QueryRowContext(ctx, s.q("SELECT opted_out, opt_out_at FROM suppressions WHERE account_id = ? AND x_user_id = ?"),
		accountID, ch.XUserID).Scan(&optedOut, &changedAt)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return store.OptOutResult{}, err
	}
	at := ch.At.UnixMilli()
	if changedAt.Valid && changedAt.Int64 > at {
		return store.OptOutResult{}, nil // a later change was applied
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO suppressions
		(account_id, x_user_id, opted_out, opt_out_at, undeliverable, undeliverable_at)
		VALUES (?, ?, ?, ?, '', NULL)
		ON CONFLICT (account_id, x_user_id) DO UPDATE SET
		opted_out = excluded.opted_out, opt_out_at = excluded.opt_out_at`),
		accountID, ch.XUserID, boolInt(ch.OptedOut), at)
	res := store.OptOutResult{Changed: optedOut != ch.OptedOut}
	if err != nil || !res.Changed || !ch.OptedOut {
		return res, err
	}

	now := s.nowMillis()
	n, err := rowsAffected(tx.ExecContext(ctx, s.q(`UPDATE campaign_recipients SET status = ?, updated_at = ?
		WHERE account_id = ? AND x_user_id = ? AND status = 'pending'`),
		store.RecipientOptedOut, now, accountID, ch.XUserID))
	if err != nil {
		return store.OptOutResult{}, err
	}
	withdrawn, err := s.withdrawQueued(ctx, tx, "r.account_id = ? AND r.x_user_id = ?", []any{accountID, ch.XUserID},
		store.RecipientOptedOut)
	if err != nil {
		return store.OptOutResult{}, err
	}
	res.Withdrawn = int(n) + withdrawn
	if ch.Confirmation == "" {
		return res, nil
	}
	convID, err := s.conversationWith(ctx, tx, merchantID, accountID, ch.XUserID)
	if err != nil {
		return store.OptOutResult{}, err
	}
	res.Confirmation, err = s.queueMessage(ctx, tx, merchantID, convID,
		store.Message{Content: ch.Confirmation, Type: "text"}, "[]", now)
	return res, err
}

// MarkUndeliverable records X's lasting rejection of DMs to the contact; see
// store.Campaigns.
func (s *Store) MarkUndeliverable(ctx context.Context, accountID, xUserID, reason string) error {
	if xUserID == "" || reason == "" {
		return fmt.Errorf("sqlstore: undeliverable contact needs an X user id and a reason: %w", store.ErrInvalid)
	}
	n, ok := parseID(accountID)
	if !ok {
		return store.ErrNotFound
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		// The key-share lock keeps the account from being deleted before
		// the row that refers to it commits.
		if err := exists(tx.QueryRowContext(ctx, s.q("SELECT 1 FROM accounts WHERE id = ? "+s.dialect.keyShareLock), n)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO suppressions
			(account_id, x_user_id, opted_out, opt_out_at, undeliverable, undeliverable_at)
			VALUES (?, ?, 0, NULL, ?, ?)
			ON CONFLICT (account_id, x_user_id) DO UPDATE SET
			undeliverable = excluded.undeliverable, undeliverable_at = excluded.undeliverable_at`),
			n, xUserID, reason, s.nowMillis())
		return err
	})
	return wrap("mark contact undeliverable", err)
}

// Suppression returns what keeps the contact out of the account's
// campaigns; see store.Campaigns.
func (s *Store) Suppression(ctx context.Context, accountID, xUserID string) (store.Suppression, error) {
	n, ok := parseID(accountID)
	if !ok {
		return store.Suppression{}, store.ErrNotFound
	}
	sup := store.Suppression{AccountID: accountID, XUserID: xUserID}
	var optOutAt, undeliverableAt sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT opted_out, opt_out_at, undeliverable, undeliverable_at
		FROM suppressions WHERE account_id = ? AND x_user_id = ?`), n, xUserID).
		Scan(&sup.OptedOut, &optOutAt, &sup.Undeliverable, &undeliverableAt)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Suppression{}, store.ErrNotFound
	}
	if err != nil {
		return store.Suppression{}, wrap("read suppression", err)
	}
	if optOutAt.Valid {
		sup.OptOutAt = fromMillis(optOutAt.Int64)
	}
	if undeliverableAt.Valid {
		sup.UndeliverableAt = fromMillis(undeliverableAt.Int64)
	}
	return sup, nil
}
