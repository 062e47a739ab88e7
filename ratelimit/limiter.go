package ratelimit

import (
	"context"
	"time"
)

// Limiter decides when a call may be made. The limiters of this package
// are safe for concurrent use by multiple goroutines.
type Limiter interface {
	// Wait blocks until one call is allowed and counts it. When ctx ends
	// first, Wait returns ctx.Err() unwrapped. An implementation may return
	// other errors instead of waiting and documents them.
	Wait(ctx context.Context) error
	// AllowAt reports whether one call is allowed at now, and counts it
	// when it is. It never blocks.
	AllowAt(now time.Time) bool
	// NextAllowed returns the earliest time, not before now, at which
	// AllowAt would allow a call if no other call were counted first. It
	// counts nothing.
	NextAllowed(now time.Time) time.Time
}

// Clock is the time source of the limiters and of Transport. Tests supply
// a fake so that waits take no real time.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep blocks until d has passed or ctx is done, whichever comes
	// first, and returns ctx.Err() in the second case. It returns at once
	// when d <= 0, with ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the Clock of time.Now and real timers. A nil Clock field
// anywhere in this package means SystemClock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits on a timer for d or until ctx is done.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func clockOrSystem(c Clock) Clock {
	if c == nil {
		return SystemClock{}
	}
	return c
}

// idler is implemented by the limiters of this package so that Keyed can
// tell when dropping one loses no information: idleAt reports whether a
// newly created limiter would behave the same from now on.
type idler interface {
	idleAt(now time.Time) bool
}
