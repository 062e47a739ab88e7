package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
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

// recipientRejectionCodes are X's v1.1 error codes that reject a DM because
// of its recipient. 150: the recipient does not follow the sender or
// cannot receive DMs. 349: the sender cannot send DMs to this user. 476:
// the recipient accepts no message requests from the sender.
var recipientRejectionCodes = []int{150, 349, 476}

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
// DM is one of the keywords. An opt-out removes the sender from the
// account's running campaigns and queues one confirmation DM, in the same
// transaction, so that a redelivered or repeated keyword queues no second
// confirmation. The outbox sends the confirmation.
func (s *server) applyOptKeyword(ctx context.Context, acct store.Account, e *accountactivity.DirectMessage) error {
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
		ch.Confirmation = s.optOutConfirmation()
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

// markUndeliverable marks the recipient of a DM that X rejected for good
// as undeliverable for the account, when X's error concerns the recipient
// rather than the account or the app, so that later campaigns skip them.
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

// recipientRejected reports whether err is X's rejection of a DM because
// of its recipient: one of recipientRejectionCodes on v1.1, or a v2 403 whose
// problem is not about the app's access or the kind of token.
func recipientRejected(err error) bool {
	var apiErr *xactivity.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, code := range recipientRejectionCodes {
		if apiErr.HasCode(code) {
			return true
		}
	}
	if apiErr.StatusCode != http.StatusForbidden || len(apiErr.Codes) > 0 {
		return false
	}
	for _, p := range apiErr.Problems {
		switch p.Kind() {
		case "client-forbidden", "unsupported-authentication":
			return false
		}
	}
	return true
}
