package store

import (
	"context"
	"slices"
	"time"
)

// ReserveSend records a send of key when every limit allows one; see
// SendQuotas.
func (m *Memory) ReserveSend(ctx context.Context, key string, now time.Time, limits []SendLimit) (bool, time.Time, error) {
	if err := ctx.Err(); err != nil {
		return false, time.Time{}, err
	}
	if err := checkSendLimits(key, limits); err != nil {
		return false, time.Time{}, err
	}
	nowMillis := now.UnixMilli()
	var longest int64
	for _, l := range limits {
		longest = max(longest, l.Per.Milliseconds())
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	sends := m.sends[key]
	// Drop the sends at or before now minus the longest Per.
	old, _ := slices.BinarySearch(sends, nowMillis-longest+1)
	sends = slices.Delete(sends, 0, old)
	next, ok := nextSendAllowed(sends, nowMillis, limits)
	if ok {
		at, _ := slices.BinarySearch(sends, nowMillis+1) // after every equal time
		sends = slices.Insert(sends, at, nowMillis)
	}
	if len(sends) == 0 {
		delete(m.sends, key)
	} else {
		m.sends[key] = sends
	}
	if ok {
		return true, time.Time{}, nil
	}
	return false, time.UnixMilli(next).UTC(), nil
}
