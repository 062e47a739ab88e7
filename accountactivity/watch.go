package accountactivity

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/goodgo/xactivity/ratelimit"
)

// Default poll intervals of a Watcher whose Interval is zero. A poll
// makes one call, or two when it requests a CRC check. X allows 450
// webhook calls per app in 15 minutes on v2, but only 15 on v1.1, which
// the poll must share with registration and subscription calls.
const (
	DefaultWatchInterval    = time.Minute
	DefaultWatchIntervalV11 = 5 * time.Minute
)

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
	// Client lists and validates the webhooks. On v2 both calls use the
	// app's bearer token (Config.App). On v1.1 the list uses the bearer
	// token and the CRC check the app owner's user context (Config.User);
	// without it, an invalid webhook is reported with ErrNoUserAuth and is
	// not checked again.
	Client *Client
	// URL is the webhook URL to watch, compared exactly with the URLs X
	// lists.
	URL string
	// Interval is the time between the end of one poll and the start of
	// the next. Zero means DefaultWatchInterval on v2 and
	// DefaultWatchIntervalV11 on v1.1; it must not be negative.
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
// stop it: they show as HealthUnreachable or in WebhookStatus.Err. After
// a 429 from X, the next poll waits for the limit's reset when that comes
// later than the next interval.
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
		if w.Client.Generation() != V2 {
			interval = DefaultWatchIntervalV11
		}
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		if ctx.Err() != nil {
			return ctx.Err() // select picks at random when both are ready
		}
		st := w.Poll(ctx)
		wait := interval
		var limited *ratelimit.Error
		if errors.As(st.Err, &limited) && !limited.Reset.IsZero() {
			wait = max(wait, limited.Reset.Sub(w.Client.now()))
		}
		timer.Reset(wait)
	}
}

// Poll runs one poll: it lists the webhooks, requests a CRC check when the
// webhook for URL is invalid, records the new status, reports the changes
// and returns the status. Run calls it on every tick; call it directly for
// a one-off check. Polls must not run concurrently. A poll cut short
// because ctx is done records nothing and returns the previous status.
func (w *Watcher) Poll(ctx context.Context) WebhookStatus {
	prev := w.Status()
	hooks, err := w.Client.Webhooks(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return prev
		}
		return w.record(prev, WebhookStatus{Health: HealthUnreachable, Webhook: prev.Webhook, Err: err})
	}
	found, ok := findWebhook(hooks, w.URL)
	switch {
	case !ok:
		return w.record(prev, WebhookStatus{Health: HealthMissing})
	case found.Valid:
		return w.record(prev, WebhookStatus{Health: HealthValid, Webhook: found})
	}

	// X lists the webhook as invalid. The status is recorded once the
	// requested check ends, so that readers never see a half-finished
	// poll; both changes are reported then.
	invalid := WebhookStatus{Health: HealthInvalid, Webhook: found}
	v, err := w.Client.ValidateWebhook(ctx, found.ID)
	switch {
	case err != nil && ctx.Err() != nil:
		return prev
	case err != nil:
		invalid.Err = err
	case v.Valid:
		found.Valid = true
		return w.record(prev, invalid, WebhookStatus{Health: HealthValid, Webhook: found})
	case !v.Attempted:
		invalid.Err = fmt.Errorf("accountactivity: webhook %s: X reports that the CRC check failed: %w",
			found.ID, ErrCRCValidationFailed)
	}
	// A check that X only reports as attempted leaves the webhook
	// invalid without an error; the next poll shows its result.
	return w.record(prev, invalid)
}

// record stores the last of states, stamped with the client's clock, and
// reports each change of health along prev and states to OnChange. It
// returns the stored status.
func (w *Watcher) record(prev WebhookStatus, states ...WebhookStatus) WebhookStatus {
	now := w.Client.now().UTC()
	for i := range states {
		states[i].CheckedAt = now
	}
	last := states[len(states)-1]
	w.mu.Lock()
	w.status = last
	w.mu.Unlock()

	from := prev.Health
	for _, st := range states {
		if from != st.Health && w.OnChange != nil {
			w.OnChange(HealthChange{From: from, To: st.Health, Status: st})
		}
		from = st.Health
	}
	return last
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
