package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/goodgo/xactivity/store"
)

const accountColumns = "id, merchant_id, x_user_id, username, status, credentials, created_at, updated_at"

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

func scanAccount(row rowScanner) (store.Account, error) {
	var a store.Account
	var id, created, updated int64
	err := row.Scan(&id, &a.MerchantID, &a.XUserID, &a.Username, &a.Status, &a.Credentials, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Account{}, store.ErrNotFound
	}
	a.ID = formatID(id)
	a.Credentials = nonEmpty(a.Credentials)
	a.CreatedAt = fromMillis(created)
	a.UpdatedAt = fromMillis(updated)
	return a, err
}

// ConnectAccount creates or reconnects an account; see store.Accounts.
func (s *Store) ConnectAccount(ctx context.Context, a store.Account) (store.Account, bool, error) {
	if a.MerchantID == "" || a.XUserID == "" {
		return store.Account{}, false, fmt.Errorf("sqlstore: account needs a merchant id and an X user id: %w", store.ErrInvalid)
	}
	var acct store.Account
	var created bool
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		acct, created, err = s.connectAccount(ctx, tx, a)
		return err
	})
	return acct, created, wrap("connect account", err)
}

func (s *Store) connectAccount(ctx context.Context, tx *sql.Tx, a store.Account) (store.Account, bool, error) {
	now := s.nowMillis()
	var id int64
	var merchantID string
	selectUser := s.q("SELECT id, merchant_id FROM accounts WHERE x_user_id = ? " + s.dialect.accountLock)
	err := tx.QueryRowContext(ctx, selectUser, a.XUserID).Scan(&id, &merchantID)
	if errors.Is(err, sql.ErrNoRows) {
		// ON CONFLICT DO NOTHING inserts no row when a concurrent
		// transaction connected the same X user since the SELECT; the
		// second SELECT then reads that transaction's committed row.
		row := tx.QueryRowContext(ctx, s.q(`INSERT INTO accounts
			(merchant_id, x_user_id, username, status, credentials, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (x_user_id) DO NOTHING RETURNING `+accountColumns),
			a.MerchantID, a.XUserID, a.Username, store.AccountActive, nonEmpty(a.Credentials), now, now)
		acct, insertErr := scanAccount(row)
		if !errors.Is(insertErr, store.ErrNotFound) {
			return acct, true, insertErr
		}
		err = tx.QueryRowContext(ctx, selectUser, a.XUserID).Scan(&id, &merchantID)
	}
	switch {
	case err != nil:
		return store.Account{}, false, err
	case merchantID != a.MerchantID:
		return store.Account{}, false, store.ErrConflict
	}
	row := tx.QueryRowContext(ctx, s.q(`UPDATE accounts
		SET username = ?, credentials = ?, status = ?, updated_at = ?
		WHERE id = ? RETURNING `+accountColumns),
		a.Username, nonEmpty(a.Credentials), store.AccountActive, now, id)
	acct, err := scanAccount(row)
	return acct, false, err
}

// Account returns one of the merchant's accounts; see store.Accounts.
func (s *Store) Account(ctx context.Context, merchantID, id string) (store.Account, error) {
	n, ok := parseID(id)
	if !ok {
		return store.Account{}, store.ErrNotFound
	}
	row := s.db.QueryRowContext(ctx,
		s.q("SELECT "+accountColumns+" FROM accounts WHERE id = ? AND merchant_id = ?"), n, merchantID)
	a, err := scanAccount(row)
	return a, wrap("read account", err)
}

// Accounts lists the merchant's accounts, oldest first; see store.Accounts.
func (s *Store) Accounts(ctx context.Context, merchantID string) ([]store.Account, error) {
	rows, err := s.db.QueryContext(ctx,
		s.q("SELECT "+accountColumns+" FROM accounts WHERE merchant_id = ? ORDER BY id"), merchantID)
	if err != nil {
		return nil, wrap("list accounts", err)
	}
	defer rows.Close()
	var list []store.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, wrap("list accounts", err)
		}
		list = append(list, a)
	}
	return list, wrap("list accounts", rows.Err())
}

// AccountByXUserID returns the account of the X user; see store.Accounts.
func (s *Store) AccountByXUserID(ctx context.Context, xUserID string) (store.Account, error) {
	row := s.db.QueryRowContext(ctx, s.q("SELECT "+accountColumns+" FROM accounts WHERE x_user_id = ?"), xUserID)
	a, err := scanAccount(row)
	return a, wrap("read account", err)
}

// RevokeAccount marks the X user's account revoked and clears its
// credentials; see store.Accounts.
func (s *Store) RevokeAccount(ctx context.Context, xUserID string) (store.Account, error) {
	var a store.Account
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, s.q(`UPDATE accounts
			SET status = ?, credentials = NULL, updated_at = ?
			WHERE x_user_id = ? RETURNING `+accountColumns),
			store.AccountRevoked, s.nowMillis(), xUserID)
		var err error
		a, err = scanAccount(row)
		return err
	})
	return a, wrap("revoke account", err)
}

// DeleteAccount removes the account and everything stored for it; see
// store.Accounts.
func (s *Store) DeleteAccount(ctx context.Context, merchantID, id string) error {
	n, ok := parseID(id)
	if !ok {
		return store.ErrNotFound
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		// The lock makes transactions that insert rows referring to the
		// account wait until the deletion commits, and then find no account.
		err := exists(tx.QueryRowContext(ctx,
			s.q("SELECT 1 FROM accounts WHERE id = ? AND merchant_id = ? "+s.dialect.rowLock), n, merchantID))
		if err != nil {
			return err
		}
		for _, query := range []string{
			"DELETE FROM campaign_recipients WHERE account_id = ?",
			"DELETE FROM campaigns WHERE account_id = ?",
			"DELETE FROM suppressions WHERE account_id = ?",
			"DELETE FROM outbox WHERE account_id = ?",
			"DELETE FROM messages WHERE account_id = ?",
			"DELETE FROM conversations WHERE account_id = ?",
			"DELETE FROM contacts WHERE account_id = ?",
			"DELETE FROM accounts WHERE id = ?",
		} {
			if _, err := tx.ExecContext(ctx, s.q(query), n); err != nil {
				return err
			}
		}
		key := store.AccountSendKey(id)
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM sends WHERE quota_key = ?"), key); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q("DELETE FROM send_quota_keys WHERE quota_key = ?"), key)
		return err
	})
	return wrap("delete account", err)
}

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// checkAccount returns store.ErrNotFound unless the merchant has the account.
func (s *Store) checkAccount(ctx context.Context, q querier, merchantID string, id int64) error {
	return exists(q.QueryRowContext(ctx,
		s.q("SELECT 1 FROM accounts WHERE id = ? AND merchant_id = ?"), id, merchantID))
}

// lockAccount locks the account's row until the transaction ends. Every
// transaction that changes the account's conversations, messages or outbox
// rows takes the lock first, so that on PostgreSQL such transactions of
// one account run one at a time, each reading what the one before
// committed. It returns store.ErrNotFound when the account does not exist.
// On SQLite it only checks that the account exists, because the store runs
// its write transactions one at a time there.
func (s *Store) lockAccount(ctx context.Context, tx *sql.Tx, id int64) error {
	return exists(tx.QueryRowContext(ctx, s.q("SELECT 1 FROM accounts WHERE id = ? "+s.dialect.accountLock), id))
}

// exists returns store.ErrNotFound when row is empty.
func exists(row *sql.Row) error {
	var found int
	err := row.Scan(&found)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
