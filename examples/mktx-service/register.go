package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/dghubble/oauth1"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/store"
)

type registerView struct {
	WebhookID  string `json:"webhookId"`
	URL        string `json:"url"`
	Valid      bool   `json:"valid"`
	Subscribed bool   `json:"subscribed"`
}

// registerWebhook makes sure a webhook for TWITTER__WEBHOOK_URL exists and
// is valid (reusing a matching one, otherwise creating it, which makes X
// run the CRC against this service), then subscribes the account. Calling
// it again changes nothing.
func (s *server) registerWebhook(w http.ResponseWriter, r *http.Request) {
	merchant := merchantID(r.Context())
	acct, err := s.store.Account(r.Context(), merchant, r.PathValue("id"))
	if s.storeError(w, r, "account", err) {
		return
	}
	if s.settings.BearerToken == "" || s.settings.WebhookURL == "" {
		s.rejectRequest(w, r, http.StatusServiceUnavailable, "not_configured",
			"webhook registration needs TWITTER__BEARER_TOKEN and TWITTER__WEBHOOK_URL; set them and restart the service")
		return
	}
	if s.settings.APIVersion != "2" && (s.settings.OwnerToken == "" || s.settings.OwnerTokenSecret == "") {
		s.rejectRequest(w, r, http.StatusServiceUnavailable, "not_configured",
			"webhook registration on TWITTER__API_VERSION="+s.settings.APIVersion+" needs the app owner's token in TWITTER__ACCESS_TOKEN and TWITTER__ACCESS_TOKEN_SECRET; set them and restart the service")
		return
	}
	if acct.Status != store.AccountActive {
		s.rejectRequest(w, r, http.StatusConflict, "account_revoked", "the account's X authorization was revoked; reconnect it first")
		return
	}
	creds, err := s.sealer.open(acct.MerchantID, acct.XUserID, acct.Credentials)
	if err != nil {
		s.internalError(w, r, "open credentials", err)
		return
	}
	// The webhook is the app's: v1.1 registers it in the app owner's
	// context. The subscription is the account's, so it is made in the
	// account's context.
	owner, err := s.managementClient(r.Context(), nil)
	if err != nil {
		s.internalError(w, r, "build management client", err)
		return
	}
	account, err := s.managementClient(r.Context(), &creds)
	if err != nil {
		s.internalError(w, r, "build management client", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*xTimeout) // X's CRC check runs inside the create call
	defer cancel()
	hook, err := owner.EnsureWebhook(ctx, s.settings.WebhookURL)
	if err != nil {
		s.writeManagementError(w, r, err)
		return
	}
	if err := account.Subscribe(ctx, hook.ID); err != nil && !errors.Is(err, accountactivity.ErrDuplicateSubscription) {
		s.writeManagementError(w, r, err)
		return
	}
	s.log.Info("webhook registered and account subscribed", "account", acct.ID, "webhook", hook.ID, "valid", hook.Valid)
	writeData(w, http.StatusOK, registerView{WebhookID: hook.ID, URL: hook.URL, Valid: hook.Valid, Subscribed: true})
}

// managementClient returns a client for X's webhook and subscription
// endpoints of the generation that TWITTER__API_VERSION selects. It sends
// app-only calls with the bearer token and user calls with the account's
// OAuth 1.0a token, or with the app owner's token when creds is nil.
func (s *server) managementClient(ctx context.Context, creds *credentials) (*accountactivity.Client, error) {
	bearer, err := accountactivity.NewBearerClient(s.settings.BearerToken, s.x.http.Transport)
	if err != nil {
		return nil, err
	}
	token, secret := s.settings.OwnerToken, s.settings.OwnerTokenSecret
	if creds != nil {
		token, secret = creds.Token, creds.TokenSecret
	}
	var user *http.Client
	if token != "" && secret != "" {
		ctx = context.WithValue(context.WithoutCancel(ctx), oauth1.HTTPClient, s.x.http)
		user = s.x.config.Client(ctx, oauth1.NewToken(token, secret))
	}
	gen, err := accountactivity.ParseGeneration(s.settings.APIVersion)
	if err != nil {
		return nil, err
	}
	cfg := accountactivity.Config{App: bearer, User: user, Generation: gen}
	if gen == accountactivity.Premium {
		cfg.EnvName = s.settings.EnvName
	}
	opts := []accountactivity.Option{accountactivity.WithBaseURL(s.settings.APIBaseURL)}
	if s.settings.insecureWebhookURL {
		opts = append(opts, accountactivity.WithInsecureWebhookURLs())
	}
	return accountactivity.NewClient(cfg, opts...)
}

// writeManagementError responds to a failed webhook or subscription call.
func (s *server) writeManagementError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, accountactivity.ErrCRCValidationFailed):
		s.rejectRequest(w, r, http.StatusBadGateway, "crc_failed",
			"X could not validate the webhook URL: the CRC check failed; check that TWITTER__WEBHOOK_URL reaches this service and that TWITTER__API_KEY_SECRET is the app's consumer secret")
	case errors.Is(err, accountactivity.ErrWebhookLimitExceeded), errors.Is(err, accountactivity.ErrSubscriptionLimitExceeded):
		s.rejectRequest(w, r, http.StatusConflict, "x_limit_reached", "X's webhook or subscription limit for this app is reached: "+err.Error())
	case errors.Is(err, accountactivity.ErrInvalid):
		s.rejectRequest(w, r, http.StatusBadRequest, "invalid_webhook_url", err.Error())
	default:
		s.writeXError(w, r, err)
	}
}

// deleteAccount disconnects an account: it removes the account's
// subscription from the service's webhook when webhook management is
// configured, then deletes the account with its tokens, conversations and
// messages. When X fails, the account is kept so the call can be repeated.
func (s *server) deleteAccount(w http.ResponseWriter, r *http.Request) {
	merchant := merchantID(r.Context())
	acct, err := s.store.Account(r.Context(), merchant, r.PathValue("id"))
	if s.storeError(w, r, "account", err) {
		return
	}
	if s.webhookManagementConfigured() {
		if err := s.unsubscribe(r.Context(), acct); err != nil {
			s.writeManagementError(w, r, err)
			return
		}
	}
	if err := s.store.DeleteAccount(r.Context(), merchant, acct.ID); s.storeError(w, r, "account", err) {
		return
	}
	s.log.Info("account disconnected", "merchant", merchant, "account", acct.ID, "x_user", acct.XUserID)
	writeData(w, http.StatusOK, map[string]any{"id": acct.ID, "deleted": true})
}

// unsubscribe removes the account's subscription from the webhook
// registered for TWITTER__WEBHOOK_URL; no webhook or no subscription is
// not an error.
func (s *server) unsubscribe(ctx context.Context, acct store.Account) error {
	client, err := s.managementClient(ctx, nil)
	if err != nil {
		return err
	}
	hooks, err := client.Webhooks(ctx)
	if err != nil {
		return err
	}
	for _, hook := range hooks {
		if hook.URL != s.settings.WebhookURL {
			continue
		}
		err := client.Unsubscribe(ctx, hook.ID, acct.XUserID)
		if err != nil && !errors.Is(err, accountactivity.ErrSubscriptionNotFound) {
			return err
		}
	}
	return nil
}
