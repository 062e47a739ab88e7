package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/webhook"
)

func TestLoadAgainstHandler(t *testing.T) {
	var received atomic.Int64
	srv := httptest.NewServer(&webhook.Handler{
		ConsumerSecrets: []string{"load-secret"},
		Receiver: webhook.ReceiverFunc(func(_ context.Context, d *webhook.Delivery) error {
			if _, err := accountactivity.Decode(d.Body); err != nil {
				return err
			}
			received.Add(1)
			return nil
		}),
	})
	defer srv.Close()
	var out bytes.Buffer
	args := []string{"--url", srv.URL, "--secret", "load-secret", "--concurrency", "4", "--requests", "200", "--crc-interval", "1ms"}
	if err := run(args, func(string) string { return "" }, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if n := received.Load(); n != 200 {
		t.Errorf("handler received %d deliveries, want 200", n)
	}
	for _, want := range []string{"deliveries: 200", "throughput:", "latency:", "CRC probe:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestLoadReportsRejections(t *testing.T) {
	srv := httptest.NewServer(&webhook.Handler{
		ConsumerSecrets: []string{"other-secret"},
		Receiver:        webhook.ReceiverFunc(func(context.Context, *webhook.Delivery) error { return nil }),
	})
	defer srv.Close()
	var out bytes.Buffer
	err := run([]string{"--url", srv.URL, "--secret", "wrong", "--requests", "10", "--crc-interval", "0"}, func(string) string { return "" }, &out)
	if err == nil {
		t.Fatal("run succeeded although every delivery was rejected")
	}
	if !strings.Contains(out.String(), "401:10") {
		t.Errorf("report does not count the 401s:\n%s", out.String())
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		p    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0, time.Millisecond}}
	for _, tt := range tests {
		if got := percentile(ds, tt.p); got != tt.want {
			t.Errorf("percentile(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of nothing = %v, want 0", got)
	}
}

func TestRunRequiresSecret(t *testing.T) {
	if err := run([]string{"--requests", "1"}, func(string) string { return "" }, &bytes.Buffer{}); err == nil {
		t.Error("run without a secret succeeded")
	}
}
