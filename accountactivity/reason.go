package accountactivity

import (
	"errors"
	"strings"

	"github.com/goodgo/xactivity"
)

// Failure reasons that X names in the error bodies of webhook and
// subscription calls. The error of a failed call matches each reason found
// in its body with errors.Is, and errors.As still finds the
// *xactivity.APIError:
//
//	if errors.Is(err, accountactivity.ErrDuplicateURL) { /* reuse it */ }
//
// X does not document where in the body a v2 reason appears, so the text
// is looked for, ignoring case, in the decoded error: the problem's type,
// title, detail, parameter and value, the messages of its errors array,
// the v1.1 messages and the "error" string. A reason in a member the
// xactivity.APIError does not keep is not found. The v1.1 generations send
// numeric codes instead, which select the same sentinels and those of
// ErrNoProductAccess, ErrAppCannotWrite and ErrUserNotPermitted (see
// codeReasons).
var (
	ErrCRCValidationFailed       = errors.New("accountactivity: CRC validation failed")
	ErrURLValidationFailed       = errors.New("accountactivity: webhook URL validation failed")
	ErrDuplicateURL              = errors.New("accountactivity: webhook URL already registered")
	ErrWebhookLimitExceeded      = errors.New("accountactivity: webhook limit exceeded")
	ErrWebhookIDInvalid          = errors.New("accountactivity: webhook id invalid")
	ErrDuplicateSubscription     = errors.New("accountactivity: subscription already exists")
	ErrSubscriptionLimitExceeded = errors.New("accountactivity: subscription limit exceeded")
	ErrSubscriptionNotFound      = errors.New("accountactivity: subscription not found")
	ErrQueryParamInvalid         = errors.New("accountactivity: query parameter invalid")
	ErrReplayConflict            = errors.New("accountactivity: replay job already running")
)

// reasons maps X's reason names, in lower case, to their sentinels.
var reasons = []struct {
	name string
	err  error
}{
	{"crcvalidationfailed", ErrCRCValidationFailed},
	{"urlvalidationfailed", ErrURLValidationFailed},
	{"duplicateurlfailed", ErrDuplicateURL},
	{"webhooklimitexceeded", ErrWebhookLimitExceeded},
	{"webhookidinvalid", ErrWebhookIDInvalid},
	{"duplicatesubscriptionfailed", ErrDuplicateSubscription},
	{"subscriptionlimitexceeded", ErrSubscriptionLimitExceeded},
	{"subscriptionnotfound", ErrSubscriptionNotFound},
	{"queryparaminvalid", ErrQueryParamInvalid},
	{"replayconflicterror", ErrReplayConflict},
}

// reasonError is an *xactivity.APIError whose body named failure reasons.
type reasonError struct {
	api     *xactivity.APIError
	reasons []error
}

// Error returns the API error's message.
func (e *reasonError) Error() string { return e.api.Error() }

// Unwrap returns the reasons' sentinels and the API error.
func (e *reasonError) Unwrap() []error {
	return append(append([]error(nil), e.reasons...), e.api)
}

// withReasons returns err, the failure of operation op, with the
// sentinels of the failure reasons in its *xactivity.APIError, or err
// itself when it names none. op selects the meaning of the v1.1 codes that
// several operations share (see operationKindOf).
func withReasons(err error, op string) error { return withReasonsFor(err, op, nil) }

// withReasonsFor is withReasons that also adds pageNotFound, when it is
// not nil, to a 404 whose v1.1 code 34 names no webhook: X's "Sorry, that
// page does not exist." on a call whose webhook exists but whose other
// resource, such as a subscription, does not.
func withReasonsFor(err error, op string, pageNotFound error) error {
	var api *xactivity.APIError
	if !errors.As(err, &api) {
		return err
	}
	text := strings.ToLower(errorText(api))
	var found []error
	for _, r := range reasons {
		if strings.Contains(text, r.name) {
			found = append(found, r.err)
		}
	}
	for _, r := range codeReasons(api, operationKindOf(op)) {
		found = appendNew(found, r)
	}
	if pageNotFound != nil && isPageNotFound(api) {
		found = appendNew(found, pageNotFound)
	}
	if len(found) == 0 {
		return err
	}
	return &reasonError{api: api, reasons: found}
}

// appendNew appends err to list unless list already contains it.
func appendNew(list []error, err error) []error {
	for _, e := range list {
		if e == err {
			return list
		}
	}
	return append(list, err)
}

// errorText joins every text of e that may carry a reason.
func errorText(e *xactivity.APIError) string {
	parts := []string{e.Detail}
	for _, p := range e.Problems {
		parts = append(parts, p.Type, p.Title, p.Detail, p.Parameter, p.Value)
		for _, m := range p.Errors {
			parts = append(parts, m.Message)
		}
	}
	for _, c := range e.Codes {
		parts = append(parts, c.Message)
	}
	return strings.Join(parts, "\n")
}
