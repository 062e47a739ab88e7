package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goodgo/xactivity/dm"
	"github.com/goodgo/xactivity/ratelimit"
	"github.com/goodgo/xactivity/store"
)

// Campaign request limits. 10,000 recipients of up to 19 digits fit in
// about a quarter of the request body limit, and the store inserts them in
// one transaction.
const (
	maxCampaignRecipients = 10000
	maxCampaignNameRunes  = 100
)

// hintSeparator separates a campaign's content from the unsubscribe hint.
const hintSeparator = "\n\n"

// campaignRequest is the body of POST /campaigns.
type campaignRequest struct {
	AccountID  string      `json:"accountId"`
	Name       string      `json:"name"`
	Message    sendRequest `json:"message"`
	Recipients []string    `json:"recipients"`
}

// newCampaign is a validated campaignRequest.
type newCampaign struct {
	name         string
	content      string // with the unsubscribe hint
	quickReplies []store.QuickReply
	recipients   []string // distinct, in the order given
}

// validate checks the request and returns the campaign to store, with the
// hint appended to the content. The content and the hint together must
// fit in a DM.
func (r *campaignRequest) validate(hint string) (newCampaign, error) {
	var c newCampaign
	if r.AccountID == "" {
		return c, fmt.Errorf("accountId is required")
	}
	c.name = strings.TrimSpace(r.Name)
	if c.name == "" || !utf8.ValidString(c.name) || utf8.RuneCountInString(c.name) > maxCampaignNameRunes {
		return c, fmt.Errorf("name must be 1 to %d characters of valid UTF-8", maxCampaignNameRunes)
	}
	room := dm.MaxTextLength - utf8.RuneCountInString(hintSeparator+hint)
	content := r.Message.Content
	if strings.TrimSpace(content) == "" || !utf8.ValidString(content) || utf8.RuneCountInString(content) > room {
		return c, fmt.Errorf("message.content must be 1 to %d characters of valid UTF-8, which leaves room for the line %q", room, hint)
	}
	r.Message.Content = content + hintSeparator + hint
	var err error
	if c.quickReplies, err = r.Message.validate(); err != nil {
		return c, fmt.Errorf("message: %w", err)
	}
	c.content = r.Message.Content
	c.recipients, err = distinctRecipients(r.Recipients)
	return c, err
}

// distinctRecipients checks that every recipient is an X user id and
// returns them without repeats, in the order given.
func distinctRecipients(list []string) ([]string, error) {
	if len(list) == 0 {
		return nil, fmt.Errorf("recipients must list at least one X user id")
	}
	seen := make(map[string]bool, len(list))
	var out []string
	for i, id := range list {
		if !isUserID(id) {
			return nil, fmt.Errorf("recipients[%d] %.30q is not an X user id (a positive decimal number)", i, id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(out) > maxCampaignRecipients {
		return nil, fmt.Errorf("a campaign has at most %d recipients, got %d; split it into several", maxCampaignRecipients, len(out))
	}
	return out, nil
}

// isUserID reports whether id is the decimal form of a positive 64-bit X
// user id, without sign or leading zeros.
func isUserID(id string) bool {
	n, err := strconv.ParseUint(id, 10, 64)
	return err == nil && n > 0 && strconv.FormatUint(n, 10) == id
}

type quickReplyView struct {
	Label       string `json:"label"`
	Metadata    string `json:"metadata,omitempty"`
	Description string `json:"description,omitempty"`
}

type campaignMessageView struct {
	Content      string           `json:"content"` // as sent, with the unsubscribe hint
	QuickReplies []quickReplyView `json:"quickReplies,omitempty"`
}

// campaignTotals counts a campaign's recipients by state. Pending ones are
// not started, and the DM of a queued one waits in the outbox or is being
// sent. The send of an unknown one may have reached X, so its echo settles
// it. Skipped ones are blocked or undeliverable contacts.
type campaignTotals struct {
	Pending   int `json:"pending"`
	Queued    int `json:"queued"`
	Sent      int `json:"sent"`
	Unknown   int `json:"unknown"`
	Failed    int `json:"failed"`
	OptedOut  int `json:"optedOut"`
	Skipped   int `json:"skipped"`
	Cancelled int `json:"cancelled"`
}

type campaignView struct {
	ID         string              `json:"id"`
	AccountID  string              `json:"accountId"`
	Name       string              `json:"name"`
	Message    campaignMessageView `json:"message"`
	Status     string              `json:"status"`
	Recipients int                 `json:"recipients"`
	Totals     *campaignTotals     `json:"totals,omitempty"`
	// EstimatedCompletionAt is set while the campaign runs.
	EstimatedCompletionAt *timeJSON `json:"estimatedCompletionAt,omitempty"`
	CreatedAt             timeJSON  `json:"createdAt"`
	UpdatedAt             timeJSON  `json:"updatedAt"`
	FinishedAt            *timeJSON `json:"finishedAt,omitempty"`
}

func viewCampaign(c store.Campaign) campaignView {
	v := campaignView{
		ID:         c.ID,
		AccountID:  c.AccountID,
		Name:       c.Name,
		Message:    campaignMessageView{Content: c.Content},
		Status:     string(c.Status),
		Recipients: c.Recipients,
		CreatedAt:  timeJSON(c.CreatedAt),
		UpdatedAt:  timeJSON(c.UpdatedAt),
	}
	for _, q := range c.QuickReplies {
		v.Message.QuickReplies = append(v.Message.QuickReplies,
			quickReplyView{Label: q.Label, Metadata: q.Metadata, Description: q.Description})
	}
	if !c.FinishedAt.IsZero() {
		t := timeJSON(c.FinishedAt)
		v.FinishedAt = &t
	}
	return v
}

func viewTotals(t map[store.RecipientStatus]int) *campaignTotals {
	return &campaignTotals{
		Pending:   t[store.RecipientPending],
		Queued:    t[store.RecipientQueued],
		Sent:      t[store.RecipientSent],
		Unknown:   t[store.RecipientUnknown],
		Failed:    t[store.RecipientFailed],
		OptedOut:  t[store.RecipientOptedOut],
		Skipped:   t[store.RecipientSkipped],
		Cancelled: t[store.RecipientCancelled],
	}
}

// createCampaign stores a campaign of one of the merchant's active
// accounts. The campaign worker starts its recipients.
func (s *server) createCampaign(w http.ResponseWriter, r *http.Request) {
	merchant := merchantID(r.Context())
	var req campaignRequest
	if status, err := decodeJSON(w, r, &req); err != nil {
		s.rejectRequest(w, r, status, "invalid_request", err.Error())
		return
	}
	nc, err := req.validate(s.unsubscribeHint())
	if err != nil {
		s.rejectRequest(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}

	acct, err := s.store.Account(r.Context(), merchant, req.AccountID)
	if s.storeError(w, r, "account", err) {
		return
	}
	if acct.Status != store.AccountActive {
		s.rejectRequest(w, r, http.StatusConflict, "account_revoked", "the account's X authorization was revoked; reconnect it to run campaigns")
		return
	}
	for _, id := range nc.recipients {
		if id == acct.XUserID {
			s.rejectRequest(w, r, http.StatusBadRequest, "invalid_request", "recipients must not include the account's own X user id")
			return
		}
	}

	c, err := s.store.CreateCampaign(r.Context(), store.Campaign{
		MerchantID: merchant, AccountID: acct.ID, Name: nc.name, Content: nc.content, QuickReplies: nc.quickReplies,
	}, nc.recipients)
	if s.storeError(w, r, "account", err) {
		return
	}
	s.metrics.campaigns.campaigns.WithLabelValues("created").Inc()
	s.log.Info("campaign created", "campaign", c.ID, "account", c.AccountID, "merchant", merchant, "recipients", c.Recipients)
	// The campaign is stored, so the response is 201 even when its
	// totals cannot be read: a 500 would make the client retry and
	// create a second campaign.
	v, _, err := s.campaignDetail(r.Context(), c)
	if err != nil {
		s.log.Error("reading a new campaign's progress failed; responding without totals", "campaign", c.ID, "err", err)
		v = viewCampaign(c)
	}
	writeData(w, http.StatusCreated, v)
}

// writeCampaign writes the campaign with its totals and, while it runs,
// its estimated completion time.
func (s *server) writeCampaign(w http.ResponseWriter, r *http.Request, status int, c store.Campaign) {
	v, _, err := s.campaignDetail(r.Context(), c)
	if s.storeError(w, r, "campaign", err) {
		return
	}
	writeData(w, status, v)
}

// campaignDetail returns the view of the campaign with its totals and,
// while it runs, its estimated completion time, and the progress they
// come from.
func (s *server) campaignDetail(ctx context.Context, c store.Campaign) (campaignView, store.CampaignProgress, error) {
	p, err := s.store.CampaignProgress(ctx, c.MerchantID, c.ID)
	if err != nil {
		return campaignView{}, p, err
	}
	v := viewCampaign(c)
	v.Totals = viewTotals(p.Totals)
	if c.Status == store.CampaignRunning {
		at, err := s.estimateCompletion(ctx, c, p)
		if err != nil {
			return campaignView{}, p, err
		}
		t := timeJSON(at)
		v.EstimatedCompletionAt = &t
	}
	return v, p, nil
}

func (s *server) listCampaigns(w http.ResponseWriter, r *http.Request) {
	limit, err := parseLimit(r)
	if err != nil {
		s.rejectRequest(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	page, err := s.store.Campaigns(r.Context(), store.CampaignQuery{
		MerchantID: merchantID(r.Context()),
		Limit:      limit,
		Cursor:     r.URL.Query().Get("cursor"),
	})
	if s.storeError(w, r, "campaign", err) {
		return
	}
	views := make([]campaignView, 0, len(page.Items))
	for _, c := range page.Items {
		views = append(views, viewCampaign(c))
	}
	writeList(w, views, page.NextCursor)
}

// getCampaign writes one campaign with its totals.
//
// NOTE: recipients' states are shown only as totals. A route that lists
// each recipient with its state needs a store call that pages a
// campaign's recipients, which store.Campaigns does not have.
func (s *server) getCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.store.Campaign(r.Context(), merchantID(r.Context()), r.PathValue("id"))
	if s.storeError(w, r, "campaign", err) {
		return
	}
	s.writeCampaign(w, r, http.StatusOK, c)
}

// cancelCampaign stops a running campaign: recipients not started yet and
// DMs still waiting in the outbox are cancelled. Cancelling a cancelled
// campaign again returns it unchanged; a completed one gets 409.
func (s *server) cancelCampaign(w http.ResponseWriter, r *http.Request) {
	c, cancelled, err := s.store.CancelCampaign(r.Context(), merchantID(r.Context()), r.PathValue("id"))
	if s.storeError(w, r, "campaign", err) {
		return
	}
	if c.Status == store.CampaignCompleted {
		s.rejectRequest(w, r, http.StatusConflict, "campaign_completed", "the campaign has already completed")
		return
	}
	if cancelled {
		s.metrics.campaigns.campaigns.WithLabelValues("cancelled").Inc()
		s.log.Info("campaign cancelled", "campaign", c.ID, "account", c.AccountID, "merchant", c.MerchantID)
	}
	v, p, err := s.campaignDetail(r.Context(), c)
	if s.storeError(w, r, "campaign", err) {
		return
	}
	if cancelled {
		s.metrics.campaigns.messages.WithLabelValues("cancelled").Add(float64(p.Totals[store.RecipientCancelled]))
	}
	writeData(w, http.StatusOK, v)
}

// estimateCompletion returns when the campaign's last recipient is
// expected to be started. It replays the recent starts of the account's
// campaigns through the account's DM limits and the daily contact limit,
// then places each pending recipient at the next time those limits allow.
// It assumes that the account sends no other DMs, so it is an estimate:
// replies to customers, other campaigns and X's own limits can delay the
// campaign.
func (s *server) estimateCompletion(ctx context.Context, c store.Campaign, p store.CampaignProgress) (time.Time, error) {
	now := s.now()
	pending := p.Totals[store.RecipientPending]
	if pending == 0 {
		if p.NextSendAt.After(now) {
			return p.NextSendAt, nil
		}
		return now, nil
	}
	limits := append(accountLimits(s.settings), s.startLimits().DailyContacts)
	var windows []ratelimit.Window
	var longest time.Duration
	for _, l := range limits {
		windows = append(windows, ratelimit.Window{Events: l.Max, Per: l.Per})
		longest = max(longest, l.Per)
	}
	starts, err := s.store.CampaignStarts(ctx, c.AccountID, now.Add(-longest))
	if err != nil {
		return time.Time{}, err
	}
	sim := ratelimit.NewWindows(windows...)
	for _, t := range starts {
		sim.AllowAt(t)
	}
	at := now
	for range pending {
		at = sim.NextAllowed(at)
		sim.AllowAt(at)
	}
	return at, nil
}
