package ratelimit_test

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/goodgo/xactivity/ratelimit"
)

// This example reads the limits of a response that exhausted the 15-minute
// window, and enforces 2 sends per minute and 3 per hour locally.
func Example() {
	h := http.Header{}
	h.Set("x-rate-limit-limit", "15")
	h.Set("x-rate-limit-remaining", "0")
	h.Set("x-rate-limit-reset", "1748780100") // 2025-06-01T12:15:00Z
	h.Set("x-user-limit-24hour-limit", "1440")
	h.Set("x-user-limit-24hour-remaining", "1200")
	h.Set("x-user-limit-24hour-reset", "1748862000")

	rate := ratelimit.Parse(h)
	fmt.Println("window:", rate.Window.Remaining, "of", rate.Window.Limit)
	fmt.Println("user 24h:", rate.User24h.Remaining, "of", rate.User24h.Limit)
	fmt.Println("app 24h reported:", rate.App24h != nil)

	now := time.Date(2025, 6, 1, 12, 5, 0, 0, time.UTC)
	if until, ok := rate.Exhausted(now); ok {
		fmt.Println("exhausted until", until.Format(time.RFC3339))
	}

	sends := ratelimit.NewWindows(
		ratelimit.Window{Events: 2, Per: time.Minute},
		ratelimit.Window{Events: 3, Per: time.Hour},
	)
	for i := range 4 {
		fmt.Printf("send %d allowed: %v\n", i, sends.AllowAt(now))
	}
	fmt.Println("next send after", sends.NextAllowed(now).Sub(now))
	later := now.Add(time.Minute)
	fmt.Println("send at +1m allowed:", sends.AllowAt(later))
	fmt.Println("then the hour is full until +", sends.NextAllowed(later).Sub(now))

	err := fmt.Errorf("send DM: %w", &ratelimit.Error{
		Rate:       rate,
		Reset:      time.Date(2025, 6, 1, 12, 15, 0, 0, time.UTC),
		StatusCode: http.StatusTooManyRequests,
		Endpoint:   "POST /2/dm_events",
	})
	var rateErr *ratelimit.Error
	if errors.As(err, &rateErr) {
		fmt.Println(rateErr)
	}
	// Output:
	// window: 0 of 15
	// user 24h: 1200 of 1440
	// app 24h reported: false
	// exhausted until 2025-06-01T12:15:00Z
	// send 0 allowed: true
	// send 1 allowed: true
	// send 2 allowed: false
	// send 3 allowed: false
	// next send after 1m0s
	// send at +1m allowed: true
	// then the hour is full until + 1h0m0s
	// ratelimit: POST /2/dm_events: status 429 Too Many Requests, resets at 2025-06-01T12:15:00Z
}
