package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/webhook"
)

// receiveDelivery stores one verified delivery in the inbox. It returns
// only after the inbox committed it, so a 200 to X means the delivery
// survives a crash; any storage error makes the handler answer 503 and X
// retry.
func (s *server) receiveDelivery(ctx context.Context, d *webhook.Delivery) error {
	decoded, err := accountactivity.Decode(d.Body)
	if err != nil {
		return fmt.Errorf("%w: %v", webhook.ErrInvalidBody, err)
	}
	events := make([]store.InboxEvent, 0, len(decoded.Events))
	kinds := make([]string, 0, len(decoded.Events))
	for _, e := range decoded.Events {
		kind := string(e.Kind())
		events = append(events, store.InboxEvent{
			Key:       accountactivity.Key(decoded, e),
			Kind:      kind,
			ForUserID: decoded.ForUserID,
		})
		kinds = append(kinds, kind)
	}
	res, err := s.store.Enqueue(ctx, store.Delivery{Body: d.Body, ReceivedAt: d.ReceivedAt, Events: events})
	if err != nil {
		s.log.Error("storing a webhook delivery failed; X will retry it", "account", decoded.ForUserID, "kinds", kinds, "err", err)
		return err
	}
	s.log.Info("Twitter webhook received",
		"delivery", res.DeliveryID, "account", decoded.ForUserID, "kinds", kinds,
		"new_events", res.Inserted, "duplicates", res.Duplicates, "bad_events", len(decoded.Errors))
	s.worker.wake()
	return nil
}

// webhookError answers and logs a rejected webhook request in the service's
// error format.
func (s *server) webhookError(w http.ResponseWriter, r *http.Request, status int, err error) {
	code := "invalid_request"
	switch {
	case errors.Is(err, webhook.ErrMissingSignature),
		errors.Is(err, webhook.ErrMalformedSignature),
		errors.Is(err, webhook.ErrSignatureMismatch),
		errors.Is(err, webhook.ErrNoSecret):
		code = "invalid_signature"
	case errors.Is(err, webhook.ErrBodyTooLarge):
		code = "payload_too_large"
	case errors.Is(err, webhook.ErrMethodNotAllowed):
		code = "method_not_allowed"
	case errors.Is(err, webhook.ErrInvalidBody):
		code = "invalid_json"
	case status >= 500:
		code = "storage_unavailable"
	}
	if status < 500 {
		s.log.Info("webhook request rejected", "method", r.Method, "status", status, "reason", err.Error(), "remote", r.RemoteAddr)
	}
	message := err.Error()
	if status >= 500 {
		message = "the delivery could not be stored; retry later"
	}
	writeError(w, status, code, message)
}
