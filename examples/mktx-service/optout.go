package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/store"
)

// Default keywords of MKTX__OPT_OUT_KEYWORDS and MKTX__OPT_IN_KEYWORDS.
const (
	defaultOptOutKeywords = "STOP,UNSUBSCRIBE"
	defaultOptInKeywords  = "START"
)

// maxKeywordRunes is the longest opt-out or opt-in keyword accepted.
const maxKeywordRunes = 32

// confirmationWindow is the interval in which a contact gets at most one
// opt-out confirmation, so that a contact who alternates opt-out and
// opt-in keywords cannot make the account spend its DM quota.
const confirmationWindow = 24 * time.Hour

// confirmationScan is the number of the conversation's newest messages
// searched for a recent confirmation.
const confirmationScan = 200

// keywordSettings reads the opt-out and opt-in keyword lists, each a
// comma-separated list. It returns a description of each invalid setting.
func keywordSettings(c MktxConfig) (optOut, optIn []string, invalid []string) {
	optOut, err := parseKeywords(orDefault(string(c.OptOutKeywords), defaultOptOutKeywords))
	if err != nil {
		invalid = append(invalid, "MKTX__OPT_OUT_KEYWORDS ("+err.Error()+")")
	}
	optIn, err = parseKeywords(orDefault(string(c.OptInKeywords), defaultOptInKeywords))
	if err != nil {
		invalid = append(invalid, "MKTX__OPT_IN_KEYWORDS ("+err.Error()+")")
	}
	for _, k := range optIn {
		if keywordIn(k, optOut) {
			invalid = append(invalid, fmt.Sprintf("MKTX__OPT_IN_KEYWORDS (%q is also an opt-out keyword)", k))
		}
	}
	return optOut, optIn, invalid
}

// parseKeywords splits a comma-separated keyword list and trims the space
// around each keyword.
func parseKeywords(raw string) ([]string, error) {
	var list []string
	for part := range strings.SplitSeq(raw, ",") {
		k := strings.TrimSpace(part)
		if k == "" || !utf8.ValidString(k) || utf8.RuneCountInString(k) > maxKeywordRunes {
			return nil, fmt.Errorf("a comma-separated list of keywords of 1 to %d characters", maxKeywordRunes)
		}
		list = append(list, k)
	}
	return list, nil
}

// keywordIn reports whether text, without the space around it, is one of
// keywords, ignoring case.
func keywordIn(text string, keywords []string) bool {
	text = strings.TrimSpace(text)
	for _, k := range keywords {
		if strings.EqualFold(text, k) {
			return true
		}
	}
	return false
}

// unsubscribeHint is the line that ends every campaign DM.
func (s *server) unsubscribeHint() string {
	return "Reply " + s.settings.OptOutKeywords[0] + " to unsubscribe."
}

// optOutConfirmation is the DM sent in reply to an opt-out.
func (s *server) optOutConfirmation() string {
	return "You are unsubscribed and will receive no more campaign messages from this account. Reply " +
		s.settings.OptInKeywords[0] + " to subscribe again."
}

// applyOptKeyword records an opt-out or opt-in when the text of an inbound
// DM in the conversation is one of the keywords. An opt-out removes the
// sender from the account's running campaigns and queues one confirmation
// DM, in the same transaction, so that a redelivered or repeated keyword
// queues no second confirmation. No confirmation is queued when one was
// queued in the conversation within confirmationWindow. The outbox sends
// the confirmation.
func (s *server) applyOptKeyword(ctx context.Context, acct store.Account, conversationID string, e *accountactivity.DirectMessage) error {
	var optOut bool
	switch {
	case keywordIn(e.Text, s.settings.OptOutKeywords):
		optOut = true
	case keywordIn(e.Text, s.settings.OptInKeywords):
	default:
		return nil
	}
	at := e.CreatedAt
	if at.IsZero() {
		at = receivedAt(ctx)
	}
	ch := store.OptOutChange{AccountID: acct.ID, XUserID: e.SenderID, OptedOut: optOut, At: at}

	if optOut {
		recent, err := s.confirmedRecently(ctx, acct.MerchantID, conversationID)
		if err != nil {
			return fmt.Errorf("look for a recent opt-out confirmation to contact %s of account %s: %w", e.SenderID, acct.ID, err)
		}
		if !recent {
			ch.Confirmation = s.optOutConfirmation()
		}
	}

	res, err := s.store.ApplyOptOut(ctx, ch)
	if err != nil {
		return fmt.Errorf("record opt-out of contact %s of account %s: %w", e.SenderID, acct.ID, err)
	}
	if res.Withdrawn > 0 {
		s.metrics.campaigns.messages.WithLabelValues("opted_out").Add(float64(res.Withdrawn))
	}
	s.log.Info("campaign opt-out keyword received", "account", acct.ID, "contact", e.SenderID, "dm", e.ID,
		"opted_out", optOut, "changed", res.Changed, "withdrawn", res.Withdrawn, "confirmation", res.Confirmation.ID)
	return nil
}

// confirmedRecently reports whether the conversation has an outbound
// opt-out confirmation created within confirmationWindow before now. It
// reads the newest confirmationScan messages. When all of them are within
// the window, the contact has written that many DMs in a day, and it
// reports true without reading further, so that such a contact gets no
// more confirmations. A confirmation with another text, from before the
// keyword settings changed, is not recognized.
func (s *server) confirmedRecently(ctx context.Context, merchantID, conversationID string) (bool, error) {
	page, err := s.store.Messages(ctx, store.MessageQuery{
		MerchantID: merchantID, ConversationID: conversationID, Limit: confirmationScan,
	})
	if err != nil {
		return false, err
	}
	since := s.now().Add(-confirmationWindow)
	text := s.optOutConfirmation()
	for _, m := range page.Items {
		if m.CreatedAt.Before(since) {
			return false, nil
		}
		if m.Direction == store.Outbound && m.Content == text {
			return true, nil
		}
	}
	return page.NextCursor != "", nil
}

// markUndeliverable marks the recipient of a DM that X rejected for good
// as undeliverable for the account, when X's error shows that the
// recipient accepts no DMs from the account (see recipientRejected), so
// that later campaigns skip them.
//
// NOTE: a mark is kept until the account is deleted, because the store
// has no call that clears it when the contact writes to or follows the
// account, and StartRecipients honours it however old it is. So a refusal
// that the recipient lifts by following the account (code 150) records
// no mark, and every campaign tries such a recipient again.
func (s *server) markUndeliverable(ctx context.Context, item store.OutboxItem, sendErr error) {
	if !recipientRejected(sendErr) {
		return
	}
	if err := s.store.MarkUndeliverable(ctx, item.AccountID, item.RecipientID, refusalReason(sendErr)); err != nil {
		s.log.Error("marking a contact undeliverable failed", "account", item.AccountID, "contact", item.RecipientID, "err", err)
		return
	}
	s.log.Info("contact marked undeliverable; campaigns skip it", "account", item.AccountID, "contact", item.RecipientID)
}

// X's v1.1 error codes for a DM that X rejects for good.
const (
	codeNotFollowing    = 150 // the recipient accepts DMs only from accounts they follow
	codeCannotMessage   = 349 // the recipient accepts no DMs from the sender
	codeMessageRequests = 476 // the sender may not send message requests
)

// recipientRejected reports whether err is X's rejection of a DM because
// its recipient accepts no DMs from the account: v1.1 code 349, or a v2
// 403 whose untyped problem names the recipient in its detail. It reports
// false for refusals that concern the sender (v1.1 code 476, or a detail
// about message requests), and for code 150 and its v2 detail, which the
// recipient lifts by following the account. It also reports false for
// every other 403, because a typed problem is about the app's access or
// the kind of token.
//
// NOTE: X documents no detail texts for these v2 refusals. The phrases
// matched are those that the fake X API in package xtest sends, and a 403
// with another detail marks no contact.
func recipientRejected(err error) bool {
	var apiErr *xactivity.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusForbidden {
		return false
	}
	if len(apiErr.Codes) > 0 {
		return apiErr.HasCode(codeCannotMessage) && !apiErr.HasCode(codeMessageRequests) && !apiErr.HasCode(codeNotFollowing)
	}
	if len(apiErr.Problems) == 0 {
		return false
	}
	for _, p := range apiErr.Problems {
		if p.Kind() != "" || !detailNamesRecipient(p.Detail) {
			return false
		}
	}
	return true
}

// detailNamesRecipient reports whether the detail of X's v2 403 problem
// says that the recipient accepts no DMs from the sender.
func detailNamesRecipient(detail string) bool {
	d := strings.ToLower(detail)
	switch {
	case strings.Contains(d, "message request"), strings.Contains(d, "not following you"):
		return false
	}
	return strings.Contains(d, "to this user")
}
