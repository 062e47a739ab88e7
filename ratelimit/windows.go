package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Window is a limit of Events calls per duration Per, such as 15 calls per
// 15 minutes or 500 calls per 24 hours.
type Window struct {
	// Events is the maximum number of calls in any interval of length Per.
	Events int
	// Per is the length of the window.
	Per time.Duration
}

// Windows is a Limiter that enforces several windows at once: a call is
// allowed only when every window allows it, and a call refused by one
// window is counted by none.
//
// Each window is a sliding-window log: it stores the times of its last
// Events calls and allows a call at t only if the oldest of them is at
// least Per before t. So no window ever counts more than Events calls in
// any half-open interval [t, t+Per). X counts its limits in fixed windows
// that end at a reset time. The guarantee holds for every interval, so it
// holds for X's windows wherever they start. Calls are counted when
// Windows allows them, by the times of its Clock.
//
// NOTE: X counts a call when the request arrives, so latency differences
// can move calls across X's window boundary. Leave a margin (one event
// fewer, or a slightly longer Per) when X's limit must never be reached.
//
// Windows does not use golang.org/x/time/rate: a token bucket with burst
// Events refilled at Events per Per allows a full burst and then the
// refill, nearly 2×Events calls within one Per. Use Bucket where even
// pacing, not a hard cap, is the goal.
//
// Times passed to AllowAt and NextAllowed should not decrease: a time
// earlier than the latest counted call is treated as that call's time.
//
// Memory is 8 bytes per call remembered, at most the sum of Events over
// the windows. Wait does not queue callers in order: when several wait,
// any of them may take the next allowed call.
type Windows struct {
	// Clock is the time source of Wait. Nil means SystemClock. Set it
	// before first use.
	Clock Clock

	mu      sync.Mutex
	logs    []windowLog
	base    time.Time     // origin of the stored offsets, set on first call
	hasBase bool          // whether base is set
	last    time.Duration // offset of the latest counted call
}

// windowLog is a ring of the offsets (from Windows.base) of a window's most
// recent calls. Until it holds Events entries it grows by appending; after
// that, head indexes the oldest entry, which each new call overwrites.
type windowLog struct {
	Window
	calls []time.Duration
	head  int
}

// NewWindows returns a Windows enforcing every given window. With no
// windows every call is allowed. It panics if a window's Events or Per is
// not positive, because such a window is a configuration error that would
// otherwise refuse every call or none.
func NewWindows(windows ...Window) *Windows {
	w := &Windows{logs: make([]windowLog, len(windows))}
	for i, win := range windows {
		if win.Events <= 0 || win.Per <= 0 {
			panic(fmt.Sprintf("ratelimit: invalid window %d calls per %v: both must be positive",
				win.Events, win.Per))
		}
		w.logs[i].Window = win
	}
	return w
}

// Windows returns the windows w enforces.
func (w *Windows) Windows() []Window {
	out := make([]Window, len(w.logs))
	for i, l := range w.logs {
		out[i] = l.Window
	}
	return out
}

// Wait blocks until every window allows a call and counts it. It returns
// ctx.Err() when ctx ends first, counting nothing.
func (w *Windows) Wait(ctx context.Context) error {
	clock := clockOrSystem(w.Clock)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := clock.Now()
		next, ok := w.take(now)
		if ok {
			return nil
		}
		if err := clock.Sleep(ctx, next.Sub(now)); err != nil {
			return err
		}
	}
}

// AllowAt reports whether every window allows a call at now, and counts
// the call in all of them when they do.
func (w *Windows) AllowAt(now time.Time) bool {
	_, ok := w.take(now)
	return ok
}

// NextAllowed returns the earliest time, not before now, at which every
// window allows a call.
func (w *Windows) NextAllowed(now time.Time) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.nextLocked(w.clampLocked(now))
}

// take counts a call at now if allowed; otherwise it returns the next
// allowed time and counts nothing.
func (w *Windows) take(now time.Time) (next time.Time, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now = w.clampLocked(now)
	next = w.nextLocked(now)
	if next.After(now) {
		return next, false
	}
	if !w.hasBase {
		w.base, w.hasBase = now, true
	}
	w.last = now.Sub(w.base)
	for i := range w.logs {
		w.logs[i].record(w.last)
	}
	return now, true
}

// clampLocked returns the later of now and the latest counted call, so the
// stored offsets never decrease.
func (w *Windows) clampLocked(now time.Time) time.Time {
	if latest := w.base.Add(w.last); w.hasBase && latest.After(now) {
		return latest
	}
	return now
}

func (w *Windows) nextLocked(now time.Time) time.Time {
	next := now
	for i := range w.logs {
		if at, full := w.logs[i].oldestFree(); full {
			if t := w.base.Add(at); t.After(next) {
				next = t
			}
		}
	}
	return next
}

// idleAt reports whether no remembered call is within Per of now in any
// window, so that a new Windows would decide the same from now on.
func (w *Windows) idleAt(now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.logs {
		l := &w.logs[i]
		if len(l.calls) == 0 {
			continue
		}
		newest := l.calls[(l.head+len(l.calls)-1)%len(l.calls)]
		if w.base.Add(newest + l.Per).After(now) {
			return false
		}
	}
	return true
}

// oldestFree returns the offset at which the oldest remembered call leaves
// the window, and whether the log is full so that this offset matters.
func (l *windowLog) oldestFree() (time.Duration, bool) {
	if len(l.calls) < l.Events {
		return 0, false
	}
	return l.calls[l.head] + l.Per, true
}

func (l *windowLog) record(offset time.Duration) {
	if len(l.calls) < l.Events {
		l.calls = append(l.calls, offset)
		return
	}
	l.calls[l.head] = offset
	l.head = (l.head + 1) % l.Events
}
