package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/crc"
	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/webhook"
)

// receiveDelivery stores one verified delivery in the inbox. It returns
// only after the inbox committed it, so a 200 to X means the delivery
// survives a crash. A storage error makes the handler respond 503, so X
// retries.
func (s *server) receiveDelivery(ctx context.Context, d *webhook.Delivery) error {
	decoded, decodeErr := accountactivity.Decode(d.Body)
	if decodeErr != nil && !json.Valid(d.Body) {
		return fmt.Errorf("%w: %v", webhook.ErrInvalidBody, decodeErr)
	}
	events := inboxEvents(decoded, d.Body)
	kinds := make([]string, 0, len(events))
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	forUser := events[0].ForUserID
	res, err := s.store.Enqueue(ctx, store.Delivery{Body: d.Body, ReceivedAt: d.ReceivedAt, Events: events})
	if err != nil {
		s.log.Error("storing a webhook delivery failed; X will retry it", "account", forUser, "kinds", kinds, "err", err)
		return err
	}
	s.metrics.deliveriesReceived.Inc()
	s.metrics.eventsStored.Add(float64(res.Inserted))
	s.metrics.eventsDuplicate.Add(float64(res.Duplicates))
	s.log.Info("Twitter webhook received",
		"delivery", res.DeliveryID, "account", forUser, "kinds", kinds,
		"new_events", res.Inserted, "duplicates", res.Duplicates)
	if decoded == nil || len(decoded.Errors) > 0 {
		s.log.Warn("webhook delivery has events that do not decode; stored as failed events",
			"delivery", res.DeliveryID, "account", forUser, "errors", decodeErrors(decoded, decodeErr))
	}
	s.worker.wake()
	return nil
}

// errorKind is the inbox kind of an entry that did not decode. Such rows
// are stored so that nothing X sent is lost, and fail at processing with
// the decoding error.
const errorKind = "decode_error"

// inboxEvents lists the inbox rows of a delivery: one per decoded event and
// one per entry that failed to decode, keyed by a hash of its JSON. A body
// that is valid JSON but not an object (decoded is nil) gets one error row.
func inboxEvents(decoded *accountactivity.Delivery, body []byte) []store.InboxEvent {
	if decoded == nil {
		return []store.InboxEvent{{Key: errorKey("", body), Kind: errorKind}}
	}
	events := make([]store.InboxEvent, 0, len(decoded.Events)+len(decoded.Errors))
	for _, e := range decoded.Events {
		events = append(events, store.InboxEvent{
			Key:       accountactivity.Key(decoded, e),
			Kind:      string(e.Kind()),
			ForUserID: decoded.ForUserID,
		})
	}
	for _, e := range decoded.Errors {
		events = append(events, store.InboxEvent{Key: errorKey(decoded.ForUserID, e.Raw), Kind: errorKind, ForUserID: decoded.ForUserID})
	}
	if len(events) == 0 {
		// A body with nothing to process is still recorded under one row so
		// that every delivery is visible in the inbox.
		events = append(events, store.InboxEvent{Key: errorKey(decoded.ForUserID, body), Kind: "empty", ForUserID: decoded.ForUserID})
	}
	return events
}

func errorKey(forUserID string, raw []byte) string {
	sum := sha256.Sum256(raw)
	return forUserID + "/" + errorKind + "/" + hex.EncodeToString(sum[:16])
}

func decodeErrors(decoded *accountactivity.Delivery, err error) []string {
	if decoded == nil {
		return []string{err.Error()}
	}
	out := make([]string, 0, len(decoded.Errors))
	for _, e := range decoded.Errors {
		out = append(out, e.Error())
	}
	return out
}

// verifyCRC serves GET /webhooks/verify, the manual CRC check, with the
// same response the webhook URL sends to X.
func (s *server) verifyCRC(w http.ResponseWriter, r *http.Request) {
	token, ok := crc.Token(r)
	if !ok {
		s.webhookError(w, r, http.StatusBadRequest, webhook.ErrInvalidCRCToken)
		return
	}
	s.metrics.crcResponses.WithLabelValues("signed").Inc()
	crc.WriteResponse(w, s.settings.ConsumerSecrets[0], token)
}

// countCRC counts the CRC challenges that h signs: GET requests whose token
// passes the same check as h's. Rejected ones are counted by webhookError.
func (s *server) countCRC(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if _, ok := crc.Token(r); ok {
				s.metrics.crcResponses.WithLabelValues("signed").Inc()
			}
		}
		h.ServeHTTP(w, r)
	})
}

// webhookError writes and logs the response to a rejected webhook request in the service's
// error format.
func (s *server) webhookError(w http.ResponseWriter, r *http.Request, status int, err error) {
	code := "invalid_request"
	switch {
	case errors.Is(err, webhook.ErrMissingSignature),
		errors.Is(err, webhook.ErrMalformedSignature),
		errors.Is(err, webhook.ErrSignatureMismatch),
		errors.Is(err, webhook.ErrNoSecret):
		code = "invalid_signature"
	case errors.Is(err, webhook.ErrInvalidCRCToken):
		code = "invalid_crc_token"
	case errors.Is(err, webhook.ErrBodyTooLarge):
		code = "payload_too_large"
	case errors.Is(err, webhook.ErrMethodNotAllowed):
		code = "method_not_allowed"
	case errors.Is(err, webhook.ErrInvalidBody):
		code = "invalid_json"
	case status >= 500:
		code = "storage_unavailable"
	}
	if code == "invalid_crc_token" {
		s.metrics.crcResponses.WithLabelValues("rejected").Inc()
	} else {
		s.metrics.deliveriesRejected.WithLabelValues(code).Inc()
	}
	if status < 500 {
		s.log.Info("webhook request rejected", "method", r.Method, "path", r.URL.Path, "status", status, "reason", err.Error(), "remote", r.RemoteAddr)
	}
	message := err.Error()
	if status >= 500 {
		message = "the delivery could not be stored; retry later"
	}
	writeError(w, status, code, message)
}
