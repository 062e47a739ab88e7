package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Learned is a Limiter driven by the limits X reports. Observe feeds it the
// Rate of each response. While a reported limit has no calls remaining and
// its reset is in the future, Wait blocks until the reset. It returns an
// *Error at once instead when FailFast is set or the reset is further away
// than MaxWait.
//
// Learned also counts the calls it allows against every reported limit
// whose reset is still ahead, so that concurrent callers cannot all pass on
// the last remaining call. A limit stops counting once its reset passes:
// then, until a response reports it again, it is unknown and allows calls.
//
// The zero value is ready to use and allows every call until Observe
// reports a limit. Learned is safe for concurrent use. Set its fields
// before first use.
type Learned struct {
	// Clock is the time source of Wait. Nil means SystemClock.
	Clock Clock
	// FailFast makes Wait return an *Error with Local set instead of
	// waiting for a reset.
	FailFast bool
	// MaxWait is the longest Wait blocks for a reset. A reset further away
	// makes Wait return an *Error with Local set at once. Zero means no
	// maximum.
	MaxWait time.Duration

	mu   sync.Mutex
	rate Rate
}

// Observe merges the limits of one response into l. Families absent from r
// keep their earlier values. A reported limit replaces the stored one when
// its reset is later, or equal with fewer calls remaining, so a response
// that arrives late cannot undo the count of a newer one.
func (l *Learned) Observe(r Rate) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rate.Window = newerLimit(l.rate.Window, r.Window)
	l.rate.User24h = newerLimit(l.rate.User24h, r.User24h)
	l.rate.App24h = newerLimit(l.rate.App24h, r.App24h)
}

// newerLimit returns a copy of reported when it is newer than stored, and
// stored otherwise. Copies keep the caller's Rate and l's state apart.
func newerLimit(stored, reported *Limit) *Limit {
	if reported == nil {
		return stored
	}
	if stored != nil {
		if stored.Reset.After(reported.Reset) {
			return stored
		}
		if stored.Reset.Equal(reported.Reset) && stored.Remaining <= reported.Remaining {
			return stored
		}
	}
	c := *reported
	return &c
}

// Rate returns a copy of the limits l has learned, including the calls it
// has counted since they were reported.
func (l *Learned) Rate() Rate {
	l.mu.Lock()
	defer l.mu.Unlock()
	return copyRate(l.rate)
}

func copyRate(r Rate) Rate {
	return Rate{
		Window:  copyLimit(r.Window),
		User24h: copyLimit(r.User24h),
		App24h:  copyLimit(r.App24h),
	}
}

func copyLimit(l *Limit) *Limit {
	if l == nil {
		return nil
	}
	c := *l
	return &c
}

// Wait blocks until no learned limit is exhausted and counts the call. It
// returns ctx.Err() when ctx ends first. Without waiting, it returns an
// *Error with Local set and Reset at the latest exhausted reset when
// FailFast is set or that reset is more than MaxWait away.
func (l *Learned) Wait(ctx context.Context) error {
	clock := clockOrSystem(l.Clock)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := clock.Now()
		until, ok := l.take(now)
		if ok {
			return nil
		}
		if l.FailFast || l.MaxWait > 0 && until.Sub(now) > l.MaxWait {
			return &Error{Rate: l.Rate(), Reset: until, Local: true}
		}
		if err := clock.Sleep(ctx, until.Sub(now)); err != nil {
			return err
		}
	}
}

// AllowAt reports whether no learned limit is exhausted at now, and counts
// the call when so.
func (l *Learned) AllowAt(now time.Time) bool {
	_, ok := l.take(now)
	return ok
}

// NextAllowed returns the latest reset among the learned limits exhausted
// at now, or now when none is.
func (l *Learned) NextAllowed(now time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until, ok := l.rate.Exhausted(now); ok {
		return until
	}
	return now
}

// take counts a call at now against every limit whose reset is ahead, or,
// when one of them is exhausted, returns the time the call may be made.
func (l *Learned) take(now time.Time) (until time.Time, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until, exhausted := l.rate.Exhausted(now); exhausted {
		return until, false
	}
	for _, lim := range l.rate.families() {
		if lim != nil && lim.Reset.After(now) && lim.Remaining > 0 {
			lim.Remaining--
		}
	}
	return now, true
}

func (l *Learned) idleAt(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, lim := range l.rate.families() {
		if lim != nil && lim.Reset.After(now) {
			return false
		}
	}
	return true
}
