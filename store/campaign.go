package store

import (
	"context"
	"fmt"
	"time"
)

// CampaignStatus is the lifecycle state of a campaign.
type CampaignStatus string

// Campaign states. A running campaign becomes completed when no recipient is
// pending and the DM of every started recipient has left the outbox queue.
// A running campaign whose account is not active, such as one that X
// revoked, is paused: RunningCampaigns leaves it out and StartRecipients
// starts nothing until the account is connected again. Its DMs already in
// the outbox stay there.
const (
	CampaignRunning   CampaignStatus = "running"
	CampaignCompleted CampaignStatus = "completed"
	CampaignCancelled CampaignStatus = "cancelled"
)

// RecipientStatus is the state of one recipient of a campaign.
type RecipientStatus string

// Recipient states. A recipient is pending until StartRecipients takes it.
// It then becomes opted out or skipped, or its DM is queued in the outbox.
// The status of a queued recipient follows its DM's message: sent, unknown
// or failed once the outbox settles it.
const (
	RecipientPending   RecipientStatus = "pending"
	RecipientQueued    RecipientStatus = "queued"
	RecipientSent      RecipientStatus = "sent"
	RecipientUnknown   RecipientStatus = "unknown"
	RecipientFailed    RecipientStatus = "failed"
	RecipientOptedOut  RecipientStatus = "opted_out"
	RecipientSkipped   RecipientStatus = "skipped"
	RecipientCancelled RecipientStatus = "cancelled"
)

// RecipientStatuses lists every recipient state, in the order of a
// recipient's progress.
var RecipientStatuses = []RecipientStatus{
	RecipientPending, RecipientQueued, RecipientSent, RecipientUnknown, RecipientFailed,
	RecipientOptedOut, RecipientSkipped, RecipientCancelled,
}

// Status reasons of the queued campaign DMs that ApplyOptOut and
// CancelCampaign withdraw from the outbox.
const (
	ReasonOptedOut  = "the recipient opted out of campaigns"
	ReasonCancelled = "the campaign was cancelled"
)

// withdrawalReason returns the status reason of a DM withdrawn from a
// recipient that became status, RecipientOptedOut or RecipientCancelled.
func withdrawalReason(status RecipientStatus) string {
	if status == RecipientOptedOut {
		return ReasonOptedOut
	}
	return ReasonCancelled
}

// Campaign is a DM that a merchant sends from one account to a list of X
// users.
type Campaign struct {
	ID           string
	MerchantID   string
	AccountID    string
	Name         string
	Content      string       // the text of every DM, sent as given
	QuickReplies []QuickReply // nil when the DM has none
	Status       CampaignStatus
	Recipients   int // distinct recipients
	CreatedAt    time.Time
	UpdatedAt    time.Time
	FinishedAt   time.Time // when it completed or was cancelled; zero while running
}

// CampaignQuery selects the campaigns of one merchant.
type CampaignQuery struct {
	MerchantID string
	Limit      int    // at least 1
	Cursor     string // from a previous Page
}

// CampaignProgress is the state of a campaign's recipients.
type CampaignProgress struct {
	// Totals counts the recipients in each state. Every state of
	// RecipientStatuses is present, zero counts included.
	Totals map[RecipientStatus]int
	// NextSendAt is the earliest time at which a queued DM of the campaign
	// becomes claimable in the outbox, and zero when none is waiting.
	NextSendAt time.Time
}

// StartLimits bound how many recipients one StartRecipients call starts.
type StartLimits struct {
	// MaxQueued is the largest number of the campaign's DMs that may wait
	// in the outbox queue (pending or sending) at once, at least 1.
	// Keeping it small leaves the outbox to the account's other DMs and
	// lets opt-outs reach recipients before their DM is queued.
	MaxQueued int
	// DailyContacts limits the recipients started per account, counted
	// over every campaign of the account: at most Max starts in any
	// interval of length Per.
	DailyContacts SendLimit
}

// StartResult reports what StartRecipients did.
type StartResult struct {
	Started  int // recipients whose DM was queued
	OptedOut int // recipients found opted out
	Skipped  int // recipients found blocked or undeliverable
	// Completed reports that the campaign has no pending recipient and no
	// DM left in the outbox queue, and is now completed.
	Completed bool
	// AccountInactive reports that nothing started because the campaign's
	// account is not active.
	AccountInactive bool
	// NextAt is set when DailyContacts stopped the call: the earliest
	// time at which it allows the account's next start.
	NextAt time.Time
}

// Suppression is the record that keeps a contact of an account out of
// campaigns: an opt-out, or X's rejection of DMs to the contact.
type Suppression struct {
	AccountID string
	XUserID   string
	OptedOut  bool
	// OptOutAt is the At of the opt-out or opt-in change last applied,
	// and zero when none was.
	OptOutAt time.Time
	// Undeliverable is X's reason for rejecting a DM to the contact for
	// good, and empty while the contact is deliverable.
	Undeliverable   string
	UndeliverableAt time.Time // when Undeliverable was set
}

// OptOutChange opts a contact of an account out of campaigns, or back in,
// as of time At.
type OptOutChange struct {
	AccountID string
	XUserID   string
	OptedOut  bool
	At        time.Time // when X recorded the contact's request
	// Confirmation, when non-empty, is the text of a DM that ApplyOptOut
	// queues to the contact when the change opts the contact out.
	Confirmation string
}

// OptOutResult reports what ApplyOptOut did.
type OptOutResult struct {
	// Changed reports that the contact's opt-out state changed.
	Changed bool
	// Withdrawn counts the campaign recipients of the contact that the
	// change marked opted out. It leaves out those whose DM was being
	// sent, which become opted out only if the DM returns to the queue.
	Withdrawn int
	// Confirmation is the queued confirmation DM, with an empty ID when
	// none was queued.
	Confirmation Message
}

// Campaigns stores DM campaigns, their recipients and the contacts that
// campaigns skip. A campaign's DMs go through the Outbox: StartRecipients
// queues the DM of each recipient it starts, in the conversation with the
// recipient, which it creates when needed.
//
// Each recipient is stored once per campaign. StartRecipients moves a
// recipient out of pending in the same transaction that queues its DM, so
// a recipient's DM is queued at most once, also when several processes
// start the same campaign at the same time.
type Campaigns interface {
	// CreateCampaign stores a running campaign of c.MerchantID's account
	// c.AccountID with one pending recipient per distinct X user id in
	// recipients, in the order given. ID, Status, Recipients, CreatedAt,
	// UpdatedAt and FinishedAt of c are set by the store. It returns
	// ErrNotFound when the merchant has no such account, and ErrInvalid when
	// recipients is empty or contains an empty id, or when c.Content is
	// empty.
	CreateCampaign(ctx context.Context, c Campaign, recipients []string) (Campaign, error)
	// Campaign returns one of the merchant's campaigns.
	Campaign(ctx context.Context, merchantID, id string) (Campaign, error)
	// Campaigns lists the merchant's campaigns, newest first. A q.Limit
	// below 1 or a malformed q.Cursor yields ErrInvalid.
	Campaigns(ctx context.Context, q CampaignQuery) (Page[Campaign], error)
	// CampaignProgress counts the recipients of one of the merchant's
	// campaigns by state.
	CampaignProgress(ctx context.Context, merchantID, id string) (CampaignProgress, error)
	// CancelCampaign cancels a running campaign of the merchant. Its
	// pending recipients become cancelled, and so do the queued ones whose
	// DM is still pending in the outbox: the DM's outbox row and message
	// become failed with ReasonCancelled. A DM being sent is left to its
	// sender, but it is withdrawn too if the sender returns it to the
	// queue: Reschedule then settles it as failed with ReasonCancelled
	// and its recipient becomes cancelled. cancelled reports whether this
	// call cancelled the campaign; a campaign that is not running is
	// returned unchanged.
	CancelCampaign(ctx context.Context, merchantID, id string) (c Campaign, cancelled bool, err error)
	// RunningCampaigns lists the running campaigns of active accounts of
	// every merchant in id order, starting after the campaign afterID (all
	// when it is empty), for the worker that starts recipients. It leaves
	// out the paused campaigns of accounts that are not active. It returns
	// ErrInvalid when limit is below 1.
	RunningCampaigns(ctx context.Context, afterID string, limit int) ([]Campaign, error)
	// StartRecipients takes pending recipients of the campaign in the order
	// they were given, as far as limits allow, in one transaction. A
	// recipient who opted out of the account's campaigns becomes opted out,
	// and one whom the account blocked or whose DMs X rejected for good
	// becomes skipped. For every other one, the campaign's DM is queued in
	// the Outbox, claimable at once, and the recipient becomes queued. Only
	// those count against limits.
	//
	// When no recipient is pending and none of the campaign's DMs is still
	// pending or sending in the outbox, the campaign becomes completed. A
	// campaign that is not running starts nothing, and neither does one
	// whose account is not active, which AccountInactive reports. It
	// returns ErrNotFound when the campaign does not exist and ErrInvalid
	// when limits.MaxQueued is below 1 or limits.DailyContacts is not a
	// valid SendLimit.
	StartRecipients(ctx context.Context, campaignID string, limits StartLimits) (StartResult, error)
	// CampaignStarts returns the times, ascending, at which recipients of
	// the account's campaigns were started after since.
	CampaignStarts(ctx context.Context, accountID string, since time.Time) ([]time.Time, error)
	// ApplyOptOut opts a contact out of the account's campaigns or back in,
	// unless a change with a later At was already applied. Of two changes
	// with the same At, the one applied last wins. Changed is true only
	// when the state flips, so repeating an opt-out changes nothing.
	//
	// A change that opts the contact out also marks, in the same
	// transaction, the contact's pending recipients of every campaign of
	// the account opted out. So it does with the queued ones whose DM is
	// still pending in the outbox, and their outbox rows and messages
	// become failed with ReasonOptedOut. A DM being sent is left to its
	// sender, but if the sender returns it to the queue, Reschedule settles
	// it as failed with ReasonOptedOut and its recipient becomes opted out.
	// It then queues ch.Confirmation, when non-empty, as a DM to the
	// contact, creating the conversation when needed. Opting back in
	// changes no recipient. It returns ErrNotFound when the account does
	// not exist and ErrInvalid when ch.XUserID is empty.
	ApplyOptOut(ctx context.Context, ch OptOutChange) (OptOutResult, error)
	// MarkUndeliverable records that X rejected DMs from the account to the
	// contact for good, with X's reason, so that StartRecipients skips the
	// contact. It returns ErrNotFound when the account does not exist and
	// ErrInvalid when xUserID or reason is empty.
	MarkUndeliverable(ctx context.Context, accountID, xUserID, reason string) error
	// Suppression returns what keeps the contact out of the account's
	// campaigns, or ErrNotFound when nothing was ever recorded.
	Suppression(ctx context.Context, accountID, xUserID string) (Suppression, error)
}

// checkStartLimits returns an error wrapping ErrInvalid unless limits has
// a MaxQueued of at least 1 and a valid DailyContacts.
func checkStartLimits(limits StartLimits) error {
	if limits.MaxQueued < 1 {
		return fmt.Errorf("store: MaxQueued %d is less than 1: %w", limits.MaxQueued, ErrInvalid)
	}
	return checkSendLimits("campaign contacts", []SendLimit{limits.DailyContacts})
}

// checkNewCampaign returns an error wrapping ErrInvalid when the campaign
// cannot be stored as given.
func checkNewCampaign(c Campaign, recipients []string) error {
	if c.Content == "" {
		return fmt.Errorf("store: campaign has no content: %w", ErrInvalid)
	}
	if len(recipients) == 0 {
		return fmt.Errorf("store: campaign has no recipients: %w", ErrInvalid)
	}
	for i, r := range recipients {
		if r == "" {
			return fmt.Errorf("store: campaign recipient %d is empty: %w", i, ErrInvalid)
		}
	}
	return nil
}
