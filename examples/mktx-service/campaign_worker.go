package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/goodgo/xactivity/store"
)

// Campaign worker parameters.
const (
	// campaignMaxQueued is the largest number of a campaign's DMs waiting
	// in the outbox at once. The outbox sends them as the account's limits
	// allow, and the worker starts the next recipients when they have
	// left the queue. So the outbox never holds a day's backlog of
	// campaign DMs ahead of the account's other DMs, and an opt-out
	// usually finds the recipient's DM not queued yet.
	campaignMaxQueued = 4
	campaignPage      = 100 // running campaigns read at once
	campaignDay       = 24 * time.Hour
)

// campaignMetrics are the series of campaign progress. Their labels take
// only the values listed in the help texts.
type campaignMetrics struct {
	messages  *prometheus.CounterVec // status
	campaigns *prometheus.CounterVec // status
}

func newCampaignMetrics(r *prometheus.Registry) *campaignMetrics {
	m := &campaignMetrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mktx_campaign_messages_total",
			Help: "Campaign recipients by outcome: started (the DM was queued), opted_out (skipped or withdrawn after an opt-out), skipped (blocked or undeliverable contact) or cancelled (withdrawn by a cancellation). Sent and failed campaign DMs count in mktx_dms_sent_total and mktx_dms_failed_total.",
		}, []string{"status"}),
		campaigns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mktx_campaigns_total",
			Help: "Campaigns by event: created, completed or cancelled.",
		}, []string{"status"}),
	}
	r.MustRegister(m.messages, m.campaigns)
	return m
}

// startLimits are the limits of every StartRecipients call.
func (s *server) startLimits() store.StartLimits {
	return store.StartLimits{
		MaxQueued:     campaignMaxQueued,
		DailyContacts: store.SendLimit{Max: s.settings.CampaignContacts, Per: campaignDay},
	}
}

// runCampaigns starts the recipients of running campaigns until ctx is
// cancelled. Every replica may run it: the store starts each recipient
// once.
func (s *server) runCampaigns(ctx context.Context) {
	s.log.Info("campaign worker started")
	defer s.log.Info("campaign worker stopped")
	ticker := time.NewTicker(idlePoll)
	defer ticker.Stop()
	for {
		if _, _, err := s.startCampaigns(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("starting campaign recipients failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// startCampaigns calls StartRecipients once for every running campaign. It
// returns the number of recipients that changed state, and the earliest
// time at which the daily contacts limit lets a stopped campaign go on,
// zero when it stopped none. A campaign whose call fails is logged and
// skipped; the error is that of listing the campaigns.
func (s *server) startCampaigns(ctx context.Context) (changed int, next time.Time, err error) {
	limits := s.startLimits()
	after := ""
	for {
		list, err := s.store.RunningCampaigns(ctx, after, campaignPage)
		if err != nil {
			return changed, next, err
		}
		for _, c := range list {
			res, err := s.store.StartRecipients(ctx, c.ID, limits)
			if err != nil {
				if ctx.Err() != nil {
					return changed, next, ctx.Err()
				}
				s.log.Error("starting recipients of a campaign failed", "campaign", c.ID, "err", err)
				continue
			}
			s.recordStart(c, res)
			changed += res.Started + res.OptedOut + res.Skipped
			if !res.NextAt.IsZero() && (next.IsZero() || res.NextAt.Before(next)) {
				next = res.NextAt
			}
		}
		if len(list) < campaignPage {
			return changed, next, nil
		}
		after = list[len(list)-1].ID
	}
}

// recordStart counts and logs what one StartRecipients call did.
func (s *server) recordStart(c store.Campaign, res store.StartResult) {
	m := s.metrics.campaigns.messages
	m.WithLabelValues("started").Add(float64(res.Started))
	m.WithLabelValues("opted_out").Add(float64(res.OptedOut))
	m.WithLabelValues("skipped").Add(float64(res.Skipped))
	if res.Started+res.OptedOut+res.Skipped > 0 {
		s.log.Debug("campaign recipients started", "campaign", c.ID, "account", c.AccountID,
			"started", res.Started, "opted_out", res.OptedOut, "skipped", res.Skipped)
	}
	if !res.NextAt.IsZero() {
		s.log.Debug("campaign waits for the daily contact limit", "campaign", c.ID, "until", formatTime(res.NextAt))
	}
	if res.Completed {
		s.metrics.campaigns.campaigns.WithLabelValues("completed").Inc()
		s.log.Info("campaign completed", "campaign", c.ID, "account", c.AccountID, "merchant", c.MerchantID)
	}
}
