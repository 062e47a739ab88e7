package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/goodgo/xactivity/store"
)

// contactColumns maps each relation to its flag column; the time column
// has the same name with an "_at" suffix.
var contactColumns = map[store.ContactField]string{
	store.ContactFollowing: "following",
	store.ContactBlocked:   "blocked",
	store.ContactMuted:     "muted",
}

// contactUpserts holds, per relation, the statement that applies a change.
// Its arguments are account id, X user id and username, then flag and time
// for following, blocked and muted, then the change time. The two relations
// that the change does not set get 0 and NULL.
var contactUpserts = func() map[store.ContactField]string {
	m := make(map[store.ContactField]string)
	for field, col := range contactColumns {
		m[field] = fmt.Sprintf(`INSERT INTO contacts
	(account_id, x_user_id, username, following, following_at, blocked, blocked_at,
	 muted, muted_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (account_id, x_user_id) DO UPDATE SET
	username = CASE WHEN excluded.username <> '' AND excluded.updated_at >= contacts.updated_at
		THEN excluded.username ELSE contacts.username END,
	%[1]s = CASE WHEN contacts.%[1]s_at IS NULL OR excluded.%[1]s_at >= contacts.%[1]s_at
		THEN excluded.%[1]s ELSE contacts.%[1]s END,
	%[1]s_at = CASE WHEN contacts.%[1]s_at IS NULL OR excluded.%[1]s_at >= contacts.%[1]s_at
		THEN excluded.%[1]s_at ELSE contacts.%[1]s_at END,
	updated_at = CASE WHEN excluded.updated_at > contacts.updated_at
		THEN excluded.updated_at ELSE contacts.updated_at END`, col)
	}
	return m
}()

// ApplyContactChange sets one relation of a contact; see store.Contacts.
func (s *Store) ApplyContactChange(ctx context.Context, ch store.ContactChange) error {
	query, ok := contactUpserts[ch.Field]
	if !ok {
		return fmt.Errorf("sqlstore: unknown contact field %q: %w", ch.Field, store.ErrInvalid)
	}
	if ch.XUserID == "" {
		return fmt.Errorf("sqlstore: contact change has no X user id: %w", store.ErrInvalid)
	}
	accountID, ok := parseID(ch.AccountID)
	if !ok {
		return store.ErrNotFound
	}
	at := ch.At.UnixMilli()
	args := []any{accountID, ch.XUserID, ch.Username}
	for _, f := range []store.ContactField{store.ContactFollowing, store.ContactBlocked, store.ContactMuted} {
		if f == ch.Field {
			args = append(args, boolInt(ch.Value), at)
		} else {
			args = append(args, 0, nil)
		}
	}
	args = append(args, at)
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		// The key-share lock keeps the account from being deleted before
		// the contact row that refers to it commits.
		err := exists(tx.QueryRowContext(ctx, s.q("SELECT 1 FROM accounts WHERE id = ? "+s.dialect.keyShareLock), accountID))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(query), args...)
		return err
	})
	return wrap("apply contact change", err)
}

// Contact returns the record of one X user for one account; see
// store.Contacts.
func (s *Store) Contact(ctx context.Context, accountID, xUserID string) (store.Contact, error) {
	n, ok := parseID(accountID)
	if !ok {
		return store.Contact{}, store.ErrNotFound
	}
	c := store.Contact{AccountID: accountID, XUserID: xUserID}
	var updated int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT username, following, blocked, muted, updated_at
		FROM contacts WHERE account_id = ? AND x_user_id = ?`), n, xUserID).
		Scan(&c.Username, &c.Following, &c.Blocked, &c.Muted, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Contact{}, store.ErrNotFound
	}
	if err != nil {
		return store.Contact{}, wrap("read contact", err)
	}
	c.UpdatedAt = fromMillis(updated)
	return c, nil
}
