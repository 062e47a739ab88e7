// Package ratelimit reads the rate limits X reports, enforces limits
// locally before calls are made, and retries 429 Too Many Requests
// responses within bounds.
//
// # Headers
//
// X reports up to three limits on a response, each as a family of three
// headers: limit, remaining and reset (Unix seconds). The x-rate-limit-*
// family is the endpoint's 15-minute window; x-user-limit-24hour-* and
// x-app-limit-24hour-* are the user's and the app's 24-hour limits. Parse
// reads all three into a Rate, and Rate.Exhausted returns the time until
// which no call can succeed: the latest reset among the limits with no
// calls remaining.
//
// # Limiters
//
// A Limiter decides when a call may be made. Wait blocks, AllowAt decides
// at a given time without blocking, and NextAllowed returns when a call
// would be allowed.
//
//   - Windows enforces call budgets such as 15 calls per 15 minutes and
//     500 per 24 hours at once, never letting more than a window's calls
//     into any interval of its length.
//   - Bucket adapts a golang.org/x/time/rate token bucket to pace calls.
//   - Learned follows the limits X reports, fed by Observe.
//   - Keyed holds one limiter per key, such as an account, and frees the
//     memory of idle keys.
//
// Every waiting method takes its time from a Clock, so tests can replace
// time with a fake and never sleep.
//
// # Transport
//
// Transport is an http.RoundTripper that learns each endpoint's limits
// from its responses. Before a call it waits, or fails fast, while a limit
// is known to be exhausted. It retries a 429 a bounded number of times, at
// the reported reset or after a jittered backoff. A call stopped by a limit
// returns an *Error:
//
//	client := &http.Client{Transport: &ratelimit.Transport{Base: signed}}
//	resp, err := client.Do(req)
//	var rateErr *ratelimit.Error
//	if errors.As(err, &rateErr) {
//		outbox.RetryAt(msg, rateErr.Reset) // a zero Reset means unknown
//	}
//
// The package never logs.
package ratelimit
