package main

import (
	"context"
	"errors"
	"time"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/ratelimit"
)

// webhookView is the webhook's state in the /readyz response.
type webhookView struct {
	Health    string `json:"health"`
	ID        string `json:"id,omitempty"`
	URL       string `json:"url,omitempty"`
	Error     string `json:"error,omitempty"`
	CheckedAt string `json:"checkedAt,omitempty"`
}

// healthNotConfigured is the webhook health shown while webhook management
// is not configured, so no watcher runs.
const healthNotConfigured = "not_configured"

// newWebhookWatcher returns the watcher of the webhook registered for
// TWITTER__WEBHOOK_URL, or nil when webhook management is not configured.
// The watcher requests a new CRC check whenever X marks the webhook
// invalid, and logs every change of its state.
func (s *server) newWebhookWatcher() (*accountactivity.Watcher, error) {
	if !s.webhookManagementConfigured() {
		return nil, nil
	}
	client, err := s.managementClient(context.Background(), nil)
	if err != nil {
		return nil, err
	}
	if s.settings.APIVersion != "2" && (s.settings.OwnerToken == "" || s.settings.OwnerTokenSecret == "") {
		s.log.Warn("the webhook watcher cannot request CRC checks on v1.1 without the app owner's token; set TWITTER__ACCESS_TOKEN and TWITTER__ACCESS_TOKEN_SECRET",
			"api_version", s.settings.APIVersion)
	}
	return &accountactivity.Watcher{
		Client:   client,
		URL:      s.settings.WebhookURL,
		Interval: s.settings.WebhookCheckInterval,
		OnChange: s.logWebhookChange,
	}, nil
}

// webhookManagementConfigured reports whether the settings that webhook
// management needs are present.
func (s *server) webhookManagementConfigured() bool {
	return s.settings.BearerToken != "" && s.settings.WebhookURL != ""
}

// logWebhookChange logs a change of the webhook's health: at info level
// when it became valid, as a warning otherwise, because X sends no
// deliveries to a webhook that is invalid or missing.
func (s *server) logWebhookChange(c accountactivity.HealthChange) {
	s.metrics.setWebhookHealth(c.To)
	attrs := []any{"from", string(c.From), "to", string(c.To), "webhook", c.Status.Webhook.ID, "url", s.settings.WebhookURL}
	if c.Status.Err != nil {
		attrs = append(attrs, "err", c.Status.Err)
	}
	switch c.To {
	case accountactivity.HealthValid:
		s.log.Info("webhook is valid", attrs...)
	case accountactivity.HealthInvalid:
		s.log.Warn("webhook is invalid; X sends it no deliveries until a CRC check passes", attrs...)
	case accountactivity.HealthMissing:
		s.log.Warn("no webhook is registered for TWITTER__WEBHOOK_URL; call POST /accounts/{id}/register-webhook", attrs...)
	default:
		s.log.Warn("webhook state unknown: listing X's webhooks failed", attrs...)
	}
}

// webhookStatus returns the watcher's latest finding for /readyz.
func (s *server) webhookStatus() webhookView {
	if s.watcher == nil {
		return webhookView{Health: healthNotConfigured}
	}
	st := s.watcher.Status()
	v := webhookView{Health: string(st.Health), ID: st.Webhook.ID, URL: s.settings.WebhookURL}
	if st.Err != nil {
		v.Error = errorClass(st.Err)
	}
	if !st.CheckedAt.IsZero() {
		v.CheckedAt = formatTime(st.CheckedAt)
	}
	return v
}

// errorClass names the kind of a watcher error for /readyz, which needs
// no authentication, so it shows no error text: X's messages and network
// errors can name internal addresses. The logs have the full error.
func errorClass(err error) string {
	var limited *ratelimit.Error
	var reqErr *xactivity.RequestError
	switch {
	case errors.Is(err, accountactivity.ErrCRCValidationFailed):
		return "crc_failed"
	case errors.As(err, &limited):
		return "rate_limited"
	case errors.Is(err, accountactivity.ErrNoUserAuth):
		return "owner_token_missing"
	case errors.Is(err, xactivity.ErrUnauthorized):
		return "x_rejected_credentials"
	case errors.As(err, &reqErr):
		return "x_unreachable"
	default:
		return "x_error"
	}
}

// watchInterval returns the poll interval that w runs with: its Interval,
// or when that is zero the default that Watcher.Run picks for the client's
// API generation.
func watchInterval(w *accountactivity.Watcher) time.Duration {
	switch {
	case w.Interval > 0:
		return w.Interval
	case w.Client.Generation() == accountactivity.V2:
		return accountactivity.DefaultWatchInterval
	default:
		return accountactivity.DefaultWatchIntervalV11
	}
}

// runWatcher runs the webhook watcher, if any, until ctx is done.
func (s *server) runWatcher(ctx context.Context) {
	if s.watcher == nil {
		return
	}
	if s.settings.watchStart != nil {
		select {
		case <-ctx.Done():
			return
		case <-s.settings.watchStart:
		}
	}
	s.log.Info("webhook watcher started", "url", s.settings.WebhookURL, "interval", watchInterval(s.watcher))
	_ = s.watcher.Run(ctx) // returns only when ctx is done
	s.log.Info("webhook watcher stopped")
}
