package ratelimit

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of the three limit families X reports. net/http
// canonicalizes them, so any letter case on the wire matches.
const (
	windowPrefix  = "X-Rate-Limit-"
	user24hPrefix = "X-User-Limit-24hour-"
	app24hPrefix  = "X-App-Limit-24hour-"
)

// maxResetUnix is the largest reset accepted, 9999-12-31T23:59:59Z in Unix
// seconds. Larger values are treated as malformed rather than turned into
// times that overflow arithmetic.
const maxResetUnix = 253402300799

// Limit is one rate-limit window as X reports it.
type Limit struct {
	// Limit is the number of calls the window allows.
	Limit int
	// Remaining is the number of calls left in the current window.
	Remaining int
	// Reset is when the current window ends, in UTC with whole seconds.
	Reset time.Time
}

// Rate is every limit one response reported. A nil field means the
// response did not carry that family of headers, or carried it incomplete
// or malformed.
type Rate struct {
	// Window is the endpoint's 15-minute window, from x-rate-limit-limit,
	// x-rate-limit-remaining and x-rate-limit-reset.
	Window *Limit
	// User24h is the user's 24-hour limit, from x-user-limit-24hour-limit,
	// x-user-limit-24hour-remaining and x-user-limit-24hour-reset.
	User24h *Limit
	// App24h is the app's 24-hour limit, from x-app-limit-24hour-limit,
	// x-app-limit-24hour-remaining and x-app-limit-24hour-reset.
	App24h *Limit
}

// Parse reads the rate-limit headers of a response. A family counts only
// when all three of its headers (limit, remaining and reset) are present and
// parse: limit and remaining as non-negative decimal integers that fit in an
// int, reset as non-negative Unix seconds no later than the year 9999.
// Otherwise its field is nil. When a header repeats, the first value is
// used. Parse never panics, and a nil or empty h returns the zero Rate.
func Parse(h http.Header) Rate {
	return Rate{
		Window:  parseFamily(h, windowPrefix),
		User24h: parseFamily(h, user24hPrefix),
		App24h:  parseFamily(h, app24hPrefix),
	}
}

func parseFamily(h http.Header, prefix string) *Limit {
	limit, ok := parseCount(h.Get(prefix + "Limit"))
	if !ok {
		return nil
	}
	remaining, ok := parseCount(h.Get(prefix + "Remaining"))
	if !ok {
		return nil
	}
	reset, ok := parseCount(h.Get(prefix + "Reset"))
	if !ok || reset > maxResetUnix {
		return nil
	}
	return &Limit{
		Limit:     limit,
		Remaining: remaining,
		Reset:     time.Unix(int64(reset), 0).UTC(),
	}
}

// parseCount accepts only decimal digits, so signs, fractions and
// exponents are rejected; strconv.Atoi rejects values that overflow an int.
func parseCount(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false
	}
	return n, true
}

// families returns the three limit fields in a fixed order; absent ones
// are nil.
func (r Rate) families() [3]*Limit {
	return [3]*Limit{r.Window, r.User24h, r.App24h}
}

// Exhausted reports whether a reported limit forbids calls at now. It
// returns the latest Reset among the limits whose Remaining is zero and
// whose Reset is after now, because no call can succeed before every
// exhausted limit has reset. It returns false when no limit qualifies,
// including when an exhausted limit's reset has already passed.
func (r Rate) Exhausted(now time.Time) (until time.Time, ok bool) {
	for _, l := range r.families() {
		if l != nil && l.Remaining == 0 && l.Reset.After(now) && l.Reset.After(until) {
			until, ok = l.Reset, true
		}
	}
	return until, ok
}
