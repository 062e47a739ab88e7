package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/xactivity/webhook"
	"github.com/goodgo/xactivity/xtest"
)

// scrape fetches /metrics and returns every sample, keyed by the series
// name with its labels as Prometheus prints them, such as
// `mktx_dms_failed_total{reason="rejected"}`.
func scrape(t *testing.T, h *harness) map[string]float64 {
	t.Helper()
	resp, err := h.http.Client().Get(h.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples
}

func TestMetricsAfterScriptedRun(t *testing.T) {
	h, conv := sendHarness(t) // one DM delivered and processed
	dm := fixturesDM(t)

	// The same delivery again, a bad signature, a body over the limit and
	// a body that is not JSON.
	h.deliver(dm)
	h.deliverSigned(dm, "sha256=AAAA")
	tooBig := bytes.Repeat([]byte("x"), int(h.srv.settings.MaxBodyBytes)+1)
	h.deliverSigned(tooBig, webhook.Sign(h.secret, tooBig))
	h.deliver([]byte("not json"))
	h.process()

	// Two CRC challenges signed, one rejected.
	for _, path := range []string{"/webhooks/twitter?crc_token=abc", "/webhooks/verify?crc_token=abc", "/webhooks/twitter?crc_token=%7B%22a%22%3A1%7D"} {
		h.do(http.MethodGet, apiBase+path, "", nil)
	}

	// A DM sent, a DM X rejects for good, a DM queued at the daily limit.
	if r, _ := h.sendDM(conv, map[string]string{"content": "sent"}); r.Status != http.StatusCreated {
		t.Fatalf("send: status %d: %s", r.Status, r.Raw)
	}
	if err := h.fake.SetDMRefusal(anaID, xtest.DMRefused); err != nil {
		t.Fatal(err)
	}
	if r, _ := h.sendDM(conv, map[string]string{"content": "refused"}); r.Status != http.StatusBadRequest {
		t.Fatalf("refused send: status %d: %s", r.Status, r.Raw)
	}
	// The store counts the two sends above, so a limit of 3 allows one more.
	h.srv.settings.DMDailyLimit = 3
	h.srv.sender = newSender(h.srv)
	h.sendDM(conv, map[string]string{"content": "first under the new limit"})
	if r, _ := h.sendDM(conv, map[string]string{"content": "queued"}); r.Status != http.StatusAccepted {
		t.Fatalf("queued send: status %d: %s", r.Status, r.Raw)
	}

	got := scrape(t, h)
	want := map[string]float64{
		"mktx_webhook_deliveries_received_total":                                                        2,
		`mktx_webhook_deliveries_rejected_total{reason="invalid_json"}`:                                 1,
		`mktx_webhook_deliveries_rejected_total{reason="invalid_signature"}`:                            1,
		`mktx_webhook_deliveries_rejected_total{reason="payload_too_large"}`:                            1,
		"mktx_webhook_events_duplicate_total":                                                           1,
		`mktx_crc_responses_total{result="signed"}`:                                                     2,
		`mktx_crc_responses_total{result="rejected"}`:                                                   1,
		"mktx_dms_sent_total":                                                                           1,
		`mktx_dms_failed_total{reason="rejected"}`:                                                      2, // the refusal, then the first send under the new limit
		`mktx_rate_limit_waits_total{limit="account_daily"}`:                                            1,
		`mktx_x_api_requests_total{endpoint="GET /2/users/me",status="200"}`:                            1,
		`mktx_x_api_requests_total{endpoint="POST /2/dm_conversations/with/:id/messages",status="201"}`: 1,
		`mktx_x_api_requests_total{endpoint="POST /2/dm_conversations/with/:id/messages",status="403"}`: 2,
	}
	for series, value := range want {
		if got[series] != value {
			t.Errorf("%s = %v, want %v", series, got[series], value)
		}
	}
	if n := got[`mktx_inbox_events_processed_total{result="done"}`]; n < 1 {
		t.Errorf("processed events done = %v, want at least 1", n)
	}
	if n := got["mktx_inbox_processing_lag_seconds_count"]; n < 1 {
		t.Errorf("processing lag observations = %v, want at least 1", n)
	}
	for series := range got {
		if strings.Contains(series, anaID) || strings.Contains(series, shopID) {
			t.Errorf("series %s has a user id as a label value", series)
		}
	}
}

func TestEndpointLabel(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"GET", "/2/users/me", "GET /2/users/me"},
		{"POST", "/2/dm_conversations/with/1470000000000000001/messages", "POST /2/dm_conversations/with/:id/messages"},
		{"GET", "/2/dm_conversations/12-34/dm_events", "GET /2/dm_conversations/:id/dm_events"},
		{"PUT", "/1.1/account_activity/webhooks/123.json", "PUT /1.1/account_activity/webhooks/:id.json"},
		{"DELETE", "/1.1/account_activity/all/prod/subscriptions/42.json", "DELETE /1.1/account_activity/all/prod/subscriptions/:id.json"},
		{"GET", "/2/webhooks", "GET /2/webhooks"},
		{"GET", "/2/a-/b--c/-1", "GET /2/a-/b--c/-1"},
	}
	for _, tt := range tests {
		if got := endpointLabel(tt.method, tt.path); got != tt.want {
			t.Errorf("endpointLabel(%s, %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestWebhookHealthMetric(t *testing.T) {
	h := newHarness(t)
	id := h.connect("m1")
	startWatcher(t, h, 50*time.Millisecond)
	if r := h.do(http.MethodPost, apiBase+"/accounts/"+id+"/register-webhook", h.token("m1"), nil); r.Status != http.StatusOK {
		t.Fatalf("register-webhook: status %d: %s", r.Status, r.Raw)
	}
	waitWebhook(t, h, "valid", 10*time.Second)
	got := scrape(t, h)
	for _, state := range []string{"unknown", "valid", "invalid", "missing", "unreachable"} {
		want := 0.0
		if state == "valid" {
			want = 1
		}
		series := fmt.Sprintf(`mktx_webhook_health{state=%q}`, state)
		if got[series] != want {
			t.Errorf("%s = %v, want %v", series, got[series], want)
		}
	}
}
