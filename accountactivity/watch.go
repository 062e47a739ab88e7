package accountactivity

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultWatchInterval is the poll interval of a Watcher whose Interval is
// zero. X allows 450 webhook calls per app in 15 minutes, and a poll
// makes one call, or two when it requests a CRC check.
const DefaultWatchInterval = time.Minute

// Health is the state of a watched webhook, as the latest poll found it.
type Health string

// The states a Watcher reports.
const (
	// HealthUnknown is the state before the first poll finishes.
	HealthUnknown Health = "unknown"
	// HealthValid means X lists the webhook as valid: it receives
	// deliveries.
	HealthValid Health = "valid"
	// HealthInvalid means X lists the webhook as invalid and sends it no
	// deliveries. The Watcher has asked X for a new CRC check, which
	// failed or whose result X had not reported yet.
	HealthInvalid Health = "invalid"
	// HealthMissing means the app has no webhook for the URL. The Watcher
	// does not create one; see EnsureWebhook.
	HealthMissing Health = "missing"
	// HealthUnreachable means the latest poll failed: X did not respond,
	// or it rejected the call to list webhooks. The webhook itself may
	// still be fine.
	HealthUnreachable Health = "unreachable"
)

// WebhookStatus is the result of a Watcher's latest poll.
type WebhookStatus struct {
	Health Health
	// Webhook is the webhook as X listed it. It is the zero Webhook while
	// the webhook is missing, and the last listed one while X cannot be
	// reached.
	Webhook Webhook
	// Err is the error of the latest poll: the failed list call, or the
	// failed CRC check of an invalid webhook. It is nil when the poll
	// succeeded.
	Err error
	// CheckedAt is when the latest poll finished, by the client's clock.
	CheckedAt time.Time
}

// HealthChange is a transition between two states of a watched webhook.
type HealthChange struct {
	From, To Health
	// Status is the status after the transition.
	Status WebhookStatus
}

// Watcher polls X's webhook list and keeps the webhook for one URL valid:
// when X marks it invalid, the Watcher requests a new CRC check
// (ValidateWebhook) in the same poll, so a webhook that X invalidated is
// checked again within one poll interval. Every change of state is
// reported to OnChange.
//
// Set the exported fields, then call Run. Status is safe to call from
// other goroutines while Run is running.
type Watcher struct {
	// Client lists and validates the webhooks. Its Config.App client must
	// be set on v2.
	Client *Client
	// URL is the webhook URL to watch, compared exactly with the URLs X
	// lists.
	URL string
	// Interval is the time between the starts of two polls. Zero means
	// DefaultWatchInterval; it must not be negative.
	Interval time.Duration
	// OnChange, if set, is called after each poll whose state differs from
	// the previous one, including the first poll, which leaves
	// HealthUnknown. A poll that finds an invalid webhook and re-validates
	// it reports two changes: to HealthInvalid, then to HealthValid.
	// OnChange runs on Run's goroutine, one call at a time, and delays the
	// next poll while it runs.
	OnChange func(HealthChange)

	mu     sync.Mutex
	status WebhookStatus
}

// Status returns the state found by the latest poll; before the first
// poll finishes, its Health is HealthUnknown.
func (w *Watcher) Status() WebhookStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.status
	if s.Health == "" {
		s.Health = HealthUnknown
	}
	return s
}

// Run polls at once and then every Interval until ctx is done, and then
// returns ctx.Err(). It returns an error at once, without polling, when
// Client or URL is missing or Interval is negative. Failed polls do not
// stop it: they show as HealthUnreachable or in WebhookStatus.Err.
func (w *Watcher) Run(ctx context.Context) error {
	if w.Client == nil {
		return errors.New("accountactivity: watcher has no client")
	}
	if w.URL == "" {
		return errors.New("accountactivity: watcher has no webhook URL")
	}
	interval := w.Interval
	if interval < 0 {
		return fmt.Errorf("accountactivity: watcher interval %v is negative", interval)
	}
	if interval == 0 {
		interval = DefaultWatchInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		w.Poll(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

// Poll runs one poll: it lists the webhooks, asks X for a CRC check when
// the webhook for URL is invalid, records the new status, reports the
// changes and returns the status. Run calls it on every tick; call it
// directly for a one-off check. Polls must not run concurrently.
func (w *Watcher) Poll(ctx context.Context) WebhookStatus {
	hooks, err := w.Client.Webhooks(ctx)
	if err != nil {
		prev := w.Status()
		return w.record(WebhookStatus{Health: HealthUnreachable, Webhook: prev.Webhook, Err: err})
	}
	found, ok := findWebhook(hooks, w.URL)
	switch {
	case !ok:
		return w.record(WebhookStatus{Health: HealthMissing})
	case found.Valid:
		return w.record(WebhookStatus{Health: HealthValid, Webhook: found})
	}
	w.record(WebhookStatus{Health: HealthInvalid, Webhook: found})
	v, err := w.Client.ValidateWebhook(ctx, found.ID)
	if err != nil {
		return w.record(WebhookStatus{Health: HealthInvalid, Webhook: found, Err: err})
	}
	switch {
	case v.Attempted && !v.Valid:
		// X only reports that it started the check; the next poll
		// shows its result.
		return w.Status()
	case !v.Valid:
		err := fmt.Errorf("accountactivity: webhook %s: X reports that the CRC check failed: %w",
			found.ID, ErrCRCValidationFailed)
		return w.record(WebhookStatus{Health: HealthInvalid, Webhook: found, Err: err})
	}
	found.Valid = true
	return w.record(WebhookStatus{Health: HealthValid, Webhook: found})
}

// record stores s, stamped with the client's clock, and reports a change
// of health to OnChange.
func (w *Watcher) record(s WebhookStatus) WebhookStatus {
	s.CheckedAt = w.Client.now().UTC()
	w.mu.Lock()
	from := w.status.Health
	if from == "" {
		from = HealthUnknown
	}
	w.status = s
	w.mu.Unlock()
	if from != s.Health && w.OnChange != nil {
		w.OnChange(HealthChange{From: from, To: s.Health, Status: s})
	}
	return s
}

// findWebhook returns the webhook registered for exactly url.
func findWebhook(hooks []Webhook, url string) (Webhook, bool) {
	for _, h := range hooks {
		if h.URL == url {
			return h, true
		}
	}
	return Webhook{}, false
}
