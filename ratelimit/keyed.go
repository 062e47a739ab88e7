package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Keyed holds one Limiter per key, such as an account, a merchant or an
// endpoint, created on first use by a constructor function.
//
// To bound memory, Keyed removes an entry once it has been unused for the
// TTL. When the entry's limiter is one of this package's, it must also
// remember nothing that could still restrict a call: a Windows with no call
// within Per, a Learned with no reset ahead, a Bucket that is full.
// Dropping such an entry is invisible to callers, because a new limiter
// would decide the same. Limiters of other types are removed on the TTL
// alone, so give them a TTL longer than anything they remember. Removal
// happens during calls to Keyed, scanning all entries at most once per TTL,
// so an idle entry can stay up to twice the TTL.
//
// Keyed is safe for concurrent use.
type Keyed[K comparable] struct {
	// Clock is the time source of Wait and of Limiter's idle accounting.
	// Nil means SystemClock. Set it before first use.
	Clock Clock

	ttl        time.Duration
	newLimiter func(key K) Limiter

	mu        sync.Mutex
	entries   map[K]*keyedEntry
	nextSweep time.Time
}

type keyedEntry struct {
	limiter  Limiter
	lastUsed time.Time
}

// NewKeyed returns a Keyed that calls newLimiter for each new key and
// removes entries idle for ttl. It panics if ttl is not positive or
// newLimiter is nil.
func NewKeyed[K comparable](ttl time.Duration, newLimiter func(key K) Limiter) *Keyed[K] {
	if ttl <= 0 {
		panic("ratelimit: NewKeyed ttl must be positive")
	}
	if newLimiter == nil {
		panic("ratelimit: NewKeyed newLimiter must not be nil")
	}
	return &Keyed[K]{ttl: ttl, newLimiter: newLimiter, entries: make(map[K]*keyedEntry)}
}

// Limiter returns the limiter for key, creating it if needed, and marks it
// used now by the Clock.
func (k *Keyed[K]) Limiter(key K) Limiter {
	return k.limiterAt(key, clockOrSystem(k.Clock).Now())
}

// Wait waits on key's limiter. It returns ctx.Err() when ctx ends first,
// and otherwise whatever that limiter's Wait returns.
func (k *Keyed[K]) Wait(ctx context.Context, key K) error {
	return k.Limiter(key).Wait(ctx)
}

// AllowAt reports whether key's limiter allows a call at now, counting it
// when so.
func (k *Keyed[K]) AllowAt(key K, now time.Time) bool {
	return k.limiterAt(key, now).AllowAt(now)
}

// NextAllowed returns when key's limiter next allows a call.
func (k *Keyed[K]) NextAllowed(key K, now time.Time) time.Time {
	return k.limiterAt(key, now).NextAllowed(now)
}

// Len returns the number of keys currently held.
func (k *Keyed[K]) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.entries)
}

// Sweep removes the entries that can be removed at now, as described on
// Keyed, and returns how many it removed. Calls to Keyed sweep on their
// own; Sweep is for callers that want memory back without further calls.
func (k *Keyed[K]) Sweep(now time.Time) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.sweepLocked(now)
}

// peek returns key's limiter without creating it or marking it used.
func (k *Keyed[K]) peek(key K) (Limiter, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.entries[key]
	if !ok {
		return nil, false
	}
	return e.limiter, true
}

// limiterAt returns key's limiter, marked used at now. It calls
// newLimiter without holding the lock, so a constructor may use k. When two
// goroutines create the same key at once, the first stored limiter wins.
func (k *Keyed[K]) limiterAt(key K, now time.Time) Limiter {
	if lim, ok := k.touch(key, now); ok {
		return lim
	}
	created := k.newLimiter(key)
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.entries[key]
	if !ok {
		e = &keyedEntry{limiter: created}
		k.entries[key] = e
	}
	e.markUsed(now)
	return e.limiter
}

// touch sweeps when due and returns key's limiter, marked used at now, if
// it exists.
func (k *Keyed[K]) touch(key K, now time.Time) (Limiter, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !now.Before(k.nextSweep) {
		k.sweepLocked(now)
	}
	e, ok := k.entries[key]
	if !ok {
		return nil, false
	}
	e.markUsed(now)
	return e.limiter, true
}

func (e *keyedEntry) markUsed(now time.Time) {
	if now.After(e.lastUsed) {
		e.lastUsed = now
	}
}

func (k *Keyed[K]) sweepLocked(now time.Time) int {
	k.nextSweep = now.Add(k.ttl)
	removed := 0
	for key, e := range k.entries {
		if now.Sub(e.lastUsed) < k.ttl {
			continue
		}
		if i, ok := e.limiter.(idler); ok && !i.idleAt(now) {
			continue
		}
		delete(k.entries, key)
		removed++
	}
	return removed
}
