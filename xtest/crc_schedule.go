package xtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"
)

// DefaultCRCInterval is how often the server checks every valid webhook
// with a CRC unless WithCRCInterval sets another interval.
//
// NOTE: X's pages disagree. One gives hourly checks, another every 30
// minutes once a webhook has gone 24 hours without a passing check. The
// fake checks hourly.
const DefaultCRCInterval = time.Hour

// crcFailureWindow is how long periodic CRC checks may fail with a 4xx or
// 5xx status or a timeout before X marks the webhook invalid: 28 hours
// without a passing check.
const crcFailureWindow = 28 * time.Hour

// maxCRCChecks is the number of periodic CRC checks a server keeps.
const maxCRCChecks = 10000

// CRCCheck is one periodic CRC check the server sent to a webhook, as
// recorded for tests to inspect.
type CRCCheck struct {
	WebhookID string
	Time      time.Time // from the server's clock, when the check started
	Passed    bool
	// Failure is the reason the check failed, and is empty when it passed.
	// It never contains the expected response token.
	Failure string
	// Invalidated reports that the check marked the webhook invalid.
	Invalidated bool
}

// WithCRCInterval sets how often the server sends a CRC check to every
// valid webhook, counted from New on the server's clock. The default is
// DefaultCRCInterval, 1 hour, and 0 turns periodic checks off.
//
// A check that gets a wrong response token (or a 200 response that is not
// the JSON X expects), a 3xx status or a TLS error marks the webhook
// invalid at once. A check that gets a 4xx or 5xx status, no response
// within the CRC timeout or no connection counts as a transient failure.
// The webhook then becomes invalid only when 28 hours have passed since its
// last passing check, and registration and a passing PUT count as passing
// checks. An invalid webhook is not checked and gets no deliveries until a PUT of the
// webhook, on v2 or v1.1, passes a CRC check again.
//
// New panics when d is negative.
func WithCRCInterval(d time.Duration) Option {
	if d < 0 {
		panic("xtest: CRC interval must not be negative")
	}
	return func(s *Server) { s.engine.crcInterval = d }
}

// WithWebhookRootCAs sets the certificate authorities the server trusts
// when it sends CRC checks and deliveries to https webhooks, such as a pool
// holding the Certificate of an httptest TLS server. The default is the
// system's pool.
func WithWebhookRootCAs(pool *x509.CertPool) Option {
	return func(s *Server) { s.engine.rootCAs = pool }
}

// CRCChecks returns the periodic CRC checks sent to the webhook with the
// given id, oldest first: at most the latest 10000 of all webhooks. The
// checks of registration and of PUT are not listed. It is safe for
// concurrent use, and the caller may modify the result.
func (s *Server) CRCChecks(webhookID string) []CRCCheck {
	e := s.engine
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []CRCCheck
	for _, c := range e.checks {
		if c.WebhookID == webhookID {
			out = append(out, c)
		}
	}
	return out
}

// storeCRCResult stores whether the webhook with the given id passed the
// CRC check of a PUT that ended now.
func (s *Server) storeCRCResult(webhookID string, valid bool) {
	s.hooks.setValid(webhookID, valid)
	if valid {
		s.engine.notePass(webhookID, s.now())
	}
}

func (e *engine) notePass(webhookID string, t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.crcPassed[webhookID] = t
}

// lastPass returns when webhook h last passed a CRC check: its
// registration or a later check.
func (e *engine) lastPass(h Webhook) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t, ok := e.crcPassed[h.ID]; ok && t.After(h.CreatedAt) {
		return t
	}
	return h.CreatedAt
}

func (e *engine) noteCheck(c CRCCheck) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.checks = append(e.checks, c)
	if len(e.checks) >= 2*maxCRCChecks {
		e.checks = slices.Clone(e.checks[len(e.checks)-maxCRCChecks:])
	}
}

// scheduleCRCSweep schedules the periodic CRC checks of all valid webhooks
// at due, each sweep scheduling the next one interval later.
func (s *Server) scheduleCRCSweep(due time.Time) {
	s.engine.sched.add(due, func(ctx context.Context) {
		s.sweepCRC(ctx)
		s.scheduleCRCSweep(due.Add(s.engine.crcInterval))
	})
}

// sweepCRC checks every valid webhook of every app once.
func (s *Server) sweepCRC(ctx context.Context) {
	s.hooks.mu.Lock()
	var hooks []Webhook
	for _, h := range s.hooks.hooks {
		if h.Valid {
			hooks = append(hooks, cloneWebhook(h))
		}
	}
	s.hooks.mu.Unlock()
	for _, h := range hooks {
		if ctx.Err() != nil {
			return
		}
		s.periodicCRC(ctx, h)
	}
}

// periodicCRC sends one periodic CRC check to webhook h and applies X's
// invalidation rules to its result.
func (s *Server) periodicCRC(ctx context.Context, h Webhook) {
	app, ok := s.App(h.AppID)
	if !ok {
		return
	}
	limit := s.hooks.crcTimeout
	if h.Environment != "" {
		limit = s.hooks.crcTimeoutV11
	}
	check := CRCCheck{WebhookID: h.ID, Time: s.now()}
	err := s.checkCRC(ctx, app, h.URL, limit)
	switch {
	case err == nil:
		check.Passed = true
		s.engine.notePass(h.ID, check.Time)
	case ctx.Err() != nil:
		// The server is closing, so the failure is not the webhook's.
		return
	case invalidatesAtOnce(err) || check.Time.Sub(s.engine.lastPass(h)) >= crcFailureWindow:
		check.Failure = err.Error()
		check.Invalidated = s.hooks.setValid(h.ID, false)
	default:
		check.Failure = err.Error()
	}
	s.engine.noteCheck(check)
}

// invalidatesAtOnce reports whether a failed CRC check makes X mark the
// webhook invalid without waiting: a wrong or unreadable response token, a
// 3xx status, or a TLS error.
func invalidatesAtOnce(err error) bool {
	var f *crcFailure
	if errors.As(err, &f) && f.kind == crcBadResponse {
		return true
	}
	var status *crcStatusError
	if errors.As(err, &status) && status.code >= 300 && status.code < 400 {
		return true
	}
	var handshake *tlsHandshakeError
	return errors.As(err, &handshake)
}

// crcStatusError is a CRC response whose status is not 200.
type crcStatusError struct {
	code int
}

func (e *crcStatusError) Error() string {
	return fmt.Sprintf("CRC response has status %d, want 200", e.code)
}

// tlsHandshakeError is a failed TLS handshake with a webhook: an untrusted
// or expired certificate, a name mismatch, or an alert from the webhook.
type tlsHandshakeError struct {
	err error
}

func (e *tlsHandshakeError) Error() string { return "TLS handshake failed: " + e.err.Error() }
func (e *tlsHandshakeError) Unwrap() error { return e.err }

// useTLSDialer makes the webhook client do its own TLS handshakes, so that
// a failed one is reported as a *tlsHandshakeError, and trust the
// configured root certificates.
func (s *Server) useTLSDialer() {
	transport, ok := s.hooks.client.Transport.(*http.Transport)
	if !ok {
		return
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	roots := s.engine.rootCAs
	transport.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		conn := tls.Client(raw, &tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12})
		if err := conn.HandshakeContext(ctx); err != nil {
			raw.Close()
			if ctx.Err() != nil {
				// A handshake cut short by the time limit is a timeout.
				return nil, err
			}
			return nil, &tlsHandshakeError{err: err}
		}
		return conn, nil
	}
}
