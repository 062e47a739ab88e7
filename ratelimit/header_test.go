package ratelimit_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goodgo/xactivity/ratelimit"
)

// header builds a header from name, value pairs.
func header(pairs ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(pairs); i += 2 {
		h.Add(pairs[i], pairs[i+1])
	}
	return h
}

// family returns the three headers of one limit family.
func family(prefix, limit, remaining, reset string) []string {
	return []string{prefix + "-limit", limit, prefix + "-remaining", remaining, prefix + "-reset", reset}
}

const (
	windowFamily = "x-rate-limit"
	userFamily   = "x-user-limit-24hour"
	appFamily    = "x-app-limit-24hour"
)

func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

func TestParse(t *testing.T) {
	reset := t0.Unix()
	resetText := strconv.FormatInt(reset, 10)
	cases := []struct {
		name   string
		header http.Header
		want   ratelimit.Rate
	}{
		{"nil header", nil, ratelimit.Rate{}},
		{"no rate headers", header("content-type", "application/json"), ratelimit.Rate{}},
		{
			name: "all three families",
			header: header(append(append(
				family(windowFamily, "15", "14", resetText),
				family(userFamily, "1440", "1439", strconv.FormatInt(reset+86400, 10))...),
				family(appFamily, "100000", "0", strconv.FormatInt(reset+3600, 10))...)...),
			want: ratelimit.Rate{
				Window:  &ratelimit.Limit{Limit: 15, Remaining: 14, Reset: unix(reset)},
				User24h: &ratelimit.Limit{Limit: 1440, Remaining: 1439, Reset: unix(reset + 86400)},
				App24h:  &ratelimit.Limit{Limit: 100000, Remaining: 0, Reset: unix(reset + 3600)},
			},
		},
		{
			name:   "window only",
			header: header(family(windowFamily, "15", "0", resetText)...),
			want:   ratelimit.Rate{Window: &ratelimit.Limit{Limit: 15, Remaining: 0, Reset: unix(reset)}},
		},
		{
			name:   "user family in upper case",
			header: header(family("X-USER-LIMIT-24HOUR", "500", "3", resetText)...),
			want:   ratelimit.Rate{User24h: &ratelimit.Limit{Limit: 500, Remaining: 3, Reset: unix(reset)}},
		},
		{
			name:   "family without reset",
			header: header("x-rate-limit-limit", "15", "x-rate-limit-remaining", "3"),
			want:   ratelimit.Rate{},
		},
		{
			name:   "family without limit",
			header: header("x-app-limit-24hour-remaining", "3", "x-app-limit-24hour-reset", resetText),
			want:   ratelimit.Rate{},
		},
		{
			name: "malformed family beside a valid one",
			header: header(append(
				family(windowFamily, "15", "abc", resetText),
				family(appFamily, "10", "9", resetText)...)...),
			want: ratelimit.Rate{App24h: &ratelimit.Limit{Limit: 10, Remaining: 9, Reset: unix(reset)}},
		},
		{"garbage limit", header(family(windowFamily, "lots", "1", resetText)...), ratelimit.Rate{}},
		{"empty remaining", header(family(windowFamily, "15", "", resetText)...), ratelimit.Rate{}},
		{"fraction", header(family(windowFamily, "1.5", "1", resetText)...), ratelimit.Rate{}},
		{"exponent", header(family(windowFamily, "1e3", "1", resetText)...), ratelimit.Rate{}},
		{"hex", header(family(windowFamily, "0x10", "1", resetText)...), ratelimit.Rate{}},
		{"negative remaining", header(family(windowFamily, "15", "-1", resetText)...), ratelimit.Rate{}},
		{"negative reset", header(family(windowFamily, "15", "1", "-1700000000")...), ratelimit.Rate{}},
		{"plus sign", header(family(windowFamily, "+15", "1", resetText)...), ratelimit.Rate{}},
		{"reset with fraction", header(family(windowFamily, "15", "1", resetText+".5")...), ratelimit.Rate{}},
		{"reset as date", header(family(windowFamily, "15", "1", t0.Format(http.TimeFormat))...), ratelimit.Rate{}},
		{"limit overflows int", header(family(windowFamily, "99999999999999999999", "1", resetText)...), ratelimit.Rate{}},
		{"reset after year 9999", header(family(windowFamily, "15", "1", "253402300800")...), ratelimit.Rate{}},
		{
			name:   "reset at end of year 9999",
			header: header(family(windowFamily, "15", "1", "253402300799")...),
			want:   ratelimit.Rate{Window: &ratelimit.Limit{Limit: 15, Remaining: 1, Reset: unix(253402300799)}},
		},
		{
			name:   "huge but valid counts",
			header: header(family(windowFamily, "9223372036854775807", "9223372036854775806", "0")...),
			want:   ratelimit.Rate{Window: &ratelimit.Limit{Limit: 9223372036854775807, Remaining: 9223372036854775806, Reset: unix(0)}},
		},
		{
			name:   "surrounding spaces",
			header: header(family(windowFamily, " 15", "2 ", " "+resetText+" ")...),
			want:   ratelimit.Rate{Window: &ratelimit.Limit{Limit: 15, Remaining: 2, Reset: unix(reset)}},
		},
		{
			name:   "leading zeros",
			header: header(family(windowFamily, "015", "002", resetText)...),
			want:   ratelimit.Rate{Window: &ratelimit.Limit{Limit: 15, Remaining: 2, Reset: unix(reset)}},
		},
		{
			name: "repeated header uses first value",
			header: header(append(family(windowFamily, "15", "2", resetText),
				"x-rate-limit-remaining", "7")...),
			want: ratelimit.Rate{Window: &ratelimit.Limit{Limit: 15, Remaining: 2, Reset: unix(reset)}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ratelimit.Parse(tc.header)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseResetIsUTC(t *testing.T) {
	got := ratelimit.Parse(header(family(windowFamily, "15", "1", "1700000000")...))
	if got.Window == nil {
		t.Fatal("Window = nil, want a limit")
	}
	if loc := got.Window.Reset.Location(); loc != time.UTC {
		t.Errorf("Reset location = %v, want UTC", loc)
	}
}

func TestRateExhausted(t *testing.T) {
	now := t0
	limit := func(remaining int, reset time.Time) *ratelimit.Limit {
		return &ratelimit.Limit{Limit: 15, Remaining: remaining, Reset: reset}
	}
	cases := []struct {
		name      string
		rate      ratelimit.Rate
		wantUntil time.Time
		wantOK    bool
	}{
		{"no limits", ratelimit.Rate{}, time.Time{}, false},
		{"calls remaining", ratelimit.Rate{Window: limit(3, now.Add(time.Minute))}, time.Time{}, false},
		{"window exhausted", ratelimit.Rate{Window: limit(0, now.Add(time.Minute))}, now.Add(time.Minute), true},
		{"exhausted but reset passed", ratelimit.Rate{Window: limit(0, now.Add(-time.Second))}, time.Time{}, false},
		{"exhausted with reset now", ratelimit.Rate{Window: limit(0, now)}, time.Time{}, false},
		{
			name: "latest exhausted reset wins",
			rate: ratelimit.Rate{
				Window:  limit(0, now.Add(time.Minute)),
				User24h: limit(0, now.Add(5*time.Hour)),
				App24h:  limit(0, now.Add(time.Hour)),
			},
			wantUntil: now.Add(5 * time.Hour),
			wantOK:    true,
		},
		{
			name: "later reset with calls remaining is ignored",
			rate: ratelimit.Rate{
				Window:  limit(0, now.Add(time.Minute)),
				User24h: limit(4, now.Add(5*time.Hour)),
			},
			wantUntil: now.Add(time.Minute),
			wantOK:    true,
		},
		{
			name: "only the app limit exhausted",
			rate: ratelimit.Rate{
				Window: limit(10, now.Add(time.Minute)),
				App24h: limit(0, now.Add(2*time.Hour)),
			},
			wantUntil: now.Add(2 * time.Hour),
			wantOK:    true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			until, ok := tc.rate.Exhausted(now)
			if ok != tc.wantOK {
				t.Errorf("Exhausted ok = %v, want %v", ok, tc.wantOK)
			}
			if !until.Equal(tc.wantUntil) {
				t.Errorf("Exhausted until = %v, want %v", until, tc.wantUntil)
			}
		})
	}
}

// isDigits reports whether s, trimmed of spaces, is a non-empty run of
// ASCII digits.
func isDigits(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func FuzzParse(f *testing.F) {
	f.Add("15", "14", "1700000000")
	f.Add("0", "0", "0")
	f.Add("-1", "+2", "1e9")
	f.Add("99999999999999999999", " 3 ", "253402300800")
	f.Add("", "\x00", "١٢٣")
	f.Fuzz(func(t *testing.T, limit, remaining, reset string) {
		for _, prefix := range []string{windowFamily, userFamily, appFamily} {
			// A raw map entry keeps each value exactly as given.
			h := http.Header{
				http.CanonicalHeaderKey(prefix + "-limit"):     {limit},
				http.CanonicalHeaderKey(prefix + "-remaining"): {remaining},
				http.CanonicalHeaderKey(prefix + "-reset"):     {reset},
			}
			got := ratelimit.Parse(h)
			l := map[string]*ratelimit.Limit{windowFamily: got.Window, userFamily: got.User24h, appFamily: got.App24h}[prefix]
			allDigits := isDigits(limit) && isDigits(remaining) && isDigits(reset)
			short := len(limit) < 10 && len(remaining) < 10 && len(reset) < 10
			if l == nil {
				if allDigits && short {
					t.Fatalf("Parse(%q, %q, %q) = nil, want a limit", limit, remaining, reset)
				}
				continue
			}
			if !allDigits {
				t.Fatalf("Parse accepted %q, %q, %q, want only digits accepted", limit, remaining, reset)
			}
			if l.Limit < 0 || l.Remaining < 0 || l.Reset.Unix() < 0 {
				t.Fatalf("Parse(%q, %q, %q) = %+v, want no negative values", limit, remaining, reset, *l)
			}
			want := strings.TrimLeft(strings.TrimSpace(remaining), "0")
			if want == "" {
				want = "0"
			}
			if got := strconv.Itoa(l.Remaining); got != want {
				t.Fatalf("Remaining = %s, want %s from %q", got, want, remaining)
			}
		}
	})
}
