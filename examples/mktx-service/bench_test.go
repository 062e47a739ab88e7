package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/xactivity/webhook"
)

// BenchmarkWebhookIngest measures durable ingest through the whole HTTP
// path over loopback: signature check, decode for event keys, the SQLite
// inbox commit, then the 200. Each of 64 concurrent clients posts distinct
// one-DM deliveries (so every one inserts a row), while a probe sends a CRC
// check every 5 ms. It reports deliveries per second, the p50 and p99
// delivery latency, and the CRC p99, all measured here on the clients' side.
// The inbox worker runs at the default pace of 1,000 events per minute.
func BenchmarkWebhookIngest(b *testing.B) {
	h := newHarness(b)
	h.connect("m1")
	h.srv.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	h.srv.settings.EventsPerMinute = 1000
	h.srv.worker = newWorker(h.srv)
	h.http.Config.Handler = h.srv.handler()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.srv.worker.run(ctx)

	const clients = 64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	url := h.http.URL + apiBase + "/webhooks/twitter"
	crcURL := h.http.URL + apiBase + "/webhooks/twitter?crc_token=9b4507b3-9040-4669-9ca3-6b94edb50553"

	stopProbe := make(chan struct{})
	var probeWG sync.WaitGroup
	var crcLatencies []time.Duration
	probeWG.Add(1)
	go func() {
		defer probeWG.Done()
		ticker := time.NewTicker(5 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-stopProbe:
				return
			case <-ticker.C:
			}
			start := time.Now()
			resp, err := client.Get(crcURL)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("CRC status %d", resp.StatusCode)
			}
			crcLatencies = append(crcLatencies, time.Since(start))
		}
	}()

	var next atomic.Int64
	next.Store(10_000_000)
	latencies := make([][]time.Duration, clients)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	var remaining atomic.Int64
	remaining.Store(int64(b.N))
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for remaining.Add(-1) >= 0 {
				body := dmDelivery(int(next.Add(1)))
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set(webhook.SignatureHeader, webhook.Sign(h.secret, body))
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				latencies[c] = append(latencies[c], time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(stopProbe)
	probeWG.Wait()

	all := slices.Concat(latencies...)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(percentile(all, 0.50).Seconds()*1000, "p50-ms")
	b.ReportMetric(percentile(all, 0.99).Seconds()*1000, "p99-ms")
	b.ReportMetric(percentile(crcLatencies, 0.99).Seconds()*1000, "crc-p99-ms")
	b.ReportMetric(0, "ns/op")
}

// percentile returns the p-quantile of ds by the nearest-rank method.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}
