package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/goodgo/xactivity/store"
)

// PutOAuthRequest stores a pending OAuth authorization; see
// store.OAuthRequests.
func (s *Store) PutOAuthRequest(ctx context.Context, r store.OAuthRequest) error {
	if r.Token == "" || r.MerchantID == "" || len(r.SealedSecret) == 0 || r.ExpiresAt.IsZero() {
		return fmt.Errorf("sqlstore: OAuth request needs a token, a merchant id, a sealed secret and an expiry time: %w",
			store.ErrInvalid)
	}
	created := s.nowMillis()
	if !r.CreatedAt.IsZero() {
		created = r.CreatedAt.UnixMilli()
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM oauth_requests WHERE expires_at <= ?"), created); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO oauth_requests
			(token, merchant_id, sealed_secret, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (token) DO NOTHING`),
			r.Token, r.MerchantID, r.SealedSecret, created, r.ExpiresAt.UnixMilli())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("sqlstore: OAuth request token is already stored: %w", store.ErrInvalid)
		}
		return nil
	})
	return wrap("put OAuth request", err)
}

// TakeOAuthRequest removes and returns a pending OAuth authorization; see
// store.OAuthRequests. The DELETE ... RETURNING removes the row and reads
// it in one statement, so of concurrent calls for one token only one gets
// the row.
func (s *Store) TakeOAuthRequest(ctx context.Context, token string, now time.Time) (store.OAuthRequest, error) {
	var r store.OAuthRequest
	var live bool
	nowMillis := now.UnixMilli()
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var created, expires int64
		err := tx.QueryRowContext(ctx, s.q(`DELETE FROM oauth_requests WHERE token = ?
			RETURNING token, merchant_id, sealed_secret, created_at, expires_at`), token).
			Scan(&r.Token, &r.MerchantID, &r.SealedSecret, &created, &expires)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// An expired row is deleted like a live one, and the transaction
		// commits either way.
		live = err == nil && nowMillis < expires
		r.CreatedAt = fromMillis(created)
		r.ExpiresAt = fromMillis(expires)
		_, err = tx.ExecContext(ctx, s.q("DELETE FROM oauth_requests WHERE expires_at <= ?"), nowMillis)
		return err
	})
	if err != nil {
		return store.OAuthRequest{}, wrap("take OAuth request", err)
	}
	if !live {
		return store.OAuthRequest{}, store.ErrNotFound
	}
	return r, nil
}
