package store

import (
	"slices"
	"testing"
	"time"
)

// FuzzNextSendAllowed compares nextSendAllowed with a search that tries
// every millisecond from now on, over send times and limits decoded from
// the fuzzer's bytes.
func FuzzNextSendAllowed(f *testing.F) {
	f.Add([]byte{0, 10, 20, 30}, uint16(25), uint8(2), uint16(40), uint8(3), uint16(100))
	f.Add([]byte{5, 5, 5}, uint16(5), uint8(1), uint16(1), uint8(3), uint16(3))
	f.Add([]byte{}, uint16(0), uint8(1), uint16(10), uint8(1), uint16(10))
	f.Fuzz(func(t *testing.T, times []byte, now uint16, max1 uint8, per1 uint16, max2 uint8, per2 uint16) {
		if len(times) > 64 {
			times = times[:64]
		}
		sends := make([]int64, len(times))
		for i, b := range times {
			sends[i] = int64(b) * 4 // spread up to 1020 ms
		}
		slices.Sort(sends)
		limits := []SendLimit{
			{Max: int(max1%8) + 1, Per: time.Duration(per1%1500+1) * time.Millisecond},
			{Max: int(max2%8) + 1, Per: time.Duration(per2%1500+1) * time.Millisecond},
		}
		nowMillis := int64(now % 1200)

		next, ok := nextSendAllowed(sends, nowMillis, limits)
		want := nowMillis
		for !allowedAt(sends, want, limits) {
			want++
		}
		if next != want || ok != (want == nowMillis) {
			t.Fatalf("nextSendAllowed(%v, %d, %+v) = %d, %v; want %d", sends, nowMillis, limits, next, ok, want)
		}
	})
}

// allowedAt reports whether every limit allows a send at t, by counting the
// sends after t minus each limit's Per.
func allowedAt(sends []int64, t int64, limits []SendLimit) bool {
	for _, l := range limits {
		n := 0
		for _, s := range sends {
			if s > t-l.Per.Milliseconds() {
				n++
			}
		}
		if n >= l.Max {
			return false
		}
	}
	return true
}
