package store

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// SendLimit is a limit of Max sends in any interval of length Per, such as
// 500 DMs per 24 hours.
type SendLimit struct {
	Max int
	Per time.Duration // at least a millisecond; stores count it in whole milliseconds
}

// AccountSendKey returns the SendQuotas key that counts the DMs sent by
// the account with the given id. DeleteAccount deletes the sends recorded
// under it.
func AccountSendKey(accountID string) string {
	return "dm:" + accountID
}

// SendQuotas counts sends per key, such as an account id, in the store, so
// that every process that shares the store enforces one set of limits.
type SendQuotas interface {
	// ReserveSend records a send of key at now when every limit allows
	// one, and returns true and the zero time. A limit allows a send when fewer than Max
	// sends of key are recorded at times after now minus Per. Sends
	// recorded at times after now count too, so a process whose clock is
	// behind another's cannot exceed a limit. Calls for one key are
	// serialized, also across processes, so that no interval of length Per
	// ever holds more than Max recorded sends of the key.
	//
	// When a limit refuses the send, ReserveSend records nothing and
	// returns false and the earliest time at which every limit allows a
	// send, if no other send of key is recorded before then.
	//
	// A call deletes the key's sends recorded at or before now minus the
	// longest Per, so every call for one key must pass the same limits, or
	// at least one as long as the longest. A call may also delete the
	// sends of other keys that no limit counts anymore: those of a key
	// whose every call had a now plus longest Per at or before this call's
	// now. It returns ErrInvalid when key is empty, limits is empty, or a
	// limit has a Max below 1 or a Per shorter than a millisecond.
	ReserveSend(ctx context.Context, key string, now time.Time, limits []SendLimit) (ok bool, next time.Time, err error)
}

// checkSendLimits returns an error wrapping ErrInvalid unless key is
// non-empty and limits holds at least one limit, each with a Max of at
// least 1 and a Per of at least a millisecond.
func checkSendLimits(key string, limits []SendLimit) error {
	if key == "" {
		return fmt.Errorf("store: send quota key is empty: %w", ErrInvalid)
	}
	if len(limits) == 0 {
		return fmt.Errorf("store: no send limits for key %q: %w", key, ErrInvalid)
	}
	for i, l := range limits {
		if l.Max < 1 || l.Per < time.Millisecond {
			return fmt.Errorf("store: send limit %d (%d per %v) needs a Max of at least 1 and a Per of at least 1ms: %w",
				i, l.Max, l.Per, ErrInvalid)
		}
	}
	return nil
}

// nextSendAllowed returns the earliest time in Unix milliseconds, not
// before now, at which every limit allows a send, given the times of the
// recorded sends in ascending order, and whether that time is now. Only
// sends after now minus a limit's Per count for that limit. A limit that
// counts c ≥ Max sends allows the next one Per after its (c-Max+1)-th
// oldest counted send. The limits only open up as time passes, so the time
// that every limit allows is the latest of the limits' times.
func nextSendAllowed(sends []int64, now int64, limits []SendLimit) (next int64, ok bool) {
	next = now
	for _, l := range limits {
		per := l.Per.Milliseconds()
		first, _ := slices.BinarySearch(sends, now-per+1) // the first send after now-per
		counted := len(sends) - first
		if counted < l.Max {
			continue
		}
		next = max(next, sends[first+counted-l.Max]+per)
	}
	return next, next == now
}
