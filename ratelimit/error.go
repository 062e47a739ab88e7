package ratelimit

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error reports a call stopped by a rate limit. Either X responded with 429
// Too Many Requests, or the call was rejected locally, without being sent,
// because a limit was known to be exhausted. Transport and Learned return
// it as *Error; use errors.As to read it through wrappers such as
// *url.Error. It contains no request body, query or credential.
type Error struct {
	// Rate is the set of limits reported by the 429 response, or, for a
	// local rejection, by earlier responses.
	Rate Rate
	// Reset is the earliest time a call can be expected to succeed. It is
	// the zero Time when no usable reset was known.
	Reset time.Time
	// Local is true when the call was not sent.
	Local bool
	// StatusCode is the HTTP status of X's response (429), or 0 when Local.
	StatusCode int
	// Endpoint is the key the limit was tracked under: by default the
	// method and URL path, such as "POST /2/dm_events". It is empty when the
	// error comes from a limiter that is not tied to an endpoint.
	Endpoint string
}

// Error returns a message of the form
// "ratelimit: POST /2/dm_events: status 429 Too Many Requests, resets at
// 2025-06-01T12:15:00Z".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("ratelimit: ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(": ")
	}
	if e.Local {
		b.WriteString("limit exhausted, call not sent")
	} else {
		b.WriteString("status ")
		b.WriteString(statusText(e.StatusCode))
	}
	if e.Reset.IsZero() {
		b.WriteString(", reset time unknown")
	} else {
		b.WriteString(", resets at ")
		b.WriteString(e.Reset.UTC().Format(time.RFC3339))
	}
	return b.String()
}

func statusText(code int) string {
	text := http.StatusText(code)
	if text == "" {
		return strconv.Itoa(code)
	}
	return strconv.Itoa(code) + " " + text
}
