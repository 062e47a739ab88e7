package ratelimit

import (
	"context"
	"fmt"
	"math"
	"time"

	"golang.org/x/time/rate"
)

// Bucket adapts a golang.org/x/time/rate token bucket to Limiter. A token
// bucket paces calls: with rate.Every(2*time.Second) and burst 1 it spaces
// calls two seconds apart. It does not bound the calls in a fixed interval
// the way a Window does, because it refills continuously.
//
// Bucket is safe for concurrent use. The wrapped rate.Limiter may be shared
// with other code, which then draws from the same tokens.
type Bucket struct {
	// Clock is the time source of Wait. Nil means SystemClock. Set it
	// before first use.
	Clock Clock

	lim *rate.Limiter
}

// NewBucket returns a Bucket drawing one token per call from lim.
func NewBucket(lim *rate.Limiter) *Bucket {
	return &Bucket{lim: lim}
}

// Wait blocks until a token is available and takes it. It returns ctx.Err()
// when ctx ends first, after giving the reserved token back as far as
// rate.Reservation.CancelAt can. It returns an error without waiting when
// the limiter's burst is below one token.
func (b *Bucket) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	clock := clockOrSystem(b.Clock)
	now := clock.Now()
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return fmt.Errorf("ratelimit: token bucket burst %d is below one call", b.lim.Burst())
	}
	if err := clock.Sleep(ctx, r.DelayFrom(now)); err != nil {
		r.CancelAt(clock.Now())
		return err
	}
	return nil
}

// AllowAt reports whether a token is available at now and takes it if so.
func (b *Bucket) AllowAt(now time.Time) bool {
	return b.lim.AllowN(now, 1)
}

// NextAllowed returns when the bucket will next hold a whole token. When
// the limiter refills at rate zero, or its burst is below one, no token
// will come and NextAllowed returns now plus rate.InfDuration.
func (b *Bucket) NextAllowed(now time.Time) time.Time {
	limit := b.lim.Limit()
	if limit == rate.Inf {
		return now
	}
	if b.lim.Burst() < 1 || limit <= 0 && b.lim.TokensAt(now) < 1 {
		return now.Add(rate.InfDuration)
	}
	missing := 1 - b.lim.TokensAt(now)
	if missing <= 0 {
		return now
	}
	// Round up, so that AllowAt at the returned time finds a whole token.
	wait := math.Ceil(missing / float64(limit) * float64(time.Second))
	return now.Add(time.Duration(wait))
}

func (b *Bucket) idleAt(now time.Time) bool {
	return b.lim.TokensAt(now) >= float64(b.lim.Burst())
}
