package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// runSendQuotas checks ReserveSend: sliding windows of several limits, the
// time of the next allowed send, and that concurrent callers never record
// more sends than a limit allows.
func runSendQuotas(t *testing.T, open Opener) {
	t.Run("one limit", func(t *testing.T) {
		f := newFixture(t, open)
		hourly := []store.SendLimit{{Max: 3, Per: time.Hour}}
		for i := range 3 {
			f.wantReserved("account 1", startTime.Add(time.Duration(i)*time.Minute), hourly)
		}
		next := millis(startTime).Add(time.Hour)
		f.wantRefused("account 1", startTime.Add(3*time.Minute), hourly, next)
		f.wantRefused("account 1", next.Add(-time.Millisecond), hourly, next)
		f.wantReserved("account 1", next, hourly)
		// The sends at +1m and +2m and the one at next are in the window.
		f.wantRefused("account 1", next, hourly, millis(startTime).Add(time.Hour+time.Minute))
	})

	t.Run("several limits", func(t *testing.T) {
		f := newFixture(t, open)
		limits := []store.SendLimit{{Max: 2, Per: time.Minute}, {Max: 3, Per: time.Hour}}
		t0 := millis(startTime)
		f.wantReserved("k", t0, limits)
		f.wantReserved("k", t0.Add(time.Second), limits)
		f.wantRefused("k", t0.Add(2*time.Second), limits, t0.Add(time.Minute))
		f.wantReserved("k", t0.Add(time.Minute), limits)
		// The minute limit opens at t0+1s+1m, the hour limit only at t0+1h.
		f.wantRefused("k", t0.Add(time.Minute+time.Millisecond), limits, t0.Add(time.Hour))
		f.wantReserved("k", t0.Add(time.Hour), limits)
	})

	t.Run("keys are independent", func(t *testing.T) {
		f := newFixture(t, open)
		one := []store.SendLimit{{Max: 1, Per: 24 * time.Hour}}
		f.wantReserved("a", startTime, one)
		f.wantRefused("a", startTime, one, millis(startTime).Add(24*time.Hour))
		f.wantReserved("b", startTime, one)
	})

	t.Run("later sends count", func(t *testing.T) {
		// A process whose clock is behind sees the sends of a process
		// whose clock is ahead.
		f := newFixture(t, open)
		one := []store.SendLimit{{Max: 1, Per: time.Hour}}
		ahead := millis(startTime).Add(10 * time.Minute)
		f.wantReserved("k", ahead, one)
		f.wantRefused("k", startTime, one, ahead.Add(time.Hour))
	})

	t.Run("old sends expire", func(t *testing.T) {
		f := newFixture(t, open)
		daily := []store.SendLimit{{Max: 2, Per: 24 * time.Hour}}
		f.wantReserved("k", startTime, daily)
		f.wantReserved("k", startTime, daily)
		later := startTime.Add(48 * time.Hour)
		f.wantReserved("k", later, daily)
		f.wantReserved("k", later, daily)
		f.wantRefused("k", later, daily, millis(later).Add(24*time.Hour))
	})

	t.Run("many calls for other keys", func(t *testing.T) {
		// A store may delete the sends of keys that no limit counts
		// anymore while it serves other keys, as the SQL stores do every
		// few hundred calls. A key's sends inside its longest window stay.
		f := newFixture(t, open)
		daily := []store.SendLimit{{Max: 1, Per: 24 * time.Hour}}
		minute := []store.SendLimit{{Max: 1, Per: time.Minute}}
		f.wantReserved("daily", startTime, daily)
		const calls, keys = 600, 10
		for i := range calls {
			f.wantReserved(fmt.Sprintf("minute %d", i%keys), startTime.Add(time.Duration(i)*time.Minute), minute)
		}
		last := millis(startTime).Add((calls - 1) * time.Minute)
		f.wantRefused(fmt.Sprintf("minute %d", (calls-1)%keys), last.Add(30*time.Second), minute, last.Add(time.Minute))
		f.wantRefused("daily", startTime.Add(12*time.Hour), daily, millis(startTime).Add(24*time.Hour))
		f.wantReserved("daily", startTime.Add(24*time.Hour), daily)
	})

	t.Run("invalid arguments", func(t *testing.T) {
		f := newFixture(t, open)
		valid := []store.SendLimit{{Max: 1, Per: time.Hour}}
		tests := []struct {
			name   string
			key    string
			limits []store.SendLimit
		}{
			{"empty key", "", valid},
			{"no limits", "k", nil},
			{"zero max", "k", []store.SendLimit{{Max: 0, Per: time.Hour}}},
			{"sub-millisecond per", "k", []store.SendLimit{valid[0], {Max: 1, Per: time.Microsecond}}},
		}
		for _, tt := range tests {
			_, _, err := f.s.ReserveSend(f.ctx, tt.key, startTime, tt.limits)
			wantError(t, "ReserveSend with "+tt.name, err, store.ErrInvalid)
		}
		// The rejected calls recorded nothing.
		f.wantReserved("k", startTime, valid)
	})

	t.Run("concurrent callers", func(t *testing.T) {
		f := newFixture(t, open)
		const max, callers, rounds = 5, 16, 3
		limits := []store.SendLimit{{Max: max, Per: time.Hour}}
		// Each round is a minute later, within the same hour, so the
		// first round takes every send the limit allows.
		for round := range rounds {
			now := startTime.Add(time.Duration(round) * time.Minute)
			var reserved atomic.Int64
			var wg sync.WaitGroup
			for i := range callers {
				wg.Go(func() {
					ok, next, err := f.s.ReserveSend(f.ctx, "shared", now, limits)
					if err != nil {
						t.Errorf("round %d caller %d: ReserveSend: %v", round, i, err)
						return
					}
					if ok {
						reserved.Add(1)
					} else if want := millis(startTime).Add(time.Hour); !next.Equal(want) {
						t.Errorf("round %d caller %d: next = %v, want %v", round, i, next, want)
					}
				})
			}
			wg.Wait()
			want := int64(0)
			if round == 0 {
				want = max
			}
			if got := reserved.Load(); got != want {
				t.Errorf("round %d: %d of %d callers reserved a send, want %d", round, got, callers, want)
			}
		}
	})

	t.Run("concurrent keys", func(t *testing.T) {
		f := newFixture(t, open)
		const keys, callers = 4, 8
		limits := []store.SendLimit{{Max: 2, Per: time.Hour}}
		var reserved [keys]atomic.Int64
		var wg sync.WaitGroup
		for i := range keys * callers {
			wg.Go(func() {
				k := i % keys
				ok, _, err := f.s.ReserveSend(f.ctx, fmt.Sprintf("key %d", k), startTime, limits)
				if err != nil {
					t.Errorf("key %d: ReserveSend: %v", k, err)
				}
				if ok {
					reserved[k].Add(1)
				}
			})
		}
		wg.Wait()
		for k := range reserved {
			if got := reserved[k].Load(); got != 2 {
				t.Errorf("key %d: %d sends reserved, want 2", k, got)
			}
		}
	})
}

// wantReserved checks that ReserveSend records a send of key at now.
func (f *fixture) wantReserved(key string, now time.Time, limits []store.SendLimit) {
	f.t.Helper()
	ok, next, err := f.s.ReserveSend(f.ctx, key, now, limits)
	mustNoError(f.t, "ReserveSend", err)
	if !ok || !next.IsZero() {
		f.t.Errorf("ReserveSend(%q) at %v = %v, %v; want true and the zero time", key, now, ok, next)
	}
}

// wantRefused checks that ReserveSend refuses a send of key at now and
// returns next as the time of the next allowed send.
func (f *fixture) wantRefused(key string, now time.Time, limits []store.SendLimit, next time.Time) {
	f.t.Helper()
	ok, got, err := f.s.ReserveSend(f.ctx, key, now, limits)
	mustNoError(f.t, "ReserveSend", err)
	if ok {
		f.t.Errorf("ReserveSend(%q) at %v recorded a send, want a refusal until %v", key, now, next)
		return
	}
	wantEqual(f.t, fmt.Sprintf("next allowed send of %q after a refusal at %v", key, now), got, next)
}
