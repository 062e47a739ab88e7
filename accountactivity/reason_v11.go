package accountactivity

import (
	"errors"
	"net/http"
	"strings"

	"github.com/goodgo/xactivity"
)

// Failure reasons that only the v1.1 generations report, by code.
var (
	// ErrNoProductAccess is v1.1 code 200: the app has no access to the
	// Account Activity API tier, or Config.EnvName names no environment
	// of the app.
	ErrNoProductAccess = errors.New("accountactivity: no access to the product or unknown environment name")
	// ErrAppCannotWrite is v1.1 code 261: the app's permissions do not
	// allow write actions, or a call that needs user context was made
	// with the bearer token.
	ErrAppCannotWrite = errors.New("accountactivity: application cannot perform write actions")
	// ErrUserNotPermitted is v1.1 code 348: the app may not manage the
	// subscriptions of that user.
	ErrUserNotPermitted = errors.New("accountactivity: application may not manage this user's subscriptions")
)

// v1.1 error codes of the Account Activity API.
const (
	codeNotFound         = 34  // "Sorry, that page does not exist.", or a webhook that does not exist
	codeNoAccess         = 200 // no product access, or a wrong environment name
	codeWebhookURL       = 214 // webhook URL or CRC check failed; the message names the cause
	codeCannotWrite      = 261
	codeNotPermitted     = 348
	codeAlreadyExists    = 355 // a subscription that exists, or a replay job already running
	codeDateOrder        = 356 // replay from_date not before to_date, or older than 5 days
	codeMissingQuery     = 357
	codeMalformedParam   = 358
	codeDateNotInThePast = 368
)

// operationKind is the group of calls an operation belongs to. The v1.1
// codes 214 and 355 name a different resource in each group.
type operationKind int

const (
	otherOperation        operationKind = iota
	webhookOperation                    // create, list, validate and delete webhooks
	subscriptionOperation               // subscribe, check, list, count and unsubscribe
	replayOperation                     // request a replay job
)

// operationKindOf returns the group of the operation named op, as the
// methods pass it to Client.do.
func operationKindOf(op string) operationKind {
	switch op {
	case opCreateWebhook, opListWebhooks, opValidateWebhook, opDeleteWebhook:
		return webhookOperation
	case opSubscribe, opSubscribed, opListSubscriptions, opUnsubscribe, opCountSubscriptions:
		return subscriptionOperation
	case opReplay, "replay subscriptions": // the second is ReplaySubscriptions'
		return replayOperation
	}
	return otherOperation
}

// codeReasons returns the sentinels of the v1.1 codes in e, the failure of
// an operation of kind op.
func codeReasons(e *xactivity.APIError, op operationKind) []error {
	var found []error
	for _, c := range e.Codes {
		if err := codeReason(c, e.StatusCode, op); err != nil {
			found = appendNew(found, err)
		}
	}
	return found
}

// codeReason returns the sentinel of one v1.1 error of an operation of
// kind op, or nil. Codes 214, 34 and 355 cover several causes, which their
// messages and the operation tell apart.
func codeReason(c xactivity.ErrorCode, status int, op operationKind) error {
	msg := strings.ToLower(c.Message)
	switch c.Code {
	case codeNotFound:
		if strings.Contains(msg, "webhook") {
			return ErrWebhookIDInvalid
		}
	case codeNoAccess:
		return ErrNoProductAccess
	case codeWebhookURL:
		return webhookURLReason(msg, op)
	case codeCannotWrite:
		return ErrAppCannotWrite
	case codeNotPermitted:
		return ErrUserNotPermitted
	case codeAlreadyExists:
		return alreadyExistsReason(msg, status, op)
	case codeDateOrder, codeMissingQuery, codeMalformedParam, codeDateNotInThePast:
		return ErrQueryParamInvalid
	}
	return nil
}

// webhookURLReason sorts the messages of code 214, such as "Too many
// resources already created." and "High latency on CRC GET request. Your
// webhook should respond in less than 3 seconds.", by their cause. "Too
// many resources" is the subscription limit on a subscription call and
// the webhook limit otherwise; a replay creates neither, so there it
// selects no sentinel. A webhook that X marked invalid, which a replay
// reports with code 214, failed its last CRC check.
func webhookURLReason(msg string, op operationKind) error {
	switch {
	case strings.Contains(msg, "too many resources"):
		return tooManyResourcesReason(op)
	case containsAny(msg, "already", "duplicate url", "duplicateurl"):
		return ErrDuplicateURL
	case containsAny(msg, "crc", "latency", "non-200", "json", "response token", "response_token", "marked as invalid", "marked invalid"):
		return ErrCRCValidationFailed
	case strings.Contains(msg, "url"):
		return ErrURLValidationFailed
	}
	return nil
}

// tooManyResourcesReason returns the limit that code 214's "Too many
// resources already created." reports for an operation of kind op.
func tooManyResourcesReason(op operationKind) error {
	switch op {
	case subscriptionOperation:
		return ErrSubscriptionLimitExceeded
	case replayOperation:
		return nil
	}
	return ErrWebhookLimitExceeded
}

// alreadyExistsReason sorts code 355 into a replay job that is already
// running (409, "A replay job is already in progress for this webhook.")
// and a subscription that already exists. A replay or subscription call
// decides by itself. For another operation the message decides when it
// names either. Otherwise a webhook call selects no sentinel, and for
// other calls the status decides.
func alreadyExistsReason(msg string, status int, op operationKind) error {
	switch {
	case op == replayOperation:
		return ErrReplayConflict
	case op == subscriptionOperation:
		return ErrDuplicateSubscription
	case strings.Contains(msg, "replay"):
		return ErrReplayConflict
	case strings.Contains(msg, "subscription"):
		return ErrDuplicateSubscription
	case op == webhookOperation:
		return nil
	case status == http.StatusConflict:
		return ErrReplayConflict
	}
	return ErrDuplicateSubscription
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// isPageNotFound reports whether e is a 404 with v1.1 code 34 that does
// not name a webhook.
func isPageNotFound(e *xactivity.APIError) bool {
	if e.StatusCode != http.StatusNotFound || !e.HasCode(codeNotFound) {
		return false
	}
	for _, c := range e.Codes {
		if c.Code == codeNotFound && strings.Contains(strings.ToLower(c.Message), "webhook") {
			return false
		}
	}
	return true
}
