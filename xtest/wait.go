package xtest

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"

	"github.com/goodgo/xactivity/webhook"
)

// WaitDeliveries blocks until Deliveries lists at least n deliveries to the
// webhook with the given id, counting every attempt, retry, replay and
// unsent delivery, and returns them. It wakes at each recorded delivery
// rather than polling. When ctx ends first, it returns the deliveries
// recorded so far and ctx.Err(). It is safe for concurrent use.
func (s *Server) WaitDeliveries(ctx context.Context, webhookID string, n int) ([]Delivery, error) {
	for {
		// Take the channel before reading, so that a delivery recorded in
		// between closes it.
		changed := s.engine.deliveredChan()
		got := s.Deliveries(webhookID)
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, ctx.Err()
		case <-changed:
		}
	}
}

// NewDeliveryRequest returns a delivery as X sends it, for a test that
// passes it to a webhook handler's ServeHTTP directly: a POST to target
// with body, Content-Type application/json and the
// x-twitter-webhooks-signature header computed with consumerSecret. target
// is a path such as "/webhooks/twitter" or an absolute URL, as in
// httptest.NewRequest, which panics on an invalid target as this function
// does.
func NewDeliveryRequest(target, consumerSecret string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(webhook.SignatureHeader, webhook.Sign(consumerSecret, body))
	return r
}

// NewCRCRequest returns a CRC check as X sends it, for a test that passes
// it to a webhook handler's ServeHTTP directly: a GET of target with
// crc_token set to token in the query. X's CRC checks are not signed.
// target is as in NewDeliveryRequest, and an invalid one panics.
func NewCRCRequest(target, token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	q := r.URL.Query()
	q.Set("crc_token", token)
	r.URL.RawQuery = q.Encode()
	r.RequestURI = r.URL.RequestURI()
	return r
}
