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
// updates the row. It moves expires_at to now plus the call's longest Per
// unless the column holds a later time already.
const (
	lockQuotaKeySQL = `INSERT INTO send_quota_keys (quota_key, updated_at, expires_at) VALUES (?, ?, ?)
	ON CONFLICT (quota_key) DO UPDATE SET updated_at = excluded.updated_at,
	expires_at = CASE WHEN send_quota_keys.expires_at > excluded.expires_at
		THEN send_quota_keys.expires_at ELSE excluded.expires_at END`
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
	if s.reserveCalls.Add(1)%pruneEvery == 0 {
		if _, err := s.pruneSendQuotas(ctx, nowMillis); err != nil {
			return false, time.Time{}, wrap("reserve send", err)
		}
	}
	var next int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(lockQuotaKeySQL), key, nowMillis, nowMillis+longest); err != nil {
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

// Pruning of idle send quota keys: every pruneEvery-th ReserveSend call of
// a Store first deletes up to pruneBatch keys whose expires_at has passed,
// with their sends. The batch bounds the size of that transaction, because
// each key keeps the sends of its longest window.
const (
	pruneEvery = 256
	pruneBatch = 100
)

// pruneKeysSQL deletes up to a number of keys whose expires_at is at or
// before a time, oldest first, and returns them. The outer WHERE repeats
// the time condition, so that on PostgreSQL a key that a concurrent
// ReserveSend moved to a later time is checked again after its lock is
// released, and kept.
const pruneKeysSQL = `DELETE FROM send_quota_keys WHERE expires_at <= ? AND quota_key IN (
	SELECT quota_key FROM send_quota_keys WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)
	RETURNING quota_key`

// pruneSendQuotas deletes, in one transaction, up to pruneBatch keys whose
// recorded sends no limit counts at now anymore, with those sends, and
// returns the number of keys deleted.
func (s *Store) pruneSendQuotas(ctx context.Context, now int64) (int, error) {
	var pruned int
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		// The keys are read as []any, the arguments of the IN list below.
		keys, err := queryList(ctx, tx, s.q(pruneKeysSQL), []any{now, now, pruneBatch}, func(row rowScanner) (any, error) {
			var key string
			err := row.Scan(&key)
			return key, err
		})
		pruned = len(keys)
		if err != nil || len(keys) == 0 {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q("DELETE FROM sends WHERE quota_key IN ("+placeholders(len(keys))+")"), keys...)
		return err
	})
	return pruned, err
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
