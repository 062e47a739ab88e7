package accountactivity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/goodgo/xactivity/internal/wire"
)

// MaxWebhookURLLength is the longest webhook URL X accepts, in bytes.
const MaxWebhookURLLength = 200

// Webhook is a webhook registered with X: the URL that X delivers account
// activity to.
type Webhook struct {
	ID  string
	URL string
	// Valid reports whether the URL passed X's last CRC check. X does not
	// deliver to an invalid webhook; ValidateWebhook asks for a new check.
	Valid bool
	// CreatedAt is the registration time in UTC, or the zero Time when X
	// sent none or a form this package does not know.
	CreatedAt time.Time
}

// webhookJSON is a webhook as the v2 and v1.1 APIs write it. v1.1 sends
// created_timestamp ("2016-06-02 23:54:02 +0000") in some responses and
// created_at (RFC 3339) in others.
type webhookJSON struct {
	ID               wire.FlexString `json:"id"`
	URL              string          `json:"url"`
	Valid            bool            `json:"valid"`
	CreatedAt        string          `json:"created_at"`
	CreatedTimestamp string          `json:"created_timestamp"`
}

func (w webhookJSON) webhook() Webhook {
	created := parseTime(w.CreatedAt)
	if created.IsZero() {
		created = parseTime(w.CreatedTimestamp)
	}
	return Webhook{ID: string(w.ID), URL: w.URL, Valid: w.Valid, CreatedAt: created}
}

// CheckWebhookURL reports whether rawURL is a webhook URL that X accepts:
// an absolute https URL with a host, no port, no user information and no
// fragment, of at most MaxWebhookURLLength bytes. The error matches
// ErrInvalid.
func CheckWebhookURL(rawURL string) error {
	if len(rawURL) > MaxWebhookURLLength {
		return invalidf("webhook URL has %d bytes; X accepts at most %d", len(rawURL), MaxWebhookURLLength)
	}
	u, err := url.Parse(rawURL)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return invalidf("webhook URL %q is not an absolute URL", rawURL)
	}
	switch {
	case u.Scheme != "https":
		return invalidf("webhook URL %q must use https", rawURL)
	case u.Port() != "" || u.Host != u.Hostname():
		return invalidf("webhook URL %q must not name a port", rawURL)
	case u.User != nil || u.Fragment != "":
		return invalidf("webhook URL %q must not contain user information or a fragment", rawURL)
	}
	return nil
}

// checkWebhookURL applies CheckWebhookURL, or with WithInsecureWebhookURLs
// only checks that the URL is absolute http or https.
func (c *Client) checkWebhookURL(rawURL string) error {
	if !c.insecureURL {
		return CheckWebhookURL(rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(rawURL) > MaxWebhookURLLength {
		return invalidf("webhook URL %q is not an absolute http or https URL of at most %d bytes", rawURL, MaxWebhookURLLength)
	}
	return nil
}

// EnsureWebhook makes sure a valid webhook for url exists and returns it.
// It reuses a webhook registered for exactly this URL, asks X to check it
// again when X marks it invalid, and creates it when none exists. It never
// deletes or changes another webhook, so a second call changes nothing. It
// is safe to call from several processes at once. When two of them create
// the webhook at the same time, X rejects the later create. That call then
// lists the webhooks again and returns the one the other process created.
// A re-check that X only reports as attempted returns the webhook with
// Valid unchanged. It works on every generation, with the credentials of
// the three calls.
//
// Errors are as for Webhooks, ValidateWebhook and CreateWebhook; a failed
// CRC check matches ErrCRCValidationFailed.
func (c *Client) EnsureWebhook(ctx context.Context, url string) (Webhook, error) {
	if err := c.checkWebhookURL(url); err != nil {
		return Webhook{}, err
	}
	w, found, err := c.reuseWebhook(ctx, url)
	if err != nil || found {
		return w, err
	}
	created, createErr := c.CreateWebhook(ctx, url)
	if createErr == nil || !c.mayBeDuplicate(createErr) {
		return created, createErr
	}
	w, found, err = c.reuseWebhook(ctx, url)
	switch {
	case err != nil:
		return Webhook{}, err
	case !found:
		return Webhook{}, createErr
	}
	return w, nil
}

// reuseWebhook lists the webhooks and returns the one registered for
// exactly url, after asking X to check it again when X marks it invalid.
// It reports whether there is one.
func (c *Client) reuseWebhook(ctx context.Context, url string) (Webhook, bool, error) {
	hooks, err := c.Webhooks(ctx)
	if err != nil {
		return Webhook{}, false, err
	}
	for _, w := range hooks {
		if w.URL != url {
			continue
		}
		if w.Valid {
			return w, true, nil
		}
		v, err := c.ValidateWebhook(ctx, w.ID)
		if err != nil {
			return Webhook{}, false, err
		}
		w.Valid = v.Valid
		return w, true, nil
	}
	return Webhook{}, false, nil
}

// mayBeDuplicate reports whether err, the failure of CreateWebhook, may
// mean that the URL was registered since EnsureWebhook listed the
// webhooks. V2 names the duplicate (ErrDuplicateURL). The v1.1 generations
// document no error for it, so their code 214 may report it as a URL that
// does not meet the requirements, or as too many resources because a
// Premium environment contains one webhook.
func (c *Client) mayBeDuplicate(err error) bool {
	if errors.Is(err, ErrDuplicateURL) || errors.Is(err, ErrWebhookLimitExceeded) {
		return true
	}
	return c.gen != V2 && errors.Is(err, ErrURLValidationFailed)
}

// CreateWebhook registers url as a webhook. X sends a CRC check to the URL
// before it responds, so the URL's CRC handler must be running. url must
// pass CheckWebhookURL.
//
// V2: POST /2/webhooks with the app's bearer token (Config.App).
// Enterprise: POST /1.1/account_activity/webhooks.json?url=, and Premium:
// POST /1.1/account_activity/all/:env_name/webhooks.json?url=, both in the
// user context of the app's owner (Config.User).
//
// Errors: ErrInvalid, ErrNoAppAuth or ErrNoUserAuth (no request sent);
// *xactivity.APIError for X's refusal, matching ErrCRCValidationFailed,
// ErrURLValidationFailed, ErrDuplicateURL or ErrWebhookLimitExceeded when
// X names that reason, and on v1.1 ErrNoProductAccess or
// ErrAppCannotWrite; *xactivity.RequestError when no response arrived.
func (c *Client) CreateWebhook(ctx context.Context, url string) (Webhook, error) {
	if err := c.checkWebhookURL(url); err != nil {
		return Webhook{}, err
	}
	if c.gen != V2 {
		return c.createWebhookV11(ctx, url)
	}
	w, err := call[webhookJSON](ctx, c, appAuth, opCreateWebhook, wire.Call{
		Method: http.MethodPost,
		Path:   path("2", "webhooks"),
		JSON:   map[string]string{"url": url},
	})
	if err != nil {
		return Webhook{}, err
	}
	return w.webhook(), nil
}

// Webhooks returns the app's webhooks, with the app's bearer token:
// GET /2/webhooks on V2, GET /1.1/account_activity/webhooks.json on
// Enterprise and GET /1.1/account_activity/all/:env_name/webhooks.json on
// Premium. Errors are as for CreateWebhook, with ErrNoAppAuth in place of
// ErrNoUserAuth.
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	if c.gen != V2 {
		return c.webhooksV11(ctx)
	}
	wc := wire.Call{
		Method: http.MethodGet,
		Path:   path("2", "webhooks"),
		Query:  url.Values{"webhook_config.fields": {"created_at,id,url,valid"}},
	}
	resp, err := c.do(ctx, appAuth, opListWebhooks, wc)
	if err != nil {
		return nil, err
	}
	list, problems, err := decodeData[[]webhookJSON](resp.Body)
	if err != nil {
		return nil, fmt.Errorf("accountactivity: list webhooks: response is not the expected JSON: %w", err)
	}
	if list == nil && len(problems) > 0 {
		return nil, partial(opListWebhooks, wc, resp, problems)
	}
	var out []Webhook
	if list != nil {
		for _, w := range *list {
			out = append(out, w.webhook())
		}
	}
	return out, nil // X omits data when the app has no webhook
}

// Validation is the response to a request for a CRC check.
type Validation struct {
	// Valid is true when X reports that the webhook passed the check.
	Valid bool
	// Attempted is true when X reports only that it started the check.
	Attempted bool
}

// ValidateWebhook asks X to send a CRC check to the webhook id and to mark
// it valid again when the check passes.
//
// V2: PUT /2/webhooks/:id with the app's bearer token. X returns either
// {"valid": true} or {"attempted": true}; both are returned as they came.
// Enterprise: PUT /1.1/account_activity/webhooks/:id.json, and Premium:
// PUT /1.1/account_activity/all/:env_name/webhooks/:id.json, both in the
// user context of the app's owner. X responds 204 when the check passed,
// so a success returns Valid true, and a failed check is an error.
//
// Errors are as for CreateWebhook, with ErrWebhookIDInvalid for an unknown
// id.
func (c *Client) ValidateWebhook(ctx context.Context, id string) (Validation, error) {
	if err := checkID("webhook id", id); err != nil {
		return Validation{}, err
	}
	if c.gen != V2 {
		return c.validateWebhookV11(ctx, id)
	}
	v, err := call[struct {
		Valid     bool `json:"valid"`
		Attempted bool `json:"attempted"`
	}](ctx, c, appAuth, opValidateWebhook, wire.Call{
		Method: http.MethodPut,
		Path:   path("2", "webhooks", id),
	})
	if err != nil {
		return Validation{}, err
	}
	return Validation{Valid: v.Valid, Attempted: v.Attempted}, nil
}

// DeleteWebhook deletes the webhook id and with it the subscriptions that
// deliver to it: DELETE /2/webhooks/:id with the app's bearer token on
// V2, where a response whose deleted member is not true is an error too;
// DELETE /1.1/account_activity/webhooks/:id.json on Enterprise and
// DELETE /1.1/account_activity/all/:env_name/webhooks/:id.json on Premium,
// in the user context of the app's owner, where X responds 204.
// Errors are as for ValidateWebhook.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	if err := checkID("webhook id", id); err != nil {
		return err
	}
	if c.gen != V2 {
		return c.deleteWebhookV11(ctx, id)
	}
	v, err := call[struct {
		Deleted bool `json:"deleted"`
	}](ctx, c, appAuth, opDeleteWebhook, wire.Call{
		Method: http.MethodDelete,
		Path:   path("2", "webhooks", id),
	})
	if err != nil {
		return err
	}
	if !v.Deleted {
		return errors.New("accountactivity: delete webhook: X returned deleted false")
	}
	return nil
}
