package main

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/goodgo/xactivity/accountactivity"
)

// metrics are the service's Prometheus series. Every label has a small,
// fixed set of values: no user, account or message ids, so the number of
// series does not grow with the data.
type metrics struct {
	registry *prometheus.Registry

	deliveriesReceived prometheus.Counter
	deliveriesRejected *prometheus.CounterVec // reason
	eventsStored       prometheus.Counter
	eventsDuplicate    prometheus.Counter
	crcResponses       *prometheus.CounterVec // result
	eventsProcessed    *prometheus.CounterVec // result
	processingLag      prometheus.Histogram
	dmsSent            prometheus.Counter
	dmsFailed          *prometheus.CounterVec // reason
	xRequests          *prometheus.CounterVec // endpoint, status
	rateLimitWaits     *prometheus.CounterVec // limit
	webhookHealth      *prometheus.GaugeVec   // state
	campaigns          *campaignMetrics
}

// newMetrics registers the service's series, and the Go runtime and
// process collectors, in a registry of their own, so that several servers
// in one process (as in tests) do not collide.
func newMetrics() *metrics {
	r := prometheus.NewRegistry()
	m := &metrics{registry: r}
	m.deliveriesReceived = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "mktx_webhook_deliveries_received_total",
		Help: "Webhook deliveries verified and committed to the inbox (answered 200).",
	})
	m.deliveriesRejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mktx_webhook_deliveries_rejected_total",
		Help: "Webhook requests rejected, by reason: invalid_signature, payload_too_large, invalid_json, method_not_allowed, storage_unavailable or invalid_request.",
	}, []string{"reason"})
	m.eventsStored = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "mktx_webhook_events_stored_total",
		Help: "Events of received deliveries stored for the first time.",
	})
	m.eventsDuplicate = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "mktx_webhook_events_duplicate_total",
		Help: "Events of received deliveries that were already stored, such as X's retries and replays.",
	})
	m.crcResponses = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mktx_crc_responses_total",
		Help: "CRC challenges on the webhook routes, by result: signed, or rejected for an invalid token.",
	}, []string{"result"})
	m.eventsProcessed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mktx_inbox_events_processed_total",
		Help: "Inbox events processed, by result: done, retry or failed (no retry left).",
	}, []string{"result"})
	m.processingLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "mktx_inbox_processing_lag_seconds",
		Help:    "Time from a delivery's receipt to the end of the processing of one of its events.",
		Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800, 3600, 21600, 86400},
	})
	m.dmsSent = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "mktx_dms_sent_total",
		Help: "DMs that X accepted.",
	})
	m.dmsFailed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mktx_dms_failed_total",
		Help: "DMs not sent, by reason: rejected (X refused them for good), retries_exhausted, account_inactive, credentials, or unknown (the request may have reached X; its echo settles it).",
	}, []string{"reason"})
	m.xRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mktx_x_api_requests_total",
		Help: "Calls to the X API, by endpoint (method and path with ids replaced by :id) and status code (\"error\" when no response arrived).",
	}, []string{"endpoint", "status"})
	m.rateLimitWaits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mktx_rate_limit_waits_total",
		Help: "DMs deferred by a rate limit, by limit: account_daily (the account's DM limit) or x (a 429 from X).",
	}, []string{"limit"})
	m.webhookHealth = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "mktx_webhook_health",
		Help: "1 for the webhook's current state as the watcher found it, 0 for the others.",
	}, []string{"state"})
	r.MustRegister(
		m.deliveriesReceived, m.deliveriesRejected, m.eventsStored, m.eventsDuplicate,
		m.crcResponses, m.eventsProcessed, m.processingLag, m.dmsSent, m.dmsFailed,
		m.xRequests, m.rateLimitWaits, m.webhookHealth,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.campaigns = newCampaignMetrics(r)
	return m
}

// handler serves the registry in Prometheus' text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// healthStates are the label values of mktx_webhook_health.
var healthStates = []accountactivity.Health{
	accountactivity.HealthUnknown, accountactivity.HealthValid, accountactivity.HealthInvalid,
	accountactivity.HealthMissing, accountactivity.HealthUnreachable,
}

// setWebhookHealth sets the gauge of state h to 1 and the others to 0.
func (m *metrics) setWebhookHealth(h accountactivity.Health) {
	for _, state := range healthStates {
		v := 0.0
		if state == h {
			v = 1
		}
		m.webhookHealth.WithLabelValues(string(state)).Set(v)
	}
}

// observeLag records the processing lag of an event received at receivedAt.
func (m *metrics) observeLag(receivedAt, now time.Time) {
	if receivedAt.IsZero() {
		return
	}
	m.processingLag.Observe(max(0, now.Sub(receivedAt).Seconds()))
}

// instrumentedTransport counts every call to the X API by endpoint and
// status.
type instrumentedTransport struct {
	base    http.RoundTripper
	metrics *metrics
}

func (t instrumentedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
	}
	t.metrics.xRequests.WithLabelValues(endpointLabel(req.Method, req.URL.Path), status).Inc()
	return resp, err
}

// endpointLabel returns the method and path of an X API call with every
// segment that holds an id replaced by ":id", so that the label has one
// value per endpoint. Ids are decimal, a conversation id is two decimals
// joined by "-", and a v1.1 id may end in ".json". The first segment is
// the API version ("2" or "1.1") and is kept.
func endpointLabel(method, path string) string {
	segments := strings.Split(path, "/")
	for i, seg := range segments {
		if i < 2 {
			continue
		}
		base, ext := seg, ""
		if b, ok := strings.CutSuffix(seg, ".json"); ok {
			base, ext = b, ".json"
		}
		if isIDSegment(base) {
			segments[i] = ":id" + ext
		}
	}
	return method + " " + strings.Join(segments, "/")
}

// isIDSegment reports whether seg is a decimal id or ids joined by "-".
func isIDSegment(seg string) bool {
	if seg == "" {
		return false
	}
	for part := range strings.SplitSeq(seg, "-") {
		if part == "" {
			return false
		}
		for _, c := range part {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}
