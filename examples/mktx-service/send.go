package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/dghubble/oauth1"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/dm"
	"github.com/goodgo/xactivity/ratelimit"
	"github.com/goodgo/xactivity/store"
)

// Sending parameters.
const (
	sendLease       = 2 * time.Minute // claim on an outbox row while its DM is sent
	maxSendAttempts = 5               // sends rescheduled for transient failures before a DM fails
	outboxBatch     = 16
	quotaRetryDelay = 5 * time.Second // wait before a DM whose quota check failed is claimed again

	firstPutBackDelay = 100 * time.Millisecond
	maxPutBackDelay   = 5 * time.Second
	// putBackMargin ends the put-back attempts this long before a claim's
	// lease ends, which leaves room for a store clock ahead of the
	// service's and for the last attempt's duration.
	putBackMargin = 15 * time.Second
)

// sendOutcome is the result of one DM send.
type sendOutcome struct {
	msg         store.Message
	scheduledAt time.Time // set when the DM went back to the queue
	refusal     string    // X's reason when it refused the DM for good
}

// sender sends queued DMs through the dm client, within each account's
// limits: MKTX__DM_DAILY_LIMIT per 24 hours and X's own windows. The
// limits are counted in the store, so every replica that shares the
// database counts the same sends.
type sender struct {
	s       *server
	owner   string
	limits  []store.SendLimit // of every account
	timeout time.Duration
	// putBackDelay is the first wait before a failed put-back is tried
	// again. Each later wait doubles, up to maxPutBackDelay.
	putBackDelay time.Duration
}

func newSender(s *server) *sender {
	return &sender{
		s:       s,
		owner:   "mktx-send-" + randomHex(6),
		limits:  accountLimits(s.settings),
		timeout: xTimeout,

		putBackDelay: firstPutBackDelay,
	}
}

// windowMargin lengthens every send window. X's fixed windows reset on a
// whole second, and a request reaches X a little after the service counted
// it, so a window exactly as long as X's could let one send too many into
// X's window.
const windowMargin = time.Second

// accountLimits are the send limits of one account: the service's daily
// limit and the per-user DM send limits X documents for the API generation
// in use. Those are 15 per 15 minutes and 1,440 per 24 hours on v2, and
// 1,000 per 24 hours on v1.1. The service's limit and X's daily limit
// share one 24-hour window, so only the smaller of the two is passed, which
// saves the store a count per send. X's headers can be stricter, so a 429
// reschedules at X's reset.
func accountLimits(s Settings) []store.SendLimit {
	limit := func(sends int, per time.Duration) store.SendLimit {
		return store.SendLimit{Max: sends, Per: per + windowMargin}
	}
	if s.APIVersion == "2" {
		return []store.SendLimit{limit(min(s.DMDailyLimit, 1440), 24*time.Hour), limit(15, 15*time.Minute)}
	}
	return []store.SendLimit{limit(min(s.DMDailyLimit, 1000), 24*time.Hour)}
}

// sendQuotaKey is the store.SendQuotas key that counts the DMs sent by
// the account with the given id. The prefix keeps it apart from other
// quotas of the same account, which may have other limits.
func sendQuotaKey(accountID string) string {
	return store.AccountSendKey(accountID)
}

// reserve records a send for the account at now in the store when the
// account's limits allow one, and returns now and true. Otherwise it
// records nothing and returns the time the limits allow the next send, and
// false. The store serializes the reservations of one account across every
// replica that shares the database, so the replicas together keep to the
// limits.
func (sn *sender) reserve(ctx context.Context, accountID string, now time.Time) (time.Time, bool, error) {
	ok, next, err := sn.s.store.ReserveSend(ctx, sendQuotaKey(accountID), now, sn.limits)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reserve a DM send for account %s: %w", accountID, err)
	}
	if ok {
		return now, true, nil
	}
	return next, false, nil
}

// send sends one claimed outbox row and settles it.
func (sn *sender) send(ctx context.Context, item store.OutboxItem) (sendOutcome, error) {
	acct, err := sn.s.store.Account(ctx, item.MerchantID, item.AccountID)
	if err != nil {
		return sendOutcome{}, err
	}
	if acct.Status != store.AccountActive || len(acct.Credentials) == 0 {
		sn.s.metrics.dmsFailed.WithLabelValues("account_inactive").Inc()
		return sn.fail(ctx, item, "the account is "+string(acct.Status)+"; reconnect it to send DMs")
	}
	creds, err := sn.s.sealer.open(acct.MerchantID, acct.XUserID, acct.Credentials)
	if err != nil {
		sn.s.metrics.dmsFailed.WithLabelValues("credentials").Inc()
		return sn.fail(ctx, item, err.Error())
	}
	eventID, sendErr := sn.call(ctx, creds, item)
	now := sn.s.now()
	var limited *ratelimit.Error
	var reqErr *xactivity.RequestError
	switch {
	case sendErr == nil:
		sn.s.metrics.dmsSent.Inc()
		msg, err := sn.s.store.MarkSent(ctx, item.Lease, eventID, now)
		return sendOutcome{msg: msg}, err
	case errors.As(sendErr, &limited):
		sn.s.metrics.rateLimitWaits.WithLabelValues("x").Inc()
		at := limited.Reset
		if at.Before(now.Add(time.Second)) {
			at = now.Add(time.Second)
		}
		return sn.reschedule(ctx, item, at, "X rate limit reached")
	case xactivity.IsPermanent(sendErr):
		sn.s.metrics.dmsFailed.WithLabelValues("rejected").Inc()
		sn.s.markUndeliverable(ctx, item, sendErr)
		return sn.fail(ctx, item, refusalReason(sendErr))
	case xactivity.IsRetryable(sendErr) && item.Attempts < maxSendAttempts:
		return sn.reschedule(ctx, item, now.Add(time.Duration(item.Attempts)*30*time.Second), sendErr.Error())
	case errors.As(sendErr, &reqErr) && !reqErr.NotSent:
		// The request may have reached X: never send it again. The echo
		// of the DM, if X accepted it, settles the message.
		sn.s.metrics.dmsFailed.WithLabelValues("unknown").Inc()
		msg, err := sn.s.store.MarkUnknown(ctx, item.Lease, sendErr.Error())
		sn.s.log.Warn("DM send may or may not have reached X; waiting for its echo", "message", msg.ID, "err", sendErr)
		return sendOutcome{msg: msg}, err
	default:
		sn.s.metrics.dmsFailed.WithLabelValues("retries_exhausted").Inc()
		return sn.fail(ctx, item, refusalReason(sendErr))
	}
}

// call sends the DM through X: v1.1 when it has quick replies (v2 has no
// quick replies) or when the service runs on v1.1, v2 otherwise. It
// returns X's event id.
func (sn *sender) call(ctx context.Context, creds credentials, item store.OutboxItem) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, sn.timeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth1.HTTPClient, sn.s.x.http)
	httpClient := sn.s.x.config.Client(ctx, oauth1.NewToken(creds.Token, creds.TokenSecret))
	client, err := dm.NewClient(httpClient, dm.WithBaseURL(sn.s.settings.APIBaseURL))
	if err != nil {
		return "", err
	}
	if len(item.QuickReplies) > 0 || sn.s.settings.APIVersion != "2" {
		msg := dm.V11Message{Text: item.Content}
		for _, q := range item.QuickReplies {
			msg.QuickReplies = append(msg.QuickReplies, dm.QuickReplyOption{Label: q.Label, Description: q.Description, Metadata: q.Metadata})
		}
		ev, err := client.SendV11(ctx, item.RecipientID, msg)
		return ev.ID, err
	}
	res, err := client.SendToParticipant(ctx, item.RecipientID, dm.Message{Text: item.Content})
	return res.EventID, err
}

func refusalReason(err error) string {
	var apiErr *xactivity.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Error()
	}
	return err.Error()
}

func (sn *sender) fail(ctx context.Context, item store.OutboxItem, reason string) (sendOutcome, error) {
	msg, err := sn.s.store.MarkFailed(ctx, item.Lease, reason)
	sn.s.log.Warn("DM refused; not retried", "message", item.MessageID, "account", item.AccountID, "reason", reason)
	return sendOutcome{msg: msg, refusal: reason}, err
}

func (sn *sender) reschedule(ctx context.Context, item store.OutboxItem, at time.Time, reason string) (sendOutcome, error) {
	if err := sn.s.store.Reschedule(ctx, item.Lease, at, reason); err != nil {
		return sendOutcome{}, err
	}
	sn.s.log.Info("DM rescheduled", "message", item.MessageID, "account", item.AccountID, "at", formatTime(at), "reason", reason)
	return sendOutcome{msg: store.Message{ID: item.MessageID, ConversationID: item.ConversationID, AccountID: item.AccountID,
		Direction: store.Outbound, Content: item.Content, Type: "text", Status: store.MessageQueued, StatusReason: reason,
		CreatedAt: item.QueuedAt}, scheduledAt: at}, nil
}

// runOutbox sends due DMs until ctx is cancelled.
func (sn *sender) runOutbox(ctx context.Context) {
	sn.s.log.Info("outbox worker started", "owner", sn.owner)
	defer sn.s.log.Info("outbox worker stopped", "owner", sn.owner)
	ticker := time.NewTicker(idlePoll)
	defer ticker.Stop()
	for {
		n, err := sn.sendDue(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			sn.s.log.Error("outbox processing failed", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// sendDue claims due outbox rows and sends those whose account limits
// allow a send now. The others go back to the queue for their next allowed
// time. It returns how many rows it claimed.
func (sn *sender) sendDue(ctx context.Context) (int, error) {
	claimedAt := sn.s.now()
	items, err := sn.s.store.ClaimOutbox(ctx, sn.owner, outboxBatch, sendLease)
	if err != nil {
		return 0, err
	}
	putBackBy := claimedAt.Add(sendLease - putBackMargin)
	work := context.WithoutCancel(ctx)
	for _, item := range items {
		now := sn.s.now()
		next, ok, err := sn.reserve(work, item.AccountID, now)
		if err != nil {
			// Nothing was sent, so the DM can go back to the queue.
			sn.s.log.Error("checking an account's DM limits failed", "message", item.MessageID, "account", item.AccountID, "err", err)
			sn.putBack(ctx, item, now.Add(quotaRetryDelay), "checking the account's DM limits failed", putBackBy)
			continue
		}
		if !ok {
			sn.s.metrics.rateLimitWaits.WithLabelValues("account_daily").Inc()
			sn.putBack(ctx, item, next, "account DM limit reached", putBackBy)
			// The account's other queued DMs cannot go before then either.
			if _, err := sn.s.store.DeferAccount(work, item.AccountID, next); err != nil {
				sn.s.log.Error("deferring an account's DMs failed", "account", item.AccountID, "err", err)
			}
			continue
		}
		if _, err := sn.send(work, item); err != nil {
			sn.s.log.Error("settling a DM failed", "message", item.MessageID, "err", err)
		}
	}
	return len(items), nil
}

// putBack returns a claimed row that was not sent to the queue, claimable
// at at. A row left sending becomes unknown when its lease expires,
// although it was never sent, so a failed attempt is tried again after a
// growing delay, as long as the next attempt starts before deadline. It
// gives up early when ctx ends, as at shutdown.
func (sn *sender) putBack(ctx context.Context, item store.OutboxItem, at time.Time, reason string, deadline time.Time) {
	work := context.WithoutCancel(ctx)
	delay := sn.putBackDelay
	for attempt := 1; ; attempt++ {
		_, err := sn.reschedule(work, item, at, reason)
		if err == nil {
			return
		}
		if errors.Is(err, store.ErrNotClaimed) || errors.Is(err, store.ErrNotFound) {
			sn.s.log.Warn("putting a DM back to the queue failed: the claim has ended", "message", item.MessageID, "err", err)
			return
		}
		if !sn.s.now().Add(delay).Before(deadline) {
			sn.s.log.Error("putting a DM back to the queue failed; giving up, so it becomes unknown when its claim's lease expires",
				"message", item.MessageID, "account", item.AccountID, "attempts", attempt, "err", err)
			return
		}
		sn.s.log.Warn("putting a DM back to the queue failed; retrying", "message", item.MessageID, "attempt", attempt, "retry_in", delay, "err", err)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			sn.s.log.Error("putting a DM back to the queue failed; stopped by shutdown, so it becomes unknown when its claim's lease expires",
				"message", item.MessageID, "account", item.AccountID, "attempts", attempt, "err", err)
			return
		case <-timer.C:
		}
		delay = min(2*delay, maxPutBackDelay)
	}
}

// sendRequest is the body of POST /conversations/{id}/messages.
type sendRequest struct {
	Content      string `json:"content"`
	Type         string `json:"type"`
	QuickReplies []struct {
		Label       string `json:"label"`
		Metadata    string `json:"metadata"`
		Description string `json:"description"`
	} `json:"quickReplies"`
}

// validate checks the request against X's limits for DMs.
func (r *sendRequest) validate() ([]store.QuickReply, error) {
	if r.Type == "" {
		r.Type = "text"
	}
	if r.Type != "text" {
		return nil, fmt.Errorf("type %q is not supported; use text", r.Type)
	}
	if r.Content == "" || !utf8.ValidString(r.Content) || utf8.RuneCountInString(r.Content) > dm.MaxTextLength {
		return nil, fmt.Errorf("content must be 1 to %d characters of valid UTF-8", dm.MaxTextLength)
	}
	if len(r.QuickReplies) > dm.MaxQuickReplyOptions {
		return nil, fmt.Errorf("at most %d quick replies", dm.MaxQuickReplyOptions)
	}
	var out []store.QuickReply
	for i, q := range r.QuickReplies {
		if n := utf8.RuneCountInString(q.Label); n == 0 || n > dm.MaxQuickReplyLabel {
			return nil, fmt.Errorf("quickReplies[%d].label must be 1 to %d characters", i, dm.MaxQuickReplyLabel)
		}
		if utf8.RuneCountInString(q.Description) > dm.MaxQuickReplyDescription || utf8.RuneCountInString(q.Metadata) > dm.MaxQuickReplyMetadata {
			return nil, fmt.Errorf("quickReplies[%d]: description at most %d and metadata at most %d characters",
				i, dm.MaxQuickReplyDescription, dm.MaxQuickReplyMetadata)
		}
		out = append(out, store.QuickReply{Label: q.Label, Description: q.Description, Metadata: q.Metadata})
	}
	return out, nil
}

type sentMessageView struct {
	messageView
	ScheduledAt *timeJSON `json:"scheduledAt,omitempty"`
}

// sendMessage queues a DM to the conversation's participant and sends it
// at once when the account's limits allow. It responds 201 when the DM was
// sent, and 202 when it was queued (with scheduledAt) or its outcome is
// unknown. X's permanent refusal gets 400 with X's reason.
func (s *server) sendMessage(w http.ResponseWriter, r *http.Request) {
	merchant := merchantID(r.Context())
	var req sendRequest
	if status, err := decodeJSON(w, r, &req); err != nil {
		s.rejectRequest(w, r, status, "invalid_request", err.Error())
		return
	}
	quickReplies, err := req.validate()
	if err != nil {
		s.rejectRequest(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	conv, err := s.store.Conversation(r.Context(), merchant, r.PathValue("id"))
	if s.storeError(w, r, "conversation", err) {
		return
	}
	acct, err := s.store.Account(r.Context(), merchant, conv.AccountID)
	if s.storeError(w, r, "account", err) {
		return
	}
	if acct.Status != store.AccountActive {
		s.rejectRequest(w, r, http.StatusConflict, "account_revoked", "the account's X authorization was revoked; reconnect it to send DMs")
		return
	}
	now := s.now()
	at, sendNow, err := s.sender.reserve(r.Context(), acct.ID, now)
	if err != nil {
		s.internalError(w, r, "reserve DM send", err)
		return
	}
	availableAt := at
	if sendNow {
		// This request claims the row right after queueing it. An outbox
		// worker, of this replica or another, that claimed the row first
		// would reserve a second send for the DM, so the row becomes due
		// only after the time a claim lasts. A crash before the claim
		// leaves the DM to the outbox workers from then on.
		availableAt = now.Add(sendLease)
	}
	msg, err := s.store.QueueMessage(r.Context(), merchant, conv.ID, store.Message{Content: req.Content, Type: "text", CreatedAt: now}, quickReplies, availableAt)
	if s.storeError(w, r, "conversation", err) {
		return
	}
	if !sendNow {
		s.metrics.rateLimitWaits.WithLabelValues("account_daily").Inc()
		s.log.Info("DM queued: account DM limit reached", "account", acct.ID, "message", msg.ID, "scheduled_at", formatTime(at))
		writeQueued(w, msg, at)
		return
	}
	s.sendQueued(w, r, msg)
}

// sendQueued claims the just-queued message's outbox row and sends it.
func (s *server) sendQueued(w http.ResponseWriter, r *http.Request, msg store.Message) {
	id, err := parseRowID(msg.ID)
	if err != nil {
		s.internalError(w, r, "parse message id", err)
		return
	}
	work := context.WithoutCancel(r.Context()) // the outcome must be recorded even if the caller leaves
	item, err := s.store.ClaimOutboxItem(work, id, s.sender.owner, sendLease)
	if errors.Is(err, store.ErrNotFound) {
		writeQueued(w, msg, s.now()) // the outbox worker took it first
		return
	}
	if err != nil {
		s.internalError(w, r, "claim outbox row", err)
		return
	}
	out, err := s.sender.send(work, item)
	switch {
	case err != nil:
		s.internalError(w, r, "send DM", err)
	case out.refusal != "":
		s.rejectRequest(w, r, http.StatusBadRequest, "dm_refused", "X refused the DM: "+out.refusal)
	case !out.scheduledAt.IsZero():
		writeQueued(w, out.msg, out.scheduledAt)
	case out.msg.Status == store.MessageSent:
		writeData(w, http.StatusCreated, sentMessageView{messageView: viewMessage(out.msg)})
	default:
		writeData(w, http.StatusAccepted, sentMessageView{messageView: viewMessage(out.msg)})
	}
}

func writeQueued(w http.ResponseWriter, msg store.Message, at time.Time) {
	scheduled := timeJSON(at)
	msg.Status = store.MessageQueued
	writeData(w, http.StatusAccepted, sentMessageView{messageView: viewMessage(msg), ScheduledAt: &scheduled})
}

func parseRowID(id string) (int64, error) {
	var n int64
	_, err := fmt.Sscan(id, &n)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid row id %q", id)
	}
	return n, nil
}
