// Command loadgen posts signed webhook deliveries to a running service at a
// fixed concurrency and reports throughput and latency percentiles. While
// it runs, a probe sends a CRC check at a fixed interval, so the report
// shows how fast CRC responses stay while ingest is saturated.
//
// Each delivery is a one-DM Account Activity body with a fresh event id, so
// every request stores a new inbox row.
//
// With --pid, it also samples the resident memory of that process (the
// service) from /proc/PID/status during the run, and reports it at every
// --mem-step deliveries and at its peak.
//
// Usage:
//
//	loadgen --url http://127.0.0.1:5000/api/v1/mkt-x/webhooks/twitter \
//	        --secret CONSUMER_SECRET [--concurrency 64] [--requests 50000] \
//	        [--pid SERVICE_PID [--mem-step 50000] [--mem-after 30s]]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goodgo/xactivity/webhook"
)

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
		}
		os.Exit(1)
	}
}

// options are the load parameters.
type options struct {
	url         string
	secret      string
	concurrency int
	requests    int
	crcInterval time.Duration
	forUserID   string
	firstID     int64
	probeOnly   time.Duration
	pid         int
	memInterval time.Duration
	memStep     int64
	memAfter    time.Duration
}

// result holds the measurements of one run.
type result struct {
	elapsed   time.Duration
	latencies []time.Duration
	crc       []time.Duration
	failures  int64
	status    map[int]int
	memory    []memSample // of the process --pid names
	memErr    error       // the error that stopped memory sampling early, if any
}

func run(args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.url, "url", "http://127.0.0.1:5000/api/v1/mkt-x/webhooks/twitter", "webhook `URL`")
	fs.StringVar(&o.secret, "secret", getenv("TWITTER__API_KEY_SECRET"), "consumer `secret` that signs deliveries (default $TWITTER__API_KEY_SECRET)")
	fs.IntVar(&o.concurrency, "concurrency", 64, "concurrent clients")
	fs.IntVar(&o.requests, "requests", 50000, "deliveries to send")
	fs.DurationVar(&o.crcInterval, "crc-interval", 5*time.Millisecond, "time between CRC probes (0 turns the probe off)")
	fs.StringVar(&o.forUserID, "for-user-id", "1470000000000000001", "for_user_id of the deliveries")
	fs.Int64Var(&o.firstID, "first-id", time.Now().UnixNano()/1000, "first DM event id; later ones count up")
	fs.DurationVar(&o.probeOnly, "probe-only", 0, "send only CRC probes for this `duration`, from a process of its own so that the load generator's CPU use does not delay them")
	fs.IntVar(&o.pid, "pid", 0, "process id of the service whose memory (VmRSS, VmHWM) to sample during the run; 0 samples none")
	fs.DurationVar(&o.memInterval, "mem-interval", 100*time.Millisecond, "time between memory samples")
	fs.Int64Var(&o.memStep, "mem-step", 0, "report memory each time this many more deliveries were answered (default a quarter of --requests)")
	fs.DurationVar(&o.memAfter, "mem-after", 0, "keep sampling memory for this `duration` after the last delivery")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.secret == "" {
		return errors.New("no consumer secret: pass --secret or set TWITTER__API_KEY_SECRET")
	}
	if o.concurrency < 1 || o.requests < 1 {
		return errors.New("--concurrency and --requests must be at least 1")
	}
	if o.pid < 0 || o.memInterval <= 0 || o.memAfter < 0 {
		return errors.New("--pid and --mem-after must not be negative, and --mem-interval must be positive")
	}
	if o.probeOnly > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), o.probeOnly)
		defer cancel()
		client := &http.Client{Timeout: 30 * time.Second}
		report(out, o, result{crc: probe(ctx, client, o)})
		return nil
	}
	res := load(context.Background(), o)
	report(out, o, res)
	if res.failures > 0 {
		return fmt.Errorf("%d deliveries did not get a 200 response", res.failures)
	}
	if res.memErr != nil {
		return res.memErr
	}
	return nil
}

// body returns a one-DM delivery with the given event id.
func body(forUserID string, id int64) []byte {
	return fmt.Appendf(nil, `{"for_user_id":"%s","direct_message_events":[{"type":"message_create","id":"%d",`+
		`"created_timestamp":"%d","message_create":{"target":{"recipient_id":"%s"},"sender_id":"1470000000000000777",`+
		`"message_data":{"text":"load test message %d","entities":{"hashtags":[],"symbols":[],"user_mentions":[],"urls":[]}}}}]}`,
		forUserID, id, time.Now().UnixMilli(), forUserID, id)
}

func load(ctx context.Context, o options) result {
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency + 1, MaxConnsPerHost: o.concurrency + 1},
	}
	var (
		next      atomic.Int64
		remaining atomic.Int64
		answered  atomic.Int64
		failures  atomic.Int64
		mu        sync.Mutex
		status    = map[int]int{}
	)
	next.Store(o.firstID)
	remaining.Store(int64(o.requests))
	latencies := make([][]time.Duration, o.concurrency)

	probeCtx, stopProbe := context.WithCancel(ctx)
	crcDone := make(chan []time.Duration)
	go func() { crcDone <- probe(probeCtx, client, o) }()

	start := time.Now()
	memCtx, stopMemory := context.WithCancel(ctx)
	defer stopMemory()
	type memResult struct {
		samples []memSample
		err     error
	}
	memDone := make(chan memResult, 1)
	if o.pid > 0 {
		go func() {
			samples, err := sampleMemory(memCtx, o.pid, o.memInterval, start, &answered)
			memDone <- memResult{samples, err}
		}()
	} else {
		memDone <- memResult{}
	}

	var wg sync.WaitGroup
	for c := range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for remaining.Add(-1) >= 0 {
				b := body(o.forUserID, next.Add(1))
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, o.url, bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(webhook.SignatureHeader, webhook.Sign(o.secret, b))
				t0 := time.Now()
				resp, err := client.Do(req)
				code := 0
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
				}
				latencies[c] = append(latencies[c], time.Since(t0))
				answered.Add(1)
				if code != http.StatusOK {
					failures.Add(1)
				}
				mu.Lock()
				status[code]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProbe()
	res := result{elapsed: elapsed, latencies: slices.Concat(latencies...), crc: <-crcDone, failures: failures.Load(), status: status}
	if o.pid > 0 && o.memAfter > 0 {
		select {
		case <-time.After(o.memAfter):
		case <-ctx.Done():
		}
	}
	stopMemory()
	mem := <-memDone
	res.memory, res.memErr = mem.samples, mem.err
	return res
}

// probe sends CRC checks until ctx ends and returns their latencies.
func probe(ctx context.Context, client *http.Client, o options) []time.Duration {
	if o.crcInterval <= 0 {
		return nil
	}
	var out []time.Duration
	ticker := time.NewTicker(o.crcInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return out
		case <-ticker.C:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, o.url+"?crc_token=loadgen-probe", nil)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			out = append(out, time.Since(t0))
		}
	}
}

func report(out io.Writer, o options, r result) {
	if len(r.latencies) == 0 {
		fmt.Fprintf(out, "CRC probe:  %d answers, p50 %s  p99 %s  max %s\n",
			len(r.crc), ms(percentile(r.crc, 0.50)), ms(percentile(r.crc, 0.99)), ms(percentile(r.crc, 1)))
		return
	}
	fmt.Fprintf(out, "deliveries: %d in %.2fs at concurrency %d, %d failed, statuses %v\n",
		len(r.latencies), r.elapsed.Seconds(), o.concurrency, r.failures, r.status)
	fmt.Fprintf(out, "throughput: %.0f deliveries/s\n", float64(len(r.latencies))/r.elapsed.Seconds())
	fmt.Fprintf(out, "latency:    p50 %s  p90 %s  p99 %s  max %s\n",
		ms(percentile(r.latencies, 0.50)), ms(percentile(r.latencies, 0.90)),
		ms(percentile(r.latencies, 0.99)), ms(percentile(r.latencies, 1)))
	if len(r.crc) > 0 {
		fmt.Fprintf(out, "CRC probe:  %d answers, p50 %s  p99 %s  max %s\n",
			len(r.crc), ms(percentile(r.crc, 0.50)), ms(percentile(r.crc, 0.99)), ms(percentile(r.crc, 1)))
	}
	reportMemory(out, o, r)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", d.Seconds()*1000) }

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
