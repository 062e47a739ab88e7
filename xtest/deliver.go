package xtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/goodgo/xactivity/webhook"
)

// maxDeliveryResponseBytes bounds how much of a webhook's response the server
// reads before it closes the connection.
const maxDeliveryResponseBytes = 64 << 10

// Delivery is one POST the server sent, or meant to send, to a webhook, as
// recorded for tests to inspect and for replays to send again. Each attempt
// is recorded on its own: a delivery that X retries appears once per
// attempt.
type Delivery struct {
	WebhookID string
	Body      []byte
	Time      time.Time // from the server's clock, when sending started
	// Status is the webhook's HTTP status. It is 0 when the server got no
	// response within the delivery timeout, when the request failed, and
	// when the delivery was not sent because the webhook was invalid or a
	// fault injection dropped it. Failure then gives the reason.
	Status int
	// Failure describes why an attempt got no status, and is empty when
	// Status is set.
	Failure string
	// Attempt numbers the sends of one delivery: 1 for the first, then 2,
	// 3 and 4 for X's retries after failed attempts. It is 0 for the
	// deliveries of a replay job.
	Attempt int
	// Replay reports that a replay job sent the delivery again, or that it
	// is a replay job's status. Replays never send such deliveries again.
	Replay bool
	// Dropped reports a delivery that DropNextDelivery kept from being
	// sent. A replay sends it.
	Dropped bool
	// Duplicate reports an extra copy sent by DuplicateNextDelivery.
	// Duplicates are not retried, and replays do not send them again.
	Duplicate bool
}

// maxDeliveries is the number of deliveries a server keeps. Older ones are
// dropped, and a replay can no longer send them.
const maxDeliveries = 10000

// record adds d to the deliveries. It takes st.mu.
func (st *webhookState) record(d Delivery) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.deliveries = append(st.deliveries, d)
	if len(st.deliveries) >= 2*maxDeliveries {
		st.deliveries = slices.Clone(st.deliveries[len(st.deliveries)-maxDeliveries:])
	}
}

// recordDelivery adds d to the deliveries and wakes WaitDeliveries.
func (s *Server) recordDelivery(d Delivery) {
	s.hooks.record(d)
	s.engine.notifyDelivery()
}

// Deliveries returns the deliveries to the webhook with the given id,
// oldest first, including retries, those sent by replays and those not
// sent. It is safe for concurrent use, and the caller may modify the
// result.
func (s *Server) Deliveries(webhookID string) []Delivery {
	st := s.hooks
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []Delivery
	for _, d := range st.deliveries {
		if d.WebhookID == webhookID {
			d.Body = slices.Clone(d.Body)
			out = append(out, d)
		}
	}
	return out
}

// Deliver posts body to the webhook with the given id as X does: with
// Content-Type application/json and the x-twitter-webhooks-signature header,
// HMAC-SHA256 of the body keyed by the consumer secret of the webhook's app.
// It records the delivery for Deliveries and for replays, and returns the
// webhook's HTTP status. Redirects are not followed.
//
// The first attempt is made before Deliver returns. When it gets a status
// other than 200, or no response within the delivery timeout, the server
// retries in the background on the retry schedule. The timeout is 3
// seconds unless set with WithDeliveryTimeout, and the schedule waits 3, 27
// and 242 seconds between attempts unless set with WithRetrySchedule.
// Retries stop at the first 200, and when the webhook is deleted or becomes
// invalid. Each attempt is recorded. When ctx ends before the first attempt
// has a response, the server does not retry.
//
// A non-200 status is not an error. Deliver returns an error when the
// webhook does not exist, when the request fails or times out, and, after
// recording the delivery without sending it, when the webhook is invalid,
// because X sends nothing to an invalid webhook. It returns 0 and a nil
// error when a fault injection holds, delays or drops the delivery. It is
// safe for concurrent use.
func (s *Server) Deliver(ctx context.Context, webhookID string, body []byte) (int, error) {
	h, _, err := s.target(webhookID)
	if err != nil {
		return 0, err
	}
	body = slices.Clone(body)
	if !h.Valid {
		return 0, s.recordInvalid(h.ID, body)
	}
	if s.engine.hold(h.ID, body) {
		return 0, nil
	}
	return s.dispatch(ctx, h.ID, body)
}

// recordInvalid records a first attempt that was not sent because the
// webhook is invalid, and returns the error that Deliver reports for it.
func (s *Server) recordInvalid(webhookID string, body []byte) error {
	s.recordDelivery(Delivery{
		WebhookID: webhookID, Body: body, Time: s.now(), Attempt: 1,
		Failure: "not sent: the webhook is invalid",
	})
	return fmt.Errorf("xtest: webhook %s is invalid, so the delivery was recorded but not sent", webhookID)
}

// target returns the webhook with the given id and its app's consumer
// secret.
func (s *Server) target(webhookID string) (Webhook, string, error) {
	s.hooks.mu.Lock()
	h := s.hooks.find(webhookID)
	var c Webhook
	if h != nil {
		c = cloneWebhook(h)
	}
	s.hooks.mu.Unlock()
	if h == nil {
		return Webhook{}, "", fmt.Errorf("xtest: webhook %q not found", webhookID)
	}
	app, ok := s.App(c.AppID)
	if !ok {
		return Webhook{}, "", fmt.Errorf("xtest: app %q of webhook %s not found", c.AppID, webhookID)
	}
	return c, app.ConsumerSecret, nil
}

// post sends one signed delivery and returns the response's status. The
// request fails when no response arrives within the delivery timeout.
func (s *Server) post(ctx context.Context, rawURL, secret string, body []byte) (int, error) {
	timeout := s.engine.timeout
	reqCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("xtest: build delivery: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-twitter-webhooks-signature", webhook.Sign(secret, body))
	resp, err := s.hooks.client.Do(req)
	if err != nil {
		if ctx.Err() == nil && errors.Is(reqCtx.Err(), context.DeadlineExceeded) {
			return 0, fmt.Errorf("xtest: deliver to %s: no response within %v", rawURL, timeout)
		}
		return 0, fmt.Errorf("xtest: deliver to %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxDeliveryResponseBytes))
	return resp.StatusCode, nil
}

// DeliverDM stores a one-to-one DM from senderID to recipientID in the DM
// world, as if sent through X's own apps. Then it delivers the DM's Account
// Activity body to every webhook that either user is subscribed to. The
// recipient's copy reports a received DM, and the sender's copy is the echo
// of a sent one. It returns the event id. Both users must be registered.
//
// DeliverDM ignores FailNextDM, DropResponseAfterSend, rate limits and the
// refusal settings, and SentDMs does not list the DM. It returns an error
// when a user is not registered or when a delivery fails to send, and is
// safe for concurrent use.
func (s *Server) DeliverDM(ctx context.Context, senderID, recipientID, text string) (string, error) {
	if !s.userExists(senderID) {
		return "", fmt.Errorf("xtest: sender %q not found", senderID)
	}
	if !s.userExists(recipientID) {
		return "", fmt.Errorf("xtest: recipient %q not found", recipientID)
	}
	s.dm.mu.Lock()
	e := s.dm.store(outgoing{
		c:           caller{user: User{ID: senderID}},
		recipientID: recipientID,
		msg:         message{text: text},
	}, s.now())
	s.dm.mu.Unlock()
	return e.id, s.deliverDMEvent(ctx, e)
}

// deliverDMEvent delivers one-to-one DM event e to every webhook that its
// sender or recipient is subscribed to, and does nothing for a group
// event. It returns the errors of the deliveries that failed to send.
//
// NOTE: the body carries the text only. Media, quick replies and buttons of
// a DM sent through the DM endpoints are left out.
func (s *Server) deliverDMEvent(ctx context.Context, e *dmEvent) error {
	if e.isGroup() {
		return nil
	}
	sender, _ := s.profileOf(e.senderID)
	recipient, _ := s.profileOf(e.recipientID)
	var errs []error
	for _, forUser := range []string{e.recipientID, e.senderID} {
		body, err := json.Marshal(dmDeliveryBody(forUser, e, sender, recipient))
		if err != nil {
			return fmt.Errorf("xtest: encode DM delivery: %w", err)
		}
		for _, webhookID := range s.hooks.subscribedWebhooks(forUser) {
			if _, err := s.Deliver(ctx, webhookID, body); err != nil {
				errs = append(errs, err)
			}
		}
	}
	errs = append(errs, s.deliverDMActivity(ctx, e))
	return errors.Join(errs...)
}

// subscribedWebhooks returns the ids of the webhooks userID is subscribed
// to.
func (st *webhookState) subscribedWebhooks(userID string) []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var ids []string
	for _, h := range st.hooks {
		if slices.Contains(h.Subscribers, userID) {
			ids = append(ids, h.ID)
		}
	}
	return ids
}

// aaaDMBody is the Account Activity body of a direct_message_events
// delivery.
type aaaDMBody struct {
	ForUserID string             `json:"for_user_id"`
	Events    []aaaDMEvent       `json:"direct_message_events"`
	Users     map[string]aaaUser `json:"users"`
}

type aaaDMEvent struct {
	Type             string `json:"type"`
	ID               string `json:"id"`
	CreatedTimestamp string `json:"created_timestamp"`
	MessageCreate    struct {
		Target struct {
			RecipientID string `json:"recipient_id"`
		} `json:"target"`
		SenderID    string `json:"sender_id"`
		MessageData struct {
			Text     string      `json:"text"`
			Entities aaaEntities `json:"entities"`
		} `json:"message_data"`
	} `json:"message_create"`
}

// aaaEntities is an empty entities object. The fake does not parse
// hashtags, symbols, mentions or URLs out of the text.
type aaaEntities struct {
	Hashtags     []struct{} `json:"hashtags"`
	Symbols      []struct{} `json:"symbols"`
	UserMentions []struct{} `json:"user_mentions"`
	URLs         []struct{} `json:"urls"`
}

// aaaUser is the part of a v1.1 user object the fake can fill.
type aaaUser struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	ScreenName string `json:"screen_name"`
	Protected  bool   `json:"protected"`
	Verified   bool   `json:"verified"`
}

// dmDeliveryBody returns the delivery of DM event e to the webhook of user
// forUserID.
func dmDeliveryBody(forUserID string, e *dmEvent, sender, recipient profile) aaaDMBody {
	var ev aaaDMEvent
	ev.Type = "message_create"
	ev.ID = e.id
	ev.CreatedTimestamp = strconv.FormatInt(e.created.UnixMilli(), 10)
	ev.MessageCreate.Target.RecipientID = e.recipientID
	ev.MessageCreate.SenderID = e.senderID
	ev.MessageCreate.MessageData.Text = e.msg.text
	ev.MessageCreate.MessageData.Entities = aaaEntities{
		Hashtags: []struct{}{}, Symbols: []struct{}{}, UserMentions: []struct{}{}, URLs: []struct{}{},
	}
	users := make(map[string]aaaUser)
	for _, p := range []profile{sender, recipient} {
		users[p.id] = aaaUser{ID: p.id, Name: p.name, ScreenName: p.username}
	}
	return aaaDMBody{ForUserID: forUserID, Events: []aaaDMEvent{ev}, Users: users}
}
