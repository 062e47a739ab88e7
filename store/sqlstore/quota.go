package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/goodgo/xactivity/store"
)

// Statements of ReserveSend. lockQuotaKeySQL is an upsert, so it locks the
// key's row until the transaction ends, also when the row is new: a
// concurrent insert of the same key waits for the first to commit and then
// updates the row.
const (
	lockQuotaKeySQL = `INSERT INTO send_quota_keys (quota_key, updated_at) VALUES (?, ?)
	ON CONFLICT (quota_key) DO UPDATE SET updated_at = excluded.updated_at`
	deleteOldSendsSQL = "DELETE FROM sends WHERE quota_key = ? AND sent_at <= ?"
	countSendsSQL     = "SELECT COUNT(*) FROM sends WHERE quota_key = ? AND sent_at > ?"
	// nthSendSQL returns the time of a key's send after a time, at an
	// offset in ascending time order.
	nthSendSQL = `SELECT sent_at FROM sends WHERE quota_key = ? AND sent_at > ?
	ORDER BY sent_at LIMIT 1 OFFSET ?`
	insertSendSQL = "INSERT INTO sends (quota_key, sent_at) VALUES (?, ?)"
)

// ReserveSend records a send of key when every limit allows one; see
// store.SendQuotas.
func (s *Store) ReserveSend(ctx context.Context, key string, now time.Time, limits []store.SendLimit) (bool, time.Time, error) {
	if err := checkSendLimits(key, limits); err != nil {
		return false, time.Time{}, err
	}
	nowMillis := now.UnixMilli()
	var longest int64
	for _, l := range limits {
		longest = max(longest, l.Per.Milliseconds())
	}
	var next int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(lockQuotaKeySQL), key, nowMillis); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(deleteOldSendsSQL), key, nowMillis-longest); err != nil {
			return err
		}
		var err error
		if next, err = s.nextSendAllowed(ctx, tx, key, nowMillis, limits); err != nil || next != nowMillis {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(insertSendSQL), key, nowMillis)
		return err
	})
	if err != nil {
		return false, time.Time{}, wrap("reserve send", err)
	}
	if next != nowMillis {
		return false, fromMillis(next), nil
	}
	return true, time.Time{}, nil
}

// nextSendAllowed returns the earliest time, not before now, at which every
// limit allows a send of key. A limit that counts c ≥ Max sends after now
// minus its Per allows the next one Per after the (c-Max+1)-th oldest of
// them. The limits only open up as time passes, so the time that every
// limit allows is the latest of the limits' times.
func (s *Store) nextSendAllowed(ctx context.Context, tx *sql.Tx, key string, now int64, limits []store.SendLimit) (int64, error) {
	next := now
	for _, l := range limits {
		per := l.Per.Milliseconds()
		var counted int
		if err := tx.QueryRowContext(ctx, s.q(countSendsSQL), key, now-per).Scan(&counted); err != nil {
			return 0, err
		}
		if counted < l.Max {
			continue
		}
		var at int64
		if err := tx.QueryRowContext(ctx, s.q(nthSendSQL), key, now-per, counted-l.Max).Scan(&at); err != nil {
			return 0, err
		}
		next = max(next, at+per)
	}
	return next, nil
}

// checkSendLimits returns an error wrapping store.ErrInvalid unless key is
// non-empty and every limit, of which there is at least one, has a Max of
// at least 1 and a Per of at least a millisecond.
func checkSendLimits(key string, limits []store.SendLimit) error {
	if key == "" {
		return fmt.Errorf("sqlstore: send quota key is empty: %w", store.ErrInvalid)
	}
	if len(limits) == 0 {
		return fmt.Errorf("sqlstore: no send limits for key %q: %w", key, store.ErrInvalid)
	}
	for i, l := range limits {
		if l.Max < 1 || l.Per < time.Millisecond {
			return fmt.Errorf("sqlstore: send limit %d (%d per %v) needs a Max of at least 1 and a Per of at least 1ms: %w",
				i, l.Max, l.Per, store.ErrInvalid)
		}
	}
	return nil
}
